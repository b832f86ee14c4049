package gemm

import "github.com/pkg/errors"

// Errors returned for arguments that the BLAS would reject; the checks and
// their order are those of gonum's Sgemm/Dgemm.
var (
	// ErrDim is returned for a negative m, n or k.
	ErrDim = errors.New("gemm: negative dimension")
	// ErrLd is returned for a leading dimension smaller than its row.
	ErrLd = errors.New("gemm: leading dimension too small")
	// ErrShort is returned for a slice too short for its matrix.
	ErrShort = errors.New("gemm: slice too short")
)
