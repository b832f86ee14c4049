package graph

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2DConfig configures a [Conv2D] layer. The zero value is a stride-1,
// unpadded convolution with a bias and PyTorch's default initialisation.
type Conv2DConfig struct {
	// Stride is the step between windows, (height, width). Default (1, 1).
	Stride [2]int
	// Padding is the zero padding on each side, (height, width). Default (0, 0).
	Padding [2]int
	// NoBias drops the bias (for a convolution followed by BatchNorm).
	NoBias bool
	// Init initialises the filters. Default [TorchDefault].
	Init Init
	// BiasInit initialises the bias. Default [TorchDefault].
	BiasInit Init
}

// Conv2D is a 2-D convolution (cross-correlation, as in PyTorch) over NCHW
// inputs. Its filter W has PyTorch's layout (out, in, kh, kw); one filter W[o]
// is one output unit's incoming weights. Variables: "<name>/W", "<name>/b".
//
// Output size per spatial axis: ⌊(size + 2·padding − kernel)/stride⌋ + 1.
type Conv2D struct {
	name    string
	in, out int
	kernel  [2]int
	stride  [2]int
	padding [2]int
	W, B    *Var
}

var _ Layer = (*Conv2D)(nil)

// NewConv2D declares a convolution with in input channels, out filters and a
// kernel of (height, width), initialised from rng.
func NewConv2D(s *Store, name string, in, out int, kernel [2]int, cfg Conv2DConfig, rng *rand.Rand) (*Conv2D, error) {
	if cfg.Stride == [2]int{} {
		cfg.Stride = [2]int{1, 1}
	}
	if in <= 0 || out <= 0 || kernel[0] <= 0 || kernel[1] <= 0 || cfg.Stride[0] <= 0 || cfg.Stride[1] <= 0 || cfg.Padding[0] < 0 || cfg.Padding[1] < 0 {
		return nil, errors.Wrapf(ErrConfig, "conv2d %s: channels %d→%d, kernel %v, stride %v, padding %v", name, in, out, kernel, cfg.Stride, cfg.Padding)
	}
	c := &Conv2D{name: name, in: in, out: out, kernel: kernel, stride: cfg.Stride, padding: cfg.Padding}
	area := kernel[0] * kernel[1]
	fan := Fan{In: in * area, Out: out * area}
	var err error
	if c.W, err = s.NewParam(ParamSpec{Name: Join(name, "W"), Role: Weight, Shape: tensor.Shape{out, in, kernel[0], kernel[1]}, Fan: fan, Init: orDefault(cfg.Init, TorchDefault)}, rng); err != nil {
		return nil, err
	}
	if !cfg.NoBias {
		if c.B, err = s.NewParam(ParamSpec{Name: Join(name, "b"), Role: Bias, Shape: tensor.Shape{out}, Fan: fan, Init: orDefault(cfg.BiasInit, TorchDefault)}, rng); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Name returns the layer's name.
func (c *Conv2D) Name() string { return c.name }

// Forward convolves x of shape (N, in, H, W).
func (c *Conv2D) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[1] != c.in {
		return nil, errors.Wrapf(ErrShape, "conv2d %s: input %v, want (N, %d, H, W)", c.name, s, c.in)
	}
	for i := 0; i < 2; i++ {
		if s[2+i]+2*c.padding[i] < c.kernel[i] {
			return nil, errors.Wrapf(ErrShape, "conv2d %s: input %v smaller than kernel %v with padding %v", c.name, s, c.kernel, c.padding)
		}
	}
	w, err := b.Var(c.W)
	if err != nil {
		return nil, err
	}
	var bias *G.Node
	if c.B != nil {
		if bias, err = b.Var(c.B); err != nil {
			return nil, err
		}
	}
	y, err := conv2dWithBias(x, w, bias, c.padding, c.stride)
	return y, errors.WithMessagef(err, "conv2d %s", c.name)
}

// Pool2D is a max or average pooling layer over NCHW inputs.
type Pool2D struct {
	name    string
	max     bool
	kernel  [2]int
	stride  [2]int
	padding [2]int
}

var _ Layer = (*Pool2D)(nil)

// NewMaxPool2D returns max pooling with the given kernel, stride and padding
// (stride (0,0) means stride = kernel, as in PyTorch). Padding counts as −∞.
func NewMaxPool2D(name string, kernel, stride, padding [2]int) (*Pool2D, error) {
	return newPool(name, true, kernel, stride, padding)
}

// NewAvgPool2D returns average pooling; zero padding counts in the divisor
// (PyTorch's count_include_pad=True).
func NewAvgPool2D(name string, kernel, stride, padding [2]int) (*Pool2D, error) {
	return newPool(name, false, kernel, stride, padding)
}

func newPool(name string, max bool, kernel, stride, padding [2]int) (*Pool2D, error) {
	if stride == [2]int{} {
		stride = kernel
	}
	for i := 0; i < 2; i++ {
		if kernel[i] <= 0 || stride[i] <= 0 || padding[i] < 0 || 2*padding[i] > kernel[i] {
			return nil, errors.Wrapf(ErrConfig, "pool %s: kernel %v, stride %v, padding %v (padding must be at most half the kernel)", name, kernel, stride, padding)
		}
	}
	return &Pool2D{name: name, max: max, kernel: kernel, stride: stride, padding: padding}, nil
}

// Name returns the layer's name.
func (p *Pool2D) Name() string { return p.name }

// Forward pools x of shape (N, C, H, W).
func (p *Pool2D) Forward(_ *Builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[2]+2*p.padding[0] < p.kernel[0] || s[3]+2*p.padding[1] < p.kernel[1] {
		return nil, errors.Wrapf(ErrShape, "pool %s: input %v, want (N, C, H, W) at least the kernel %v", p.name, s, p.kernel)
	}
	if p.max {
		return maxPool2D(x, p.kernel, p.padding, p.stride)
	}
	return avgPool2D(x, p.kernel, p.padding, p.stride)
}
