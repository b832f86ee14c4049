package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

func cEBuild(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
	return SoftmaxCrossEntropy(in[0], in[1])
}

// TestSoftmaxCrossEntropyFixture compares loss and gradient with PyTorch's
// F.cross_entropy (tools/golden/make_golden.py, cases softmax_ce_small and
// softmax_ce_large, whose logits reach ±1000).
func TestSoftmaxCrossEntropyFixture(t *testing.T) {
	for _, name := range []string{"softmax_ce_small", "softmax_ce_large"} {
		logits := zootest.LoadGolden(t, "layers", name, "logits")
		labels := zootest.LoadGolden(t, "layers", name, "labels")
		wantLoss := zootest.LoadGolden(t, "layers", name, "loss").Float64s()
		wantGrad := zootest.LoadGolden(t, "layers", name, "glogits").Float64s()
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", name, d.DT), func(t *testing.T) {
				loss, grads := zootest.Run(t, d.DT, cEBuild, []*tensor.Dense{logits, labels}, []bool{true, false}, nil)
				el := zootest.CheckClose(t, "loss", loss, wantLoss, d.Tol)
				eg := zootest.CheckClose(t, "glogits", grads[0], wantGrad, d.Tol)
				t.Logf("loss %v (want %v): max rel err loss %.3g, glogits %.3g", loss, wantLoss, el, eg)
			})
		}
	}
}

// TestSoftmaxCrossEntropyLarge checks the rows described in the fixture's
// meta.json against closed forms: a row [1000, −1000, 0…] with label 0 has
// loss 0, equal logits have loss log K, a label logit of −1000 against a
// 1000 elsewhere has loss 2000.
func TestSoftmaxCrossEntropyLarge(t *testing.T) {
	const k = 4
	cases := []struct {
		name   string
		row    []float64
		label  float64
		want   float64
		wantG0 float64 // d loss / d logit 0 for this single-row batch
	}{
		{"confident right", []float64{1000, -1000, 0, 0}, 0, 0, 0},
		{"all +1000", []float64{1000, 1000, 1000, 1000}, 3, math.Log(k), 0.25},
		{"all -1000", []float64{-1000, -1000, -1000, -1000}, 1, math.Log(k), 0.25},
		{"confident wrong", []float64{1000, 0, -1000, 0}, 2, 2000, 1},
	}
	for _, c := range cases {
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.DT), func(t *testing.T) {
				z := tensor.New(tensor.WithShape(1, k), tensor.WithBacking(append([]float64(nil), c.row...)))
				l := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{c.label}))
				loss, grads := zootest.Run(t, d.DT, cEBuild, []*tensor.Dense{z, l}, []bool{true, false}, nil)
				if math.IsNaN(loss[0]) || math.IsInf(loss[0], 0) || math.Abs(loss[0]-c.want) > 1e-6*math.Max(1, c.want) {
					t.Errorf("loss %v, want %v", loss[0], c.want)
				}
				var sum float64
				for _, g := range grads[0] {
					if math.IsNaN(g) || math.IsInf(g, 0) {
						t.Fatalf("gradient %v not finite", grads[0])
					}
					sum += g
				}
				// Σ_j (p_j − onehot_j) = 0 in every row.
				if math.Abs(sum) > 1e-6 || math.Abs(grads[0][0]-c.wantG0) > 1e-6 {
					t.Errorf("gradient %v: sum %g (want 0), first %g (want %g)", grads[0], sum, grads[0][0], c.wantG0)
				}
			})
		}
	}
}

func TestSoftmaxCrossEntropyGradFD(t *testing.T) {
	labels := tensor.New(tensor.WithShape(6), tensor.WithBacking([]float64{0, 4, 2, 2, 1, 3}))
	cases := []struct {
		name  string
		build zootest.Builder
	}{
		{"mean loss", cEBuild},
		// An upstream gradient other than 1 (the loss inside a larger cost).
		{"scaled and squared", func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
			l, err := SoftmaxCrossEntropy(in[0], in[1])
			if err != nil {
				return nil, err
			}
			return G.Square(l)
		}},
		{"with log-Softmax nearby", func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
			l, err := SoftmaxCrossEntropy(in[0], in[1])
			if err != nil {
				return nil, err
			}
			ls, err := LogSoftmax(in[0])
			if err != nil {
				return nil, err
			}
			s, err := G.Sum(ls)
			if err != nil {
				return nil, err
			}
			return G.Add(l, s)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			z := zootest.RandDense(21, 6, 5)
			zootest.CheckGrad(t, c.build, []*tensor.Dense{z, labels}, []bool{true, false})
		})
	}
}

