package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
)

// Sequential applies its layers in order.
//
// A Sequential made by [NewModel] also owns the [graph.Store] its layers
// were declared in and knows its input shape, so it is a model the trainer
// takes as it is (training.Model: Store, Forward, InputShape); it is also a
// [graph.Regularized] model, whose penalties (such as regularizers.L2) and
// post-steps (such as regularizers.MaxNorm) training.Fit applies with no
// caller code.
type Sequential struct {
	name      string
	layers    []Layer
	store     *graph.Store
	input     []int
	penalties []graph.Penalty
	post      []graph.PostStep
}

var (
	_ Layer             = (*Sequential)(nil)
	_ graph.Regularized = (*Sequential)(nil)
)

// NewSequential returns the composition of layers, applied first to last.
// Layer names must be distinct; Forward refuses a duplicate.
func NewSequential(name string, layers ...Layer) *Sequential {
	return &Sequential{name: name, layers: layers}
}

// Input returns the shape of one input sample (no batch axis), for
// [NewModel]: Input(784) for flat MNIST images, Input(1, 28, 28) for a
// convnet.
func Input(sample ...int) []int { return sample }

// NewModel builds specs in order into a new store of dtype dt (graph.Float32
// or graph.Float64) for inputs of one-sample shape input, drawing the
// initial weights from rng in layer order. Each layer's input size is the
// output shape of the layer before it; an unnamed layer is named after its
// kind and its place among the layers of that kind ("dense1", "bn1",
// "dense2", …). The one error returned names the offending layer; a
// duplicate name is an error.
//
// The result is a model (see [Sequential]): train it with training.Fit and
// attach regularizers with [Sequential.AddPenalties] and
// [Sequential.AddPostSteps].
func NewModel(dt tensor.Dtype, input []int, rng *rand.Rand, specs ...Spec) (*Sequential, error) {
	store, err := graph.NewStore(dt)
	if err != nil {
		return nil, errors.WithMessage(err, "nn: model")
	}
	if len(input) == 0 || slices.ContainsFunc(input, func(d int) bool { return d <= 0 }) {
		return nil, errors.Wrapf(graph.ErrShape, "nn: model: input shape %v", input)
	}
	if rng == nil {
		return nil, errors.Wrap(graph.ErrNoRand, "nn: model: the initial weights need a *rand.Rand")
	}
	m := &Sequential{name: "sequential", store: store, input: slices.Clone(input)}
	count := map[string]int{}
	seen := map[string]int{}
	shape := slices.Clone(input)
	for i, sp := range specs {
		if sp == nil {
			return nil, errors.Wrapf(graph.ErrConfig, "nn: model: layer %d is nil", i+1)
		}
		name := ""
		if n, ok := sp.(named); ok {
			name, sp = n.name, n.Spec
		} else if l, ok := sp.(Layer); ok {
			name = l.Name()
		}
		count[sp.Kind()]++
		if name == "" {
			name = fmt.Sprintf("%s%d", sp.Kind(), count[sp.Kind()])
		}
		if j, dup := seen[name]; dup {
			return nil, errors.Wrapf(graph.ErrDuplicateName, "nn: model: layer %d (%s): name used by layer %d", i+1, name, j)
		}
		seen[name] = i + 1
		l, err := sp.Build(store, name, shape, rng)
		if err == nil {
			shape, err = outputShape(store, l, shape)
		}
		if err != nil {
			return nil, errors.WithMessagef(err, "nn: model: layer %d (%s)", i+1, name)
		}
		m.layers = append(m.layers, l)
	}
	return m, nil
}

// outputShape returns l's one-sample output shape for one-sample input
// shape in, from the shapes Gorgonia infers for a batch of one in an
// evaluation graph.
func outputShape(s *graph.Store, l Layer, in []int) ([]int, error) {
	b := graph.NewBuilder(s, graph.Eval, nil)
	x, _ := b.Input("x", append([]int{1}, in...)...)
	y, err := l.Forward(b, x)
	if err != nil {
		return nil, err
	}
	return slices.Clone(y.Shape()[1:]), nil
}

// Name returns the container's name.
func (s *Sequential) Name() string { return s.name }

// Layers returns the layers in order.
func (s *Sequential) Layers() []Layer { return append([]Layer(nil), s.layers...) }

// Store returns the store of a model made by [NewModel] (nil for one made
// by [NewSequential], whose layers were declared in the caller's store).
func (s *Sequential) Store() *graph.Store { return s.store }

// InputShape returns the one-sample input shape of a model made by
// [NewModel] (nil for one made by [NewSequential]).
func (s *Sequential) InputShape() []int { return slices.Clone(s.input) }

// NumParams returns the number of trainable scalars in the store of a model
// made by [NewModel] (0 without a store).
func (s *Sequential) NumParams() int {
	if s.store == nil {
		return 0
	}
	return s.store.NumParams()
}

// AddPenalties appends terms to add to the training loss, such as
// regularizers.L2{Lambda: 1e-4}; training.Fit adds them in order.
func (s *Sequential) AddPenalties(p ...graph.Penalty) { s.penalties = append(s.penalties, p...) }

// AddPostSteps appends steps to run after every optimizer step, such as
// regularizers.MaxNorm{C: 3}; training.Fit runs them in order.
func (s *Sequential) AddPostSteps(p ...graph.PostStep) { s.post = append(s.post, p...) }

// Penalties returns the penalties added with [Sequential.AddPenalties].
func (s *Sequential) Penalties() []graph.Penalty { return slices.Clone(s.penalties) }

// PostSteps returns the post-steps added with [Sequential.AddPostSteps].
func (s *Sequential) PostSteps() []graph.PostStep { return slices.Clone(s.post) }

// Forward applies every layer in turn. For a model made by [NewModel], x
// must be (N, input shape…).
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
	if s.input != nil {
		if xs := x.Shape(); xs.Dims() != len(s.input)+1 || !slices.Equal(xs[1:], s.input) {
			return nil, nil, errors.Wrapf(graph.ErrShape, "%s: input %v, want (N, %v)", s.name, xs, s.input)
		}
	}
	seen := make(map[string]bool, len(s.layers))
	for _, l := range s.layers {
		if seen[l.Name()] {
			return nil, nil, errors.Wrapf(graph.ErrDuplicateName, "%s: two layers named %q", s.name, l.Name())
		}
		seen[l.Name()] = true
	}
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
