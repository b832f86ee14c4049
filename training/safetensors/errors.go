package safetensors

import (
	"fmt"

	"github.com/pkg/errors"
)

// Sentinel errors. Errors returned by Read and Write wrap one of them, so
// they can be tested with errors.Is.
var (
	// ErrTruncated reports input that ends before the header or the data
	// it announces.
	ErrTruncated = errors.New("safetensors: truncated input")
	// ErrHeader reports a header that is not valid: too large, not JSON,
	// wrong fields, inconsistent shapes or offsets.
	ErrHeader = errors.New("safetensors: invalid header")
	// ErrTrailingData reports bytes after the last tensor.
	ErrTrailingData = errors.New("safetensors: trailing data after tensors")
	// ErrDtype reports a dtype this package cannot read or write.
	ErrDtype = errors.New("safetensors: unsupported dtype")
	// ErrData reports tensor bytes that are not a valid encoding (a BOOL
	// byte other than 0 or 1).
	ErrData = errors.New("safetensors: invalid data")
	// ErrTensor reports a tensor that cannot be written: nil, masked,
	// or with an empty, reserved or repeated name.
	ErrTensor = errors.New("safetensors: invalid tensor")
)

// FormatError adds detail to one of the sentinel errors.
type FormatError struct {
	Err    error  // sentinel error
	Detail string // what exactly is wrong
}

// Error implements error.
func (e *FormatError) Error() string { return e.Err.Error() + ": " + e.Detail }

// Unwrap returns the sentinel error.
func (e *FormatError) Unwrap() error { return e.Err }

// Cause returns the sentinel error, for github.com/pkg/errors.Cause.
func (e *FormatError) Cause() error { return e.Err }

func formatErr(err error, format string, args ...any) error {
	return &FormatError{Err: err, Detail: fmt.Sprintf(format, args...)}
}
