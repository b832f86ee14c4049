package regularizers

import (
	"math"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// Sparsity is a sparsity report on a store's weights: statistics for each
// selected parameter and for all of them together. It encodes to JSON with
// snake_case keys, for `zoo sparsity` and for plots.
type Sparsity struct {
	// Tol is the magnitude below which a weight counts as small.
	Tol float64 `json:"tol"`
	// Layers holds one entry per selected parameter, in store order.
	Layers []LayerSparsity `json:"layers"`
	// Overall pools every selected weight; its histogram spans all of them.
	Overall Stats `json:"overall"`
}

// LayerSparsity is the statistics of one parameter.
type LayerSparsity struct {
	// Name is the parameter's full name, such as "fc1/W".
	Name string `json:"name"`
	// Shape is the parameter's shape.
	Shape []int `json:"shape"`
	Stats
}

// Stats describes a set of weights.
type Stats struct {
	// Count is the number of weights.
	Count int `json:"count"`
	// Zeros is the number of weights that are exactly 0 (±0).
	Zeros int `json:"zeros"`
	// ZeroFraction is Zeros/Count.
	ZeroFraction float64 `json:"zero_fraction"`
	// BelowTol is the number of weights with |w| < Tol (the zeros included
	// when Tol > 0).
	BelowTol int `json:"below_tol"`
	// BelowTolFraction is BelowTol/Count.
	BelowTolFraction float64 `json:"below_tol_fraction"`
	// NonFinite is the number of NaN and ±Inf weights; they are left out of
	// MeanAbs, MaxAbs and the histogram.
	NonFinite int `json:"non_finite"`
	// MeanAbs is the mean of |w| over the finite weights.
	MeanAbs float64 `json:"mean_abs"`
	// MaxAbs is the largest |w| over the finite weights.
	MaxAbs float64 `json:"max_abs"`
	// Histogram is the distribution of the finite weights' values.
	Histogram Histogram `json:"histogram"`
}

// Histogram is a histogram with equal-width bins, following numpy.histogram:
// the bins span [min, max] of the values (widened to [min−0.5, max+0.5] when
// all values are equal, and [0, 1] when there are none), every bin is
// half-open [a, b) except the last, which includes its right edge.
type Histogram struct {
	// Edges holds the bins+1 bin edges in increasing order.
	Edges []float64 `json:"edges"`
	// Counts holds the number of values in each bin.
	Counts []int `json:"counts"`
}

// Report returns the sparsity report of the selected parameters of s (nil
// sel: [WeightsOnly]) with histograms of bins bins. tol must be finite and ≥
// 0, bins ≥ 1. It only reads the store, so it works on a store whose values
// were loaded from a checkpoint.
func Report(s *graph.Store, tol float64, bins int, sel Selector) (*Sparsity, error) {
	if !(tol >= 0) || math.IsInf(tol, 1) {
		return nil, errors.Wrapf(ErrConfig, "regularizers: report tolerance %g, want finite and ≥ 0", tol)
	}
	if bins < 1 {
		return nil, errors.Wrapf(ErrConfig, "regularizers: report with %d histogram bins, want ≥ 1", bins)
	}
	vars, err := Select(s, sel)
	if err != nil {
		return nil, err
	}
	r := &Sparsity{Tol: tol}
	var all []float64
	for _, v := range vars {
		vals, err := asFloat64s(v)
		if err != nil {
			return nil, err
		}
		r.Layers = append(r.Layers, LayerSparsity{Name: v.Name(), Shape: []int(v.Shape()), Stats: stats(vals, tol, bins)})
		all = append(all, vals...)
	}
	r.Overall = stats(all, tol, bins)
	return r, nil
}

// asFloat64s returns a float64 copy of v's values in row-major order.
func asFloat64s(v *graph.Var) ([]float64, error) {
	d, err := values(v)
	if err != nil {
		return nil, err
	}
	switch d := d.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out, nil
	default:
		return append([]float64(nil), d.([]float64)...), nil
	}
}

func stats(vals []float64, tol float64, bins int) Stats {
	st := Stats{Count: len(vals)}
	finite := make([]float64, 0, len(vals))
	var sumAbs float64
	for _, x := range vals {
		a := math.Abs(x)
		if x == 0 {
			st.Zeros++
		}
		if a < tol {
			st.BelowTol++
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			st.NonFinite++
			continue
		}
		finite = append(finite, x)
		sumAbs += a
		st.MaxAbs = math.Max(st.MaxAbs, a)
	}
	if st.Count > 0 {
		st.ZeroFraction = float64(st.Zeros) / float64(st.Count)
		st.BelowTolFraction = float64(st.BelowTol) / float64(st.Count)
	}
	if len(finite) > 0 {
		st.MeanAbs = sumAbs / float64(len(finite))
	}
	st.Histogram = histogram(finite, bins)
	return st
}

// histogram bins finite values as numpy.histogram(vals, bins) does.
func histogram(vals []float64, bins int) Histogram {
	lo, hi := 0.0, 1.0
	if len(vals) > 0 {
		lo, hi = vals[0], vals[0]
		for _, x := range vals {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	// numpy.linspace: start + i·step, the last edge set to stop exactly.
	edges := make([]float64, bins+1)
	step := (hi - lo) / float64(bins)
	for i := range edges {
		edges[i] = float64(i)*step + lo
	}
	edges[bins] = hi
	counts := make([]int, bins)
	norm := float64(bins) / (hi - lo)
	for _, x := range vals {
		// numpy's fast path for equal bins, then its correction against the
		// edges for values that rounding put in a neighbouring bin.
		i := int((x - lo) * norm)
		if i >= bins {
			i = bins - 1
		}
		if i > 0 && x < edges[i] {
			i--
		} else if i < bins-1 && x >= edges[i+1] {
			i++
		}
		counts[i]++
	}
	return Histogram{Edges: edges, Counts: counts}
}
