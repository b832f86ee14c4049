// Package vmath provides deterministic element-wise kernels for zoo's ops
// and optimizers, vectorised on amd64 and giving the same bits on every
// CPU and in every build.
//
// An exponential and the logistic sigmoid built on it (float32) are
// computed with float32 operations only (a Cody–Waite range reduction, a
// degree-6 polynomial and a scaling by a power of two, each multiply and
// add rounded on its own, never fused), so that the portable Go code and
// the vectorised assembly (AVX2, or AVX-512F where elem_amd64.go's
// kernels use it) give the same bits for every input.
// Exp32 is within 2 ulp of the correctly rounded e^x over the normal range
// (tested against math.Exp); results in the subnormal range are rounded
// twice. Sigmoid32 is 1/(1 + Exp32(−x)).
//
// The kernels of elem.go (SGD's steps with and without momentum and weight
// decay, ReLU's and the sigmoid's gradients, ReLU, element-wise sums and
// products, and batch normalisation's affine map, input gradient and
// per-channel sums), for float32 and float64, each give the bits of the Go
// loop in its doc comment: the
// assembly (AVX-512F, or AVX2 without it or with the noavx512 build tag)
// does the same IEEE operations in the same order, unfused, and the Go loop
// does the elements after the last whole vector. The noasm tag builds the
// Go loops alone.
package vmath
