package nn_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/training"
)

var (
	_ training.Model    = (*nn.Sequential)(nil)
	_ graph.Regularized = (*nn.Sequential)(nil)
)

func seeded() *rand.Rand { return rand.New(rand.NewPCG(1, 0)) }

// TestNewModelShapes checks the inferred sizes against the layer formulas:
// conv output ⌊(28 + 2·1 − 3)/2⌋ + 1 = 14, pooled to 7; dense in-features
// 8·7·7.
func TestNewModelShapes(t *testing.T) {
	net, err := nn.NewModel(graph.Float64, nn.Input(1, 28, 28), seeded(),
		nn.Conv(8, 3, nn.Pad(1), nn.Stride(2), nn.NoBias()), nn.BatchNorm2D(nn.Momentum(0.2)), nn.LeakyReLU(0.1),
		nn.AvgPool(2), nn.Flatten{}, nn.Dense(5), nn.Sigmoid(), nn.DropoutP(0.5, nn.WeightScaled()), nn.Dense(3), nn.Tanh())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range net.Store().Vars() {
		got = append(got, fmt.Sprintf("%s%v", v.Name(), v.Shape()))
	}
	want := []string{"conv1/W(8, 1, 3, 3)", "bn1/gamma(8)", "bn1/beta(8)", "bn1/running_mean(8)", "bn1/running_var(8)",
		"dense1/W(392, 5)", "dense1/b(5)", "dense2/W(5, 3)", "dense2/b(3)"}
	if !slices.Equal(got, want) {
		t.Fatalf("variables %v, want %v", got, want)
	}
	if n, want := net.NumParams(), 8*9+8+8+392*5+5+5*3+3; n != want {
		t.Errorf("NumParams %d, want %d", n, want)
	}
	b := graph.NewBuilder(net.Store(), graph.Train, seeded())
	x, _ := b.Input("x", 4, 1, 28, 28)
	y, err := net.Forward(b, x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y.Shape(), []int{4, 3}) {
		t.Errorf("output %v, want (4, 3)", y.Shape())
	}
	bad, _ := b.Input("bad", 4, 784)
	if _, err := net.Forward(b, bad); !errors.Is(err, graph.ErrShape) {
		t.Errorf("Forward on (4, 784): %v, want a shape error", err)
	}
}

// TestNewModelErrors checks that each mistake is reported once, naming the
// layer.
func TestNewModelErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		input []int
		rng   *rand.Rand
		specs []nn.Spec
		want  error
		msg   string
	}{
		{"duplicate", nn.Input(4), seeded(), []nn.Spec{nn.Named("a", nn.Dense(3)), nn.Named("a", nn.Dense(2))}, graph.ErrDuplicateName, "nn: model: layer 2 (a): name used by layer 1: graph: duplicate variable name"},
		{"duplicate-auto", nn.Input(4), seeded(), []nn.Spec{nn.Named("relu2", nn.ReLU()), nn.ReLU()}, graph.ErrDuplicateName, "nn: model: layer 2 (relu2): name used by layer 1: graph: duplicate variable name"},
		{"option", nn.Input(4), seeded(), []nn.Spec{nn.Dense(3, nn.Pad(1))}, graph.ErrConfig, "nn: model: layer 1 (dense1): dense dense1: option Pad does not apply (takes [NoBias InitWith]): graph: invalid configuration"},
		{"rank", nn.Input(4), seeded(), []nn.Spec{nn.Conv(3, 3)}, graph.ErrShape, "nn: model: layer 1 (conv1): conv conv1: input [4], want (C, H, W): graph: shape mismatch"},
		{"too-small", nn.Input(1, 2, 2), seeded(), []nn.Spec{nn.Conv(3, 3)}, graph.ErrShape, "nn: model: layer 1 (conv1): conv2d conv1: input (1, 1, 2, 2) smaller than kernel [3 3] with padding [0 0]: graph: shape mismatch"},
		{"size", nn.Input(4), seeded(), []nn.Spec{nn.Dense(0)}, graph.ErrConfig, "nn: model: layer 1 (dense1): linear dense1: sizes 4→0 must be positive: graph: invalid configuration"},
		{"rate", nn.Input(4), seeded(), []nn.Spec{nn.DropoutP(1)}, graph.ErrConfig, "nn: model: layer 1 (dropout1): dropout dropout1: rate 1 not in [0, 1): graph: invalid configuration"},
		{"input", nn.Input(), seeded(), []nn.Spec{nn.Dense(3)}, graph.ErrShape, "nn: model: input shape []: graph: shape mismatch"},
		{"rng", nn.Input(4), nil, []nn.Spec{nn.Dense(3)}, graph.ErrNoRand, "nn: model: the initial weights need a *rand.Rand: graph: stochastic layer needs a *rand.Rand (Builder built with nil)"},
		{"nil", nn.Input(4), seeded(), []nn.Spec{nil}, graph.ErrConfig, "nn: model: layer 1 is nil: graph: invalid configuration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := nn.NewModel(graph.Float32, c.input, c.rng, c.specs...)
			if !errors.Is(err, c.want) || err.Error() != c.msg {
				t.Errorf("error %q, want %q (%v)", err, c.msg, c.want)
			}
		})
	}
}

// TestSequentialDuplicateNames: a Sequential refuses two layers of one name
// when it is built into a graph.
func TestSequentialDuplicateNames(t *testing.T) {
	s := nn.NewSequential("net", nn.ReLU("a"), nn.Tanh("a"))
	store, _ := graph.NewStore(graph.Float32)
	b := graph.NewBuilder(store, graph.Eval, nil)
	x, _ := b.Input("x", 2, 3)
	if _, err := s.Forward(b, x); !errors.Is(err, graph.ErrDuplicateName) {
		t.Fatalf("Forward: %v, want a duplicate-name error", err)
	}
}

// TestSequentialRegularizers: penalties and post-steps attached to a model
// are what it declares as graph.Regularized.
func TestSequentialRegularizers(t *testing.T) {
	net, err := nn.NewModel(graph.Float32, nn.Input(4), seeded(), nn.Dense(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(net.Penalties()) != 0 || len(net.PostSteps()) != 0 {
		t.Fatal("a new model declares regularizers")
	}
	p, q := graph.Penalty(nil), graph.PostStep(nil)
	net.AddPenalties(p, p)
	net.AddPostSteps(q)
	if len(net.Penalties()) != 2 || len(net.PostSteps()) != 1 {
		t.Fatalf("%d penalties, %d post-steps; want 2, 1", len(net.Penalties()), len(net.PostSteps()))
	}
}
