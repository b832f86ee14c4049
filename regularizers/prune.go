package regularizers

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Scope says over which set of weights [Prune] ranks magnitudes.
type Scope uint8

const (
	// Global ranks all selected weights together, so layers are pruned
	// unevenly: those with many small weights lose more.
	Global Scope = iota
	// PerLayer prunes the same fraction of every selected parameter.
	PerLayer
)

func (s Scope) String() string {
	if s == PerLayer {
		return "per-layer"
	}
	return "global"
}

// MaskPrefix prefixes the names of a mask's tensors: the mask of "fc1/W" is
// saved as "mask/fc1/W" (see [Mask.Tensors]).
const MaskPrefix = "mask/"

// Prune removes the fraction of the selected weights (nil sel: [WeightsOnly])
// with the smallest magnitudes |w|, ranked over all of them (Global) or
// within each parameter (PerLayer). It zeroes the pruned weights in place and
// returns the mask that keeps them zero through further training (run it as
// a [PostStep] after every optimizer step).
//
// The number pruned is round(fraction·n), rounding half to even as Python's
// round does in PyTorch's torch.nn.utils.prune, where n is the number of
// selected weights (Global) or of each parameter's (PerLayer). Ties in
// magnitude are broken deterministically: the weight of the parameter
// declared first, then the lower row-major index, is pruned first. Weights
// that are already zero rank lowest, so pruning again with a larger fraction
// (iterative pruning) first takes the weights an earlier mask pruned.
// fraction must be in [0, 1]; a NaN weight is an error ([ErrNonFinite]).
func Prune(s *graph.Store, fraction float64, scope Scope, sel Selector) (*Mask, error) {
	if !(fraction >= 0 && fraction <= 1) {
		return nil, errors.Wrapf(ErrConfig, "regularizers: prune fraction %g, want in [0, 1]", fraction)
	}
	if scope != Global && scope != PerLayer {
		return nil, errors.Wrapf(ErrConfig, "regularizers: prune scope %d", scope)
	}
	vars, err := Select(s, sel)
	if err != nil {
		return nil, err
	}
	mags := make([][]float64, len(vars))
	for i, v := range vars {
		if mags[i], err = magnitudes(v); err != nil {
			return nil, err
		}
	}
	return pruneRanked(s, vars, mags, fraction, scope)
}

// pruneRanked prunes the fraction of vars' elements with the lowest scores
// (one slice per variable, row-major), ranked globally or per variable, and
// applies the mask to s.
func pruneRanked(s *graph.Store, vars []*graph.Var, scores [][]float64, fraction float64, scope Scope) (*Mask, error) {
	m := &Mask{dtype: s.Dtype()}
	for _, v := range vars {
		m.names = append(m.names, v.Name())
		m.shapes = append(m.shapes, v.Shape())
	}
	if scope == Global {
		m.keep = splitLike(keepLargest(slices.Concat(scores...), fraction), scores)
	} else {
		for _, sc := range scores {
			m.keep = append(m.keep, keepLargest(sc, fraction))
		}
	}
	if err := m.Apply(s); err != nil {
		return nil, err
	}
	return m, nil
}

// magnitudes returns |w| for each of v's elements in row-major order.
func magnitudes(v *graph.Var) ([]float64, error) {
	d, err := values(v)
	if err != nil {
		return nil, err
	}
	var out []float64
	switch d := d.(type) {
	case []float32:
		out = make([]float64, len(d))
		for i, x := range d {
			out[i] = math.Abs(float64(x))
		}
	case []float64:
		out = make([]float64, len(d))
		for i, x := range d {
			out[i] = math.Abs(x)
		}
	}
	for i, x := range out {
		if math.IsNaN(x) {
			return nil, errors.Wrapf(ErrNonFinite, "regularizers: %s[%d] is NaN", v.Name(), i)
		}
	}
	return out, nil
}

// keepLargest returns the keep flags that prune the round(fraction·n)
// smallest of mags, the lower index first among equal magnitudes.
func keepLargest(mags []float64, fraction float64) []bool {
	keep := make([]bool, len(mags))
	for i := range keep {
		keep[i] = true
	}
	k := int(math.RoundToEven(fraction * float64(len(mags))))
	if k == 0 {
		return keep
	}
	sorted := slices.Clone(mags)
	slices.Sort(sorted)
	tau := sorted[k-1]                           // the k-th smallest magnitude
	ties := k - sort.SearchFloat64s(sorted, tau) // how many equal to tau to prune
	for i, x := range mags {
		switch {
		case x < tau:
			keep[i] = false
		case x == tau && ties > 0:
			keep[i] = false
			ties--
		}
	}
	return keep
}

// splitLike cuts flat into pieces of the lengths of parts.
func splitLike(flat []bool, parts [][]float64) [][]bool {
	out := make([][]bool, len(parts))
	off := 0
	for i, p := range parts {
		out[i] = flat[off : off+len(p) : off+len(p)]
		off += len(p)
	}
	return out
}

// Mask is a pruning mask: for each masked parameter, which of its elements
// are kept. Applied after every optimizer step it holds the pruned weights at
// exactly zero. A nil *Mask is an empty mask. A mask refers to parameters by name, so it applies to any
// store with the same parameters, such as one loaded from a checkpoint; save
// it with [Mask.Tensors] and restore it with [MaskFromTensors].
type Mask struct {
	dtype  tensor.Dtype
	names  []string
	shapes []tensor.Shape
	keep   [][]bool
}

// Names returns the masked parameters' names in store order.
func (m *Mask) Names() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.names)
}

