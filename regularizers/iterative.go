package regularizers

import (
	"context"
	"math"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
)

// IterativeConfig configures [IterativePrune]: Steps rounds of scoring,
// pruning and retraining up to a Target fraction of the selected weights.
// The zero value prunes nothing.
type IterativeConfig struct {
	// Saliency scores the weights before every round (its Selector chooses
	// the weights, its Criterion ranks them).
	Saliency SaliencyConfig
	// Scope ranks over all selected weights (Global, the default) or within
	// each parameter (PerLayer).
	Scope Scope
	// Target is the fraction of the selected weights pruned after the last
	// round, in [0, 1]. Default 0.
	Target float64
	// Steps is the number of rounds. Default 1: prune to Target at once.
	Steps int
}

// Validate reports a configuration IterativePrune rejects.
func (c IterativeConfig) Validate() error {
	if err := c.Saliency.Validate(); err != nil {
		return err
	}
	if !(c.Target >= 0 && c.Target <= 1) {
		return errors.Wrapf(ErrConfig, "regularizers: prune target %g, want in [0, 1]", c.Target)
	}
	if c.Steps < 0 {
		return errors.Wrapf(ErrConfig, "regularizers: prune steps %d, want ≥ 0", c.Steps)
	}
	if c.Scope != Global && c.Scope != PerLayer {
		return errors.Wrapf(ErrConfig, "regularizers: prune scope %d", c.Scope)
	}
	return nil
}

// Fractions returns the pruned fraction after each round: every round
// removes the same share of the weights still kept, so after round i of n
// the kept fraction is (1 − Target)^(i/n) (Han et al. 2015 prune
// iteratively the same way, each round a step of the same size in log
// scale). The last is Target exactly.
func (c IterativeConfig) Fractions() []float64 {
	n := max(c.Steps, 1)
	out := make([]float64, n)
	for i := range n {
		out[i] = 1 - math.Pow(1-c.Target, float64(i+1)/float64(n))
	}
	out[n-1] = c.Target
	return out
}

// IterativePrune runs the schedule of cfg on net: each round scores the
// weights on data, prunes the round's fraction (see
// [IterativeConfig.Fractions]) and calls retrain with the round's number
// (from 0) and its mask, which retrain must keep applied after every
// optimizer step (a [PostStep] of the trainer) so the pruned weights stay
// exactly zero. retrain may be nil (prune without retraining). Since zero
// weights score lowest, each round's mask contains the previous one's. It
// returns the last mask.
func IterativePrune(ctx context.Context, net Network, data *datasets.Dataset, cfg IterativeConfig,
	retrain func(ctx context.Context, round int, m *Mask) error) (*Mask, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var m *Mask
	for i, f := range cfg.Fractions() {
		sc, err := Saliency(ctx, net, data, cfg.Saliency)
		if err != nil {
			return nil, errors.WithMessagef(err, "regularizers: pruning round %d", i+1)
		}
		if m, err = PruneScores(net.Store(), sc, f, cfg.Scope); err != nil {
			return nil, err
		}
		if retrain == nil {
			continue
		}
		if err := retrain(ctx, i, m); err != nil {
			return m, errors.WithMessagef(err, "regularizers: retraining after pruning round %d", i+1)
		}
		if err := m.Apply(net.Store()); err != nil {
			return nil, err
		}
	}
	return m, nil
}
