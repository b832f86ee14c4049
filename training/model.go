package training

import (
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
)

// Model is what the trainer trains: a store of parameters and buffers and a
// forward pass from a batch of inputs to class logits. models.Model
// implements it.
type Model interface {
	// Store holds the model's parameters and buffers.
	Store() *graph.Store
	// Forward maps inputs (N, InputShape()...) to logits (N, classes).
	Forward(b *graph.Builder, x *G.Node) (*G.Node, error)
	// InputShape is the shape of one sample, such as [784] or [1 28 28].
	InputShape() []int
}
