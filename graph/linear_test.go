package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestBiasAddGradients(t *testing.T) {
	for _, shape := range [][]int{{4, 3}, {2, 3, 4, 5}} {
		x := randDense(3, shape...)
		b := randDense(4, shape[1])
		checkGrad(t, func(g *G.ExprGraph, in []*G.Node) (*G.Node, error) {
			return biasAdd(in[0], in[1])
		}, []*tensor.Dense{x, b}, nil)
	}
}

func TestLinearGradients(t *testing.T) {
	for _, noBias := range []bool{false, true} {
		s, _ := NewStore(Float64)
		l, err := NewLinear(s, "fc", 5, 3, LinearConfig{NoBias: noBias}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		inputs := []*tensor.Dense{randDense(5, 4, 5), l.W.Value()}
		if !noBias {
			inputs = append(inputs, l.B.Value())
		}
		checkGrad(t, func(g *G.ExprGraph, in []*G.Node) (*G.Node, error) {
			b := &Builder{g: g, store: s, nodes: map[*Var]*G.Node{l.W: in[1]}, names: map[string]int{}}
			if !noBias {
				b.nodes[l.B] = in[2]
			}
			return l.Forward(b, in[0])
		}, inputs, nil)
	}
}

func TestLinearRejectsBadInput(t *testing.T) {
	s, _ := NewStore(Float32)
	if _, err := NewLinear(s, "fc", 0, 3, LinearConfig{}, nil); err == nil {
		t.Fatal("zero-size layer accepted")
	}
	l, err := NewLinear(s, "fc", 5, 3, LinearConfig{}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder(s, Train, nil)
	x, _ := b.Input("x", 2, 4)
	if _, err := l.Forward(b, x); err == nil {
		t.Fatal("(2,4) input accepted by a 5→3 layer")
	}
}

// TestProgramGradientsDoNotAccumulate runs a training program twice on the
// same input: the gradients must be equal (Gorgonia's LispMachine accumulates
// them across runs; the TapeMachine must not).
func TestProgramGradientsDoNotAccumulate(t *testing.T) {
	s, _ := NewStore(Float64)
	l, err := NewLinear(s, "fc", 3, 2, LinearConfig{}, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder(s, Train, nil)
	x, xt := b.Input("x", 4, 3)
	copy(xt.Float64s(), randDense(8, 4, 3).Float64s())
	y, err := l.Forward(b, x)
	if err != nil {
		t.Fatal(err)
	}
	cost := G.Must(G.Sum(G.Must(G.Square(y))))
	p, err := Compile(b, cost)
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
		for _, dt := range []tensor.Dtype{Float64, Float32} {
			t.Run(fmt.Sprintf("%s/%v", name, dt), func(t *testing.T) {
				tol := 1e-5
				if dt == Float32 {
					tol = 1e-4
				}
				x := loadGolden(t, "layers", name, "x")
				w := loadGolden(t, "layers", name, "W")
				s, _ := NewStore(dt)
				l, err := NewLinear(s, "fc", w.Shape()[0], w.Shape()[1], LinearConfig{NoBias: name == "linear_nobias"}, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				copyFloat(l.W.Value(), w.Float64s())
				if l.B != nil {
					copyFloat(l.B.Value(), loadGolden(t, "layers", name, "b").Float64s())
				}
				b := NewBuilder(s, Train, nil)
				xn, xt := b.Input("x", x.Shape()...)
				copyFloat(xt, x.Float64s())
				gy, gyt := b.Input("gy", x.Shape()[0], w.Shape()[1])
				copyFloat(gyt, loadGolden(t, "layers", name, "gy").Float64s())
				y, err := l.Forward(b, xn)
				if err != nil {
					t.Fatal(err)
				}
				p, err := Compile(b, G.Must(G.Sum(G.Must(G.HadamardProd(y, gy)))))
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if err := p.Run(); err != nil {
					t.Fatal(err)
				}
				if e := lpMaxRel(floats(y.Value().(*tensor.Dense)), loadGolden(t, "layers", name, "y").Float64s()); e > tol {
					t.Errorf("y: deviation %.3g", e)
				}
				for i, fixture := range []string{"gW", "gb"}[:len(p.Params())] {
					g, _ := p.Grad(i)
					if e := lpMaxRel(floats(g), loadGolden(t, "layers", name, fixture).Float64s()); e > tol {
						t.Errorf("%s: deviation %.3g", fixture, e)
					}
				}
			})
		}
	}
}
