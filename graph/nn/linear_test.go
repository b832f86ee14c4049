package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
	"github.com/gozoo/zoo/internal/zootest"
)

func TestBiasAddGradients(t *testing.T) {
	for _, shape := range [][]int{{4, 3}, {2, 3, 4, 5}} {
		x := zootest.RandDense(3, shape...)
		b := zootest.RandDense(4, shape[1])
		zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
			return ops.AddBias(in[0], in[1])
		}, []*tensor.Dense{x, b}, nil)
	}
}

func TestLinearGradients(t *testing.T) {
	for _, noBias := range []bool{false, true} {
		s, _ := graph.NewStore(graph.Float64)
		l, err := NewLinear(s, "fc", 5, 3, LinearConfig{NoBias: noBias}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		x := zootest.Param(t, s, "x", zootest.RandDense(5, 4, 5))
		zootest.CheckStoreGrad(t, s, zootest.Forward(x, l.Forward))
	}
}

func TestLinearRejectsBadInput(t *testing.T) {
	s, _ := graph.NewStore(graph.Float32)
	if _, err := NewLinear(s, "fc", 0, 3, LinearConfig{}, nil); err == nil {
		t.Fatal("zero-size layer accepted")
	}
	l, err := NewLinear(s, "fc", 5, 3, LinearConfig{}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	b := graph.NewBuilder(s, graph.Train, nil)
	x, _ := b.Input("x", 2, 4)
	if _, err := l.Forward(b, x); err == nil {
		t.Fatal("(2,4) input accepted by a 5→3 layer")
	}
}

// TestProgramGradientsDoNotAccumulate runs a training program twice on the
// same input: the gradients must be equal (Gorgonia's LispMachine accumulates
// them across runs; the TapeMachine must not).
func TestProgramGradientsDoNotAccumulate(t *testing.T) {
	s, _ := graph.NewStore(graph.Float64)
	l, err := NewLinear(s, "fc", 3, 2, LinearConfig{}, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b := graph.NewBuilder(s, graph.Train, nil)
	x, xt := b.Input("x", 4, 3)
	copy(xt.Float64s(), zootest.RandDense(8, 4, 3).Float64s())
	y, err := l.Forward(b, x)
	if err != nil {
		t.Fatal(err)
	}
	cost := G.Must(G.Sum(G.Must(G.Square(y))))
	p, err := graph.Compile(b, cost)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var first [][]float64
	for run := 0; run < 3; run++ {
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		for i := range p.Params() {
			g, err := p.Grad(i)
			if err != nil {
				t.Fatal(err)
			}
			if run == 0 {
				first = append(first, append([]float64(nil), g.Float64s()...))
				continue
			}
			for j, v := range g.Float64s() {
				if v != first[i][j] {
					t.Fatalf("run %d: gradient of %s changed: %v vs %v", run, p.Params()[i].Name(), g.Float64s(), first[i])
				}
			}
		}
	}
	if len(first) != 2 || p.Params()[0].Name() != "fc/W" || p.Params()[1].Name() != "fc/b" {
		t.Fatalf("params %v", p.Params())
	}
}

// TestLinearFollowsPyTorch compares the Linear layer's output and gradients
// with torch.nn.Linear (testdata/golden/layers/linear*, made by
// tools/golden/make_golden.py; W there is (in, out), torch's weight
// transposed, as in zoo).
func TestLinearFollowsPyTorch(t *testing.T) {
	for _, name := range []string{"linear", "linear_nobias"} {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%s/%v", name, dt), func(t *testing.T) {
				tol := 1e-5
				if dt == graph.Float32 {
					tol = 1e-4
				}
				x := zootest.LoadGolden(t, "layers", name, "x")
				w := zootest.LoadGolden(t, "layers", name, "W")
				s, _ := graph.NewStore(dt)
				l, err := NewLinear(s, "fc", w.Shape()[0], w.Shape()[1], LinearConfig{NoBias: name == "linear_nobias"}, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				copyFloat(l.W.Value(), w.Float64s())
				if l.B != nil {
					copyFloat(l.B.Value(), zootest.LoadGolden(t, "layers", name, "b").Float64s())
				}
				b := graph.NewBuilder(s, graph.Train, nil)
				xn, xt := b.Input("x", x.Shape()...)
				copyFloat(xt, x.Float64s())
				gy, gyt := b.Input("gy", x.Shape()[0], w.Shape()[1])
				copyFloat(gyt, zootest.LoadGolden(t, "layers", name, "gy").Float64s())
				y, err := l.Forward(b, xn)
				if err != nil {
					t.Fatal(err)
				}
				p, err := graph.Compile(b, G.Must(G.Sum(G.Must(G.HadamardProd(y, gy)))))
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if err := p.Run(); err != nil {
					t.Fatal(err)
				}
				if e := zootest.MaxRel(zootest.Floats(t, y.Value().(*tensor.Dense)), zootest.LoadGolden(t, "layers", name, "y").Float64s()); e > tol {
					t.Errorf("y: deviation %.3g", e)
				}
				for i, fixture := range []string{"gW", "gb"}[:len(p.Params())] {
					g, _ := p.Grad(i)
					if e := zootest.MaxRel(zootest.Floats(t, g), zootest.LoadGolden(t, "layers", name, fixture).Float64s()); e > tol {
						t.Errorf("%s: deviation %.3g", fixture, e)
					}
				}
			})
		}
	}
}
