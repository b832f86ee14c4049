package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// execNet is a two-layer ReLU net with a squared-sum cost, compiled for
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
	seq := NewSequential("net",
		must1(NewLinear(s, "fc1", 4, 6, LinearConfig{}, rng)),
		ReLU("relu"),
		must1(NewLinear(s, "fc2", 6, 3, LinearConfig{}, rng)),
	)
	b := NewBuilder(s, Train, nil)
	x, xt := b.Input("x", 5, 4)
	y, err := seq.Forward(b, x)
	if err != nil {
		t.Fatal(err)
	}
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
