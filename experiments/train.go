package experiments

import (
	"context"
	"math"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

// BuildMLP builds the registry's "mlp" architecture with the given hidden
// widths and the regularization fields of cfg (its Hidden is replaced), its
// initial weights drawn from seed.
func BuildMLP(hidden []int, cfg models.Config, seed uint64) (*models.Model, error) {
	e, err := models.Lookup("mlp")
	if err != nil {
		return nil, err
	}
	cfg.Hidden = append([]int(nil), hidden...)
	m, err := e.Build(cfg, seed)
	return m, errors.WithMessage(err, "experiments: building the MLP")
}

// Evaluate scores m on ds in its evaluation graph.
func Evaluate(ctx context.Context, m training.Model, ds *datasets.Dataset) (training.Metrics, error) {
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: min(1000, ds.Len())})
	if err != nil {
		return training.Metrics{}, err
	}
	defer ev.Close()
	return ev.Evaluate(ctx, ds, false)
}

// FirstLayer selects the weight matrix of an MLP's first layer ("fc1/W").
func FirstLayer() regularizers.Selector {
	return regularizers.And(regularizers.Layers("fc1"), regularizers.WeightsOnly())
}

// LinearEdges returns bins+1 equally spaced edges from lo to hi, the last
// one exactly hi.
func LinearEdges(lo, hi float64, bins int) []float64 {
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = lo + float64(i)*(hi-lo)/float64(bins)
	}
	edges[bins] = hi
	return edges
}

// Counts bins the values over edges: bin b holds edges[b] ≤ x < edges[b+1],
// the last bin also x = its right edge. Values outside the edges and NaNs
// are not counted.
func Counts(vals, edges []float64) []int {
	nb := len(edges) - 1
	counts := make([]int, max(nb, 0))
	for _, x := range vals {
		if !(x >= edges[0] && x <= edges[nb]) {
			continue
		}
		// The first edge greater than x, minus one.
		lo, hi := 0, nb
		for lo < hi {
			mid := (lo + hi) / 2
			if edges[mid+1] <= x {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		counts[min(lo, nb-1)]++
	}
	return counts
}

// MaxAbs returns the largest |x| over the slices, ignoring NaNs.
func MaxAbs(vals ...[]float64) float64 {
	m := 0.0
	for _, vs := range vals {
		for _, x := range vs {
			if a := math.Abs(x); a > m {
				m = a
			}
		}
	}
	return m
}
