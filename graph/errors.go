package graph

import "github.com/pkg/errors"

var (
	// ErrDtype is returned for a dtype other than float32 or float64.
	ErrDtype = errors.New("graph: unsupported dtype (want float32 or float64)")
	// ErrDuplicateName is returned when a parameter or buffer name is declared twice.
	ErrDuplicateName = errors.New("graph: duplicate variable name")
	// ErrShape is returned when an input's shape does not fit a layer.
	ErrShape = errors.New("graph: shape mismatch")
	// ErrLabel is returned when a class label is not an integer in [0, K).
	ErrLabel = errors.New("graph: label out of range")
	// ErrConfig is returned for an invalid layer configuration.
	ErrConfig = errors.New("graph: invalid configuration")
	// ErrNoRand is returned when a stochastic layer is built without a random source.
	ErrNoRand = errors.New("graph: stochastic layer needs a *rand.Rand (Builder built with nil)")
	// ErrForeignVar is returned when a variable from another store is used.
	ErrForeignVar = errors.New("graph: variable belongs to another store")
)
