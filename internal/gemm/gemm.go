package gemm

import (
	"runtime"

	"github.com/pkg/errors"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices: op(A) is m×k (A is m×k, or k×m if transA), op(B) is k×n (B is
// k×n, or n×k if transB) and C is m×n; lda, ldb and ldc are the row
// strides. Large products run on up to GOMAXPROCS goroutines; the result
// does not depend on how many (see the package documentation).
//
// Sgemm returns ErrDim, ErrLd or ErrShort for arguments that gonum's
// Sgemm rejects (it panics on them), and then leaves C unchanged.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := Check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return errors.WithMessage(err, "sgemm")
	}
	run(archs32[0], runtime.GOMAXPROCS(0), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return nil
}

// Dgemm is Sgemm for float64 matrices.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) error {
	if err := Check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return errors.WithMessage(err, "dgemm")
	}
	run(archs64[0], runtime.GOMAXPROCS(0), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	return nil
}

// Check validates GEMM arguments as gonum's Sgemm does, in its order:
// dimensions, leading dimensions, then (for a non-empty C) slice lengths.
// Sgemm and Dgemm call it; other backends (graph's OpenBLAS build) use it
// to reject the same inputs with the same errors.
func Check(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) error {
	switch {
	case m < 0:
		return errors.Wrapf(ErrDim, "m = %d", m)
	case n < 0:
		return errors.Wrapf(ErrDim, "n = %d", n)
	case k < 0:
		return errors.Wrapf(ErrDim, "k = %d", k)
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	switch {
	case lda < max(1, colsA):
		return errors.Wrapf(ErrLd, "lda = %d for %d columns", lda, colsA)
	case ldb < max(1, colsB):
		return errors.Wrapf(ErrLd, "ldb = %d for %d columns", ldb, colsB)
	case ldc < max(1, n):
		return errors.Wrapf(ErrLd, "ldc = %d for %d columns", ldc, n)
	}
	if m == 0 || n == 0 {
		return nil
	}
	switch {
	case lenA < (rowsA-1)*lda+colsA:
		return errors.Wrapf(ErrShort, "len(a) = %d for %d×%d with lda %d", lenA, rowsA, colsA, lda)
	case lenB < (rowsB-1)*ldb+colsB:
		return errors.Wrapf(ErrShort, "len(b) = %d for %d×%d with ldb %d", lenB, rowsB, colsB, ldb)
	case lenC < (m-1)*ldc+n:
		return errors.Wrapf(ErrShort, "len(c) = %d for %d×%d with ldc %d", lenC, m, n, ldc)
	}
	return nil
}
