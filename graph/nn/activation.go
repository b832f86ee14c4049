package nn

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
)

// Activation is an element-wise nonlinearity with no parameters. It is a
// [Layer], and a [Spec] for [NewModel].
type Activation struct {
	name  string
	kind  string
	slope float64
	fn    func(*G.Node) (*G.Node, error)
}

var (
	_ Layer = (*Activation)(nil)
	_ Spec  = (*Activation)(nil)
)

// ReLU returns max(x, 0), one fused op forward and one backward; the
// gradient is 0 where x ≤ 0, as in PyTorch. The name is optional: [NewModel]
// names an unnamed layer ("relu1", …).
func ReLU(name ...string) *Activation {
	return &Activation{name: first(name), kind: "relu", fn: ops.ReLU}
}

// Sigmoid returns 1/(1+e^−x), one fused op forward and one backward. The
// name is optional.
func Sigmoid(name ...string) *Activation {
	return &Activation{name: first(name), kind: "sigmoid", fn: ops.Sigmoid}
}

// Tanh returns tanh(x). The name is optional.
func Tanh(name ...string) *Activation {
	return &Activation{name: first(name), kind: "tanh", fn: G.Tanh}
}

// LeakyReLU returns x for x > 0 and slope·x otherwise (PyTorch's default
// slope is 0.01), one fused op forward and one backward; the gradient at
// exactly 0 is the slope, as in PyTorch. The name is optional.
func LeakyReLU(slope float64, name ...string) *Activation {
	return &Activation{name: first(name), kind: "leaky_relu", slope: slope, fn: func(x *G.Node) (*G.Node, error) { return ops.LeakyReLU(x, slope) }}
}

func first(name []string) string {
	if len(name) == 0 {
		return ""
	}
	return name[0]
}

// Name returns the layer's name.
func (a *Activation) Name() string { return a.name }

// Kind returns the nonlinearity: "relu", "sigmoid", "tanh" or "leaky_relu".
func (a *Activation) Kind() string { return a.kind }

// Slope returns a LeakyReLU's negative slope (0 for the others).
func (a *Activation) Slope() float64 { return a.slope }

// Build returns a copy of the activation named name; it has no parameters.
func (a *Activation) Build(_ *graph.Store, name string, _ []int, _ *rand.Rand) (Layer, error) {
	c := *a
	c.name = name
	return &c, nil
}

// Forward applies the nonlinearity element-wise.
func (a *Activation) Forward(_ *graph.Builder, x *G.Node) (*G.Node, error) {
	y, err := a.fn(x)
	return y, errors.Wrapf(err, "%s %s", a.kind, a.name)
}

// Flatten reshapes (N, d1, d2, …) to (N, d1·d2·…). Its zero value,
// nn.Flatten{}, is the spec [NewModel] takes.
type Flatten struct{ name string }

var (
	_ Layer = (*Flatten)(nil)
	_ Spec  = Flatten{}
)

// NewFlatten returns a Flatten layer.
func NewFlatten(name string) *Flatten { return &Flatten{name} }

// Name returns the layer's name.
func (f *Flatten) Name() string { return f.name }

// Kind returns "flatten".
func (Flatten) Kind() string { return "flatten" }

// Build returns a Flatten layer named name; it has no parameters.
func (Flatten) Build(_ *graph.Store, name string, _ []int, _ *rand.Rand) (Layer, error) {
	return NewFlatten(name), nil
}

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
