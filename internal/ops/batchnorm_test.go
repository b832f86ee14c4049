package ops

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

// Expected values in these tests come from three places: central finite
// differences (checkGrad, gradcheck_test.go), the PyTorch 1.13 fixtures in
// testdata/golden/layers written by tools/golden/make_golden.py, and the
// momentum formula in BatchStats.Update's documentation.

// normDtypes are the dtypes every table test runs in, with the tolerance of
// the comparison with a float64 PyTorch fixture (the fixture's inputs are
// cast to the dtype first).
var normDtypes = []struct {
	dt  tensor.Dtype
	tol float64
}{{tensor.Float64, 1e-5}, {tensor.Float32, 1e-4}}

// normMaxRel is the comparison metric for fixtures: max|got−want| divided by
// max(max|want|, 1e-8), i.e. the largest deviation relative to the array's
// scale. Elementwise relative error would be meaningless for elements that
// are nearly zero (a normalised output, a gradient that cancels).
func normMaxRel(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(got[i]-want[i]))
		m = math.Max(m, math.Abs(want[i]))
	}
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d / math.Max(m, 1e-8)
}

// normFloats returns a value's elements as float64.
func normFloats(t testing.TB, v G.Value) []float64 {
	t.Helper()
	switch x := v.Data().(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []float32:
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = float64(e)
		}
		return out
	}
	t.Fatalf("not a float tensor: %T", v.Data())
	return nil
}

// normCast returns a copy of a float64 tensor in dtype dt.
func normCast(d *tensor.Dense, dt tensor.Dtype) *tensor.Dense {
	return tensor.New(tensor.WithShape(d.Shape().Clone()...), tensor.WithBacking(zootest.CastSlice(dt, d.Float64s())))
}

// normCheck compares got with a fixture array and records the error seen.
func normCheck(t *testing.T, what string, got []float64, want *tensor.Dense, tol float64, worst *float64) {
	t.Helper()
	e := normMaxRel(got, want.Float64s())
	if worst != nil && e > *worst {
		*worst = e
	}
	if e > tol {
		t.Errorf("%s: max relative error %.3g > %g\ngot  %v\nwant %v", what, e, tol, got, want.Float64s())
	}
}

// normHarness is a graph y = layer(x, γ, β) with cost L = Σ y⊙gy, compiled
// for zoo's executor with gradients of x, γ and β, the way the PyTorch
// fixtures define their gradients.
type normHarness struct {
	h           *zootest.Harness
	gamma, beta *tensor.Dense
}

type normLayerFn func(g *G.ExprGraph, x, gamma, beta *G.Node) (*G.Node, error)

func newNormHarness(t *testing.T, dt tensor.Dtype, xShape tensor.Shape, gamma, beta *tensor.Dense, layer normLayerFn) *normHarness {
	t.Helper()
	shapes := []tensor.Shape{xShape}
	if gamma != nil {
		shapes = append(shapes, gamma.Shape(), beta.Shape())
	}
	build := func(b *graph.Builder, in []*G.Node) (*G.Node, error) {
		gm, bt, _ := normAffineInputs(in, gamma != nil)
		return layer(b.Graph(), in[0], gm, bt)
	}
	return &normHarness{h: zootest.NewHarness(t, dt, build, shapes, nil, xShape), gamma: gamma, beta: beta}
}

// run runs one forward and backward pass on x and gy (float64 fixtures,
// cast to the graph's dtype) and returns y, dx, dγ, dβ (nil without affine).
func (h *normHarness) run(t *testing.T, x, gy *tensor.Dense) (y, gx, ggamma, gbeta []float64) {
	t.Helper()
	inputs := []*tensor.Dense{x}
	if h.gamma != nil {
		inputs = append(inputs, h.gamma, h.beta)
	}
	y, g := h.h.Run(t, inputs, gy)
	if h.gamma != nil {
		ggamma, gbeta = g[1], g[2]
	}
	return y, g[0], ggamma, gbeta
}

// normAffineInputs returns γ and β (nil without affine) for checkGrad-style
// builders: inputs after x are γ, β when affine.
func normAffineInputs(in []*G.Node, affine bool) (gamma, beta *G.Node, rest []*G.Node) {
	if affine {
		return in[1], in[2], in[3:]
	}
	return nil, nil, in[1:]
}

// normPositive returns a tensor of values in [0.5, 1.5), for variances.
func normPositive(seed uint64, n int) *tensor.Dense {
	d := zootest.RandDense(seed, n)
	for i, v := range d.Float64s() {
		d.Float64s()[i] = 1 + 0.5*math.Tanh(v)
	}
	return d
}

