package regularizers

import (
	"fmt"
	"math"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// ProxL1 is the proximal step of the L1 penalty λ·Σ|w|, applied after each
// optimizer step with that step's learning rate η: soft-thresholding
//
//	w ← sign(w) · max(|w| − η·λ, 0).
//
// Why not the [L1] penalty's subgradient: a gradient step adds −ηλ·sign(w) to
// each weight, which moves a small weight across zero and back, so weights
// oscillate around zero and almost never land exactly on it. The proximal
// step instead solves, exactly and per weight,
//
//	argmin_w  ½‖w − v‖² + ηλ‖w‖₁
//
// where v is the weight after the gradient step on the data loss: every
// weight whose magnitude is at most ηλ becomes exactly 0 and the others
// shrink by ηλ towards zero. With plain SGD this is proximal gradient descent
// (ISTA) on loss + λ‖w‖₁, the objective of L1{Lambda: λ}; use one or the
// other, not both. With momentum or an adaptive optimizer (Adam) the
// threshold η·λ ignores the per-weight step size, so it is the usual
// heuristic rather than an exact proximal method.
//
// Zeros are not kept zero: a zeroed weight is free to move again on the next
// gradient step (and is zeroed again only if it stays within ηλ). To fix
// zeros for good, use [Prune]'s mask.
type ProxL1 struct {
	// Lambda is λ ≥ 0. The default 0 is no step.
	Lambda float64
	// Select picks the parameters. The default nil is [WeightsOnly].
	Select Selector
}

// Validate reports a negative or non-finite λ and a misconfigured selector.
func (p ProxL1) Validate() error {
	if err := checkCoef("ProxL1 Lambda", p.Lambda); err != nil {
		return err
	}
	return validateSelector(p.Select)
}

// Apply soft-thresholds the selected parameters at lr·λ. lr must be finite
// and ≥ 0. Weights within the threshold become +0; NaNs stay NaN.
func (p ProxL1) Apply(s *graph.Store, lr float64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !(lr >= 0) || math.IsInf(lr, 1) {
		return errors.Wrapf(ErrConfig, "regularizers: ProxL1 learning rate %g, want finite and ≥ 0", lr)
	}
	t := lr * p.Lambda
	if t == 0 {
		return nil
	}
	vars, err := Select(s, p.Select)
	if err != nil {
		return err
	}
	for _, v := range vars {
		d, err := values(v)
		if err != nil {
			return err
		}
		switch d := d.(type) {
		case []float32:
			softThreshold(d, float32(t))
		case []float64:
			softThreshold(d, t)
		}
	}
	return nil
}

// AfterStep is Apply with the step's learning rate.
func (p ProxL1) AfterStep(s *graph.Store, lr float64) error { return p.Apply(s, lr) }

func (p ProxL1) String() string {
	return fmt.Sprintf("ProxL1(λ=%g, %s)", p.Lambda, orDefault(p.Select))
}

// softThreshold applies w ← sign(w)·max(|w|−t, 0) in place, written without
// a data-dependent branch on the sign so that it runs at memory speed.
func softThreshold[T float](d []T, t T) {
	for i, w := range d {
		a := T(math.Abs(float64(w))) - t
		switch {
		case a > 0:
			d[i] = T(math.Copysign(float64(a), float64(w)))
		case a <= 0: // |w| ≤ t; a NaN is left as it is, not hidden
			d[i] = 0
		}
	}
}
