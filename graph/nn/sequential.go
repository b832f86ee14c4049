package nn

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
)

// Sequential applies its layers in order.
type Sequential struct {
	name   string
	layers []Layer
}

var _ Layer = (*Sequential)(nil)

// NewSequential returns the composition of layers, applied first to last.
func NewSequential(name string, layers ...Layer) *Sequential {
	return &Sequential{name: name, layers: layers}
}

// Name returns the container's name.
func (s *Sequential) Name() string { return s.name }

// Layers returns the layers in order.
func (s *Sequential) Layers() []Layer { return append([]Layer(nil), s.layers...) }

// Forward applies every layer in turn.
func (s *Sequential) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	y, _, err := s.Trace(b, x)
	return y, err
}

// Traced is one layer's output in a [Sequential.Trace].
type Traced struct {
	Layer Layer
	Out   *G.Node
}

// Trace is Forward that also returns every layer's output node, for summaries
// and for inspecting hidden activations.
func (s *Sequential) Trace(b *graph.Builder, x *G.Node) (*G.Node, []Traced, error) {
	trace := make([]Traced, 0, len(s.layers))
	for _, l := range s.layers {
		var err error
		if x, err = l.Forward(b, x); err != nil {
			return nil, trace, errors.WithMessagef(err, "%s: layer %s", s.name, l.Name())
		}
		trace = append(trace, Traced{Layer: l, Out: x})
	}
	return x, trace, nil
}

// OutputShape returns the shape of a traced output.
func (t Traced) OutputShape() tensor.Shape { return t.Out.Shape() }
