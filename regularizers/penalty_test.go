package regularizers

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

func sign(w float64) float64 {
	switch {
	case w > 0:
		return 1
	case w < 0:
		return -1
	}
	return 0
}

// penaltyCase pairs a penalty with its closed form, element by element:
// the penalty is Σ value(w) over the selected parameters and its gradient
// with respect to w is grad(w).
type penaltyCase struct {
	name  string
	p     graph.Penalty
	vars  []string // the parameters the penalty must select, in store order
	value func(w float64) float64
	grad  func(w float64) float64
}

var weights = []string{"conv1/W", "fc1/W", "fc10/W"}

func penaltyCases() []penaltyCase {
	const lam, l1, l2, w0 = 0.3, 0.05, 0.7, 0.8
	return []penaltyCase{
		{"L2", L2{Lambda: lam}, weights,
			func(w float64) float64 { return lam * w * w },
			func(w float64) float64 { return 2 * lam * w }},
		{"L1", L1{Lambda: lam}, weights,
			func(w float64) float64 { return lam * math.Abs(w) },
			func(w float64) float64 { return lam * sign(w) }},
		{"ElasticNet", ElasticNet{L1: l1, L2: l2}, weights,
			func(w float64) float64 { return l1*math.Abs(w) + l2*w*w },
			func(w float64) float64 { return l1*sign(w) + 2*l2*w }},
		{"WeightElimination", WeightElimination{Lambda: lam, W0: w0}, weights,
			func(w float64) float64 { r := (w / w0) * (w / w0); return lam * r / (1 + r) },
			func(w float64) float64 {
				r := (w / w0) * (w / w0)
				return lam * (2 * w / (w0 * w0)) / ((1 + r) * (1 + r))
			}},
		{"L2 layers fc1", L2{Lambda: lam, Select: Layers("fc1")}, []string{"fc1/W", "fc1/b"},
			func(w float64) float64 { return lam * w * w },
			func(w float64) float64 { return 2 * lam * w }},
		{"L1 all params", L1{Lambda: lam, Select: AllParams()},
			[]string{"conv1/W", "conv1/b", "bn1/gamma", "bn1/beta", "fc1/W", "fc1/b", "fc10/W"},
			func(w float64) float64 { return lam * math.Abs(w) },
			func(w float64) float64 { return lam * sign(w) }},
	}
}

// TestPenaltyGradients checks every penalty's value and its symbolic
// gradient, run on a TapeMachine, against the closed forms at N(0,1) weights
// with some exact zeros (where L1's subgradient must be 0), in float32 and
// float64; in float64 also against central finite differences.
func TestPenaltyGradients(t *testing.T) {
	for _, c := range penaltyCases() {
		for _, dt := range dtypes {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				s := model(t, dt)
				w := mustVar(t, s, "fc1/W")
				vals := w.Float64s()
				vals[0], vals[7] = 0, 0
				set(t, w, vals)
				b := graph.NewBuilder(s, graph.Train, nil)
				pen, err := c.p.Node(b)
				if err != nil {
					t.Fatalf("%+v", err)
				}
				if !pen.Shape().IsScalar() {
					t.Fatalf("penalty shape %v, want scalar", pen.Shape())
				}
				vars, _ := b.Params()
				var names []string
				for _, v := range vars {
					names = append(names, v.Name())
				}
				if !slices.Equal(names, c.vars) {
					t.Fatalf("penalty uses %v, want %v", names, c.vars)
				}
				prog, err := graph.Compile(b, pen)
				if err != nil {
					t.Fatalf("compile: %+v", err)
				}
				defer prog.Close()
				run := func() float64 {
					if err := prog.Run(); err != nil {
						t.Fatalf("run: %+v", err)
					}
					return scalarOf(t, pen.Value())
				}
				got := run()
				tol := tolFor(dt)
				var want float64
				grads := make([][]float64, len(vars))
				for i, v := range vars {
					gv, err := prog.Grad(i)
					if err != nil {
						t.Fatalf("grad of %s: %+v", v.Name(), err)
					}
					grads[i] = toFloat64s(t, gv.Data())
					for j, x := range v.Float64s() {
						want += c.value(x)
						if g, wg := grads[i][j], c.grad(x); !near(g, wg, tol) {
							t.Errorf("d/d%s[%d] at w=%g: got %g, want %g", v.Name(), j, x, g, wg)
						}
					}
				}
				if !near(got, want, tol) {
					t.Errorf("value %.17g, want %.17g", got, want)
				}
				if dt != graph.Float64 {
					return
				}
				const h = 1e-6
				for i, v := range vars {
					d := v.Value().Float64s()
					for j := range d {
						orig := d[j]
						d[j] = orig + h
						fp := run()
						d[j] = orig - h
						fm := run()
						d[j] = orig
						if fd := (fp - fm) / (2 * h); math.Abs(fd-grads[i][j]) > 1e-7 {
							t.Errorf("d/d%s[%d]: symbolic %g, finite difference %g", v.Name(), j, grads[i][j], fd)
						}
					}
				}
			})
		}
	}
}

