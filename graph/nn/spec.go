package nn

import (
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/graph"
)

// Spec is a layer not yet built: its kind and hyperparameters, without a
// store and without its input size. [NewModel] builds specs in order, giving
// each the output shape of the one before, so a net is written the way
// PyTorch's nn.Sequential and Keras's Sequential write it:
//
//	nn.Dense(256), nn.BatchNorm1D(), nn.ReLU(), nn.DropoutP(0.3), nn.Dense(10)
//
// Every constructor has the same shape: the layer's required sizes, then
// [Option]s. The parameter-free layers returned by [ReLU], [Sigmoid], [Tanh]
// and [LeakyReLU] are specs too, and so is nn.Flatten{} (the [Flatten]
// layer's zero value).
type Spec interface {
	// Kind is the layer's kind, the prefix of its automatic name
	// ("dense" names the first Dense "dense1", the second "dense2", …).
	Kind() string
	// Build declares the layer's parameters and buffers in s, named under
	// name, for inputs whose one-sample shape (no batch axis) is in. rng
	// draws the initial weights.
	Build(s *graph.Store, name string, in []int, rng *rand.Rand) (Layer, error)
}

// Named gives a spec an explicit name (the prefix of its variables' names)
// in place of the automatic one.
func Named(name string, s Spec) Spec { return named{name, s} }

type named struct {
	name string
	Spec
}

// Option adjusts a layer spec. Each option applies to some kinds of layer
// only; [NewModel] refuses an option a layer does not take.
type Option struct {
	name  string
	apply func(*options)
}

type options struct {
	stride, pad  int
	noBias       bool
	init         graph.Init
	eps          float64
	momentum     float64
	weightScaled bool
}

// Pad zero-pads each spatial side by p (Conv, and MaxPool/AvgPool, where the
// padding counts as −∞ and 0). Default 0.
func Pad(p int) Option { return Option{"Pad", func(o *options) { o.pad = p }} }

// Stride sets the step between windows (Conv: default 1; MaxPool/AvgPool:
// default the kernel size, as in PyTorch).
func Stride(s int) Option { return Option{"Stride", func(o *options) { o.stride = s }} }

// NoBias drops the bias of a Dense or Conv layer (for one followed by
// BatchNorm, whose β makes a bias redundant).
func NoBias() Option { return Option{"NoBias", func(o *options) { o.noBias = true }} }

// InitWith sets the initialiser of a Dense or Conv layer's weights. Default
// [graph.TorchDefault], U(±1/√fan_in), PyTorch's.
func InitWith(i graph.Init) Option { return Option{"InitWith", func(o *options) { o.init = i }} }

// Eps sets BatchNorm's ε, added to the variance. Default 1e-5.
func Eps(e float64) Option { return Option{"Eps", func(o *options) { o.eps = e }} }

// Momentum sets BatchNorm's momentum, the weight of the new batch in the
// running statistics (PyTorch's convention). Default 0.1.
func Momentum(m float64) Option { return Option{"Momentum", func(o *options) { o.momentum = m }} }

// WeightScaled selects dropout as in Srivastava et al. (2014): no scaling in
// training, activations multiplied by 1−p at evaluation ([WeightScaling]).
// Default: inverted dropout, PyTorch's.
func WeightScaled() Option { return Option{"WeightScaled", func(o *options) { o.weightScaled = true }} }

// spec is a Spec built by a function from its options.
type spec struct {
	kind    string
	allowed []string
	opts    []Option
	build   func(s *graph.Store, name string, in []int, o options, rng *rand.Rand) (Layer, error)
}

func (p *spec) Kind() string { return p.kind }

func (p *spec) Build(s *graph.Store, name string, in []int, rng *rand.Rand) (Layer, error) {
	var o options
	for _, op := range p.opts {
		if op.apply == nil || !slices.Contains(p.allowed, op.name) {
			return nil, errors.Wrapf(graph.ErrConfig, "%s %s: option %s does not apply (takes %v)", p.kind, name, op.name, p.allowed)
		}
		op.apply(&o)
	}
	return p.build(s, name, in, o, rng)
}

// wantDims checks a spec's input rank.
func wantDims(kind, name string, in []int, dims int, what string) error {
	if len(in) != dims {
		return errors.Wrapf(graph.ErrShape, "%s %s: input %v, want %s", kind, name, in, what)
	}
	return nil
}