// Kept returns a copy of the keep flags of the named parameter in row-major
// order (true: kept, false: pruned), and whether the mask covers it.
func (m *Mask) Kept(name string) ([]bool, bool) {
	if m == nil {
		return nil, false
	}
	i := slices.Index(m.names, name)
	if i < 0 {
		return nil, false
	}
	return slices.Clone(m.keep[i]), true
}

// Count returns the number of pruned weights and the number of masked
// weights in all.
func (m *Mask) Count() (pruned, total int) {
	if m == nil {
		return 0, 0
	}
	for _, k := range m.keep {
		total += len(k)
		for _, keep := range k {
			if !keep {
				pruned++
			}
		}
	}
	return pruned, total
}

// Sparsity returns the fraction of masked weights that are pruned.
func (m *Mask) Sparsity() float64 {
	p, n := m.Count()
	if n == 0 {
		return 0
	}
	return float64(p) / float64(n)
}

// Apply sets the pruned weights of s to zero. Every masked parameter must
// exist in s with the mask's shape; this is checked before any value changes.
// A nil mask does nothing.
func (m *Mask) Apply(s *graph.Store) error {
	if m == nil {
		return nil
	}
	data := make([]any, len(m.names))
	for i, name := range m.names {
		v, ok := s.Lookup(name)
		if !ok || v.Kind() != graph.Parameter {
			return errors.Wrapf(ErrUnknownVar, "regularizers: mask for %q", name)
		}
		if !v.Shape().Eq(m.shapes[i]) {
			return errors.Wrapf(ErrShape, "regularizers: mask for %s has shape %v, parameter %v", name, m.shapes[i], v.Shape())
		}
		var err error
		if data[i], err = values(v); err != nil {
			return err
		}
	}
	for i, d := range data {
		switch d := d.(type) {
		case []float32:
			zeroPruned(d, m.keep[i])
		case []float64:
			zeroPruned(d, m.keep[i])
		}
	}
	return nil
}

// AfterStep is Apply; the learning rate is not used.
func (m *Mask) AfterStep(s *graph.Store, _ float64) error { return m.Apply(s) }

func (m *Mask) String() string {
	if m == nil {
		return "Mask(none)"
	}
	p, n := m.Count()
	return fmt.Sprintf("Mask(%d/%d pruned, %s)", p, n, strings.Join(m.names, ","))
}

func zeroPruned[T float](d []T, keep []bool) {
	for i, k := range keep {
		if !k {
			d[i] = 0
		}
	}
}

// Tensors returns the mask as tensors of the store's dtype, one per masked
// parameter, named MaskPrefix + the parameter's name ("mask/fc1/W"), with the
// parameter's shape, 1 for a kept weight and 0 for a pruned one. They are
// meant to be saved beside the parameters in a checkpoint.
func (m *Mask) Tensors() map[string]*tensor.Dense {
	if m == nil {
		return nil
	}
	out := make(map[string]*tensor.Dense, len(m.names))
	for i, name := range m.names {
		vals := make([]float64, len(m.keep[i]))
		for j, k := range m.keep[i] {
			if k {
				vals[j] = 1
			}
		}
		var back any = vals
		if m.dtype == tensor.Float32 {
			f := make([]float32, len(vals))
			for j, x := range vals {
				f[j] = float32(x)
			}
			back = f
		}
		out[MaskPrefix+name] = tensor.New(tensor.WithShape(m.shapes[i].Clone()...), tensor.WithBacking(back))
	}
	return out
}

// MaskFromTensors rebuilds a mask from tensors saved by [Mask.Tensors]. It
// reads the entries of ts whose name starts with MaskPrefix and ignores the
// others, so ts may hold a whole checkpoint. Each must name a parameter of s,
// have its shape, and hold only 0s and 1s (float32 or float64). With no mask
// entries the result is an empty mask, whose Apply does nothing.
func MaskFromTensors(s *graph.Store, ts map[string]*tensor.Dense) (*Mask, error) {
	for name := range ts {
		if !strings.HasPrefix(name, MaskPrefix) {
			continue
		}
		if v, ok := s.Lookup(strings.TrimPrefix(name, MaskPrefix)); !ok || v.Kind() != graph.Parameter {
			return nil, errors.Wrapf(ErrUnknownVar, "regularizers: mask tensor %q names no parameter", name)
		}
	}
	m := &Mask{dtype: s.Dtype()}
	for _, v := range s.Params() {
		t, ok := ts[MaskPrefix+v.Name()]
		if !ok {
			continue
		}
		if !t.Shape().Eq(v.Shape()) {
			return nil, errors.Wrapf(ErrShape, "regularizers: mask for %s has shape %v, parameter %v", v.Name(), t.Shape(), v.Shape())
		}
		keep, err := keepFlags(v.Name(), t)
		if err != nil {
			return nil, err
		}
		m.names = append(m.names, v.Name())
		m.shapes = append(m.shapes, v.Shape())
		m.keep = append(m.keep, keep)
	}
	return m, nil
}

func keepFlags(name string, t *tensor.Dense) ([]bool, error) {
	var vals []float64
	switch d := t.Data().(type) {
	case []float32:
		for _, x := range d {
			vals = append(vals, float64(x))
		}
	case []float64:
		vals = d
	default:
		return nil, errors.Wrapf(ErrMask, "regularizers: mask for %s holds %T", name, d)
	}
	n := t.Shape().TotalSize()
	if len(vals) != n || t.IsView() {
		return nil, errors.Wrapf(ErrMask, "regularizers: mask for %s is not a contiguous tensor", name)
	}
	keep := make([]bool, n)
	for i, x := range vals {
		switch x {
		case 1:
			keep[i] = true
		case 0:
		default:
			return nil, errors.Wrapf(ErrMask, "regularizers: mask for %s has %g at %d, want 0 or 1", name, x, i)
		}
	}
	return keep, nil
}
