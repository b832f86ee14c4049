package graph

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// skipNet is a ReLU net with a skip connection, built from Gorgonia's own
// ops over a batch of 8 inputs of 16 features:
//
//	h1 = relu(x·W1), h2 = relu(h1·W2), h3 = relu(h2·W3), out = h3 + h1
//
// h1 is read again after h2 and h3, which have its size: a planner that
// let h1's memory go after its first reader would hand it to h2 or h3 and
// change out. mid (h2) is an intermediate node a caller may ask to keep.
type skipNet struct {
	prog     *Program
	xt       *tensor.Dense
	out, mid *G.Node
}

func newSkipNet(t *testing.T, train, share, keepMid bool, arena *Arena) *skipNet {
	t.Helper()
	s, _ := NewStore(Float64)
	rng := rand.New(rand.NewPCG(5, 1))
	var ws []*G.Node
	mode := Eval
	if train {
		mode = Train
	}
	b := NewBuilder(s, mode, nil)
	for _, name := range []string{"fc1/W", "fc2/W", "fc3/W"} {
		v := must1(s.NewParam(ParamSpec{Name: name, Role: Weight, Shape: tensor.Shape{16, 16}, Fan: Fan{In: 16, Out: 16}, Init: TorchDefault}, rng))
		ws = append(ws, must1(b.Var(v)))
	}
	x, xt := b.Input("x", 8, 16)
	h1 := G.Must(G.Rectify(G.Must(G.Mul(x, ws[0]))))
	h2 := G.Must(G.Rectify(G.Must(G.Mul(h1, ws[1]))))
	h3 := G.Must(G.Rectify(G.Must(G.Mul(h2, ws[2]))))
	out := G.Must(G.Add(h3, h1))
	var cost *G.Node
	if train {
		cost = G.Must(G.Sum(G.Must(G.Square(out))))
	}
	opts := CompileOptions{ShareBuffers: share, Arena: arena}
	if keepMid {
		opts.Keep = []*G.Node{h2}
	}
	// Every node shares, however small (Compile's threshold would leave
	// this net's nodes alone).
	p, err := compile(b, cost, opts, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &skipNet{prog: p, xt: xt, out: out, mid: h2}
}

// values runs the net on input seed k and returns copies of out, mid and
// every gradient.
func (n *skipNet) values(t *testing.T, k uint64) [][]float64 {
	t.Helper()
	copy(n.xt.Float64s(), randDense(20+k, 8, 16).Float64s())
	if err := n.prog.Run(); err != nil {
		t.Fatal(err)
	}
	vals := [][]float64{
		slices.Clone(n.out.Value().(*tensor.Dense).Float64s()),
		slices.Clone(n.mid.Value().(*tensor.Dense).Float64s()),
	}
	for i := range n.prog.Params() {
		g, err := n.prog.Grad(i)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, slices.Clone(g.Float64s()))
	}
	return vals
}

// TestShareBuffersSameBits runs the skip net with and without shared
// buffers, in training (gradients) and evaluation, on three inputs: the
// output, the kept intermediate and the gradients must be the same bits,
// and the plan must actually share (fewer buffers than sharing nodes).
func TestShareBuffersSameBits(t *testing.T) {
	for _, train := range []bool{false, true} {
		t.Run(map[bool]string{false: "eval", true: "train"}[train], func(t *testing.T) {
			own := newSkipNet(t, train, false, true, nil)
			shared := newSkipNet(t, train, true, true, nil)
			for k := range uint64(3) {
				want, got := own.values(t, k), shared.values(t, k)
				for i := range want {
					if !slices.Equal(got[i], want[i]) {
						t.Fatalf("run %d, value %d: %v with shared buffers, %v without", k, i, got[i], want[i])
					}
				}
			}
			sharing := 0
			for _, s := range shared.prog.exec.steps {
				if s.buf >= 0 {
					sharing++
				}
			}
			if sharing == 0 || len(shared.prog.exec.bufs) >= sharing {
				t.Errorf("%d nodes in %d buffers: nothing shared", sharing, len(shared.prog.exec.bufs))
			}
			checkPlan(t, shared.prog, []*G.Node{shared.mid})
		})
	}
}

