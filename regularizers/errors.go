package regularizers

import "github.com/pkg/errors"

var (
	// ErrConfig is returned for an invalid regularizer configuration: a
	// negative or non-finite coefficient, a bad norm bound, a malformed name
	// pattern.
	ErrConfig = errors.New("regularizers: invalid configuration")
	// ErrNoneSelected is returned when a selector picks no trainable
	// parameter of the store. It is an error rather than a silent zero
	// because it almost always means a misspelt layer name or pattern.
	ErrNoneSelected = errors.New("regularizers: selector matches no parameter")
	// ErrShape is returned for a weight whose layout a regularizer does not
	// handle, or a mask whose shape differs from its variable's.
	ErrShape = errors.New("regularizers: unsupported shape")
	// ErrUnknownVar is returned when a name (a norm override, a mask entry)
	// refers to no parameter of the store.
	ErrUnknownVar = errors.New("regularizers: no such parameter")
	// ErrNonFinite is returned when weights to be ranked or reported contain
	// NaN or ±Inf.
	ErrNonFinite = errors.New("regularizers: non-finite weight")
	// ErrMask is returned for a mask tensor with values other than 0 and 1.
	ErrMask = errors.New("regularizers: invalid mask")
)
