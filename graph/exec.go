package graph

import (
	"sort"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// executor runs the nodes a program needs, in dependency order, and keeps
// each node's output tensor from one run to the next.
//
// It replaces Gorgonia's TapeMachine for three reasons, each measured in
// bench/PROFILE.md:
//   - The TapeMachine runs every node of the graph, including gradient nodes
//     nothing reads (the gradient with respect to the input images, the
//     gradient with respect to a ReLU's mask). The executor runs only the
//     nodes its roots depend on.
//   - TapeMachine.Reset drops every register, so each run allocates all
//     intermediate tensors again. The executor hands each node's previous
//     output back to its op through gorgonia's UsePreallocDoer, so a step
//     allocates only in ops that cannot reuse.
//   - It never runs an op in place on its input (Gorgonia's UnsafeDo), so a
//     node's Value after a run is its forward value (unless another node
//     has taken its memory since, with shared buffers).
//   - With shared buffers (CompileOptions.ShareBuffers, share.go), a node
//     whose readers have all run hands its memory to a later node, so an
//     evaluation graph holds a few activations instead of all of them.
//
// Values are bound to the nodes with gorgonia.UnsafeLet, so node.Value()
// reads them as before. Statement nodes (gorgonia.Read) are not run: read
// node.Value() after Program.Run instead.
type executor struct {
	steps []step
	// With shared buffers (share.go): the plan's buffers, the arena that
	// holds them and the arena's generation the steps' tensors were made in.
	bufs  []sharedBuf
	arena *Arena
	gen   int
}

// step is one op node with its inputs and its last output.
type step struct {
	node *G.Node
	op   G.Op
	args []*G.Node
	in   []G.Value
	// out is the node's output from the previous run when the executor may
	// overwrite it: a tensor the op made, not a view of one of its inputs.
	out G.Value
	// buf is the index of the step's shared buffer in executor.bufs, or -1;
	// shared is the node's tensor over it (share.go).
	buf    int
	shared *tensor.Dense
}

// newExecutor orders the op nodes of g that roots depend on so that every
// node comes after its children. The order is a depth-first post-order from
// the roots taken in the given order, so it is the same on every build.
func newExecutor(g *G.ExprGraph, roots []*G.Node) (*executor, error) {
	e := &executor{}
	seen := make(map[int64]bool)
	var visit func(n *G.Node) error
	visit = func(n *G.Node) error {
		if seen[n.ID()] {
			return nil
		}
		seen[n.ID()] = true
		args := children(g, n)
		for _, c := range args {
			if err := visit(c); err != nil {
				return err
			}
		}
		if len(args) == 0 {
			if n.Value() == nil {
				return errors.Wrapf(ErrConfig, "compile: input node %s has no value", n.Name())
			}
			return nil
		}
		e.steps = append(e.steps, step{node: n, op: n.Op(), args: args, in: make([]G.Value, len(args)), buf: -1})
		return nil
	}
	for _, r := range roots {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// children returns n's inputs in argument order.
func children(g *G.ExprGraph, n *G.Node) []*G.Node {
	var out []*G.Node
	it := g.From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}

// forwardRoots returns the nodes of g that no other node reads, in ID order,
// skipping statements (gorgonia.Read), which have no type.
func forwardRoots(g *G.ExprGraph) []*G.Node {
	stmt := func(n *G.Node) bool { return n.Op() != nil && n.Op().Type() == nil }
	read := make(map[int64]bool)
	for _, n := range g.AllNodes() {
		if stmt(n) {
			continue
		}
		for _, c := range children(g, n) {
			read[c.ID()] = true
		}
	}
	var roots []*G.Node
	for _, n := range g.AllNodes() {
		if !read[n.ID()] && !stmt(n) {
			roots = append(roots, n)
		}
	}
	sort.Slice(roots, func(i, j int) bool { return roots[i].ID() < roots[j].ID() })
	return roots
}

// run computes every step once, from the inputs' current values.
func (e *executor) run() error {
	e.claim()
	for i := range e.steps {
		s := &e.steps[i]
		for j, a := range s.args {
			if s.in[j] = a.Value(); s.in[j] == nil {
				return errors.Errorf("graph: %s: input %s has no value", s.node.Name(), a.Name())
			}
		}
		var v G.Value
		planned := s.buf >= 0
		if planned {
			v = e.runShared(s)
		}
		if pd, ok := s.op.(G.UsePreallocDoer); ok && v == nil && s.out != nil {
			// An op that cannot reuse this tensor says so with an error;
			// Do below then makes a new one.
			if r, err := pd.UsePreallocDo(s.out, s.in...); err == nil {
				v = r
			}
		}
		if v == nil {
			var err error
			if v, err = s.op.Do(s.in...); err != nil {
				return errors.Wrapf(err, "graph: %s", s.node.Name())
			}
			if v == nil {
				return errors.Errorf("graph: %s: op %v returned no value", s.node.Name(), s.op)
			}
		}
		// A reused tensor is still bound to the node: binding it again
		// would only repeat UnsafeLet's shape check (and its allocation).
		if s.node.Value() != v {
			if err := G.UnsafeLet(s.node, v); err != nil {
				return errors.Wrapf(err, "graph: %s", s.node.Name())
			}
		}
		s.out = nil
		if !overlapsAny(v, s.in) {
			s.out = v
		} else if planned {
			// The plan let the inputs' buffers go when this step ran.
			return errors.Errorf("graph: %s: op %v returned a view of its input, not a tensor of its own", s.node.Name(), s.op)
		}
		clear(s.in)
	}
	return nil
}

// runShared runs step s into its shared buffer. If the op does not write
// there, the step leaves the plan for good: runShared returns the tensor the
// op made instead, or nil after an error (run then calls Do).
func (e *executor) runShared(s *step) G.Value {
	out := e.sharedOut(s)
	v, err := s.op.(G.UsePreallocDoer).UsePreallocDo(out, s.in...)
	if err == nil && v == out {
		return v
	}
	s.buf, s.shared = -1, nil
	if err != nil {
		return nil
	}
	return v
}

// overlapsAny reports whether v's memory overlaps that of any of vs.
func overlapsAny(v G.Value, vs []G.Value) bool {
	lo, hi := v.Uintptr(), v.Uintptr()+v.MemSize()
	for _, w := range vs {
		wlo, whi := w.Uintptr(), w.Uintptr()+w.MemSize()
		if lo < whi && wlo < hi || lo == wlo {
			return true
		}
	}
	return false
}
