//go:build !noasm && !purego

package vmath

import (
	"unsafe"

	"github.com/gozoo/zoo/internal/cpufeat"
)

//go:generate go run gen_elem.go

// avx512 makes the kernels of elem_amd64.s run their ZMM loops (AVX-512F)
// instead of their YMM loops (AVX2).
var avx512 = hasAVX2 && !disableAVX512 && cpufeat.HasAVX512()

// vecLen is the number of leading elements of a slice of length n that the
// kernels of elem_amd64.s do for T: whole vectors of 256 or 512 bits, none
// without AVX2.
func vecLen[T Float](n int) int {
	if !hasAVX2 {
		return 0
	}
	bytes := 32
	if avx512 {
		bytes = 64
	}
	var z T
	return n &^ (bytes/int(unsafe.Sizeof(z)) - 1)
}

//go:noescape
func momentumS(w, grad, b *float32, n int, negLR, mu, keep float32)

//go:noescape
func momentumD(w, grad, b *float64, n int, negLR, mu, keep float64)

//go:noescape
func momentumDecayS(w, grad, b *float32, n int, negLR, wd, mu, keep float32)

//go:noescape
func momentumDecayD(w, grad, b *float64, n int, negLR, wd, mu, keep float64)

//go:noescape
func addS(y, x, b *float32, n int)

//go:noescape
func addD(y, x, b *float64, n int)

//go:noescape
func normScaleS(y, x, mean, scale *float32, n int)

//go:noescape
func normScaleD(y, x, mean, scale *float64, n int)

//go:noescape
func normAffineS(y, x, mean, scale, shift *float32, n int)

//go:noescape
func normAffineD(y, x, mean, scale, shift *float64, n int)

//go:noescape
func reluS(y, x *float32, n int)

//go:noescape
func reluD(y, x *float64, n int)

//go:noescape
func reluGradS(gx, y, gy *float32, n int)

//go:noescape
func reluGradD(gx, y, gy *float64, n int)

// The …Vec functions run a kernel on the first vecLen(len) elements and
// return that count; their callers have checked the lengths of the other
// slices.

func momentumVec[T Float](w, g, b []T, negLR, mu, keep T) int {
	n := vecLen[T](len(w))
	if n == 0 {
		return 0
	}
	switch w := any(w).(type) {
	case []float32:
		g, b := any(g).([]float32), any(b).([]float32)
		momentumS(&w[0], &g[0], &b[0], n, float32(negLR), float32(mu), float32(keep))
	case []float64:
		g, b := any(g).([]float64), any(b).([]float64)
		momentumD(&w[0], &g[0], &b[0], n, float64(negLR), float64(mu), float64(keep))
	}
	return n
}

func momentumDecayVec[T Float](w, g, b []T, negLR, wd, mu, keep T) int {
	n := vecLen[T](len(w))
	if n == 0 {
		return 0
	}
	switch w := any(w).(type) {
	case []float32:
		g, b := any(g).([]float32), any(b).([]float32)
		momentumDecayS(&w[0], &g[0], &b[0], n, float32(negLR), float32(wd), float32(mu), float32(keep))
	case []float64:
		g, b := any(g).([]float64), any(b).([]float64)
		momentumDecayD(&w[0], &g[0], &b[0], n, float64(negLR), float64(wd), float64(mu), float64(keep))
	}
	return n
}

func addVec[T Float](y, x, b []T) int {
	n := vecLen[T](len(y))
	if n == 0 {
		return 0
	}
	switch y := any(y).(type) {
	case []float32:
		x, b := any(x).([]float32), any(b).([]float32)
		addS(&y[0], &x[0], &b[0], n)
	case []float64:
		x, b := any(x).([]float64), any(b).([]float64)
		addD(&y[0], &x[0], &b[0], n)
	}
	return n
}

func normScaleVec[T Float](y, x, mean, scale []T) int {
	n := vecLen[T](len(y))
	if n == 0 {
		return 0
	}
	switch y := any(y).(type) {
	case []float32:
		x, mean, scale := any(x).([]float32), any(mean).([]float32), any(scale).([]float32)
		normScaleS(&y[0], &x[0], &mean[0], &scale[0], n)
	case []float64:
		x, mean, scale := any(x).([]float64), any(mean).([]float64), any(scale).([]float64)
		normScaleD(&y[0], &x[0], &mean[0], &scale[0], n)
	}
	return n
}

func normAffineVec[T Float](y, x, mean, scale, shift []T) int {
	n := vecLen[T](len(y))
	if n == 0 {
		return 0
	}
	switch y := any(y).(type) {
	case []float32:
		x, mean, scale, shift := any(x).([]float32), any(mean).([]float32), any(scale).([]float32), any(shift).([]float32)
		normAffineS(&y[0], &x[0], &mean[0], &scale[0], &shift[0], n)
	case []float64:
		x, mean, scale, shift := any(x).([]float64), any(mean).([]float64), any(scale).([]float64), any(shift).([]float64)
		normAffineD(&y[0], &x[0], &mean[0], &scale[0], &shift[0], n)
	}
	return n
}

func reluVec[T Float](y, x []T) int {
	n := vecLen[T](len(y))
	if n == 0 {
		return 0
	}
	switch y := any(y).(type) {
	case []float32:
		reluS(&y[0], &any(x).([]float32)[0], n)
	case []float64:
		reluD(&y[0], &any(x).([]float64)[0], n)
	}
	return n
}

func reluGradVec[T Float](gx, y, gy []T) int {
	n := vecLen[T](len(gx))
	if n == 0 {
		return 0
	}
	switch gx := any(gx).(type) {
	case []float32:
		y, gy := any(y).([]float32), any(gy).([]float32)
		reluGradS(&gx[0], &y[0], &gy[0], n)
	case []float64:
		y, gy := any(y).([]float64), any(gy).([]float64)
		reluGradD(&gx[0], &y[0], &gy[0], n)
	}
	return n
}
