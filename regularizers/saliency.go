package regularizers

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
)

// Criterion says how [Saliency] scores a weight: the lower the score, the
// sooner the weight is pruned.
type Criterion uint8

const (
	// Magnitude scores |w_k|.
	Magnitude Criterion = iota
	// OBD is Optimal Brain Damage's saliency s_k = ½·h_kk·w_k² (LeCun,
	// Denker & Solla 1990), the loss increase a diagonal quadratic model
	// predicts when w_k is set to zero. h_kk is the diagonal of the
	// Gauss-Newton matrix of the mean cross-entropy on the scoring data (see
	// [GaussNewtonDiagonal]).
	OBD
	// Taylor scores |w_k·∂L/∂w_k|, the first-order Taylor estimate of the
	// change in the mean cross-entropy L on the scoring data when w_k is
	// set to zero (Molchanov et al. 2017, "Pruning convolutional neural
	// networks for resource efficient inference", applied to single weights).
	Taylor
	// Random scores every weight with an independent U(0, 1) draw from the
	// configured seed: the baseline every other criterion must beat.
	Random
)

// Criteria lists the criteria in declaration order.
var Criteria = []Criterion{Magnitude, OBD, Taylor, Random}

func (c Criterion) String() string {
	switch c {
	case Magnitude:
		return "magnitude"
	case OBD:
		return "obd"
	case Taylor:
		return "taylor"
	case Random:
		return "random"
	}
	return "criterion(" + string(rune('0'+c)) + ")"
}

// ParseCriterion returns the criterion named s (as its String: "obd",
// "taylor", "magnitude", "random"; case-insensitive).
func ParseCriterion(s string) (Criterion, error) {
	for _, c := range Criteria {
		if strings.EqualFold(s, c.String()) {
			return c, nil
		}
	}
	return 0, errors.Wrapf(ErrConfig, "regularizers: criterion %q, want obd, taylor, magnitude or random", s)
}

// Network is what the data-dependent criteria need: a store and a forward
// pass from inputs (N, InputShape()...) to class logits (N, classes).
// training.Model and models.Model implement it.
type Network interface {
	Store() *graph.Store
	Forward(b *graph.Builder, x *G.Node) (*G.Node, error)
	InputShape() []int
}

// SaliencyConfig configures [Saliency]. The zero value scores the weights
// (not biases, not γ/β) by magnitude.
type SaliencyConfig struct {
	// Criterion ranks the weights. Default Magnitude.
	Criterion Criterion
	// Selector chooses the weights to score. Default [WeightsOnly].
	Selector Selector
	// Samples, if positive, limits OBD and Taylor to the first Samples
	// samples of the data. Default 0: all of them. OBD costs one forward
	// and one backward pass per sample and class.
	Samples int
	// BatchSize is the batch size of the batched passes (Taylor's gradient,
	// OBD's output probabilities). Default 256.
	BatchSize int
	// Seed seeds Random's draws. Default 0.
	Seed uint64
}

// Validate reports a configuration Saliency rejects.
func (c SaliencyConfig) Validate() error {
	if c.Criterion > Random {
		return errors.Wrapf(ErrConfig, "regularizers: criterion %d", c.Criterion)
	}
	if c.Samples < 0 {
		return errors.Wrapf(ErrConfig, "regularizers: saliency samples %d, want ≥ 0", c.Samples)
	}
	if c.BatchSize < 0 {
		return errors.Wrapf(ErrConfig, "regularizers: saliency batch size %d, want ≥ 0", c.BatchSize)
	}
	return nil
}

// Scores holds one score per element of each scored parameter.
type Scores struct {
	// Criterion is the criterion that produced the scores.
	Criterion Criterion
	// Names are the scored parameters in store order.
	Names []string
	// Values[i] holds the scores of parameter Names[i], row-major.
	Values [][]float64
}

