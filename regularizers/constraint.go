package regularizers

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// Constraint is a projection of the parameters onto a feasible set, applied
// after each optimizer step. [MaxNorm] and [FrobeniusNorm] implement it (and
// [PostStep], which the trainer uses).
type Constraint interface {
	Apply(s *graph.Store) error
}

var (
	_ Constraint = MaxNorm{}
	_ Constraint = FrobeniusNorm{}
)

// DefaultMaxNorm is [MaxNorm]'s default bound c. Srivastava et al. (2014,
// "Dropout: a simple way to prevent neural networks from overfitting",
// appendix A.3) report typical values of c from 3 to 4.
const DefaultMaxNorm = 3.0

// MaxNorm is the max-norm constraint of Srivastava et al. (2014): after each
// step, the L2 norm of each unit's incoming weight vector is projected onto
// the ball of radius c,
//
//	w_u ← w_u · c/‖w_u‖₂   if ‖w_u‖₂ > c,   unchanged otherwise,
//
// so units within the bound are left bit-for-bit untouched. A unit's
// incoming vector depends on the layout: for a 2-D Linear weight (in, out) it
// is a column W[:, j] (in values); for a convolution filter bank (O, C, kh,
// kw), or any weight of rank ≥ 3 with the output channel first, it is one
// filter W[o] (C·kh·kw values). A selected parameter of rank 1 is an error
// ([ErrShape]). The norm is computed in float64 and the scale is exactly c/‖w_u‖
// (PyTorch's renorm and Keras's max_norm divide by ‖w_u‖ + 1e-7 instead).
type MaxNorm struct {
	// C is the bound c > 0 on each unit's norm. The default 0 means
	// DefaultMaxNorm (3).
	C float64
	// Select picks the parameters. The default nil is [WeightsOnly].
	Select Selector
}

func (m MaxNorm) bound() float64 {
	if m.C == 0 {
		return DefaultMaxNorm
	}
	return m.C
}

// Validate reports a negative or non-finite C and a misconfigured selector.
func (m MaxNorm) Validate() error {
	if err := checkCoef("MaxNorm C", m.C); err != nil {
		return err
	}
	return validateSelector(m.Select)
}

// Apply rescales every unit of every selected parameter whose incoming
// weight norm exceeds c. The shapes are all checked before any value changes.
func (m MaxNorm) Apply(s *graph.Store) error {
	if err := m.Validate(); err != nil {
		return err
	}
	vars, err := Select(s, m.Select)
	if err != nil {
		return err
	}
	data := make([]any, len(vars))
	lays := make([]layout, len(vars))
	for i, v := range vars {
		if data[i], err = values(v); err != nil {
			return err
		}
		if lays[i], err = unitLayout(v); err != nil {
			return err
		}
	}
	c := m.bound()
	for i, d := range data {
		switch d := d.(type) {
		case []float32:
			clip(d, lays[i], c)
		case []float64:
			clip(d, lays[i], c)
		}
	}
	return nil
}

// AfterStep is Apply; the learning rate is not used.
func (m MaxNorm) AfterStep(s *graph.Store, _ float64) error { return m.Apply(s) }

func (m MaxNorm) String() string {
	return fmt.Sprintf("MaxNorm(c=%g, %s)", m.bound(), orDefault(m.Select))
}

// UnitNorms returns the L2 norm of each unit's incoming weight vector of v
// (the vectors [MaxNorm] constrains): one per column of a 2-D weight, one per
// filter W[o] of a weight of rank ≥ 3.
func UnitNorms(v *graph.Var) ([]float64, error) {
	d, err := values(v)
	if err != nil {
		return nil, err
	}
	l, err := unitLayout(v)
	if err != nil {
		return nil, err
	}
	if d, ok := d.([]float32); ok {
		return norms(d, l), nil
	}
	return norms(d.([]float64), l), nil
}

