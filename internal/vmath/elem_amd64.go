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
func sgdS(w, grad *float32, n int, negLR float32)

//go:noescape
func sgdD(w, grad *float64, n int, negLR float64)

//go:noescape
func sgdDecayS(w, grad *float32, n int, negLR, wd float32)

//go:noescape
func sgdDecayD(w, grad *float64, n int, negLR, wd float64)

//go:noescape
func addS(y, x, b *float32, n int)

//go:noescape
func addD(y, x, b *float64, n int)

//go:noescape
func mulS(y, x, b *float32, n int)

//go:noescape
func mulD(y, x, b *float64, n int)

//go:noescape
func sigmoidGradS(gx, y, gy *float32, n int, one float32)

//go:noescape
func sigmoidGradD(gx, y, gy *float64, n int, one float64)

//go:noescape
func bnDxS(dx, x, dy, mean, k, c1, c2 *float32, n int)

//go:noescape
func bnDxD(dx, x, dy, mean, k, c1, c2 *float64, n int)

//go:noescape
func addWidenS(acc *float64, x *float32, n int)

//go:noescape
func addWidenD(acc, x *float64, n int)

//go:noescape
func addSquaredDiffS(acc, mean *float64, x *float32, n int)

//go:noescape
func addSquaredDiffD(acc, mean, x *float64, n int)

//go:noescape
func addGradMomentsS(sdyx, sdy *float64, x, dy, mean *float32, n int)

//go:noescape
func addGradMomentsD(sdyx, sdy, x, dy, mean *float64, n int)

//go:noescape
func addScalarS(y, x *float32, n int, s float32)

//go:noescape
func addScalarD(y, x *float64, n int, s float64)

//go:noescape
func scaleS(y, x *float32, n int, k float32)

//go:noescape
func scaleD(y, x *float64, n int, k float64)

//go:noescape
func affineScalarS(y, x *float32, n int, mu, a, b float32)

//go:noescape
func affineScalarD(y, x *float64, n int, mu, a, b float64)

//go:noescape
func bnDxScalarS(dx, x, dy *float32, n int, mu, k, c1, c2 float32)

//go:noescape
func bnDxScalarD(dx, x, dy *float64, n int, mu, k, c1, c2 float64)

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

// is32 reports whether T is float32 (otherwise it is float64).
func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// ps and pd return the address of the first element of a non-empty slice
// of T as a *float32 (T is float32) or a *float64 (T is float64).
func ps[T Float](s []T) *float32 { return (*float32)(unsafe.Pointer(unsafe.SliceData(s))) }
func pd[T Float](s []T) *float64 { return (*float64)(unsafe.Pointer(unsafe.SliceData(s))) }

// The …Vec functions run a kernel on the first vecLen elements of their
// first slice and return that count; their callers have checked that the
// other slices are as long. Mixed kernels (float64 accumulators) count
// their lanes in float64.

func momentumVec[T Float](w, g, b []T, negLR, mu, keep T) int {
	n := vecLen[T](len(w))
	switch {
	case n == 0:
	case is32[T]():
		momentumS(ps(w), ps(g), ps(b), n, float32(negLR), float32(mu), float32(keep))
	default:
		momentumD(pd(w), pd(g), pd(b), n, float64(negLR), float64(mu), float64(keep))
	}
	return n
}

func momentumDecayVec[T Float](w, g, b []T, negLR, wd, mu, keep T) int {
	n := vecLen[T](len(w))
	switch {
	case n == 0:
	case is32[T]():
		momentumDecayS(ps(w), ps(g), ps(b), n, float32(negLR), float32(wd), float32(mu), float32(keep))
	default:
		momentumDecayD(pd(w), pd(g), pd(b), n, float64(negLR), float64(wd), float64(mu), float64(keep))
	}
	return n
}

func sgdVec[T Float](w, g []T, negLR T) int {
	n := vecLen[T](len(w))
	switch {
	case n == 0:
	case is32[T]():
		sgdS(ps(w), ps(g), n, float32(negLR))
	default:
		sgdD(pd(w), pd(g), n, float64(negLR))
	}
	return n
}

func sgdDecayVec[T Float](w, g []T, negLR, wd T) int {
	n := vecLen[T](len(w))
	switch {
	case n == 0:
	case is32[T]():
		sgdDecayS(ps(w), ps(g), n, float32(negLR), float32(wd))
	default:
		sgdDecayD(pd(w), pd(g), n, float64(negLR), float64(wd))
	}
	return n
}

func addVec[T Float](y, x, b []T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		addS(ps(y), ps(x), ps(b), n)
	default:
		addD(pd(y), pd(x), pd(b), n)
	}
	return n
}

