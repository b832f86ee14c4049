package regularizers

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// referenceMask is the documented pruning rule written out directly: sort
// every (|w|, parameter, index) triple of a group, prune the first
// round-half-even(fraction·n). groups lists the parameter names ranked
// together.
func referenceMask(t *testing.T, s *graph.Store, groups [][]string, fraction float64) map[string][]bool {
	t.Helper()
	type entry struct {
		mag    float64
		v, idx int
	}
	out := map[string][]bool{}
	for _, names := range groups {
		var es []entry
		for vi, name := range names {
			vals := mustVar(t, s, name).Float64s()
			out[name] = make([]bool, len(vals))
			for i, x := range vals {
				es = append(es, entry{math.Abs(x), vi, i})
				out[name][i] = true
			}
		}
		slices.SortFunc(es, func(a, b entry) int {
			return cmp.Or(cmp.Compare(a.mag, b.mag), cmp.Compare(a.v, b.v), cmp.Compare(a.idx, b.idx))
		})
		k := int(math.RoundToEven(fraction * float64(len(es))))
		for _, e := range es[:k] {
			out[names[e.v]][e.idx] = false
		}
	}
	return out
}

// withTies rounds the fixture's weights to multiples of 0.25 and zeroes a
// few, so that many magnitudes tie across and within parameters.
func withTies(t *testing.T, s *graph.Store) {
	t.Helper()
	for _, name := range weights {
		v := mustVar(t, s, name)
		vals := v.Float64s()
		for i := range vals {
			vals[i] = math.Round(vals[i]*4) / 4
		}
		set(t, v, vals)
	}
}

func TestPrune(t *testing.T) {
	for _, dt := range dtypes {
		for _, scope := range []Scope{Global, PerLayer} {
			for _, ties := range []bool{false, true} {
				for _, frac := range []float64{0, 0.0625, 0.3, 0.5, 0.9, 1} {
					name := dt.String() + "/" + scope.String() + "/" + map[bool]string{false: "distinct", true: "ties"}[ties]
					t.Run(name+"/"+strconv.FormatFloat(frac, 'g', -1, 64), func(t *testing.T) {
						s := model(t, dt)
						if ties {
							withTies(t, s)
						}
						groups := [][]string{weights}
						if scope == PerLayer {
							groups = [][]string{{"conv1/W"}, {"fc1/W"}, {"fc10/W"}}
						}
						want := referenceMask(t, s, groups, frac)
						before := map[string][]float64{}
						for _, n := range weights {
							before[n] = mustVar(t, s, n).Float64s()
						}
						snap := snapshot(s)
						m, err := Prune(s, frac, scope, nil)
						if err != nil {
							t.Fatalf("%+v", err)
						}
						if !slices.Equal(m.Names(), weights) {
							t.Fatalf("mask names %v, want %v", m.Names(), weights)
						}
						pruned := 0
						for _, n := range weights {
							keep, ok := m.Kept(n)
							if !ok || !slices.Equal(keep, want[n]) {
								t.Errorf("%s: keep %v, want %v", n, keep, want[n])
							}
							after := mustVar(t, s, n).Float64s()
							for i, k := range keep {
								switch {
								case !k:
									pruned++
									if after[i] != 0 {
										t.Errorf("%s[%d] pruned but %g", n, i, after[i])
									}
								case after[i] != before[n][i]:
									t.Errorf("%s[%d] kept but changed %g → %g", n, i, before[n][i], after[i])
								}
							}
						}
						p, total := m.Count()
						if p != pruned || total != 52 {
							t.Errorf("Count() = %d, %d; want %d, 52", p, total, pruned)
						}
						wantPruned := int(math.RoundToEven(frac * 52))
						if scope == PerLayer {
							wantPruned = int(math.RoundToEven(frac*24) + math.RoundToEven(frac*20) + math.RoundToEven(frac*8))
						}
						if p != wantPruned {
							t.Errorf("pruned %d, want %d", p, wantPruned)
						}
						for _, n := range changed(s, snap) {
							if !slices.Contains(weights, n) {
								t.Errorf("%s changed", n)
							}
						}
					})
				}
			}
		}
	}
}

