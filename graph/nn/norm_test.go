package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

// TestBatchNormLayerFollowsPyTorch drives the BatchNorm layer through
// compiled programs, as the trainer does: three training runs (the layer's
// AfterRun hook updates the running buffers once per run), then an
// evaluation run, which must use the buffers and leave them bit-identical.
// Expected values: testdata/golden/layers/batchnorm{1d,2d}, written by
// tools/golden/make_golden.py with PyTorch 1.13 (momentum 0.1, eps 1e-5).
func TestBatchNormLayerFollowsPyTorch(t *testing.T) {
	for _, name := range []string{"batchnorm1d", "batchnorm2d"} {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%s/%v", name, dt), func(t *testing.T) {
				tol := 1e-5
				if dt == graph.Float32 {
					tol = 1e-4
				}
				gamma := zootest.LoadGolden(t, "layers", name, "gamma")
				beta := zootest.LoadGolden(t, "layers", name, "beta")
				x1 := zootest.LoadGolden(t, "layers", name, "x1")
				s, _ := graph.NewStore(dt)
				bn, err := NewBatchNorm(s, "bn", gamma.Shape()[0], BatchNormConfig{})
				if err != nil {
					t.Fatal(err)
				}
				copyFloat(bn.Gamma.Value(), gamma.Float64s())
				copyFloat(bn.Beta.Value(), beta.Float64s())

				train := graph.NewBuilder(s, graph.Train, nil)
				x, xt := train.Input("x", x1.Shape()...)
				y, err := bn.Forward(train, x)
				if err != nil {
					t.Fatal(err)
				}
				gy, gyt := train.Input("gy", x1.Shape()...)
				cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, gy))))
				tp, err := graph.Compile(train, cost)
				if err != nil {
					t.Fatal(err)
				}
				defer tp.Close()
				for k := 1; k <= 3; k++ {
					copyFloat(xt, zootest.LoadGolden(t, "layers", name, fmt.Sprintf("x%d", k)).Float64s())
					copyFloat(gyt, zootest.LoadGolden(t, "layers", name, fmt.Sprintf("gy%d", k)).Float64s())
					if err := tp.Run(); err != nil {
						t.Fatal(err)
					}
					check := func(what string, got *tensor.Dense, fixture string) {
						want := zootest.LoadGolden(t, "layers", name, fixture).Float64s()
						if e := zootest.MaxRel(zootest.Floats(t, got), want); e > tol {
							t.Errorf("step %d %s: deviation %.3g > %g", k, what, e, tol)
						}
					}
					check("y", y.Value().(*tensor.Dense), fmt.Sprintf("y%d", k))
					check("running_mean", bn.Mean.Value(), fmt.Sprintf("running_mean%d", k))
					check("running_var", bn.Var.Value(), fmt.Sprintf("running_var%d", k))
					g0, _ := tp.Grad(0)
					check("dgamma", g0, fmt.Sprintf("ggamma%d", k))
				}

				before := append([]float64(nil), zootest.Floats(t, bn.Mean.Value())...)
				before = append(before, zootest.Floats(t, bn.Var.Value())...)
				xe := zootest.LoadGolden(t, "layers", name, "x_eval")
				eval := graph.NewBuilder(s, graph.Eval, nil)
				ex, ext := eval.Input("x", xe.Shape()...)
				ey, err := bn.Forward(eval, ex)
				if err != nil {
					t.Fatal(err)
				}
				ep, err := graph.Compile(eval, nil)
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
				if e := zootest.MaxRel(zootest.Floats(t, ey.Value().(*tensor.Dense)), zootest.LoadGolden(t, "layers", name, "y_eval").Float64s()); e > tol {
					t.Errorf("eval y: deviation %.3g", e)
				}
				after := append(zootest.Floats(t, bn.Mean.Value()), zootest.Floats(t, bn.Var.Value())...)
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
		make  func(s *graph.Store) (Layer, *graph.Var, *graph.Var, error)
	}{
		{"batchnorm-2d", []int{6, 4}, func(s *graph.Store) (Layer, *graph.Var, *graph.Var, error) {
			l, err := NewBatchNorm(s, "bn", 4, BatchNormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"batchnorm-4d", []int{3, 2, 3, 3}, func(s *graph.Store) (Layer, *graph.Var, *graph.Var, error) {
			l, err := NewBatchNorm(s, "bn", 2, BatchNormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"layernorm", []int{3, 5}, func(s *graph.Store) (Layer, *graph.Var, *graph.Var, error) {
			l, err := NewLayerNorm(s, "ln", 5, NormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"groupnorm", []int{2, 4, 3, 3}, func(s *graph.Store) (Layer, *graph.Var, *graph.Var, error) {
			l, err := NewGroupNorm(s, "gn", 4, 2, NormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
		{"instancenorm", []int{2, 3, 2, 3}, func(s *graph.Store) (Layer, *graph.Var, *graph.Var, error) {
			l, err := NewInstanceNorm(s, "in", 3, NormConfig{})
			return l, l.Gamma, l.Beta, err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := graph.NewStore(graph.Float64)
			l, gamma, beta, err := c.make(s)
			if err != nil {
				t.Fatal(err)
			}
			copy(gamma.Value().Float64s(), zootest.RandDense(11, gamma.Shape()...).Float64s())
			copy(beta.Value().Float64s(), zootest.RandDense(12, beta.Shape()...).Float64s())
			x := zootest.Param(t, s, "x", zootest.RandDense(13, c.shape...))
			zootest.CheckStoreGrad(t, s, zootest.Forward(x, l.Forward))

		})
	}
}

func TestConvAndPoolLayers(t *testing.T) {
	s, _ := graph.NewStore(graph.Float64)
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
	b := graph.NewBuilder(s, graph.Eval, nil)
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
	cs, _ := graph.NewStore(graph.Float64)
	gconv, err := NewConv2D(cs, "conv", 2, 3, [2]int{3, 3}, Conv2DConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, randRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	gx := zootest.Param(t, cs, "x", zootest.RandDense(3, 2, 2, 6, 6))
	zootest.CheckStoreGrad(t, cs, zootest.Forward(gx, gconv.Forward))

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
	if _, err := conv.Forward(graph.NewBuilder(s, graph.Eval, nil), G.NewTensor(G.NewGraph(), graph.Float64, 4, G.WithShape(1, 3, 9, 9))); err == nil {
		t.Error("conv accepted 3 input channels for 2")
	}
}

func randRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 3)) }
