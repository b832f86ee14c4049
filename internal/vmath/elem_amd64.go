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

// is32 reports whether T is float32 (otherwise it is float64).
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// ps and pd return the address of the first element of a non-empty slice
// of T as a *float32 (T is float32) or a *float64 (T is float64).
func ps[T Float](s []T) *float32 { return (*float32)(unsafe.Pointer(unsafe.SliceData(s))) }
func pd[T Float](s []T) *float64 { return (*float64)(unsafe.Pointer(unsafe.SliceData(s))) }
