package nn

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
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
	Init graph.Init
	// BiasInit initialises the bias. Default [TorchDefault].
	BiasInit graph.Init
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
	W, B    *graph.Var
}

var _ Layer = (*Conv2D)(nil)

// NewConv2D declares a convolution with in input channels, out filters and a
// kernel of (height, width), initialised from rng.
func NewConv2D(s *graph.Store, name string, in, out int, kernel [2]int, cfg Conv2DConfig, rng *rand.Rand) (*Conv2D, error) {
	if cfg.Stride == [2]int{} {
		cfg.Stride = [2]int{1, 1}
	}
	if in <= 0 || out <= 0 || kernel[0] <= 0 || kernel[1] <= 0 || cfg.Stride[0] <= 0 || cfg.Stride[1] <= 0 || cfg.Padding[0] < 0 || cfg.Padding[1] < 0 {
		return nil, errors.Wrapf(graph.ErrConfig, "conv2d %s: channels %d→%d, kernel %v, stride %v, padding %v", name, in, out, kernel, cfg.Stride, cfg.Padding)
	}
	c := &Conv2D{name: name, in: in, out: out, kernel: kernel, stride: cfg.Stride, padding: cfg.Padding}
	area := kernel[0] * kernel[1]
	fan := graph.Fan{In: in * area, Out: out * area}
	var err error
	if c.W, err = s.NewParam(graph.ParamSpec{Name: graph.Join(name, "W"), Role: graph.Weight, Shape: tensor.Shape{out, in, kernel[0], kernel[1]}, Fan: fan, Init: orDefault(cfg.Init, graph.TorchDefault)}, rng); err != nil {
		return nil, err
	}
	if !cfg.NoBias {
		if c.B, err = s.NewParam(graph.ParamSpec{Name: graph.Join(name, "b"), Role: graph.Bias, Shape: tensor.Shape{out}, Fan: fan, Init: orDefault(cfg.BiasInit, graph.TorchDefault)}, rng); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Name returns the layer's name.
func (c *Conv2D) Name() string { return c.name }

// Kernel returns the kernel size (height, width).
func (c *Conv2D) Kernel() [2]int { return c.kernel }

// Stride returns the stride (height, width).
func (c *Conv2D) Stride() [2]int { return c.stride }

// Padding returns the zero padding on each side (height, width).
func (c *Conv2D) Padding() [2]int { return c.padding }

// Forward convolves x of shape (N, in, H, W).
func (c *Conv2D) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[1] != c.in {
		return nil, errors.Wrapf(graph.ErrShape, "conv2d %s: input %v, want (N, %d, H, W)", c.name, s, c.in)
	}
	for i := 0; i < 2; i++ {
		if s[2+i]+2*c.padding[i] < c.kernel[i] {
			return nil, errors.Wrapf(graph.ErrShape, "conv2d %s: input %v smaller than kernel %v with padding %v", c.name, s, c.kernel, c.padding)
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
	y, err := ops.Conv2D(x, w, bias, c.stride, c.padding)
	return y, errors.WithMessagef(err, "conv2d %s", c.name)
}
