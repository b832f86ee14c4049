// Package vmath provides deterministic element-wise float32 kernels for
// zoo's ops: an exponential and the logistic sigmoid built on it, computed
// with float32 operations only (a Cody–Waite range reduction, a degree-6
// polynomial and a scaling by a power of two, each multiply and add rounded
// on its own, never fused), so that the portable Go code and the vectorised
// assembly (AVX2 on amd64) give the same bits for every input.
//
// Exp32 is within 2 ulp of the correctly rounded e^x over the normal range
// (tested against math.Exp); results in the subnormal range are rounded
// twice. Sigmoid32 is 1/(1 + Exp32(−x)).
package vmath