func TestBatchNormGradients(t *testing.T) {
	for _, shape := range [][]int{{6, 3}, {4, 3, 2, 3}} {
		for _, affine := range []bool{true, false} {
			for _, train := range []bool{true, false} {
				name := fmt.Sprintf("%v/affine=%t/train=%t", shape, affine, train)
				t.Run(name, func(t *testing.T) {
					c := shape[1]
					inputs := []*tensor.Dense{zootest.RandDense(11, shape...)}
					// Shift and scale x so that the mean and variance matter.
					for i, v := range inputs[0].Float64s() {
						inputs[0].Float64s()[i] = 3*v + 0.7
					}
					if affine {
						inputs = append(inputs, normPositive(12, c), zootest.RandDense(13, c))
					}
					wrt := make([]bool, len(inputs))
					for i := range wrt {
						wrt[i] = true
					}
					if !train {
						inputs = append(inputs, zootest.RandDense(14, c), normPositive(15, c))
						wrt = append(wrt, false, false)
					}
					zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
						gamma, beta, rest := normAffineInputs(in, affine)
						if train {
							y, _, err := BatchNormTrain(in[0], gamma, beta, 1e-5)
							return y, err
						}
						return BatchNormEval(in[0], gamma, beta, rest[0], rest[1], 1e-5)
					}, inputs, wrt)
				})
			}
		}
	}
}

// TestBatchNormGolden runs three training steps and one evaluation step of
// each batch-norm fixture (torch nn.BatchNorm1d/2d, momentum 0.1, eps 1e-5)
// and compares outputs, gradients of L = Σ y⊙gy and the running buffers
// after every step. The evaluation graph binds the same buffer tensors and
// must leave them bit-identical.
func TestBatchNormGolden(t *testing.T) {
	for _, tc := range []string{"batchnorm1d", "batchnorm1d_noaffine", "batchnorm2d", "batchnorm2d_noaffine"} {
		for _, dd := range normDtypes {
			t.Run(tc+"/"+dd.dt.String(), func(t *testing.T) {
				meta := zootest.LoadMeta(t, "layers", tc)
				eps, momentum := meta["eps"].(float64), meta["momentum"].(float64)
				affine := meta["affine"].(bool)
				load := func(name string) *tensor.Dense { return zootest.LoadGolden(t, "layers", tc, name) }
				var gamma, beta *tensor.Dense
				if affine {
					gamma, beta = load("gamma"), load("beta")
				}
				rm, rv := normCast(load("running_mean0"), dd.dt), normCast(load("running_var0"), dd.dt)
				var stats *BatchStats
				x1 := load("x1")
				h := newNormHarness(t, dd.dt, x1.Shape(), gamma, beta, func(g *G.ExprGraph, x, gm, bt *G.Node) (*G.Node, error) {
					y, s, err := BatchNormTrain(x, gm, bt, eps)
					stats = s
					return y, err
				})
				var worst float64
				for k := 1; k <= 3; k++ {
					y, gx, gg, gb := h.run(t, load(fmt.Sprint("x", k)), load(fmt.Sprint("gy", k)))
					if err := stats.Update(rm, rv, momentum); err != nil {
						t.Fatalf("step %d: update: %+v", k, err)
					}
					normCheck(t, fmt.Sprint("y", k), y, load(fmt.Sprint("y", k)), dd.tol, &worst)
					normCheck(t, fmt.Sprint("gx", k), gx, load(fmt.Sprint("gx", k)), dd.tol, &worst)
					if affine {
						normCheck(t, fmt.Sprint("ggamma", k), gg, load(fmt.Sprint("ggamma", k)), dd.tol, &worst)
						normCheck(t, fmt.Sprint("gbeta", k), gb, load(fmt.Sprint("gbeta", k)), dd.tol, &worst)
					}
					normCheck(t, fmt.Sprint("running_mean", k), normFloats(t, rm), load(fmt.Sprint("running_mean", k)), dd.tol, &worst)
					normCheck(t, fmt.Sprint("running_var", k), normFloats(t, rv), load(fmt.Sprint("running_var", k)), dd.tol, &worst)
				}

				before := append(normBits(rm), normBits(rv)...)
				he := newNormHarness(t, dd.dt, x1.Shape(), gamma, beta, func(g *G.ExprGraph, x, gm, bt *G.Node) (*G.Node, error) {
					mn := G.NewTensor(g, dd.dt, 1, G.WithShape(rm.Shape()...), G.WithName("running_mean"), G.WithValue(rm))
					vn := G.NewTensor(g, dd.dt, 1, G.WithShape(rv.Shape()...), G.WithName("running_var"), G.WithValue(rv))
					return BatchNormEval(x, gm, bt, mn, vn, eps)
				})
				y, gx, gg, gb := he.run(t, load("x_eval"), load("gy_eval"))
				normCheck(t, "y_eval", y, load("y_eval"), dd.tol, &worst)
				normCheck(t, "gx_eval", gx, load("gx_eval"), dd.tol, &worst)
				if affine {
					normCheck(t, "ggamma_eval", gg, load("ggamma_eval"), dd.tol, &worst)
					normCheck(t, "gbeta_eval", gb, load("gbeta_eval"), dd.tol, &worst)
				}
				if after := append(normBits(rm), normBits(rv)...); !slices.Equal(before, after) {
					t.Errorf("evaluation changed the running buffers")
				}
				normCheck(t, "running_mean_eval", normFloats(t, rm), load("running_mean_eval"), dd.tol, nil)
				t.Logf("max relative error %.3g", worst)
			})
		}
	}
}

