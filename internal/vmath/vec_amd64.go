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
	if !avx512 || !hasAVX2 || len(x) < 8 {
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
	if !avx512 || !hasAVX2 || len(x) < 8 {
		return 0
	}
	_ = y[len(x)-1]
	return logAVX512(&x[0], &y[0], len(x))
}
