package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// execNet is a two-layer ReLU net without biases, built from Gorgonia's own
// ops, with a squared-sum cost, compiled for
// training, over a batch of 5 inputs of 4 features.
type execNet struct {
	prog *Program
	b    *Builder
	x, y *G.Node
	xt   *tensor.Dense
}

func newExecNet(t *testing.T, seed uint64) *execNet {
	t.Helper()
	s, _ := NewStore(Float64)
	rng := rand.New(rand.NewPCG(seed, 1))
	w1 := must1(s.NewParam(ParamSpec{Name: "fc1/W", Role: Weight, Shape: tensor.Shape{4, 6}, Fan: Fan{In: 4, Out: 6}, Init: TorchDefault}, rng))
	w2 := must1(s.NewParam(ParamSpec{Name: "fc2/W", Role: Weight, Shape: tensor.Shape{6, 3}, Fan: Fan{In: 6, Out: 3}, Init: TorchDefault}, rng))
	b := NewBuilder(s, Train, nil)
	x, xt := b.Input("x", 5, 4)
	w1n, w2n := must1(b.Var(w1)), must1(b.Var(w2))
	y := G.Must(G.Mul(G.Must(G.Rectify(G.Must(G.Mul(x, w1n)))), w2n))
	p, err := Compile(b, G.Must(G.Sum(G.Must(G.Square(y)))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &execNet{prog: p, b: b, x: x, y: y, xt: xt}
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// outputs returns copies of y and every gradient after one run.
func (n *execNet) outputs(t *testing.T) [][]float64 {
	t.Helper()
	if err := n.prog.Run(); err != nil {
		t.Fatal(err)
	}
	out := [][]float64{slices.Clone(n.y.Value().(*tensor.Dense).Float64s())}
	for i := range n.prog.Params() {
		g, err := n.prog.Grad(i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, slices.Clone(g.Float64s()))
	}
	return out
}

// TestExecutorReusesTensors runs one program on three batches and checks
// each result against a program compiled fresh for that batch alone: the
// tensors the executor hands back to the ops must not leak one run's values
// into the next. Most nodes must keep their tensor from run to run.
func TestExecutorReusesTensors(t *testing.T) {
	reused := newExecNet(t, 7)
	first := map[*G.Node]G.Value{}
	for k := range 3 {
		in := randDense(uint64(10+k), 5, 4).Float64s()
		copy(reused.xt.Float64s(), in)
		got := reused.outputs(t)
		same := 0
		for _, s := range reused.prog.exec.steps {
			if k == 0 {
				first[s.node] = s.node.Value()
			} else if s.node.Value() == first[s.node] {
				same++
			}
		}
		if k > 0 && 2*same < len(reused.prog.exec.steps) {
			t.Errorf("run %d: only %d of %d nodes kept their tensor", k, same, len(reused.prog.exec.steps))
		}
		fresh := newExecNet(t, 7)
		copy(fresh.xt.Float64s(), in)
		want := fresh.outputs(t)
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("run %d, output %d: %v after reuse, %v fresh", k, i, got[i], want[i])
			}
		}
	}
}

// TestExecutorSkipsDeadGradients checks that the gradient with respect to
// the input batch, which Gorgonia's Grad builds but nothing reads, is not
// computed, while the output is.
func TestExecutorSkipsDeadGradients(t *testing.T) {
	n := newExecNet(t, 3)
	if err := n.prog.Run(); err != nil {
		t.Fatal(err)
	}
	run := map[*G.Node]bool{}
	for _, s := range n.prog.exec.steps {
		run[s.node] = true
	}
	if !run[n.y] {
		t.Error("the output node was not run")
	}
	// The only op node of the input's shape is Gorgonia's gradient with
	// respect to it (x·W's other derivative).
	dead := 0
	for _, node := range n.b.Graph().AllNodes() {
		if node == n.x || node.Op() == nil || !node.Shape().Eq(n.x.Shape()) {
			continue
		}
		dead++
		if run[node] {
			t.Errorf("the gradient with respect to the input (%v) was computed", node)
		}
	}
	if dead == 0 {
		t.Fatal("Grad built no gradient with respect to the input: the test checks nothing")
	}
	if len(run) == 0 || len(run) >= len(n.b.Graph().AllNodes()) {
		t.Errorf("%d of %d nodes run", len(run), len(n.b.Graph().AllNodes()))
	}
}

func TestProgramRunAfterClose(t *testing.T) {
	n := newExecNet(t, 3)
	n.prog.Close()
	if err := n.prog.Run(); err == nil {
		t.Error("Run after Close: no error")
	}
}

// randDense returns a float64 tensor of N(0,1) values from a seeded source.
func randDense(seed uint64, shape ...int) *tensor.Dense {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, tensor.Shape(shape).TotalSize())
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}
