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
