package experiments

import "github.com/pkg/errors"

var (
	// ErrUnknown is returned for an experiment name that is not registered.
	ErrUnknown = errors.New("experiments: unknown experiment")
	// ErrConfig is returned for invalid options or an invalid helper argument.
	ErrConfig = errors.New("experiments: invalid configuration")
)
