package graph

import (
	"fmt"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mode is the mode a graph is built in.
type Mode uint8

const (
	// Train builds the training graph: dropout samples masks, BatchNorm uses
	// batch statistics and updates its running buffers once per step.
	Train Mode = iota
	// Eval builds the evaluation graph: dropout is deterministic and BatchNorm
	// uses (and never changes) its running buffers.
	Eval
	// MonteCarlo builds an evaluation graph whose dropout layers keep sampling
	// masks as in training (Monte-Carlo dropout); everything else behaves as in
	// Eval. Averaging the outputs of k runs gives the MC estimate.
	MonteCarlo
)

func (m Mode) String() string {
	switch m {
	case Eval:
		return "eval"
	case MonteCarlo:
		return "montecarlo"
	}
	return "train"
}

// Training reports whether the mode is Train.
func (m Mode) Training() bool { return m == Train }

// Builder builds one Gorgonia graph from layers declared in a [Store]. Each
// store variable used by the graph becomes one node bound to the variable's
// tensor (not a copy). Stochastic layers draw from the builder's rng.
//
// Layers register hooks on the builder: BeforeRun hooks run before every
// forward pass (dropout draws fresh masks), AfterRun hooks after it
// (BatchNorm updates its running buffers). [Program.Run] calls them.
type Builder struct {
	g      *G.ExprGraph
	mode   Mode
	store  *Store
	rng    *rand.Rand
	nodes  map[*Var]*G.Node
	used   []*Var
	before []func() error
	after  []func() error
	names  map[string]int
}

// NewBuilder starts a graph in the given mode over the store's variables. rng
// feeds stochastic layers (dropout masks); it may be nil for a graph without
// any, and building a stochastic layer then fails with [ErrNoRand].
func NewBuilder(s *Store, mode Mode, rng *rand.Rand) *Builder {
	return &Builder{
		g: G.NewGraph(), mode: mode, store: s, rng: rng,
		nodes: map[*Var]*G.Node{}, names: map[string]int{},
	}
}

// Graph returns the Gorgonia graph being built.
func (b *Builder) Graph() *G.ExprGraph { return b.g }

// Mode returns the mode the graph is built in.
func (b *Builder) Mode() Mode { return b.mode }

// Store returns the store the graph's variables live in.
func (b *Builder) Store() *Store { return b.store }

// Dtype returns the store's dtype.
func (b *Builder) Dtype() tensor.Dtype { return b.store.dtype }

// Rand returns the builder's random source, or an error if it has none.
func (b *Builder) Rand() (*rand.Rand, error) {
	if b.rng == nil {
		return nil, ErrNoRand
	}
	return b.rng, nil
}

// Var returns the node bound to v's tensor in this graph, creating it on first
// use. Repeated calls return the same node.
func (b *Builder) Var(v *Var) (*G.Node, error) {
	if v.store != b.store {
		return nil, errors.Wrapf(ErrForeignVar, "%s", v.name)
	}
	if n, ok := b.nodes[v]; ok {
		return n, nil
	}
	n := G.NewTensor(b.g, v.value.Dtype(), v.value.Dims(),
		G.WithShape(v.value.Shape().Clone()...), G.WithName(v.name), G.WithValue(v.value))
	b.nodes[v] = n
	b.used = append(b.used, v)
	return n, nil
}

// Params returns the trainable variables this graph uses and their nodes, in
// the store's declaration order.
func (b *Builder) Params() ([]*Var, []*G.Node) {
	var vars []*Var
	var nodes []*G.Node
	for _, v := range b.store.vars {
		if n, ok := b.nodes[v]; ok && v.kind == Parameter {
			vars = append(vars, v)
			nodes = append(nodes, n)
		}
	}
	return vars, nodes
}

// Constant returns a node bound to a new tensor of the graph's dtype filled
// from vals (cast to the dtype). The caller may refill the tensor in place
// between runs; name is made unique within the graph.
func (b *Builder) Constant(name string, shape tensor.Shape, vals []float64) (*G.Node, *tensor.Dense) {
	t := tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(castSlice(b.Dtype(), vals)))
	n := G.NewTensor(b.g, b.Dtype(), len(shape), G.WithShape(shape.Clone()...), G.WithName(b.Unique(name)), G.WithValue(t))
	return n, t
}

// Input returns a placeholder node bound to a zero tensor of the given shape
// that the caller fills in place before each run.
func (b *Builder) Input(name string, shape ...int) (*G.Node, *tensor.Dense) {
	return b.Constant(name, tensor.Shape(shape), make([]float64, tensor.Shape(shape).TotalSize()))
}

// Unique returns name, or name with a numeric suffix if the graph already has
// a node of that name.
func (b *Builder) Unique(name string) string {
	k := b.names[name]
	b.names[name] = k + 1
	if k == 0 {
		return name
	}
	return fmt.Sprintf("%s#%d", name, k)
}

// BeforeRun registers f to run before every forward pass of the graph.
func (b *Builder) BeforeRun(f func() error) { b.before = append(b.before, f) }

// AfterRun registers f to run after every forward pass of the graph.
func (b *Builder) AfterRun(f func() error) { b.after = append(b.after, f) }

func runHooks(hooks []func() error) error {
	for _, f := range hooks {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}