// TestPruneRounding pins the counts: 6.25% of 24, 20 and 8 weights is 1.5, 1.25
// and 0.5, which round half to even (as Python's round in PyTorch's prune) to
// 2, 1 and 0; 6.25% of all 52 is 3.25 → 3.
func TestPruneRounding(t *testing.T) {
	s := model(t, graph.Float64)
	m, err := Prune(s, 0.0625, PerLayer, nil)
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string]int{"conv1/W": 2, "fc1/W": 1, "fc10/W": 0} {
		keep, _ := m.Kept(n)
		if got := len(keep) - count(keep); got != want {
			t.Errorf("%s: pruned %d, want %d", n, got, want)
		}
	}
	s = model(t, graph.Float64)
	if m, err = Prune(s, 0.0625, Global, nil); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.Count(); p != 3 {
		t.Errorf("global: pruned %d, want 3", p)
	}
}

// TestPruneTieBreak shows the tie rule on a hand-made case: with equal
// magnitudes the parameter declared first, then the lower index, goes first.
func TestPruneTieBreak(t *testing.T) {
	s, _ := graph.NewStore(graph.Float64)
	a, _ := s.NewParam(graph.ParamSpec{Name: "a/W", Shape: tensor.Shape{2, 2}, Init: graph.Constant(0.5)}, nil)
	b, _ := s.NewParam(graph.ParamSpec{Name: "b/W", Shape: tensor.Shape{2, 2}, Init: graph.Constant(0.5)}, nil)
	set(t, a, []float64{0.5, -0.5, 0.5, 0.1})
	set(t, b, []float64{-0.5, 0.5, 0.2, 0.5})
	m, err := Prune(s, 0.5, Global, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Pruned: 0.1 (a[3]), 0.2 (b[2]), then the ties at 0.5: a[0], a[1].
	ka, _ := m.Kept("a/W")
	kb, _ := m.Kept("b/W")
	if !slices.Equal(ka, []bool{false, false, true, false}) || !slices.Equal(kb, []bool{true, true, false, true}) {
		t.Errorf("keep a %v b %v", ka, kb)
	}
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// TestMaskKeepsZeros simulates optimizer steps that move every weight: after
// AfterStep, pruned weights are exactly 0 again and all others keep their
// updated values.
func TestMaskKeepsZeros(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			s := model(t, dt)
			m, err := Prune(s, 0.75, Global, nil)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			for step := 0; step < 3; step++ {
				updated := map[string][]float64{}
				for _, v := range s.Vars() {
					vals := v.Float64s()
					for i := range vals {
						vals[i] -= 0.1 * rng.NormFloat64()
					}
					set(t, v, vals)
					updated[v.Name()] = v.Float64s()
				}
				if err := graph.AfterSteps(s, 0.1, nil, m); err != nil {
					t.Fatal(err)
				}
				for _, v := range s.Vars() {
					keep, masked := m.Kept(v.Name())
					for i, x := range v.Float64s() {
						want := updated[v.Name()][i]
						if masked && !keep[i] {
							want = 0
						}
						if x != want {
							t.Fatalf("step %d: %s[%d] = %g, want %g", step, v.Name(), i, x, want)
						}
					}
				}
			}
			r, err := Report(s, 0, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Overall.Zeros != 39 { // round(0.75·52)
				t.Errorf("%d zeros after training steps, want 39", r.Overall.Zeros)
			}
		})
	}
}

// TestMaskTensors round-trips a mask through its tensors into a fresh store
// of the other dtype, as a checkpoint would.
func TestMaskTensors(t *testing.T) {
	s := model(t, graph.Float32)
	m, err := Prune(s, 0.5, PerLayer, Or(WeightsOnly(), Roles(graph.Bias)))
	if err != nil {
		t.Fatal(err)
	}
	ts := m.Tensors()
	var names []string
	for n, x := range ts {
		names = append(names, n)
		if x.Dtype() != graph.Float32 {
			t.Errorf("%s: dtype %v", n, x.Dtype())
		}
		keep, _ := m.Kept(strings.TrimPrefix(n, MaskPrefix))
		for i, f := range x.Float32s() {
			if (f == 1) != keep[i] || (f != 0 && f != 1) {
				t.Fatalf("%s[%d] = %g, keep %v", n, i, f, keep[i])
			}
		}
		if v := mustVar(t, s, strings.TrimPrefix(n, MaskPrefix)); !x.Shape().Eq(v.Shape()) {
			t.Errorf("%s: shape %v, want %v", n, x.Shape(), v.Shape())
		}
	}
	slices.Sort(names)
	if want := []string{"mask/conv1/W", "mask/conv1/b", "mask/fc1/W", "mask/fc1/b", "mask/fc10/W"}; !slices.Equal(names, want) {
		t.Fatalf("tensor names %v, want %v", names, want)
	}
	// A checkpoint also holds the parameters themselves; they are ignored.
	ts["fc1/W"] = mustVar(t, s, "fc1/W").Value()
	s2 := model(t, graph.Float64)
	m2, err := MaskFromTensors(s2, ts)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	if !slices.Equal(m2.Names(), m.Names()) {
		t.Fatalf("restored names %v, want %v", m2.Names(), m.Names())
	}
	for _, n := range m.Names() {
		k1, _ := m.Kept(n)
		k2, _ := m2.Kept(n)
		if !slices.Equal(k1, k2) {
			t.Errorf("%s: restored keep %v, want %v", n, k2, k1)
		}
	}
	if err := m2.Apply(s2); err != nil {
		t.Fatal(err)
	}
	r, _ := Report(s2, 0, 1, Or(WeightsOnly(), Roles(graph.Bias)))
	if p, _ := m.Count(); r.Overall.Zeros != p {
		t.Errorf("restored mask zeroed %d weights, want %d", r.Overall.Zeros, p)
	}
	if x := m2.Tensors()["mask/fc1/W"]; x.Dtype() != graph.Float64 {
		t.Errorf("restored mask's tensors are %v, want the store's float64", x.Dtype())
	}
	empty, err := MaskFromTensors(s2, map[string]*tensor.Dense{"fc1/W": ts["fc1/W"]})
	if err != nil || len(empty.Names()) != 0 {
		t.Errorf("no mask tensors: %v, %v", empty.Names(), err)
	}
}

