package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/models"
)

// TestExecutorMatchesTapeMachine builds every registry model at its default
// configuration (seed 1, float32, a batch of 4 images of uniform pixels)
// into one graph with its cross-entropy loss plus its penalties, and runs
// that graph twice: on zoo's executor (graph.Compile, what training uses)
// and on Gorgonia's TapeMachine. The logits, the loss and the gradient of
// every parameter must agree bit for bit, in every mode (train: batch
// statistics and dropout masks drawn by the executor's BeforeRun hook, which
// the TapeMachine then reads from the same mask tensors; eval; Monte-Carlo).
// Both run the same ops on the same inputs in the same dependency order, so
// no tolerance is needed. Before the TapeMachine runs, the executor's
// output tensors are overwritten with NaN, so a TapeMachine that computed
// nothing cannot pass.
func TestExecutorMatchesTapeMachine(t *testing.T) {
	const batch = 4
	for _, e := range models.List() {
		for _, mode := range []graph.Mode{graph.Train, graph.Eval, graph.MonteCarlo} {
			t.Run(fmt.Sprintf("%s/%v", e.Name, mode), func(t *testing.T) {
				m, err := e.Build(e.Recipe.Config, 1)
				if err != nil {
					t.Fatal(err)
				}
				var rng *rand.Rand
				if mode != graph.Eval {
					rng = rand.New(rand.NewPCG(2, 0))
				}
				b := graph.NewBuilder(m.Store(), mode, rng)
				x, xt := b.Input("x", append([]int{batch}, m.InputShape()...)...)
				labels, lt := b.Input("labels", batch)
				fill(xt, lt, 3)
				logits, err := m.Forward(b, x)
				if err != nil {
					t.Fatal(err)
				}
				loss, err := nn.CrossEntropy(logits, labels)
				if err != nil {
					t.Fatal(err)
				}
				if loss, err = graph.AddPenalties(b, loss, m.Penalties()...); err != nil {
					t.Fatal(err)
				}
				prog, err := graph.Compile(b, loss)
				if err != nil {
					t.Fatal(err)
				}
				defer prog.Close()
				if err := prog.Run(); err != nil {
					t.Fatal(err)
				}
				outs := []*G.Node{logits, loss}
				exec := make([][]uint64, 0, 2+len(prog.Params()))
				for _, n := range outs {
					exec = append(exec, bitsOf(n.Value()))
				}
				for i := range prog.Params() {
					g, err := prog.Grad(i)
					if err != nil {
						t.Fatal(err)
					}
					exec = append(exec, bitsOf(g))
				}
				poison(t, logits.Value(), loss.Value())
				for i := range prog.Params() {
					g, _ := prog.Grad(i)
					poison(t, g)
				}

				vm := G.NewTapeMachine(b.Graph())
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				names := []string{"logits", "loss"}
				tape := [][]uint64{bitsOf(logits.Value()), bitsOf(loss.Value())}
				for i, v := range prog.Params() {
					g, err := prog.Grad(i)
					if err != nil {
						t.Fatal(err)
					}
					names = append(names, "grad "+v.Name())
					tape = append(tape, bitsOf(g))
				}
				for i := range exec {
					if d := firstDiff(exec[i], tape[i]); d >= 0 {
						t.Errorf("%s: element %d of %d differs: executor %v, TapeMachine %v", names[i], d, len(exec[i]),
							math.Float32frombits(uint32(exec[i][d])), math.Float32frombits(uint32(tape[i][d])))
					}
				}
				t.Logf("%d values compared (logits, loss, %d gradients)", len(exec), len(prog.Params()))
			})
		}
	}
}

// fill sets x to uniform pixels in [0, 1) and the labels to classes 0…9
// from seed.
func fill(x, labels *tensor.Dense, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	xs := x.Data().([]float32)
	for i := range xs {
		xs[i] = rng.Float32()
	}
	ls := labels.Data().([]float32)
	for i := range ls {
		ls[i] = float32(rng.IntN(10))
	}
}

// bitsOf copies a float32 value's bit patterns.
func bitsOf(v G.Value) []uint64 {
	var out []uint64
	switch d := v.Data().(type) {
	case []float32:
		for _, f := range d {
			out = append(out, uint64(math.Float32bits(f)))
		}
	case float32:
		out = append(out, uint64(math.Float32bits(d)))
	}
	return out
}

// poison overwrites float32 values with NaN.
func poison(t *testing.T, vs ...G.Value) {
	t.Helper()
	for _, v := range vs {
		switch d := v.(type) {
		case *G.F32:
			*d = G.F32(math.NaN())
		case *tensor.Dense:
			if err := d.Memset(float32(math.NaN())); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("cannot poison %T", v)
		}
	}
}

// firstDiff returns the first index where a and b differ (−1 if none; a
// length mismatch differs at the shorter length).
func firstDiff(a, b []uint64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestSharedBuffersMatchOwn runs every registry model, in every mode, on
// two programs over the same store: one compiled with a tensor per node,
// one with shared buffers as package training compiles it (keeping the
// logits and the loss). At a batch of 32 the convolutions' and the hidden
// layers' nodes are large enough to share. Over two runs on different
// inputs, the logits, the loss and every gradient must be the same bits.
func TestSharedBuffersMatchOwn(t *testing.T) {
	const batch = 32
	for _, e := range models.List() {
		for _, mode := range []graph.Mode{graph.Train, graph.Eval, graph.MonteCarlo} {
			t.Run(fmt.Sprintf("%s/%v", e.Name, mode), func(t *testing.T) {
				m, err := e.Build(e.Recipe.Config, 1)
				if err != nil {
					t.Fatal(err)
				}
				type built struct {
					prog         *graph.Program
					xt, lt       *tensor.Dense
					logits, loss *G.Node
				}
				build := func(share bool) built {
					var rng *rand.Rand
					if mode != graph.Eval {
						rng = rand.New(rand.NewPCG(2, 0))
					}
					b := graph.NewBuilder(m.Store(), mode, rng)
					x, xt := b.Input("x", append([]int{batch}, m.InputShape()...)...)
					labels, lt := b.Input("labels", batch)
					logits, err := m.Forward(b, x)
					if err != nil {
						t.Fatal(err)
					}
					loss, err := nn.CrossEntropy(logits, labels)
					if err != nil {
						t.Fatal(err)
					}
					opts := graph.CompileOptions{ShareBuffers: share, Keep: []*G.Node{logits, loss}}
					prog, err := graph.CompileWith(b, loss, opts)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { prog.Close() })
					return built{prog, xt, lt, logits, loss}
				}
				own, shared := build(false), build(true)
				for run := range uint64(2) {
					var got [2][][]uint64
					for k, p := range []built{own, shared} {
						fill(p.xt, p.lt, 10+run)
						if err := p.prog.Run(); err != nil {
							t.Fatal(err)
						}
						got[k] = [][]uint64{bitsOf(p.logits.Value()), bitsOf(p.loss.Value())}
						for i := range p.prog.Params() {
							g, err := p.prog.Grad(i)
							if err != nil {
								t.Fatal(err)
							}
							got[k] = append(got[k], bitsOf(g))
						}
					}
					for i := range got[0] {
						if d := firstDiff(got[0][i], got[1][i]); d >= 0 {
							t.Fatalf("run %d, value %d (logits, loss, gradients): element %d differs", run, i, d)
						}
					}
				}
			})
		}
	}
}