// TestShareBuffersEvalChain checks that an evaluation graph without a
// kept intermediate runs its ten equal-sized nodes in four buffers.
// Gorgonia's Rectify is x ⊙ (x ≥ 0): while a ReLU runs, its input, its
// mask and its output are live, and h1 lives until out reads it.
func TestShareBuffersEvalChain(t *testing.T) {
	n := newSkipNet(t, false, true, false, nil)
	n.values(t, 0)
	checkPlan(t, n.prog, nil)
	if got := len(n.prog.exec.bufs); got != 4 {
		t.Errorf("%d buffers for the skip net, want 4", got)
	}
}

// TestArenaSharedByPrograms runs an evaluation and a training program on
// one arena, alternately: each run's values must be those of the same
// program on its own memory, although the training program, compiled
// after the evaluation program had run, makes the arena's memory anew. The
// arena holds the larger program's buffers, not both.
func TestArenaSharedByPrograms(t *testing.T) {
	arena := new(Arena)
	evalOwn, trainOwn := newSkipNet(t, false, false, true, nil), newSkipNet(t, true, false, true, nil)
	eval := newSkipNet(t, false, true, true, arena)
	eval.values(t, 0)
	train := newSkipNet(t, true, true, true, arena)
	for k := range uint64(4) {
		own, shared := evalOwn, eval
		if k%2 == 0 {
			own, shared = trainOwn, train
		}
		want, got := own.values(t, k), shared.values(t, k)
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("run %d, value %d: %v on the arena, %v on the program's own memory", k, i, got[i], want[i])
			}
		}
	}
	size := func(n *skipNet) int {
		total := 0
		for _, b := range n.prog.exec.bufs {
			total += b.n
		}
		return total
	}
	if got, want := len(arena.f64), max(size(eval), size(train)); got != want {
		t.Errorf("arena of %d elements, want %d (the larger program's)", got, want)
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(arena.f64)))
	hi := lo + uintptr(len(arena.f64))*8
	for _, n := range []*skipNet{eval, train} {
		for _, s := range n.prog.exec.steps {
			if s.buf < 0 {
				continue
			}
			if v := s.node.Value(); v.Uintptr() < lo || v.Uintptr()+v.MemSize() > hi {
				t.Errorf("%s lies outside the arena", s.node.Name())
			}
		}
	}
}

// checkPlan checks, independently of the planner, that no node's memory
// is handed to another node while the first one's value can still be
// read: by a later step (directly, or through a node that may be a view
// of it: one whose op writes no buffer of its own), or after the run (the
// program's outputs, gradients and kept nodes).
func checkPlan(t *testing.T, p *Program, keep []*G.Node) {
	t.Helper()
	e := p.exec
	kept := map[*G.Node]bool{}
	for _, n := range append(append(forwardRoots(p.b.g), p.grads...), keep...) {
		kept[n] = true
	}
	const forever = int(^uint(0) >> 1)
	// end[i]: the last step that can read step i's memory.
	end := make([]int, len(e.steps))
	for i := len(e.steps) - 1; i >= 0; i-- {
		end[i] = i
		if kept[e.steps[i].node] {
			end[i] = forever
		}
		for j := i + 1; j < len(e.steps); j++ {
			if !slices.Contains(e.steps[j].args, e.steps[i].node) {
				continue
			}
			end[i] = max(end[i], j)
			if e.steps[j].buf < 0 {
				end[i] = max(end[i], end[j]) // j may be a view of i
			}
		}
	}
	for j, s := range e.steps {
		if s.buf < 0 {
			continue
		}
		for i := range j {
			if e.steps[i].buf == s.buf && end[i] >= j {
				t.Errorf("%s (step %d) writes into the memory of %s (step %d), which is read until step %d",
					s.node.Name(), j, e.steps[i].node.Name(), i, end[i])
			}
		}
		if want := s.node.Shape().TotalSize(); e.bufs[s.buf].n < want {
			t.Errorf("%s: buffer of %d elements for %d", s.node.Name(), e.bufs[s.buf].n, want)
		}
	}
}