// Saliency scores the selected weights of net by cfg.Criterion, on data for
// OBD and Taylor (data may be nil for Magnitude and Random). The network
// runs in its evaluation graph (dropout off, BatchNorm's running
// statistics), so the scores are those of the function the network
// computes at test time; penalties are not part of the loss.
//
// A weight that is exactly zero scores −1 under every criterion, below
// every other weight, so pruning again with a larger fraction (iterative
// pruning) first takes the weights an earlier mask pruned.
func Saliency(ctx context.Context, net Network, data *datasets.Dataset, cfg SaliencyConfig) (*Scores, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := net.Store()
	vars, err := Select(s, cfg.Selector)
	if err != nil {
		return nil, err
	}
	sc := &Scores{Criterion: cfg.Criterion, Values: make([][]float64, len(vars))}
	w := make([][]float64, len(vars))
	for i, v := range vars {
		sc.Names = append(sc.Names, v.Name())
		if w[i], err = finiteValues(v); err != nil {
			return nil, err
		}
	}
	var per [][]float64 // the criterion's per-weight factor
	switch cfg.Criterion {
	case OBD:
		h, err := GaussNewtonDiagonal(ctx, net, data, cfg)
		if err != nil {
			return nil, err
		}
		per = h.Values
	case Taylor:
		if per, err = meanGradient(ctx, net, vars, data, cfg); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5a11e9c7))
	for i := range vars {
		out := make([]float64, len(w[i]))
		for k, x := range w[i] {
			switch cfg.Criterion {
			case Magnitude:
				out[k] = math.Abs(x)
			case OBD:
				out[k] = 0.5 * per[i][k] * x * x
			case Taylor:
				out[k] = math.Abs(x * per[i][k])
			case Random:
				out[k] = rng.Float64()
			}
			if x == 0 {
				out[k] = -1
			}
		}
		sc.Values[i] = out
	}
	return sc, nil
}

// PruneScores prunes the fraction of the scored weights of s with the lowest
// scores, ranked over all of them (Global) or within each parameter
// (PerLayer), zeroes them and returns the mask that keeps them zero (run it
// as a [PostStep]). Counting, rounding and ties follow [Prune].
func PruneScores(s *graph.Store, sc *Scores, fraction float64, scope Scope) (*Mask, error) {
	if !(fraction >= 0 && fraction <= 1) {
		return nil, errors.Wrapf(ErrConfig, "regularizers: prune fraction %g, want in [0, 1]", fraction)
	}
	if scope != Global && scope != PerLayer {
		return nil, errors.Wrapf(ErrConfig, "regularizers: prune scope %d", scope)
	}
	if sc == nil || len(sc.Names) == 0 || len(sc.Names) != len(sc.Values) {
		return nil, errors.Wrap(ErrConfig, "regularizers: no scores to prune by")
	}
	vars := make([]*graph.Var, len(sc.Names))
	for i, name := range sc.Names {
		v, ok := s.Lookup(name)
		if !ok || v.Kind() != graph.Parameter {
			return nil, errors.Wrapf(ErrUnknownVar, "regularizers: scores for %q", name)
		}
		if v.Shape().TotalSize() != len(sc.Values[i]) {
			return nil, errors.Wrapf(ErrShape, "regularizers: %d scores for %s of shape %v", len(sc.Values[i]), name, v.Shape())
		}
		for k, x := range sc.Values[i] {
			if math.IsNaN(x) {
				return nil, errors.Wrapf(ErrNonFinite, "regularizers: score of %s[%d] is NaN", name, k)
			}
		}
		vars[i] = v
	}
	return pruneRanked(s, vars, sc.Values, fraction, scope)
}

// finiteValues returns v's values in float64, or ErrNonFinite.
func finiteValues(v *graph.Var) ([]float64, error) {
	w := v.Float64s()
	for k, x := range w {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.Wrapf(ErrNonFinite, "regularizers: %s[%d] is %g", v.Name(), k, x)
		}
	}
	return w, nil
}

// scoringData checks data and returns how many of its samples to use.
func scoringData(net Network, data *datasets.Dataset, cfg SaliencyConfig) (int, error) {
	if data == nil || data.Len() == 0 {
		return 0, errors.Wrapf(ErrConfig, "regularizers: %v needs scoring data", cfg.Criterion)
	}
	if got, want := data.Features(), tensor.Shape(net.InputShape()).TotalSize(); got != want {
		return 0, errors.Wrapf(ErrShape, "regularizers: data has %d features per sample, the network takes %d", got, want)
	}
	n := data.Len()
	if cfg.Samples > 0 && cfg.Samples < n {
		n = cfg.Samples
	}
	return n, nil
}

func batchSize(cfg SaliencyConfig) int {
	if cfg.BatchSize > 0 {
		return cfg.BatchSize
	}
	return 256
}