func TestMaskErrors(t *testing.T) {
	t3 := func(vals ...float64) *tensor.Dense {
		return tensor.New(tensor.WithShape(len(vals)), tensor.WithBacking(vals))
	}
	s := model(t, graph.Float64)
	fc1 := func(v float64) *tensor.Dense {
		vals := make([]float64, 20)
		vals[4] = v
		return tensor.New(tensor.WithShape(5, 4), tensor.WithBacking(vals))
	}
	cases := []struct {
		name string
		ts   map[string]*tensor.Dense
		want error
		msg  string
	}{
		{"value", map[string]*tensor.Dense{"mask/fc1/W": fc1(0.5)}, ErrMask, "0.5 at 4"},
		{"unknown", map[string]*tensor.Dense{"mask/fc1/W": fc1(1), "mask/fc3/W": fc1(1)}, ErrUnknownVar, "mask/fc3/W"},
		{"buffer", map[string]*tensor.Dense{"mask/bn1/running_mean": t3(1, 1, 1)}, ErrUnknownVar, "running_mean"},
		{"shape", map[string]*tensor.Dense{"mask/fc1/b": t3(1, 1, 1)}, ErrShape, "fc1/b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := MaskFromTensors(s, c.ts)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, c.want, c.msg)
			}
		})
	}
	m, err := Prune(s, 0.5, Global, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := graph.NewStore(graph.Float64)
	if err := m.Apply(other); !errors.Is(err, ErrUnknownVar) {
		t.Errorf("Apply on a store without the parameters: %v", err)
	}
	_, _ = other.NewParam(graph.ParamSpec{Name: "conv1/W", Shape: tensor.Shape{3, 2, 2, 2}}, nil)
	_, _ = other.NewParam(graph.ParamSpec{Name: "fc1/W", Shape: tensor.Shape{4, 5}}, nil)
	if err := m.Apply(other); !errors.Is(err, ErrShape) {
		t.Errorf("Apply on a transposed fc1/W: %v", err)
	}
	var none *Mask
	if err := graph.AfterSteps(s, 0.1, none); err != nil || none.Sparsity() != 0 || none.Names() != nil {
		t.Errorf("nil mask: %v", err)
	}
}

func TestPruneErrors(t *testing.T) {
	cases := []struct {
		name  string
		frac  float64
		scope Scope
		nan   bool
		want  error
		msg   string
	}{
		{"negative", -0.1, Global, false, ErrConfig, "-0.1"},
		{"above one", 1.5, PerLayer, false, ErrConfig, "1.5"},
		{"NaN fraction", math.NaN(), Global, false, ErrConfig, "NaN"},
		{"scope", 0.5, Scope(7), false, ErrConfig, "scope 7"},
		{"NaN weight", 0.5, Global, true, ErrNonFinite, "fc1/W[2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := model(t, graph.Float32)
			if c.nan {
				mustVar(t, s, "fc1/W").Value().Float32s()[2] = float32(math.NaN())
			}
			snap := snapshot(s)
			_, err := Prune(s, c.frac, c.scope, nil)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, c.want, c.msg)
			}
			if got := changed(s, snap); len(got) > 0 {
				t.Errorf("failed Prune changed %v", got)
			}
		})
	}
}
