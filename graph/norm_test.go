package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBatchNormLayerFollowsPyTorch drives the BatchNorm layer through
// compiled programs, as the trainer does: three training runs (the layer's
// AfterRun hook updates the running buffers once per run), then an
// evaluation run, which must use the buffers and leave them bit-identical.
// Expected values: testdata/golden/layers/batchnorm{1d,2d}, written by
// tools/golden/make_golden.py with PyTorch 1.13 (momentum 0.1, eps 1e-5).
func TestBatchNormLayerFollowsPyTorch(t *testing.T) {
	for _, name := range []string{"batchnorm1d", "batchnorm2d"} {
		for _, dt := range []tensor.Dtype{Float64, Float32} {
			t.Run(fmt.Sprintf("%s/%v", name, dt), func(t *testing.T) {
				tol := 1e-5
				if dt == Float32 {
					tol = 1e-4
				}
				gamma := loadGolden(t, "layers", name, "gamma")
				beta := loadGolden(t, "layers", name, "beta")
				x1 := loadGolden(t, "layers", name, "x1")
				s, _ := NewStore(dt)
				bn, err := NewBatchNorm(s, "bn", gamma.Shape()[0], BatchNormConfig{})
				if err != nil {
					t.Fatal(err)
				}
				copyFloat(bn.Gamma.Value(), gamma.Float64s())
				copyFloat(bn.Beta.Value(), beta.Float64s())

				train := NewBuilder(s, Train, nil)
				x, xt := train.Input("x", x1.Shape()...)
				y, err := bn.Forward(train, x)
				if err != nil {
					t.Fatal(err)
				}
				gy, gyt := train.Input("gy", x1.Shape()...)
				cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, gy))))
				tp, err := Compile(train, cost)
				if err != nil {
					t.Fatal(err)
				}
				defer tp.Close()
				for k := 1; k <= 3; k++ {
					copyFloat(xt, loadGolden(t, "layers", name, fmt.Sprintf("x%d", k)).Float64s())
					copyFloat(gyt, loadGolden(t, "layers", name, fmt.Sprintf("gy%d", k)).Float64s())
					if err := tp.Run(); err != nil {
						t.Fatal(err)
					}
					check := func(what string, got *tensor.Dense, fixture string) {
						want := loadGolden(t, "layers", name, fixture).Float64s()
						if e := lpMaxRel(floats(got), want); e > tol {
							t.Errorf("step %d %s: deviation %.3g > %g", k, what, e, tol)
						}
					}
					check("y", y.Value().(*tensor.Dense), fmt.Sprintf("y%d", k))
					check("running_mean", bn.Mean.Value(), fmt.Sprintf("running_mean%d", k))
					check("running_var", bn.Var.Value(), fmt.Sprintf("running_var%d", k))
					g0, _ := tp.Grad(0)
					check("dgamma", g0, fmt.Sprintf("ggamma%d", k))
				}

				before := append([]float64(nil), floats(bn.Mean.Value())...)
				before = append(before, floats(bn.Var.Value())...)
				xe := loadGolden(t, "layers", name, "x_eval")
				eval := NewBuilder(s, Eval, nil)
				ex, ext := eval.Input("x", xe.Shape()...)
				ey, err := bn.Forward(eval, ex)
				if err != nil {
					t.Fatal(err)
				}
				ep, err := Compile(eval, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer ep.Close()
				copyFloat(ext, xe.Float64s())
				for run := 0; run < 2; run++ {
					if err := ep.Run(); err != nil {
						t.Fatal(err)
					}
				}
				if e := lpMaxRel(floats(ey.Value().(*tensor.Dense)), loadGolden(t, "layers", name, "y_eval").Float64s()); e > tol {
					t.Errorf("eval y: deviation %.3g", e)
				}
				after := append(floats(bn.Mean.Value()), floats(bn.Var.Value())...)
				for i := range before {
					if math.Float64bits(before[i]) != math.Float64bits(after[i]) {
						t.Fatalf("evaluation changed the running buffers: %v → %v", before, after)
					}
				}
			})
		}
	}
}

