package training

import (
	"fmt"

	"github.com/pkg/errors"
)

// Sentinel errors of the package. Errors returned by the package wrap one of
// these, so callers can test them with errors.Is.
var (
	// ErrInvalidConfig reports a configuration value out of its range.
	ErrInvalidConfig = errors.New("training: invalid configuration")
	// ErrNilTensor reports a parameter without a value or gradient tensor.
	ErrNilTensor = errors.New("training: nil tensor")
	// ErrShapeMismatch reports tensors whose shapes must agree and do not.
	ErrShapeMismatch = errors.New("training: shape mismatch")
	// ErrDtypeMismatch reports tensors whose element types must agree and
	// do not.
	ErrDtypeMismatch = errors.New("training: dtype mismatch")
	// ErrUnsupportedDtype reports a tensor that is neither float32 nor
	// float64.
	ErrUnsupportedDtype = errors.New("training: unsupported dtype")
	// ErrNotContiguous reports a tensor that is a view (a slice or a
	// transpose) or is masked; optimizers need plain contiguous tensors.
	ErrNotContiguous = errors.New("training: tensor is a view or masked")
	// ErrBadParamName reports an empty or repeated parameter name.
	ErrBadParamName = errors.New("training: empty or duplicate parameter name")
	// ErrState reports optimizer, schedule or early-stopping state that
	// does not fit the object it is loaded into or the parameters it is
	// used with.
	ErrState = errors.New("training: state mismatch")
	// ErrCheckpoint reports a checkpoint file that cannot be used: not a
	// zoo checkpoint, unreadable metadata, reserved tensor names.
	// ErrDiverged is returned by Fit when the training loss, the penalty or
	// the gradient norm becomes NaN or infinite.
	ErrDiverged   = errors.New("training: diverged (loss is NaN or infinite)")
	ErrCheckpoint = errors.New("training: invalid checkpoint")
	// ErrIncompatibleCheckpoint reports a checkpoint made for a different
	// model: another name, missing or extra tensors, other shapes.
	ErrIncompatibleCheckpoint = errors.New("training: incompatible checkpoint")
)

// ParamError describes a problem with one parameter. Err is one of the
// package's sentinel errors.
type ParamError struct {
	Param  string // parameter name
	Err    error  // sentinel error
	Detail string // what exactly is wrong
}

// Error implements error.
func (e *ParamError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%v: parameter %q", e.Err, e.Param)
	}
	return fmt.Sprintf("%v: parameter %q: %s", e.Err, e.Param, e.Detail)
}

// Unwrap returns the sentinel error.
func (e *ParamError) Unwrap() error { return e.Err }

// Cause returns the sentinel error, for github.com/pkg/errors.Cause.
func (e *ParamError) Cause() error { return e.Err }

func paramErr(name string, err error, format string, args ...any) error {
	return &ParamError{Param: name, Err: err, Detail: fmt.Sprintf(format, args...)}
}

func configErr(format string, args ...any) error {
	return errors.WithMessagef(ErrInvalidConfig, format, args...)
}
