package nn

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
)

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
			return nil, errors.Wrapf(graph.ErrConfig, "pool %s: kernel %v, stride %v, padding %v (padding must be at most half the kernel)", name, kernel, stride, padding)
		}
	}
	return &Pool2D{name: name, max: max, kernel: kernel, stride: stride, padding: padding}, nil
}

// Name returns the layer's name.
func (p *Pool2D) Name() string { return p.name }

// IsMax reports whether the layer is max pooling (else average pooling).
func (p *Pool2D) IsMax() bool { return p.max }

// Kernel returns the window size (height, width).
func (p *Pool2D) Kernel() [2]int { return p.kernel }

// Stride returns the step between windows (height, width).
func (p *Pool2D) Stride() [2]int { return p.stride }

// Padding returns the padding on each side (height, width).
func (p *Pool2D) Padding() [2]int { return p.padding }

// Forward pools x of shape (N, C, H, W).
func (p *Pool2D) Forward(_ *graph.Builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[2]+2*p.padding[0] < p.kernel[0] || s[3]+2*p.padding[1] < p.kernel[1] {
		return nil, errors.Wrapf(graph.ErrShape, "pool %s: input %v, want (N, C, H, W) at least the kernel %v", p.name, s, p.kernel)
	}
	if p.max {
		return ops.MaxPool2D(x, p.kernel, p.stride, p.padding)
	}
	return ops.AvgPool2D(x, p.kernel, p.stride, p.padding)
}
