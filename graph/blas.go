package graph

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/internal/gemm"
)

// FastBLAS is gonum's pure-Go BLAS with its matrix products, Sgemm and
// Dgemm, replaced by zoo's packed GEMM (internal/gemm: AVX2+FMA assembly
// kernels on amd64, a Go kernel elsewhere or under the noasm/purego build
// tags). Everything else (level 1 and 2, complex types) is gonum's.
//
// The products are deterministic: each element of C is one fixed sequence
// of multiply-adds over k in order, whatever GOMAXPROCS is and however the
// work is split between goroutines, so a seeded training run gives the same
// bits at any GOMAXPROCS. They differ from gonum's products in the last
// bits (gonum rounds each product and sum separately, and skips zeros of
// A, so that 0·Inf gives 0 there and NaN here).
//
// Built with the openblas tag (go build -tags openblas, which needs cgo
// and Debian's libopenblas-dev), the two products are OpenBLAS's
// cblas_sgemm and cblas_dgemm instead (blas_openblas.go); their last bits
// then depend on OpenBLAS's thread count, GOMAXPROCS at start-up (see
// SetOpenBLASThreads in that build). [BLASName] tells which backend a
// build has.
//
// Package graph installs FastBLAS when it is initialised ([UseFastBLAS]);
// gorgonia.Use(gonum.Implementation{}) goes back to gonum's, and
// gorgonia.Use of a cgo BLAS (OpenBLAS through gonum's netlib) replaces it.
type FastBLAS struct{ gonum.Implementation }

// UseFastBLAS makes Gorgonia and its tensor package use [FastBLAS] for
// every matrix product: G.Mul of matrices (x·W in [Linear] and both of its
// gradients) and zoo's im2col convolution, which calls G.WhichBLAS. It
// replaces whatever BLAS was in use; like gorgonia.Use, it is not meant to
// be called while graphs run.
func UseFastBLAS() { G.Use(FastBLAS{}) }

func init() { UseFastBLAS() }

// The matrix products of FastBLAS and the name of their backend: zoo's
// GEMM, unless the openblas build tag's init (blas_openblas.go) replaces
// them with OpenBLAS's.
var (
	sgemm       = gemm.Sgemm
	dgemm       = gemm.Dgemm
	gemmBackend = func() string {
		k32, k64 := gemm.Kernel()
		return fmt.Sprintf("zoo GEMM (kernels %s, %s)", k32, k64)
	}
)

// BLASName describes the BLAS that Gorgonia uses now, for logs and
// benchmark reports: "FastBLAS: zoo GEMM (kernels avx2+fma 6x16, ...)" in
// the default build, "FastBLAS: OpenBLAS 0.3.21 ... (1 thread)" in a build
// with the openblas tag, "gonum" for gonum's pure-Go BLAS, or the Go type
// of another BLAS given to gorgonia.Use.
func BLASName() string {
	switch b := G.WhichBLAS().(type) {
	case FastBLAS:
		return "FastBLAS: " + gemmBackend()
	case gonum.Implementation:
		return "gonum"
	default:
		return fmt.Sprintf("%T", b)
	}
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C in float32 (see
// gonum's Implementation.Sgemm for the arguments). Arguments that gonum
// rejects go to gonum's Sgemm, which panics with the BLAS message.
func (FastBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if validTranspose(tA) && validTranspose(tB) &&
		sgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == nil {
		return
	}
	gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm in float64.
func (FastBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if validTranspose(tA) && validTranspose(tB) &&
		dgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == nil {
		return
	}
	gonum.Implementation{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// validTranspose reports whether t is one of the BLAS's three values
// (ConjTrans is Trans for real matrices).
func validTranspose(t blas.Transpose) bool {
	return t == blas.NoTrans || t == blas.Trans || t == blas.ConjTrans
}