// unitLayout returns how v's elements group into units' incoming vectors.
func unitLayout(v *graph.Var) (layout, error) {
	sh := v.Shape()
	switch {
	case len(sh) == 2: // Linear (in, out): a unit is a column.
		return layout{units: sh[1], n: sh[0], uStride: 1, eStride: sh[1]}, nil
	case len(sh) >= 3: // convolution (O, C, kh, kw): a unit is a filter W[o].
		n := sh.TotalSize() / sh[0]
		return layout{units: sh[0], n: n, uStride: n, eStride: 1}, nil
	}
	return layout{}, errors.Wrapf(ErrShape,
		"regularizers: %s has shape %v; a unit's incoming weights need a 2-D (in, out) or ≥3-D (out, …) weight", v.Name(), sh)
}

// FrobeniusNorm bounds the Frobenius norm of each selected parameter as a
// whole, ‖W^(ℓ)‖_F = √(Σ w²) ≤ c^(ℓ), by the same projection as [MaxNorm]:
// W ← W · c/‖W‖_F when the bound is exceeded, bit-for-bit unchanged otherwise.
// The bound is C for every selected parameter, except those named in
// Overrides. The zero value constrains nothing.
type FrobeniusNorm struct {
	// C is the default bound c ≥ 0. The default 0 means no bound for the
	// parameters without an override.
	C float64
	// Overrides maps a parameter's full name ("fc2/W") to its own bound
	// c^(ℓ) > 0. Every name must be a selected parameter of the store.
	Overrides map[string]float64
	// Select picks the parameters. The default nil is [WeightsOnly].
	Select Selector
}

// Validate reports a negative or non-finite C, an override that is not
// positive and finite, and a misconfigured selector.
func (f FrobeniusNorm) Validate() error {
	if err := checkCoef("FrobeniusNorm C", f.C); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(f.Overrides)) {
		if c := f.Overrides[name]; !(c > 0) || math.IsInf(c, 1) {
			return errors.Wrapf(ErrConfig, "regularizers: FrobeniusNorm bound %g for %q, want finite and > 0", c, name)
		}
	}
	return validateSelector(f.Select)
}

// Apply rescales every selected parameter whose Frobenius norm exceeds its
// bound. An override naming a parameter that is not selected is an error
// ([ErrUnknownVar]), reported before any value changes.
func (f FrobeniusNorm) Apply(s *graph.Store) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.C == 0 && len(f.Overrides) == 0 {
		return nil
	}
	vars, err := Select(s, f.Select)
	if err != nil {
		return err
	}
	selected := map[string]bool{}
	data := make([]any, len(vars))
	for i, v := range vars {
		selected[v.Name()] = true
		if data[i], err = values(v); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(f.Overrides)) {
		if !selected[name] {
			return errors.Wrapf(ErrUnknownVar, "regularizers: FrobeniusNorm override %q is not a selected parameter (%s)", name, orDefault(f.Select))
		}
	}
	for i, v := range vars {
		c, ok := f.Overrides[v.Name()]
		if !ok {
			c = f.C
		}
		if c == 0 {
			continue
		}
		switch d := data[i].(type) {
		case []float32:
			clip(d, layout{units: 1, n: len(d), eStride: 1}, c)
		case []float64:
			clip(d, layout{units: 1, n: len(d), eStride: 1}, c)
		}
	}
	return nil
}

// AfterStep is Apply; the learning rate is not used.
func (f FrobeniusNorm) AfterStep(s *graph.Store, _ float64) error { return f.Apply(s) }

func (f FrobeniusNorm) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "FrobeniusNorm(c=%g", f.C)
	for _, name := range slices.Sorted(maps.Keys(f.Overrides)) {
		fmt.Fprintf(&b, ", %s:%g", name, f.Overrides[name])
	}
	fmt.Fprintf(&b, ", %s)", orDefault(f.Select))
	return b.String()
}

// FrobeniusNorms returns the Frobenius norm ‖W‖_F of each selected parameter
// (nil sel: [WeightsOnly]), keyed by name.
func FrobeniusNorms(s *graph.Store, sel Selector) (map[string]float64, error) {
	vars, err := Select(s, sel)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(vars))
	for _, v := range vars {
		d, err := values(v)
		if err != nil {
			return nil, err
		}
		switch d := d.(type) {
		case []float32:
			out[v.Name()] = norms(d, layout{units: 1, n: len(d), eStride: 1})[0]
		case []float64:
			out[v.Name()] = norms(d, layout{units: 1, n: len(d), eStride: 1})[0]
		}
	}
	return out, nil
}