// normBits returns the bit patterns of a float tensor's elements.
func normBits(d *tensor.Dense) []uint64 {
	var out []uint64
	switch x := d.Data().(type) {
	case []float64:
		for _, v := range x {
			out = append(out, math.Float64bits(v))
		}
	case []float32:
		for _, v := range x {
			out = append(out, uint64(math.Float32bits(v)))
		}
	}
	return out
}

// TestBatchNormEvalLeavesBuffers builds an evaluation graph (with gradients)
// and a training graph over the same buffer tensors, runs both repeatedly
// without calling Update, and checks the buffers are bit-identical.
func TestBatchNormEvalLeavesBuffers(t *testing.T) {
	for _, dd := range normDtypes {
		t.Run(dd.dt.String(), func(t *testing.T) {
			rm, rv := normCast(zootest.RandDense(21, 3), dd.dt), normCast(normPositive(22, 3), dd.dt)
			before := append(normBits(rm), normBits(rv)...)
			x := zootest.RandDense(23, 4, 3, 2, 2)
			gy := zootest.RandDense(24, 4, 3, 2, 2)
			he := newNormHarness(t, dd.dt, x.Shape(), zootest.RandDense(25, 3), zootest.RandDense(26, 3), func(g *G.ExprGraph, x, gm, bt *G.Node) (*G.Node, error) {
				mn := G.NewTensor(g, dd.dt, 1, G.WithShape(3), G.WithName("rm"), G.WithValue(rm))
				vn := G.NewTensor(g, dd.dt, 1, G.WithShape(3), G.WithName("rv"), G.WithValue(rv))
				return BatchNormEval(x, gm, bt, mn, vn, 1e-5)
			})
			ht := newNormHarness(t, dd.dt, x.Shape(), zootest.RandDense(25, 3), zootest.RandDense(26, 3), func(g *G.ExprGraph, x, gm, bt *G.Node) (*G.Node, error) {
				y, _, err := BatchNormTrain(x, gm, bt, 1e-5)
				return y, err
			})
			var first []float64
			for i := 0; i < 3; i++ {
				y, _, _, _ := he.run(t, x, gy)
				ht.run(t, x, gy)
				if i == 0 {
					first = y
				} else if normMaxRel(y, first) != 0 {
					t.Errorf("run %d: evaluation output changed", i)
				}
			}
			if after := append(normBits(rm), normBits(rv)...); !slices.Equal(before, after) {
				t.Errorf("buffers changed: %v %v", rm, rv)
			}
		})
	}
}

// TestBatchNormEvalStatisticsNotDifferentiable: the running buffers are
// constants of the evaluation graph.
func TestBatchNormEvalStatisticsNotDifferentiable(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 3), G.WithName("x"), G.WithValue(zootest.RandDense(1, 4, 3)))
	m := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("m"), G.WithValue(zootest.RandDense(2, 3)))
	v := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v"), G.WithValue(normPositive(3, 3)))
	y, err := BatchNormEval(x, nil, nil, m, v, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := G.Grad(G.Must(G.Sum(y)), m); err == nil {
		t.Fatal("gradient with respect to the running mean was built")
	}
}

