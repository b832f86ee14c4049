// Package gemm provides a fast, deterministic general matrix product for
// float32 and float64 in pure Go and Go assembly (no cgo):
//
//	C = alpha·op(A)·op(B) + beta·C,  op(X) = X or Xᵀ,
//
// on row-major matrices with leading dimensions, the semantics of the BLAS
// routines Sgemm and Dgemm as gonum.org/v1/gonum/blas declares them.
//
// The product follows the GotoBLAS/BLIS design: op(B) is packed in kc×nc
// blocks and op(A) in mc×kc blocks into contiguous, zero-padded panels
// (buffers kept between calls in a small free list, so a call allocates
// nothing), and a register-blocked micro-kernel computes one mr×nr tile of
// C per call. When C has a single block of rows, each kc×nr panel of B is
// packed just before the kernel uses it, while it is in L1, or, with
// AVX-512, op(B) = B and at most 11 row tiles, read in place by kernels
// that step through B's rows. On amd64 the micro-kernels, and the packing
// copies, scalings and transposes, are Go assembly, chosen at run time
// from CPUID and the state the operating system saves (XCR0): with
// AVX-512F, 12×32 tiles for float32 and 12×16 for float64 in ZMM
// registers; with AVX2 and FMA, 6×16 and 6×8 in YMM registers. Tiles cut
// by the edges of C run on smaller kernels where they fit one: half as
// wide (a last column tile of 10 or 16 columns of a float32 product takes
// a 12×16 tile, not 12×32), with AVX-512 of 8 or 4 rows, and for at most
// 4 float32 columns a kernel with a register per column. Elsewhere, or
// when built with the noasm or purego tag, a portable Go micro-kernel
// (4×4) is used; the noavx512 tag keeps the AVX2 kernels on an AVX-512
// CPU. Kernel names the one in use.
//
// Determinism: every element of C is computed by one fixed sequence of
// floating-point operations,
//
//	acc = beta·c (0 if beta is 0; c itself if beta is 1)
//	acc = acc + (alpha·a[i,p])·b[p,j]   for p = 0, 1, …, k−1 in order,
//
// with the multiply-add fused on the assembly path and rounded twice on the
// Go path. Neither the cache blocking, the tile sizes, nor the split of C
// between goroutines changes that sequence: large products (2·m·n·k ≥
// 2²⁵) run on up to GOMAXPROCS goroutines (the caller and the long-lived
// workers of internal/workers), each owning whole blocks of C (the operand
// that is not split is packed once for all, its depth blocks shared out
// among them), never a part of the k reduction, so the result is
// bit-identical for any GOMAXPROCS, and the AVX-512 and AVX2 kernels give
// the same bits. (The assembly and the Go kernels differ from each other
// in the last bits, as FMA rounds once.)
//
// As in the BLAS, beta = 0 ignores what C held (NaN included), and
// alpha = 0 or k = 0 only scales C by beta. Unlike gonum's Sgemm, products
// with a zero element of A are not skipped, so 0·Inf gives NaN as IEEE 754
// says.
package gemm
