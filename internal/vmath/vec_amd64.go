//go:build !noasm && !purego

package vmath

import "github.com/gozoo/zoo/internal/cpufeat"

var hasAVX2 = cpufeat.HasAVX2FMA()

//go:noescape
func sigmoidAVX2(x, y *float32, n int)

//go:noescape
func sigmoidAVX512(x, y *float32, n int)

// sigmoidVec computes the elements of y in blocks of 16 with AVX-512F
// (where elem_amd64.go's avx512 is set) or of 8 with AVX2, and returns how
// many it did.
func sigmoidVec(x, y []float32) int {
	if !hasAVX2 {
		return 0
	}
	if avx512 {
		n := len(x) &^ 15
		if n == 0 {
			return 0
		}
		_ = y[n-1]
		sigmoidAVX512(&x[0], &y[0], n)
		return n
	}
	n := len(x) &^ 7
	if n == 0 {
		return 0
	}
	_ = y[n-1]
	sigmoidAVX2(&x[0], &y[0], n)
	return n
}

//go:noescape
func expAVX512(x, y *float64, n int) int

// expVec computes y[i] = math.Exp(x[i]) in blocks of 8 with AVX-512F (on
// a CPU with FMA, whose math.Exp takes the path expAVX512 follows) until a
// block has an input outside [−700, 700], and returns how many it did.
func expVec(x, y []float64) int {
	if !avx512 || len(x) < 8 {
		return 0
	}
	_ = y[len(x)-1]
	return expAVX512(&x[0], &y[0], len(x))
}

//go:noescape
func logAVX512(x, y *float64, n int) int

// logVec computes y[i] = math.Log(x[i]) in blocks of 8 with AVX-512F
// until a block has an input that is not positive, normal and finite,
// and returns how many it did.
func logVec(x, y []float64) int {
	if !avx512 || len(x) < 8 {
		return 0
	}
	_ = y[len(x)-1]
	return logAVX512(&x[0], &y[0], len(x))
}

//go:noescape
func maxPool2Block(r0, r1, y *float32, ip *int32, kout, kin0, kin1, base, w int) bool

// maxPool2Vec is MaxPool2Rows with AVX-512F, in blocks of 16 outputs, up to
// the first block with a NaN input; it returns how many outputs it did.
func maxPool2Vec(r0, r1, y []float32, ip []int32, base, w int) int {
	if !avx512 || len(y) == 0 {
		return 0
	}
	if ip != nil {
		_ = ip[len(y)-1]
	}
	for j := 0; j < len(y); j += 16 {
		n := min(16, len(y)-j)
		in := uint64(1)<<(2*n) - 1
		var p *int32
		if ip != nil {
			p = &ip[j]
		}
		_, _ = r0[2*j+2*n-1], r1[2*j+2*n-1]
		if !maxPool2Block(&r0[2*j], &r1[2*j], &y[j], p, 1<<n-1, int(in&0xffff), int(in>>16), base+2*j, w) {
			return j
		}
	}
	return len(y)
}
