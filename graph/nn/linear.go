package nn

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
)

// LinearConfig configures a [Linear] layer. The zero value is a layer with a
// bias and PyTorch's default initialisation.
type LinearConfig struct {
	// NoBias drops the bias (for a layer followed by BatchNorm, whose β
	// makes a bias redundant). Default false.
	NoBias bool
	// Init initialises W. Default [TorchDefault], U(±1/√in).
	Init graph.Init
	// BiasInit initialises b. Default [TorchDefault].
	BiasInit graph.Init
}

// Linear is a fully connected layer y = x·W + b on (N, in) inputs.
//
// W is stored as (in, out), the transpose of PyTorch's nn.Linear.weight, so
// the forward pass is one matrix product with no transpose; column j holds
// output unit j's incoming weights. Variables: "<name>/W", "<name>/b".
type Linear struct {
	name    string
	in, out int
	W, B    *graph.Var
}

var _ Layer = (*Linear)(nil)

// NewLinear declares a Linear layer's parameters in s, initialised from rng.
func NewLinear(s *graph.Store, name string, in, out int, cfg LinearConfig, rng *rand.Rand) (*Linear, error) {
	if in <= 0 || out <= 0 {
		return nil, errors.Wrapf(graph.ErrConfig, "linear %s: sizes %d→%d must be positive", name, in, out)
	}
	l := &Linear{name: name, in: in, out: out}
	fan := graph.Fan{In: in, Out: out}
	var err error
	if l.W, err = s.NewParam(graph.ParamSpec{Name: graph.Join(name, "W"), Role: graph.Weight, Shape: tensor.Shape{in, out}, Fan: fan, Init: orDefault(cfg.Init, graph.TorchDefault)}, rng); err != nil {
		return nil, err
	}
	if !cfg.NoBias {
		if l.B, err = s.NewParam(graph.ParamSpec{Name: graph.Join(name, "b"), Role: graph.Bias, Shape: tensor.Shape{out}, Fan: fan, Init: orDefault(cfg.BiasInit, graph.TorchDefault)}, rng); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func orDefault(i, def graph.Init) graph.Init {
	if i == nil {
		return def
	}
	return i
}

// Name returns the layer's name.
func (l *Linear) Name() string { return l.name }

// In returns the number of input features.
func (l *Linear) In() int { return l.in }

// Out returns the number of output features.
func (l *Linear) Out() int { return l.out }

// Forward computes x·W + b for x of shape (N, in).
func (l *Linear) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	if s := x.Shape(); s.Dims() != 2 || s[1] != l.in {
		return nil, errors.Wrapf(graph.ErrShape, "linear %s: input %v, want (N, %d)", l.name, s, l.in)
	}
	w, err := b.Var(l.W)
	if err != nil {
		return nil, err
	}
	y, err := G.Mul(x, w)
	if err != nil {
		return nil, errors.Wrapf(err, "linear %s", l.name)
	}
	if l.B == nil {
		return y, nil
	}
	bias, err := b.Var(l.B)
	if err != nil {
		return nil, err
	}
	return ops.AddBias(y, bias)
}