// TestNormLayersGradients checks every normalisation layer, in train mode,
// with central differences with respect to the input and γ, β.
func TestNormLayersGradients(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		make  func(s *Store) (Layer, *Var, *Var, error)
	}{
		{"batchnorm-2d", []int{6, 4}, func(s *Store) (Layer, *Var, *Var, error) {
			l, err := NewBatchNorm(s, "bn", 4, BatchNormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"batchnorm-4d", []int{3, 2, 3, 3}, func(s *Store) (Layer, *Var, *Var, error) {
			l, err := NewBatchNorm(s, "bn", 2, BatchNormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"layernorm", []int{3, 5}, func(s *Store) (Layer, *Var, *Var, error) {
			l, err := NewLayerNorm(s, "ln", 5, NormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"groupnorm", []int{2, 4, 3, 3}, func(s *Store) (Layer, *Var, *Var, error) {
			l, err := NewGroupNorm(s, "gn", 4, 2, NormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"instancenorm", []int{2, 3, 2, 3}, func(s *Store) (Layer, *Var, *Var, error) {
			l, err := NewInstanceNorm(s, "in", 3, NormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := NewStore(Float64)
			l, gamma, beta, err := c.make(s)
			if err != nil {
				t.Fatal(err)
			}
			copy(gamma.Value().Float64s(), randDense(11, gamma.Shape()...).Float64s())
			copy(beta.Value().Float64s(), randDense(12, beta.Shape()...).Float64s())
			checkGrad(t, func(g *G.ExprGraph, in []*G.Node) (*G.Node, error) {
				b := &Builder{g: g, store: s, mode: Train, nodes: map[*Var]*G.Node{gamma: in[1], beta: in[2]}, names: map[string]int{}}
				return l.Forward(b, in[0])
			}, []*tensor.Dense{randDense(13, c.shape...), gamma.Value(), beta.Value()}, nil)
		})
	}
}

func TestConvAndPoolLayers(t *testing.T) {
	s, _ := NewStore(Float64)
	conv, err := NewConv2D(s, "conv", 2, 3, [2]int{3, 3}, Conv2DConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, randRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NewMaxPool2D("pool", [2]int{2, 2}, [2]int{}, [2]int{})
	if err != nil {
		t.Fatal(err)
	}
	avg, err := NewAvgPool2D("avg", [2]int{2, 2}, [2]int{1, 1}, [2]int{})
	if err != nil {
		t.Fatal(err)
	}
	net := NewSequential("net", conv, ReLU("relu"), avg, pool, NewFlatten("flat"))
	b := NewBuilder(s, Eval, nil)
	x, _ := b.Input("x", 2, 2, 9, 9)
	y, trace, err := net.Trace(b, x)
	if err != nil {
		t.Fatal(err)
	}
	// conv: ⌊(9+2−3)/2⌋+1 = 5; avg 2×2 stride 1: 4; max 2×2 stride 2: 2; flatten 3·2·2.
	want := []string{"(2, 3, 5, 5)", "(2, 3, 5, 5)", "(2, 3, 4, 4)", "(2, 3, 2, 2)", "(2, 12)"}
	for i, tr := range trace {
		if got := fmt.Sprint(tr.OutputShape()); got != want[i] {
			t.Errorf("layer %s: shape %s, want %s", tr.Layer.Name(), got, want[i])
		}
	}
	if y.Shape()[1] != 12 {
		t.Fatalf("output %v", y.Shape())
	}
	checkGrad(t, func(g *G.ExprGraph, in []*G.Node) (*G.Node, error) {
		b := &Builder{g: g, store: s, mode: Train, nodes: map[*Var]*G.Node{conv.W: in[1], conv.B: in[2]}, names: map[string]int{}}
		return conv.Forward(b, in[0])
	}, []*tensor.Dense{randDense(3, 2, 2, 6, 6), conv.W.Value(), conv.B.Value()}, nil)

	for _, bad := range []struct {
		name string
		err  error
	}{
		{"conv zero kernel", func() error { _, err := NewConv2D(s, "c2", 1, 1, [2]int{0, 3}, Conv2DConfig{}, nil); return err }()},
		{"pool pad > half kernel", func() error { _, err := NewMaxPool2D("p", [2]int{2, 2}, [2]int{}, [2]int{2, 2}); return err }()},
		{"groupnorm groups", func() error { _, err := NewGroupNorm(s, "g", 6, 4, NormConfig{}); return err }()},
		{"batchnorm momentum", func() error { _, err := NewBatchNorm(s, "b", 3, BatchNormConfig{Momentum: 2}); return err }()},
	} {
		if bad.err == nil {
			t.Errorf("%s accepted", bad.name)
		}
	}
	if _, err := conv.Forward(NewBuilder(s, Eval, nil), G.NewTensor(G.NewGraph(), Float64, 4, G.WithShape(1, 3, 9, 9))); err == nil {
		t.Error("conv accepted 3 input channels for 2")
	}
}

func randRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 3)) }