// Dense is a fully connected layer with out units over flat inputs (a
// [Linear] whose in-features are the input's). Options: [NoBias],
// [InitWith].
func Dense(out int, opts ...Option) Spec {
	return &spec{kind: "dense", allowed: []string{"NoBias", "InitWith"}, opts: opts,
		build: func(s *graph.Store, name string, in []int, o options, rng *rand.Rand) (Layer, error) {
			if err := wantDims("dense", name, in, 1, "flat features (add nn.Flatten{} after a convolution)"); err != nil {
				return nil, err
			}
			return NewLinear(s, name, in[0], out, LinearConfig{NoBias: o.noBias, Init: o.init}, rng)
		}}
}

// Conv is a 2-D convolution with out filters of kernel×kernel over (C, H,
// W) inputs (a [Conv2D] whose in-channels are the input's). Options: [Pad],
// [Stride], [NoBias], [InitWith].
func Conv(out, kernel int, opts ...Option) Spec {
	return &spec{kind: "conv", allowed: []string{"Pad", "Stride", "NoBias", "InitWith"}, opts: opts,
		build: func(s *graph.Store, name string, in []int, o options, rng *rand.Rand) (Layer, error) {
			if err := wantDims("conv", name, in, 3, "(C, H, W)"); err != nil {
				return nil, err
			}
			if o.stride == 0 {
				o.stride = 1
			}
			return NewConv2D(s, name, in[0], out, [2]int{kernel, kernel}, Conv2DConfig{
				Stride: [2]int{o.stride, o.stride}, Padding: [2]int{o.pad, o.pad}, NoBias: o.noBias, Init: o.init}, rng)
		}}
}

// MaxPool is kernel×kernel max pooling over (C, H, W) inputs ([Pool2D]).
// Options: [Stride] (default kernel), [Pad].
func MaxPool(kernel int, opts ...Option) Spec { return poolSpec("maxpool", true, kernel, opts) }

// AvgPool is kernel×kernel average pooling over (C, H, W) inputs ([Pool2D]);
// zero padding counts in the divisor. Options: [Stride] (default kernel),
// [Pad].
func AvgPool(kernel int, opts ...Option) Spec { return poolSpec("avgpool", false, kernel, opts) }

func poolSpec(kind string, max bool, kernel int, opts []Option) Spec {
	return &spec{kind: kind, allowed: []string{"Pad", "Stride"}, opts: opts,
		build: func(_ *graph.Store, name string, in []int, o options, _ *rand.Rand) (Layer, error) {
			if err := wantDims(kind, name, in, 3, "(C, H, W)"); err != nil {
				return nil, err
			}
			return newPool(name, max, [2]int{kernel, kernel}, [2]int{o.stride, o.stride}, [2]int{o.pad, o.pad})
		}}
}

// BatchNorm1D is [BatchNorm] over the features of flat inputs (PyTorch's
// nn.BatchNorm1d). Options: [Eps], [Momentum].
func BatchNorm1D(opts ...Option) Spec { return bnSpec(1, "flat features (C)", opts) }

// BatchNorm2D is [BatchNorm] over the channels of (C, H, W) inputs
// (PyTorch's nn.BatchNorm2d). Options: [Eps], [Momentum].
func BatchNorm2D(opts ...Option) Spec { return bnSpec(3, "(C, H, W)", opts) }

func bnSpec(dims int, what string, opts []Option) Spec {
	return &spec{kind: "bn", allowed: []string{"Eps", "Momentum"}, opts: opts,
		build: func(s *graph.Store, name string, in []int, o options, _ *rand.Rand) (Layer, error) {
			if err := wantDims("batchnorm", name, in, dims, what); err != nil {
				return nil, err
			}
			return NewBatchNorm(s, name, in[0], BatchNormConfig{Eps: o.eps, Momentum: o.momentum})
		}}
}

// DropoutP is [Dropout] with drop probability p. Option: [WeightScaled].
func DropoutP(p float64, opts ...Option) Spec {
	return &spec{kind: "dropout", allowed: []string{"WeightScaled"}, opts: opts,
		build: func(_ *graph.Store, name string, _ []int, o options, _ *rand.Rand) (Layer, error) {
			scaling := Inverted
			if o.weightScaled {
				scaling = WeightScaling
			}
			return NewDropout(name, p, scaling)
		}}
}
