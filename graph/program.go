package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Program is a builder's graph compiled for Gorgonia's TapeMachine, with the
// builder's hooks. A training program also holds the symbolic gradient of its
// cost with respect to every parameter the graph uses.
type Program struct {
	b     *Builder
	vm    G.VM
	vars  []*Var
	nodes []*G.Node
}

// Compile compiles the builder's graph. If cost is non-nil, Compile first
// adds the symbolic gradient of cost with respect to every parameter the graph
// uses (in the store's order); read them with [Program.Grad] after a run.
// Nothing may be added to the builder afterwards.
func Compile(b *Builder, cost *G.Node) (*Program, error) {
	p := &Program{b: b}
	if cost == nil {
		p.vm = G.NewTapeMachine(b.g)
		return p, nil
	}
	if !cost.Shape().IsScalar() && cost.Shape().TotalSize() != 1 {
		return nil, errors.Wrapf(ErrShape, "compile: cost has shape %v, want a scalar", cost.Shape())
	}
	p.vars, p.nodes = b.Params()
	if len(p.nodes) == 0 {
		return nil, errors.Wrap(ErrConfig, "compile: the graph uses no parameters to differentiate")
	}
	if _, err := G.Grad(cost, p.nodes...); err != nil {
		return nil, errors.Wrap(err, "graph: symbolic differentiation")
	}
	p.vm = G.NewTapeMachine(b.g, G.BindDualValues(p.nodes...))
	return p, nil
}

// Builder returns the builder the program was compiled from.
func (p *Program) Builder() *Builder { return p.b }

// Run runs the builder's BeforeRun hooks (dropout draws its masks), the graph,
// then the AfterRun hooks (BatchNorm updates its running buffers). Inputs are
// read from their tensors as they are when Run is called.
//
// Gorgonia's TapeMachine adds each run's gradients to the parameters' bound
// gradient tensors (its own solvers zero them after each step); Run zeroes
// them first, so every run's gradients are its own.
func (p *Program) Run() error {
	p.vm.Reset()
	for i, n := range p.nodes {
		g, err := n.Grad()
		if err != nil {
			return errors.Wrapf(err, "graph: gradient of %s", p.vars[i].name)
		}
		if d, ok := g.(*tensor.Dense); ok {
			d.Zero()
		}
	}
	if err := runHooks(p.b.before); err != nil {
		return err
	}
	if err := p.vm.RunAll(); err != nil {
		// Gorgonia wraps op errors in a type with Err() but no Unwrap;
		// unwrap it so errors.Is sees this package's sentinels.
		var wrapped interface{ Err() error }
		if errors.As(err, &wrapped) && wrapped.Err() != nil {
			err = wrapped.Err()
		}
		return errors.WithMessage(err, "graph: run")
	}
	return runHooks(p.b.after)
}

// Params returns the parameters that [Program.Grad] indexes, in store order.
func (p *Program) Params() []*Var { return p.vars }

// Grad returns the gradient of the cost with respect to Params()[i] from the
// last run. The tensor belongs to the program; read it before the next run.
func (p *Program) Grad(i int) (*tensor.Dense, error) {
	if i < 0 || i >= len(p.nodes) {
		return nil, errors.Errorf("graph: gradient %d of %d", i, len(p.nodes))
	}
	g, err := p.nodes[i].Grad()
	if err != nil {
		return nil, errors.Wrapf(err, "graph: gradient of %s", p.vars[i].name)
	}
	d, ok := g.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("graph: gradient of %s is %T, not a dense tensor", p.vars[i].name, g)
	}
	return d, nil
}

// Close releases the machine.
func (p *Program) Close() error { return p.vm.Close() }
