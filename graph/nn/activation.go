package nn

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
)

// Activation is an element-wise nonlinearity with no parameters.
type Activation struct {
	name  string
	kind  string
	slope float64
	fn    func(*G.Node) (*G.Node, error)
}

var _ Layer = (*Activation)(nil)

// ReLU returns max(x, 0), one fused op forward and one backward; the
// gradient is 0 where x ≤ 0, as in PyTorch (see op_activation.go).
func ReLU(name string) *Activation { return &Activation{name, "relu", 0, ops.ReLU} }

// Sigmoid returns 1/(1+e^−x), one fused op forward and one backward (see
// op_activation.go).
func Sigmoid(name string) *Activation { return &Activation{name, "sigmoid", 0, ops.Sigmoid} }

// Tanh returns tanh(x).
func Tanh(name string) *Activation { return &Activation{name, "tanh", 0, G.Tanh} }

// LeakyReLU returns x for x > 0 and slope·x otherwise (PyTorch's default
// slope is 0.01).
func LeakyReLU(name string, slope float64) *Activation {
	return &Activation{name, fmt.Sprintf("leaky_relu(%g)", slope), slope, func(x *G.Node) (*G.Node, error) { return G.LeakyRelu(x, slope) }}
}

// Name returns the layer's name.
func (a *Activation) Name() string { return a.name }

// Kind returns the nonlinearity, such as "relu".
func (a *Activation) Kind() string { return a.kind }

// Slope returns LeakyReLU's slope for x ≤ 0, and 0 for the other kinds.
func (a *Activation) Slope() float64 { return a.slope }

// Forward applies the nonlinearity element-wise.
func (a *Activation) Forward(_ *graph.Builder, x *G.Node) (*G.Node, error) {
	y, err := a.fn(x)
	return y, errors.Wrapf(err, "%s %s", a.kind, a.name)
}

// Flatten reshapes (N, d1, d2, …) to (N, d1·d2·…).
type Flatten struct{ name string }

var _ Layer = (*Flatten)(nil)

// NewFlatten returns a Flatten layer.
func NewFlatten(name string) *Flatten { return &Flatten{name} }

// Name returns the layer's name.
func (f *Flatten) Name() string { return f.name }

// Forward flattens every axis after the first.
func (f *Flatten) Forward(_ *graph.Builder, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() < 2 {
		return nil, errors.Wrapf(graph.ErrShape, "flatten %s: input %v has no batch axis", f.name, s)
	}
	if s.Dims() == 2 {
		return x, nil
	}
	y, err := G.Reshape(x, []int{s[0], s.TotalSize() / s[0]})
	return y, errors.Wrapf(err, "flatten %s", f.name)
}