func TestSoftmaxCrossEntropyBadLabels(t *testing.T) {
	cases := []struct {
		name  string
		label float64
	}{
		{"too large", 3},
		{"negative", -1},
		{"fraction", 1.5},
		{"nan", math.NaN()},
	}
	for _, c := range cases {
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.DT), func(t *testing.T) {
				b := zootest.NewGraph(t, d.DT)
				g := b.Graph()
				z := zootest.Cast(zootest.RandDense(3, 4, 3), d.DT)
				l := zootest.Cast(tensor.New(tensor.WithShape(4), tensor.WithBacking([]float64{0, 2, c.label, 1})), d.DT)
				zn := G.NewMatrix(g, d.DT, G.WithShape(4, 3), G.WithName("z"), G.WithValue(z))
				ln := G.NewVector(g, d.DT, G.WithShape(4), G.WithName("l"), G.WithValue(l))
				if _, err := SoftmaxCrossEntropy(zn, ln); err != nil {
					t.Fatal(err)
				}
				err := zootest.RunGraph(t, b)
				if err == nil {
					t.Fatal("no error for a bad label")
				}
				if !errors.Is(err, ErrLabel) || !strings.Contains(err.Error(), "row 2") {
					t.Errorf("error %q should wrap ErrLabel and name row 2", err)
				}
			})
		}
	}
}

func TestSoftmaxCrossEntropyBadShapes(t *testing.T) {
	g := G.NewGraph()
	z := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 3), G.WithName("z"))
	cases := []struct {
		name   string
		logits *G.Node
		labels *G.Node
	}{
		{"labels too short", z, G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("l3"))},
		{"labels matrix", z, G.NewMatrix(g, tensor.Float64, G.WithShape(4, 1), G.WithName("l41"))},
		{"labels float32", z, G.NewVector(g, tensor.Float32, G.WithShape(4), G.WithName("l32"))},
		{"logits vector", G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("zv")), G.NewVector(g, tensor.Float64, G.WithShape(4), G.WithName("l4"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := SoftmaxCrossEntropy(c.logits, c.labels); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestMeanSquaredErrorFixture compares with torch F.mse_loss (case mse).
func TestMeanSquaredErrorFixture(t *testing.T) {
	pred := zootest.LoadGolden(t, "layers", "mse", "pred")
	target := zootest.LoadGolden(t, "layers", "mse", "target")
	wantLoss := zootest.LoadGolden(t, "layers", "mse", "loss").Float64s()
	wantGrad := zootest.LoadGolden(t, "layers", "mse", "gpred").Float64s()
	for _, d := range zootest.Dtypes {
		t.Run(d.DT.String(), func(t *testing.T) {
			loss, grads := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
				return MeanSquaredError(in[0], in[1])
			}, []*tensor.Dense{pred, target}, []bool{true, true}, nil)
			el := zootest.CheckClose(t, "loss", loss, wantLoss, d.Tol)
			eg := zootest.CheckClose(t, "gpred", grads[0], wantGrad, d.Tol)
			neg := make([]float64, len(wantGrad))
			for i, v := range wantGrad {
				neg[i] = -v
			}
			et := zootest.CheckClose(t, "gtarget", grads[1], neg, d.Tol)
			t.Logf("max rel err loss %.3g, gpred %.3g, gtarget %.3g", el, eg, et)
		})
	}
}

func TestMeanSquaredErrorGradFD(t *testing.T) {
	for _, shape := range [][]int{{4, 3}, {2, 3, 2, 2}, {5}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
				return MeanSquaredError(in[0], in[1])
			}, []*tensor.Dense{zootest.RandDense(31, shape...), zootest.RandDense(32, shape...)}, nil)
		})
	}
}

func TestMeanSquaredErrorBadShapes(t *testing.T) {
	g := G.NewGraph()
	a := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 3), G.WithName("a"))
	cases := []struct {
		name string
		b    *G.Node
	}{
		{"transposed", G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("b"))},
		{"float32", G.NewMatrix(g, tensor.Float32, G.WithShape(4, 3), G.WithName("c"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := MeanSquaredError(a, c.b); err == nil {
				t.Error("no error")
			}
		})
	}
}

func benchCE(b *testing.B, dt tensor.Dtype, n, k int) {
	labels := make([]float64, n)
	for i := range labels {
		labels[i] = float64(i % k)
	}
	benchForwardBackward(b, dt, cEBuild, [][]int{{n, k}, {n}}, map[int][]float64{1: labels})
}

func BenchmarkSoftmaxCrossEntropy128x10F32(b *testing.B) { benchCE(b, tensor.Float32, 128, 10) }
func BenchmarkSoftmaxCrossEntropy128x10F64(b *testing.B) { benchCE(b, tensor.Float64, 128, 10) }