func toFloat64s(t *testing.T, d any) []float64 {
	t.Helper()
	switch d := d.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	t.Fatalf("data %T", d)
	return nil
}

func scalarOf(t *testing.T, v G.Value) float64 {
	t.Helper()
	switch x := v.Data().(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case []float64:
		return x[0]
	case []float32:
		return float64(x[0])
	}
	t.Fatalf("not a scalar: %T", v.Data())
	return 0
}

// evalNode runs b's graph and returns n's value.
func evalNode(t *testing.T, b *graph.Builder, n *G.Node) float64 {
	t.Helper()
	prog, err := graph.Compile(b, nil)
	if err != nil {
		t.Fatalf("compile: %+v", err)
	}
	defer prog.Close()
	if err := prog.Run(); err != nil {
		t.Fatalf("run: %+v", err)
	}
	return scalarOf(t, n.Value())
}

// TestSum checks that Sum adds the penalties' values, skips nil and zero
// penalties, and returns nil when nothing is left.
func TestSum(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			s := model(t, dt)
			var sq, ab float64
			for _, name := range weights {
				for _, x := range mustVar(t, s, name).Float64s() {
					sq += x * x
					ab += math.Abs(x)
				}
			}
			b := graph.NewBuilder(s, graph.Train, nil)
			n, err := graph.AddPenalties(b, nil, L2{Lambda: 0.5}, nil, L1{}, L1{Lambda: 0.25}, WeightElimination{})
			if err != nil {
				t.Fatalf("%+v", err)
			}
			if got, want := evalNode(t, b, n), 0.5*sq+0.25*ab; !near(got, want, tolFor(dt)) {
				t.Errorf("sum %g, want 0.5·Σw² + 0.25·Σ|w| = %g", got, want)
			}
			for _, ps := range [][]graph.Penalty{nil, {nil}, {L2{}, L1{}, ElasticNet{}, WeightElimination{}}} {
				n, err := graph.AddPenalties(b, nil, ps...)
				if n != nil || err != nil {
					t.Errorf("AddPenalties(%v) = %v, %v; want nil, nil", ps, n, err)
				}
			}
		})
	}
}

func TestPenaltyErrors(t *testing.T) {
	cases := []struct {
		name string
		p    graph.Penalty
		want error
		msg  string // must appear in the error
	}{
		{"negative L2", L2{Lambda: -1}, ErrConfig, "-1"},
		{"NaN L1", L1{Lambda: math.NaN()}, ErrConfig, "NaN"},
		{"Inf L2", L2{Lambda: math.Inf(1)}, ErrConfig, "+Inf"},
		{"negative elastic L2", ElasticNet{L1: 1, L2: -0.5}, ErrConfig, "-0.5"},
		{"zero W0", WeightElimination{Lambda: 1}, ErrConfig, "W0 = 0"},
		{"negative W0", WeightElimination{Lambda: 1, W0: -2}, ErrConfig, "W0 = -2"},
		{"negative W0 zero lambda", WeightElimination{W0: -2}, ErrConfig, "W0 = -2"},
		{"bad pattern", L2{Lambda: 1, Select: ByName("fc1/[")}, ErrConfig, "fc1/["},
		{"nothing selected", L1{Lambda: 1, Select: Layers("fc2")}, ErrNoneSelected, "layers(fc2)"},
		{"buffer only", L2{Lambda: 1, Select: ByName("bn1/running_mean")}, ErrNoneSelected, "running_mean"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := model(t, graph.Float64)
			b := graph.NewBuilder(s, graph.Train, nil)
			_, err := graph.AddPenalties(b, nil, c.p)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, c.want, c.msg)
			}
		})
	}
}

func TestPenaltyStrings(t *testing.T) {
	cases := map[string]graph.Penalty{
		"L2(λ=0.0001, weights)":                      L2{Lambda: 1e-4},
		"L1(λ=0.5, layers(fc1))":                     L1{Lambda: 0.5, Select: Layers("fc1")},
		"ElasticNet(λ1=1, λ2=2, weights)":            ElasticNet{L1: 1, L2: 2},
		"WeightElimination(λ=1, w0=0.5, names(*/W))": WeightElimination{Lambda: 1, W0: 0.5, Select: ByName("*/W")},
	}
	for want, p := range cases {
		if got := p.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
