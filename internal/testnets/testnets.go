// Package testnets builds small networks straight from zoo's layers, with
// layers and settings that the registry models do not use (LeakyReLU,
// GroupNorm, LayerNorm, InstanceNorm, average pooling, strided convolution,
// weight-scaling dropout, BatchNorm on features), for checking exporters.
package testnets

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
)

// Net is a model built from zoo's layers. It implements training.Model and
// onnx.Model.
type Net struct {
	name  string
	store *graph.Store
	seq   *nn.Sequential
	input []int
}

// Name returns the net's name.
func (n *Net) Name() string { return n.name }

// Net returns the layers.
func (n *Net) Net() *nn.Sequential { return n.seq }

// Store returns the parameters and buffers.
func (n *Net) Store() *graph.Store { return n.store }

// InputShape is one sample's shape.
func (n *Net) InputShape() []int { return append([]int(nil), n.input...) }

// Forward maps a batch to logits (N, 10).
func (n *Net) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) { return n.seq.Forward(b, x) }

// Wrap makes a Net of layers already declared in s, taking inputs of the
// given per-sample shape.
func Wrap(name string, s *graph.Store, input []int, layers ...nn.Layer) *Net {
	return &Net{name: name, store: s, seq: nn.NewSequential(name, layers...), input: append([]int(nil), input...)}
}

// Names lists the nets New builds.
func Names() []string { return []string{"norms-mlp", "norms-conv"} }

// New builds the named net with weights drawn from seed:
//
//   - norms-mlp, on (N, 784): Linear 64 (no bias), LayerNorm, LeakyReLU(0.1),
//     weight-scaling Dropout(0.3), Linear 32, GroupNorm (4 groups), Tanh,
//     Linear 10;
//   - norms-conv, on (N, 1, 28, 28): Conv 8@3×3 pad 1, GroupNorm (2 groups),
//     LeakyReLU(0.2), AvgPool 3×3 stride 2 pad 1, Conv 8@3×3 pad 1,
//     InstanceNorm, Tanh, MaxPool 3×3 stride 2 pad 1, Conv 16@3×3 stride 2
//     pad 1, LayerNorm, ReLU, Flatten, weight-scaling Dropout(0.5), Linear 32
//     (no bias), BatchNorm, Sigmoid, Linear 10.
func New(name string, seed uint64) (*Net, error) {
	s, err := graph.NewStore(graph.Float32)
	if err != nil {
		return nil, err
	}
	k := &stack{s: s, rng: rand.New(rand.NewPCG(seed, 0))}
	var input []int
	switch name {
	case "norms-mlp":
		input = []int{784}
		k.linear("fc1", 784, 64, true)
		k.add(nn.NewLayerNorm(s, "ln1", 64, nn.NormConfig{}))
		k.add(nn.LeakyReLU(0.1, "act1"), nil)
		k.add(nn.NewDropout("drop1", 0.3, nn.WeightScaling))
		k.linear("fc2", 64, 32, false)
		k.add(nn.NewGroupNorm(s, "gn2", 32, 4, nn.NormConfig{}))
		k.add(nn.Tanh("act2"), nil)
		k.linear("fc3", 32, 10, false)
	case "norms-conv":
		input = []int{1, 28, 28}
		k.conv("conv1", 1, 8, 1, 1)
		k.add(nn.NewGroupNorm(s, "gn1", 8, 2, nn.NormConfig{}))
		k.add(nn.LeakyReLU(0.2, "act1"), nil)
		k.add(nn.NewAvgPool2D("pool1", [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1})) // 14×14
		k.conv("conv2", 8, 8, 1, 1)
		k.add(nn.NewInstanceNorm(s, "in2", 8, nn.NormConfig{}))
		k.add(nn.Tanh("act2"), nil)
		k.add(nn.NewMaxPool2D("pool2", [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1})) // 7×7
		k.conv("conv3", 8, 16, 2, 1)                                              // 4×4
		k.add(nn.NewLayerNorm(s, "ln3", 16, nn.NormConfig{}))
		k.add(nn.ReLU("act3"), nil)
		k.add(nn.NewFlatten("flatten"), nil)
		k.add(nn.NewDropout("drop3", 0.5, nn.WeightScaling))
		k.linear("fc4", 16*4*4, 32, true)
		k.add(nn.NewBatchNorm(s, "bn4", 32, nn.BatchNormConfig{}))
		k.add(nn.Sigmoid("act4"), nil)
		k.linear("fc5", 32, 10, false)
	default:
		return nil, errors.Errorf("testnets: unknown net %q (have %v)", name, Names())
	}
	if k.err != nil {
		return nil, errors.WithMessagef(k.err, "testnets: %s", name)
	}
	return Wrap(name, s, input, k.layers...), nil
}

type stack struct {
	s      *graph.Store
	rng    *rand.Rand
	layers []nn.Layer
	err    error
}

func (k *stack) add(l nn.Layer, err error) {
	if k.err == nil {
		k.layers, k.err = append(k.layers, l), err
	}
}

func (k *stack) linear(name string, in, out int, noBias bool) {
	if k.err != nil {
		return
	}
	k.add(nn.NewLinear(k.s, name, in, out, nn.LinearConfig{NoBias: noBias}, k.rng))
}

func (k *stack) conv(name string, in, out, stride, pad int) {
	if k.err != nil {
		return
	}
	k.add(nn.NewConv2D(k.s, name, in, out, [2]int{3, 3}, nn.Conv2DConfig{Stride: [2]int{stride, stride}, Padding: [2]int{pad, pad}}, k.rng))
}
