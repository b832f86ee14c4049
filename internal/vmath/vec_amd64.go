//go:build !noasm && !purego

package vmath

import "github.com/gozoo/zoo/internal/cpufeat"

var hasAVX2 = cpufeat.HasAVX2FMA()

//go:noescape
func sigmoidAVX2(x, y *float32, n int)

// sigmoidVec computes the elements of y in blocks of 8 with AVX2 and
// returns how many it did.
func sigmoidVec(x, y []float32) int {
	n := len(x) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	_ = y[n-1]
	sigmoidAVX2(&x[0], &y[0], n)
	return n
}