func mulVec[T Float](y, x, b []T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		mulS(ps(y), ps(x), ps(b), n)
	default:
		mulD(pd(y), pd(x), pd(b), n)
	}
	return n
}

func sigmoidGradVec[T Float](gx, y, gy []T) int {
	n := vecLen[T](len(gx))
	switch {
	case n == 0:
	case is32[T]():
		sigmoidGradS(ps(gx), ps(y), ps(gy), n, 1)
	default:
		sigmoidGradD(pd(gx), pd(y), pd(gy), n, 1)
	}
	return n
}

func bnDxVec[T Float](dx, x, dy, mean, k, c1, c2 []T) int {
	n := vecLen[T](len(dx))
	switch {
	case n == 0:
	case is32[T]():
		bnDxS(ps(dx), ps(x), ps(dy), ps(mean), ps(k), ps(c1), ps(c2), n)
	default:
		bnDxD(pd(dx), pd(x), pd(dy), pd(mean), pd(k), pd(c1), pd(c2), n)
	}
	return n
}

func addWidenVec[T Float](acc []float64, x []T) int {
	n := vecLen[float64](len(acc))
	switch {
	case n == 0:
	case is32[T]():
		addWidenS(&acc[0], ps(x), n)
	default:
		addWidenD(&acc[0], pd(x), n)
	}
	return n
}

func addSquaredDiffVec[T Float](acc, mean []float64, x []T) int {
	n := vecLen[float64](len(acc))
	switch {
	case n == 0:
	case is32[T]():
		addSquaredDiffS(&acc[0], &mean[0], ps(x), n)
	default:
		addSquaredDiffD(&acc[0], &mean[0], pd(x), n)
	}
	return n
}

func addGradMomentsVec[T Float](sdyx, sdy []float64, x, dy, mean []T) int {
	n := vecLen[float64](len(sdyx))
	switch {
	case n == 0:
	case is32[T]():
		addGradMomentsS(&sdyx[0], &sdy[0], ps(x), ps(dy), ps(mean), n)
	default:
		addGradMomentsD(&sdyx[0], &sdy[0], pd(x), pd(dy), pd(mean), n)
	}
	return n
}

func normScaleVec[T Float](y, x, mean, scale []T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		normScaleS(ps(y), ps(x), ps(mean), ps(scale), n)
	default:
		normScaleD(pd(y), pd(x), pd(mean), pd(scale), n)
	}
	return n
}

func normAffineVec[T Float](y, x, mean, scale, shift []T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		normAffineS(ps(y), ps(x), ps(mean), ps(scale), ps(shift), n)
	default:
		normAffineD(pd(y), pd(x), pd(mean), pd(scale), pd(shift), n)
	}
	return n
}

func reluVec[T Float](y, x []T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		reluS(ps(y), ps(x), n)
	default:
		reluD(pd(y), pd(x), n)
	}
	return n
}

func reluGradVec[T Float](gx, y, gy []T) int {
	n := vecLen[T](len(gx))
	switch {
	case n == 0:
	case is32[T]():
		reluGradS(ps(gx), ps(y), ps(gy), n)
	default:
		reluGradD(pd(gx), pd(y), pd(gy), n)
	}
	return n
}

func addScalarVec[T Float](y, x []T, s T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		addScalarS(ps(y), ps(x), n, float32(s))
	default:
		addScalarD(pd(y), pd(x), n, float64(s))
	}
	return n
}

func scaleVec[T Float](y, x []T, k T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		scaleS(ps(y), ps(x), n, float32(k))
	default:
		scaleD(pd(y), pd(x), n, float64(k))
	}
	return n
}

func affineScalarVec[T Float](y, x []T, mu, a, b T) int {
	n := vecLen[T](len(y))
	switch {
	case n == 0:
	case is32[T]():
		affineScalarS(ps(y), ps(x), n, float32(mu), float32(a), float32(b))
	default:
		affineScalarD(pd(y), pd(x), n, float64(mu), float64(a), float64(b))
	}
	return n
}

func bnDxScalarVec[T Float](dx, x, dy []T, mu, k, c1, c2 T) int {
	n := vecLen[T](len(dx))
	switch {
	case n == 0:
	case is32[T]():
		bnDxScalarS(ps(dx), ps(x), ps(dy), n, float32(mu), float32(k), float32(c1), float32(c2))
	default:
		bnDxScalarD(pd(dx), pd(x), pd(dy), n, float64(mu), float64(k), float64(c1), float64(c2))
	}
	return n
}