// TestBatchNormStatsUpdate checks Update against the momentum formula with
// the unbiased variance, computed here from the definition, and its errors.
func TestBatchNormStatsUpdate(t *testing.T) {
	for _, dd := range normDtypes {
		t.Run(dd.dt.String(), func(t *testing.T) {
			x := zootest.RandDense(31, 5, 2, 3, 1) // m = 15 per channel
			b := zootest.NewGraph(t, dd.dt)
			g := b.Graph()
			xn := G.NewTensor(g, dd.dt, 4, G.WithShape(5, 2, 3, 1), G.WithName("x"), G.WithValue(normCast(x, dd.dt)))
			_, stats, err := BatchNormTrain(xn, nil, nil, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			rm := normCast(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0.5, -1})), dd.dt)
			rv := normCast(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{2, 0.25})), dd.dt)
			if err := stats.Update(rm, rv, 0.1); !errors.Is(err, bnErrNoBatch) {
				t.Fatalf("Update before any run: err = %v, want bnErrNoBatch", err)
			}
			if err := zootest.RunGraph(t, b); err != nil {
				t.Fatal(err)
			}
			// Bad arguments leave the buffers and the pending batch alone.
			for _, bad := range []struct {
				name     string
				m, v     *tensor.Dense
				momentum float64
			}{
				{"momentum>1", rm, rv, 1.5},
				{"momentum NaN", rm, rv, math.NaN()},
				{"nil buffer", rm, nil, 0.1},
				{"wrong shape", rm, normCast(zootest.RandDense(1, 3), dd.dt), 0.1},
				{"int buffer", rm, tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2})), 0.1},
			} {
				if err := stats.Update(bad.m, bad.v, bad.momentum); err == nil {
					t.Errorf("%s: accepted", bad.name)
				}
			}
			want := func(c int, r0m, r0v float64) (float64, float64) {
				var mu, ss float64
				xs := x.Float64s()
				for n := 0; n < 5; n++ {
					for s := 0; s < 3; s++ {
						mu += xs[(n*2+c)*3+s]
					}
				}
				mu /= 15
				for n := 0; n < 5; n++ {
					for s := 0; s < 3; s++ {
						e := xs[(n*2+c)*3+s] - mu
						ss += e * e
					}
				}
				return 0.9*r0m + 0.1*mu, 0.9*r0v + 0.1*ss/14
			}
			wm0, wv0 := want(0, 0.5, 2)
			wm1, wv1 := want(1, -1, 0.25)
			if err := stats.Update(rm, rv, 0.1); err != nil {
				t.Fatal(err)
			}
			tol := 1e-12
			if dd.dt == tensor.Float32 {
				tol = 1e-6
			}
			if e := normMaxRel(normFloats(t, rm), []float64{wm0, wm1}); e > tol {
				t.Errorf("running mean %v, want [%v %v]", rm, wm0, wm1)
			}
			if e := normMaxRel(normFloats(t, rv), []float64{wv0, wv1}); e > tol {
				t.Errorf("running var %v, want [%v %v]", rv, wv0, wv1)
			}
			if err := stats.Update(rm, rv, 0.1); !errors.Is(err, bnErrNoBatch) {
				t.Fatalf("second Update after one run: err = %v, want bnErrNoBatch", err)
			}
		})
	}
}

