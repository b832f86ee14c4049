package nn

import (
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
)

// Layer is one step of a model. Its parameters are declared into a [Store]
// when the layer is constructed; Forward adds the layer's computation to the
// builder's graph, in the builder's mode.
type Layer interface {
	// Name is the layer's name, the prefix of its variables' names.
	Name() string
	// Forward returns the layer's output for input x.
	Forward(b *graph.Builder, x *G.Node) (*G.Node, error)
}
