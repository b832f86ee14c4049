package regularizers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gozoo/zoo/graph"
	"gorgonia.org/tensor"
)

var dtypes = []tensor.Dtype{graph.Float32, graph.Float64}

// model declares a small store with every role: two Linear layers (fc1 and
// fc10, to tell a layer from a name prefix), a convolution, a BatchNorm with
// γ, β and a running-mean buffer. Values are N(0, 1) from a fixed seed.
func model(t *testing.T, dt tensor.Dtype) *graph.Store {
	t.Helper()
	s, err := graph.NewStore(dt)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, 1))
	add := func(name string, role graph.Role, shape ...int) {
		t.Helper()
		if _, err := s.NewParam(graph.ParamSpec{Name: name, Role: role, Shape: shape, Init: graph.Normal(1)}, rng); err != nil {
			t.Fatal(err)
		}
	}
	add("conv1/W", graph.Weight, 3, 2, 2, 2)
	add("conv1/b", graph.Bias, 3)
	add("bn1/gamma", graph.Scale, 3)
	add("bn1/beta", graph.Shift, 3)
	if _, err := s.NewBuffer("bn1/running_mean", tensor.Shape{3}, 0.5); err != nil {
		t.Fatal(err)
	}
	add("fc1/W", graph.Weight, 5, 4)
	add("fc1/b", graph.Bias, 4)
	add("fc10/W", graph.Weight, 4, 2)
	return s
}

func mustVar(t *testing.T, s *graph.Store, name string) *graph.Var {
	t.Helper()
	v, ok := s.Lookup(name)
	if !ok {
		t.Fatalf("no variable %q", name)
	}
	return v
}

// set overwrites v's values, rounding to the store's dtype.
func set(t *testing.T, v *graph.Var, vals []float64) {
	t.Helper()
	switch d := v.Value().Data().(type) {
	case []float32:
		for i := range d {
			d[i] = float32(vals[i])
		}
	case []float64:
		copy(d, vals)
	default:
		t.Fatalf("%s: data %T", v.Name(), d)
	}
}

// bits returns the exact bit patterns of v's values, to test that values are
// bit-for-bit unchanged.
func bits(v *graph.Var) []uint64 {
	switch d := v.Value().Data().(type) {
	case []float32:
		out := make([]uint64, len(d))
		for i, x := range d {
			out[i] = uint64(math.Float32bits(x))
		}
		return out
	case []float64:
		out := make([]uint64, len(d))
		for i, x := range d {
			out[i] = math.Float64bits(x)
		}
		return out
	}
	return nil
}

// snapshot records every variable's bits.
func snapshot(s *graph.Store) map[string][]uint64 {
	out := map[string][]uint64{}
	for _, v := range s.Vars() {
		out[v.Name()] = bits(v)
	}
	return out
}

// changed reports the variables whose bits differ from the snapshot.
func changed(s *graph.Store, snap map[string][]uint64) []string {
	var out []string
	for _, v := range s.Vars() {
		b := bits(v)
		for i := range b {
			if b[i] != snap[v.Name()][i] {
				out = append(out, v.Name())
				break
			}
		}
	}
	return out
}

// tolFor is the relative tolerance for comparing a computation in dtype dt
// with its float64 closed form.
func tolFor(dt tensor.Dtype) float64 {
	if dt == graph.Float32 {
		return 1e-5
	}
	return 1e-12
}

func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}