// TestBatchNormDistinctNodes: two batch-norms of the same input with the same
// settings must not be merged by Gorgonia's hash-consing, or one of them
// would never see its statistics.
func TestBatchNormDistinctNodes(t *testing.T) {
	b := zootest.NewGraph(t, tensor.Float64)
	g := b.Graph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 3), G.WithName("x"), G.WithValue(zootest.RandDense(1, 4, 3)))
	y1, s1, err := BatchNormTrain(x, nil, nil, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	y2, s2, err := BatchNormTrain(x, nil, nil, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if y1 == y2 {
		t.Fatal("two batch-norm layers were merged into one node")
	}
	if err := zootest.RunGraph(t, b); err != nil {
		t.Fatal(err)
	}
	for i, s := range []*BatchStats{s1, s2} {
		if _, _, fresh := s.batch(); !fresh {
			t.Errorf("layer %d did not record its batch statistics", i+1)
		}
	}
}

func TestBatchNormRejectsBadInput(t *testing.T) {
	g := G.NewGraph()
	node := func(name string, dt tensor.Dtype, shape ...int) *G.Node {
		return G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName(name))
	}
	x := node("x", tensor.Float64, 4, 3)
	gm, bt := node("g", tensor.Float64, 3), node("b", tensor.Float64, 3)
	m, v := node("m", tensor.Float64, 3), node("v", tensor.Float64, 3)
	for _, tc := range []struct {
		name string
		err  error
		fn   func() error
	}{
		{"one value per channel", ErrShape, func() error {
			_, _, err := BatchNormTrain(node("x1", tensor.Float64, 1, 3), nil, nil, 1e-5)
			return err
		}},
		{"one value per channel 4d", ErrShape, func() error {
			_, _, err := BatchNormTrain(node("x11", tensor.Float64, 1, 3, 1, 1), nil, nil, 1e-5)
			return err
		}},
		{"vector input", ErrShape, func() error {
			_, _, err := BatchNormTrain(node("xv", tensor.Float64, 4), nil, nil, 1e-5)
			return err
		}},
		{"5-d input", ErrShape, func() error {
			_, _, err := BatchNormTrain(node("x5", tensor.Float64, 2, 3, 2, 2, 2), nil, nil, 1e-5)
			return err
		}},
		{"gamma without beta", ErrConfig, func() error {
			_, _, err := BatchNormTrain(x, gm, nil, 1e-5)
			return err
		}},
		{"gamma wrong size", ErrShape, func() error {
			_, _, err := BatchNormTrain(x, node("g4", tensor.Float64, 4), bt, 1e-5)
			return err
		}},
		{"gamma wrong dtype", ErrDtype, func() error {
			_, _, err := BatchNormTrain(x, node("g32", tensor.Float32, 3), bt, 1e-5)
			return err
		}},
		{"negative eps", ErrConfig, func() error {
			_, _, err := BatchNormTrain(x, nil, nil, -1)
			return err
		}},
		{"int input", ErrDtype, func() error {
			_, _, err := BatchNormTrain(node("xi", tensor.Int, 4, 3), nil, nil, 1e-5)
			return err
		}},
		{"eval nil variance", ErrConfig, func() error {
			_, err := BatchNormEval(x, gm, bt, m, nil, 1e-5)
			return err
		}},
		{"eval mean wrong size", ErrShape, func() error {
			_, err := BatchNormEval(x, gm, bt, node("m2", tensor.Float64, 2), v, 1e-5)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.fn(); !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
		})
	}
}

// TestBatchNormOpRejectsBadValues calls an op's Do directly with values of
// the wrong shape (as a Let with another shape would): an error, not a panic.
func TestBatchNormOpRejectsBadValues(t *testing.T) {
	op := &bnBatchStatsOp{dims: 2, eps: 1e-5, stats: &BatchStats{mean: make([]float64, 3), varU: make([]float64, 3)}}
	if _, err := op.Do(zootest.RandDense(1, 1, 3)); !errors.Is(err, ErrShape) {
		t.Errorf("one row: err = %v", err)
	}
	if _, err := op.Do(zootest.RandDense(1, 4, 5)); !errors.Is(err, ErrShape) {
		t.Errorf("wrong channels: err = %v", err)
	}
	if _, err := (bnNormOp{dims: 2}).Do(zootest.RandDense(1, 4, 3), zootest.RandDense(2, 2, 4)); !errors.Is(err, ErrShape) {
		t.Errorf("stats shape: err = %v", err)
	}
	if _, err := (bnNormOp{dims: 2}).Do(zootest.RandDense(1, 4, 3), normCast(zootest.RandDense(2, 2, 3), tensor.Float32)); !errors.Is(err, ErrDtype) {
		t.Errorf("mixed dtypes: err = %v", err)
	}
	if _, err := (bnReduceOp{dims: 2}).Do(zootest.RandDense(1, 4, 3), zootest.RandDense(2, 2, 3), zootest.RandDense(3, 4, 2)); !errors.Is(err, ErrShape) {
		t.Errorf("gradient shape: err = %v", err)
	}
}

// benchNormSink keeps benchmark results alive.
var benchNormSink *G.ExprGraph

// benchBatchNormTrain times one forward and backward pass of an affine
// training batch-norm in float32 on zoo's executor, the way a training step
// runs it: y = BN(x), then the gradients of x, γ and β of L = Σ y⊙gy.
func benchBatchNormTrain(b *testing.B, shape ...int) {
	c := shape[1]
	build := func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
		y, _, err := BatchNormTrain(in[0], in[1], in[2], 1e-5)
		return y, err
	}
	h := zootest.NewHarness(b, tensor.Float32, build, []tensor.Shape{shape, {c}, {c}}, nil, shape)
	h.Run(b, []*tensor.Dense{zootest.RandDense(1, shape...), normPositive(3, c), zootest.RandDense(4, c)}, zootest.RandDense(2, shape...))
	p := h.Program()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	benchNormSink = p.Builder().Graph()
}

func BenchmarkBatchNormTrain128x100(b *testing.B)      { benchBatchNormTrain(b, 128, 100) }
func BenchmarkBatchNormTrain100x32x14x14(b *testing.B) { benchBatchNormTrain(b, 100, 32, 14, 14) }
