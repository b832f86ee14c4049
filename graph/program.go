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
	return p, nil
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
