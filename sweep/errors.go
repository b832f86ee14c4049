package sweep

import "github.com/pkg/errors"

// Errors of the package. Match them with errors.Is.
var (
	// ErrSpec reports an invalid sweep spec.
	ErrSpec = errors.New("sweep: invalid spec")
	// ErrTestMetric reports a request to select a configuration by a test
	// metric: the best configuration is chosen on validation data only.
	ErrTestMetric = errors.New("sweep: a configuration is never selected by a test metric")
	// ErrIndex reports a run index outside the plan.
	ErrIndex = errors.New("sweep: run index out of range")
)
