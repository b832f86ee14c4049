package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Program is a builder's graph compiled for zoo's executor (exec.go), with
// the builder's hooks. A training program also holds the symbolic gradient
// of its cost with respect to every parameter the graph uses.
type Program struct {
	b     *Builder
	exec  *executor
	vars  []*Var
	grads []*G.Node
}

// CompileOptions configure [CompileWith]. The zero value compiles as
// [Compile] does: every node keeps its own output tensor.
type CompileOptions struct {
	// ShareBuffers lets nodes share output memory: once every node that
	// reads a value has run, its memory may hold the output of a later
	// node of the same dtype. An evaluation graph then needs a few
	// activations' worth of memory instead of one per layer. The values
	// are the same bits either way. After a run, only the values of the
	// outputs (the nodes nothing else reads), the gradients and the Keep
	// nodes are that run's; any other node's Value may hold another node's
	// result. Nodes of fewer than 16384 elements keep their own tensors.
	// Default false.
	ShareBuffers bool
	// Keep lists the nodes whose values the caller reads after a run, with
	// ShareBuffers. Their memory is never handed on.
	Keep []*G.Node
	// Arena, with ShareBuffers, holds the shared memory in common with the
	// other programs compiled with it, which then never run at the same
	// time (see [Arena]). Default nil: the program's own memory.
	Arena *Arena
}

// Compile compiles the builder's graph. If cost is non-nil, Compile first
// adds the symbolic gradient of cost with respect to every parameter the graph
// uses (in the store's order); read them with [Program.Grad] after a run.
// Nothing may be added to the builder afterwards.
//
// A run computes every node of the graph as built (the forward pass: the
// nodes nothing else reads and everything they read) and the parameters'
// gradients, but not the gradient nodes nothing needs (with respect to
// the inputs, say). Statement nodes (gorgonia.Read) are not run; read a
// node's Value after Run.
func Compile(b *Builder, cost *G.Node) (*Program, error) {
	return CompileWith(b, cost, CompileOptions{})
}

// CompileWith compiles the builder's graph as [Compile] does, with options.
func CompileWith(b *Builder, cost *G.Node, opts CompileOptions) (*Program, error) {
	return compile(b, cost, opts, minShared)
}

// compile is CompileWith with the least size of a node that shares memory.
func compile(b *Builder, cost *G.Node, opts CompileOptions, minShare int) (*Program, error) {
	p := &Program{b: b}
	roots := forwardRoots(b.g)
	if cost != nil {
		if !cost.Shape().IsScalar() && cost.Shape().TotalSize() != 1 {
			return nil, errors.Wrapf(ErrShape, "compile: cost has shape %v, want a scalar", cost.Shape())
		}
		var nodes []*G.Node
		p.vars, nodes = b.Params()
		if len(nodes) == 0 {
			return nil, errors.Wrap(ErrConfig, "compile: the graph uses no parameters to differentiate")
		}
		grads, err := G.Grad(cost, nodes...)
		if err != nil {
			return nil, errors.Wrap(err, "graph: symbolic differentiation")
		}
		p.grads = grads
		roots = append(roots, grads...)
	}
	var err error
	if p.exec, err = newExecutor(b.g, roots); err != nil {
		return nil, err
	}
	if opts.ShareBuffers {
		keep := make(map[int64]bool, len(roots)+len(opts.Keep))
		for _, n := range roots {
			keep[n.ID()] = true
		}
		for _, n := range opts.Keep {
			if n == nil || !inGraph(b.g, n) {
				return nil, errors.Wrapf(ErrConfig, "compile: kept node %v is not in the builder's graph", n)
			}
			keep[n.ID()] = true
		}
		arena := opts.Arena
		if arena == nil {
			arena = new(Arena)
		}
		p.exec.share(keep, minShare, arena)
	}
	return p, nil
}

// inGraph reports whether n is a node of g.
func inGraph(g *G.ExprGraph, n *G.Node) bool {
	m, ok := g.Node(n.ID()).(*G.Node)
	return ok && m == n
}

// Builder returns the builder the program was compiled from.
func (p *Program) Builder() *Builder { return p.b }

// Run runs the builder's BeforeRun hooks (dropout draws its masks), the graph,
// then the AfterRun hooks (BatchNorm updates its running buffers). Inputs are
// read from their tensors as they are when Run is called.
//
// Every node's value, gradients included, belongs to the program and is
// overwritten by the next run: copy what must outlive it.
func (p *Program) Run() error {
	if p.exec == nil {
		return errors.Wrap(ErrConfig, "run: the program is closed")
	}
	if err := runHooks(p.b.before); err != nil {
		return err
	}
	if err := p.exec.run(); err != nil {
		return errors.WithMessage(err, "graph: run")
	}
	return runHooks(p.b.after)
}

// Params returns the parameters that [Program.Grad] indexes, in store order.
func (p *Program) Params() []*Var { return p.vars }

// Grad returns the gradient of the cost with respect to Params()[i] from the
// last run. The tensor belongs to the program; read it before the next run.
func (p *Program) Grad(i int) (*tensor.Dense, error) {
	if i < 0 || i >= len(p.grads) {
		return nil, errors.Errorf("graph: gradient %d of %d", i, len(p.grads))
	}
	g := p.grads[i].Value()
	if g == nil {
		return nil, errors.Errorf("graph: gradient of %s: the program has not run", p.vars[i].name)
	}
	d, ok := g.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("graph: gradient of %s is %T, not a dense tensor", p.vars[i].name, g)
	}
	return d, nil
}

// Close releases the program's tensors to the garbage collector.
func (p *Program) Close() error {
	p.exec = nil
	return nil
}
