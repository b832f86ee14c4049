package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/models"
)

// dense is the parameter count of a fully connected layer in→out: the
// weights plus a bias, or plus BatchNorm's γ and β when a norm follows (the
// layer then has no bias).
func dense(in, out int, norm bool) int {
	if norm {
		return in*out + 2*out
	}
	return in*out + out
}

// conv is the parameter count of a k×k convolution in→out channels, as
// dense.
func conv(in, out, k int, norm bool) int { return dense(in*k*k, out, norm) }

// mlpParams is an MLP's parameter count from its layer sizes.
func mlpParams(hidden []int, norm bool) int {
	n, in := 0, 28*28
	for _, h := range hidden {
		n += dense(in, h, norm)
		in = h
	}
	return n + dense(in, 10, false)
}

// TestNumParams checks every registry model's parameter count at its
// default configuration against the count derived from its layer sizes
// (the architectures in the registry's descriptions).
func TestNumParams(t *testing.T) {
	want := map[string]int{
		"mlp":         mlpParams([]int{800, 800}, false),
		"mlp-dropout": mlpParams([]int{1024, 1024, 2048}, false),
		"mlp-sigmoid": mlpParams([]int{100, 100, 100}, false),
		"mlp-bn":      mlpParams([]int{100, 100, 100}, true),
		// conv 6@5×5 (padding 2), pool, conv 16@5×5, pool to 5×5, FC 120-84-10.
		"lenet5": conv(1, 6, 5, false) + conv(6, 16, 5, false) + dense(16*5*5, 120, false) + dense(120, 84, false) + dense(84, 10, false),
		// 3×3 convs 32, 32, pool, 64, 64, pool to 7×7, each with BatchNorm; FC 128 with BatchNorm, 10.
		"convnet-bn": conv(1, 32, 3, true) + conv(32, 32, 3, true) + conv(32, 64, 3, true) + conv(64, 64, 3, true) + dense(64*7*7, 128, true) + dense(128, 10, false),
	}
	for _, e := range models.List() {
		t.Run(e.Name, func(t *testing.T) {
			w, ok := want[e.Name]
			if !ok {
				t.Fatalf("no expected parameter count for %s: add it here", e.Name)
			}
			n, err := e.NumParams()
			if err != nil {
				t.Fatal(err)
			}
			if n != w {
				t.Errorf("NumParams %d, want %d", n, w)
			}
		})
	}
	if len(want) != len(models.List()) {
		t.Errorf("%d expected counts for %d registry models", len(want), len(models.List()))
	}
}

// TestDefaultsValidate: every entry's default recipe, its model
// configuration included, validates and names the entry.
func TestDefaultsValidate(t *testing.T) {
	for _, e := range models.List() {
		if err := e.Recipe.Config.Validate(); err != nil {
			t.Errorf("%s: config: %v", e.Name, err)
		}
		if err := e.Recipe.Validate(); err != nil {
			t.Errorf("%s: recipe: %v", e.Name, err)
		}
		if e.Recipe.Model != e.Name {
			t.Errorf("%s: recipe names model %q", e.Name, e.Recipe.Model)
		}
	}
}

// TestEveryModeBuilds builds every registry model in every mode, float32
// and float64, and checks the logits' shape.
func TestEveryModeBuilds(t *testing.T) {
	for _, e := range models.List() {
		for _, dtype := range []string{"float32", "float64"} {
			cfg := e.Recipe.Config
			cfg.Dtype = dtype
			m, err := e.Build(cfg, 1)
			if err != nil {
				t.Fatalf("%s/%s: %v", e.Name, dtype, err)
			}
			for _, mode := range []graph.Mode{graph.Train, graph.Eval, graph.MonteCarlo} {
				t.Run(fmt.Sprintf("%s/%s/%v", e.Name, dtype, mode), func(t *testing.T) {
					var rng *rand.Rand
					if mode != graph.Eval {
						rng = rand.New(rand.NewPCG(1, 0))
					}
					b := graph.NewBuilder(m.Store(), mode, rng)
					x, _ := b.Input("x", append([]int{3}, m.InputShape()...)...)
					y, err := m.Forward(b, x)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(y.Shape(), []int{3, 10}) {
						t.Fatalf("logits %v, want (3, 10)", y.Shape())
					}
					p, err := graph.Compile(b, nil)
					if err != nil {
						t.Fatal(err)
					}
					defer p.Close()
					if err := p.Run(); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestNewModelMatchesRegistry: the same architecture written as nn.NewModel
// specs draws the same initial weights from the same seed as the registry's
// builder (PCG(seed, 0), in layer order), so a net defined by hand and a
// registry model start from identical bits.
func TestNewModelMatchesRegistry(t *testing.T) {
	for _, c := range []struct {
		name  string
		input []int
		specs []nn.Spec
	}{
		{"mlp", nn.Input(784), []nn.Spec{nn.Dense(800), nn.ReLU(), nn.Dense(800), nn.ReLU(), nn.Dense(10)}},
		{"lenet5", nn.Input(1, 28, 28), []nn.Spec{
			nn.Conv(6, 5, nn.Pad(2)), nn.ReLU(), nn.MaxPool(2), nn.Conv(16, 5), nn.ReLU(), nn.MaxPool(2), nn.Flatten{},
			nn.Dense(120), nn.ReLU(), nn.Dense(84), nn.ReLU(), nn.Dense(10)}},
		{"mlp-bn", nn.Input(784), []nn.Spec{
			nn.Dense(100, nn.NoBias()), nn.BatchNorm1D(), nn.Sigmoid(),
			nn.Dense(100, nn.NoBias()), nn.BatchNorm1D(), nn.Sigmoid(),
			nn.Dense(100, nn.NoBias()), nn.BatchNorm1D(), nn.Sigmoid(), nn.Dense(10)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := models.Lookup(c.name)
			if err != nil {
				t.Fatal(err)
			}
			reg, err := e.Build(e.Recipe.Config, 7)
			if err != nil {
				t.Fatal(err)
			}
			net, err := nn.NewModel(graph.Float32, c.input, rand.New(rand.NewPCG(7, 0)), c.specs...)
			if err != nil {
				t.Fatal(err)
			}
			a, b := reg.Store().Vars(), net.Store().Vars()
			if len(a) != len(b) {
				t.Fatalf("%d variables, NewModel %d", len(a), len(b))
			}
			for i := range a {
				if !slices.Equal(a[i].Shape(), b[i].Shape()) || !slices.EqualFunc(a[i].Float64s(), b[i].Float64s(), func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }) {
					t.Errorf("%s and %s differ", a[i].Name(), b[i].Name())
				}
			}
		})
	}
}
