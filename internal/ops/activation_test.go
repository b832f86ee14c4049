package ops

import (
	"fmt"
	"math"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

// TestActivationFixtures checks every activation the layers use (zoo's
// fused ReLU, sigmoid and LeakyReLU, Gorgonia's Tanh) against the PyTorch
// fixtures testdata/golden/layers/NAME (y and gx for L = Σ y⊙gy, made by
// tools/golden/make_golden.py), whose inputs hold exact zeros (0 and −0)
// where the gradient conventions of ReLU and LeakyReLU show, and against
// finite differences on the fixture inputs with the zeros moved to 0.5 (the
// other inputs have |x| ≥ 0.05, away from the kinks).
func TestActivationFixtures(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(*G.Node) (*G.Node, error)
	}{
		{"relu", ReLU},
		{"sigmoid", Sigmoid},
		{"leaky_relu_0p01", func(x *G.Node) (*G.Node, error) { return LeakyReLU(x, 0.01) }},
		{"leaky_relu_0p2", func(x *G.Node) (*G.Node, error) { return LeakyReLU(x, 0.2) }},
		{"tanh", G.Tanh},
	} {
		x := zootest.LoadGolden(t, "layers", c.name, "x")
		gy := zootest.LoadGolden(t, "layers", c.name, "gy")
		wantY := zootest.LoadGolden(t, "layers", c.name, "y").Float64s()
		wantGx := zootest.LoadGolden(t, "layers", c.name, "gx").Float64s()
		build := func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return c.fn(in[0]) }
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.DT), func(t *testing.T) {
				y, g := zootest.Run(t, d.DT, build, []*tensor.Dense{x}, []bool{true}, gy)
				t.Logf("max rel err y %.3g, gx %.3g", zootest.CheckClose(t, "y", y, wantY, d.Tol), zootest.CheckClose(t, "gx", g[0], wantGx, d.Tol))
			})
		}
		t.Run(c.name+"/finite differences", func(t *testing.T) {
			smooth := slices.Clone(x.Float64s())
			zeros := 0
			for i, v := range smooth {
				if v == 0 {
					smooth[i] = 0.5
					zeros++
				}
			}
			if zeros != 3 {
				t.Fatalf("fixture x holds %d zeros, want 3", zeros)
			}
			zootest.CheckGrad(t, build, []*tensor.Dense{tensor.New(tensor.WithShape(x.Shape()...), tensor.WithBacking(smooth))}, nil)
		})
	}
}

// actRun runs fn on x (dtype dt) and differentiates Σ y⊙gy; it returns y and
// gx as float64.
func actRun(t *testing.T, dt tensor.Dtype, fn func(*G.Node) (*G.Node, error), x, gy []float64) (y, gx []float64) {
	t.Helper()
	shape := []int{len(x)}
	ys, gs := zootest.Run(t, dt, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return fn(in[0]) },
		[]*tensor.Dense{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x))}, []bool{true},
		tensor.New(tensor.WithShape(shape...), tensor.WithBacking(gy)))
	return ys, gs[0]
}

// TestActivationsMatchGorgonia compares the fused ops with Gorgonia's
// Rectify and Sigmoid on |x| < 15, where Gorgonia's sigmoid does not clip,
// float32 and float64. ReLU: equal values and gradients (x is never exactly
// 0, where the gradients differ by convention). Sigmoid: bit-identical
// values in float64, within 2 ulp in float32 (see sigmoidClose); gradients within a few roundings for |x| ≤ 3 (Gorgonia computes
// y·σ(−x)·gy, the fused op (gy·(1−y))·y as PyTorch does; they part where
// 1 − y cancels, for y near 1).
func TestActivationsMatchGorgonia(t *testing.T) {
	const n = 2001
	x, gy := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = -14.9 + 29.8*float64(i)/(n-1) + 1e-3 // never exactly 0
		gy[i] = math.Sin(float64(i))
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		t.Run(fmt.Sprintf("relu/%v", dt), func(t *testing.T) {
			y, gx := actRun(t, dt, ReLU, x, gy)
			wy, wgx := actRun(t, dt, G.Rectify, x, gy)
			for i := range x {
				if y[i] != wy[i] || gx[i] != wgx[i] {
					t.Fatalf("x=%v: zoo y=%v gx=%v, gorgonia y=%v gx=%v", x[i], y[i], gx[i], wy[i], wgx[i])
				}
			}
		})
		t.Run(fmt.Sprintf("sigmoid/%v", dt), func(t *testing.T) {
			tol := 1e-13
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			y, gx := actRun(t, dt, Sigmoid, x, gy)
			wy, wgx := actRun(t, dt, G.Sigmoid, x, gy)
			for i := range x {
				if !sigmoidClose(dt, y[i], wy[i]) {
					t.Fatalf("x=%v: zoo y=%v, gorgonia y=%v", x[i], y[i], wy[i])
				}
				if math.Abs(x[i]) <= 3 && math.Abs(gx[i]-wgx[i]) > tol*math.Abs(wgx[i]) {
					t.Fatalf("x=%v: zoo gx=%v, gorgonia gx=%v", x[i], gx[i], wgx[i])
				}
			}
		})
	}
}

// sigmoidClose reports whether a sigmoid value y matches want, the float64
// formula rounded to dt: bit for bit in float64, within 2 ulp in float32,
// whose op uses internal/vmath's float32 exponential (its tests bound the
// error by 2 ulp over every float32 input).
func sigmoidClose(dt tensor.Dtype, y, want float64) bool {
	if dt == tensor.Float64 {
		return math.Float64bits(y) == math.Float64bits(want)
	}
	a, b := int64(math.Float32bits(float32(y))), int64(math.Float32bits(float32(want)))
	return a-b <= 2 && b-a <= 2 && (y < 0) == (want < 0)
}

// TestActivationEdges checks the values the fused ops define where
// Gorgonia's differ: ReLU of −x and −0 is +0, NaN propagates, the gradient
// at 0 is 0 (PyTorch's convention); sigmoid is not clipped (its value at 16
// in float32 is the float32 nearest 1/(1+e^−16), not 1); LeakyReLU's
// gradient at ±0 is the slope (PyTorch's x > 0 ? 1 : slope), −0 stays −0,
// and a negative slope is taken as given (values and gradients computed as
// PyTorch's leaky_relu does, slope rounded to the dtype).
func TestActivationEdges(t *testing.T) {
	negZero := math.Copysign(0, -1)
	x := []float64{-2, negZero, 0, 3, math.NaN(), math.Inf(1), math.Inf(-1)}
	gy := []float64{1, 1, 1, 1, 1, 1, 1}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		t.Run(fmt.Sprintf("relu/%v", dt), func(t *testing.T) {
			y, gx := actRun(t, dt, ReLU, x, gy)
			wantY := []float64{0, 0, 0, 3, math.NaN(), math.Inf(1), 0}
			wantGx := []float64{0, 0, 0, 1, 0, 1, 0}
			for i := range x {
				if math.Float64bits(y[i]) != math.Float64bits(wantY[i]) && !(math.IsNaN(y[i]) && math.IsNaN(wantY[i])) {
					t.Errorf("relu(%v) = %v, want %v", x[i], y[i], wantY[i])
				}
				if gx[i] != wantGx[i] {
					t.Errorf("relu'(%v) = %v, want %v", x[i], gx[i], wantGx[i])
				}
			}
		})
		for _, slope := range []float64{0.1, -0.5} {
			t.Run(fmt.Sprintf("leaky_relu(%v)/%v", slope, dt), func(t *testing.T) {
				y, gx := actRun(t, dt, func(x *G.Node) (*G.Node, error) { return LeakyReLU(x, slope) }, x, gy)
				a := slope
				if dt == tensor.Float32 {
					a = float64(float32(slope))
				}
				r := func(v float64) float64 { // v rounded to dt
					if dt == tensor.Float32 {
						return float64(float32(v))
					}
					return v
				}
				wantY := []float64{r(-2 * a), math.Copysign(0, -a), math.Copysign(0, a), 3, math.NaN(), math.Inf(1), math.Inf(-1) * a / math.Abs(a)}
				wantGx := []float64{a, a, a, 1, a, 1, a}
				for i := range x {
					if math.Float64bits(y[i]) != math.Float64bits(wantY[i]) && !(math.IsNaN(y[i]) && math.IsNaN(wantY[i])) {
						t.Errorf("leaky_relu(%v) = %v, want %v", x[i], y[i], wantY[i])
					}
					if gx[i] != wantGx[i] {
						t.Errorf("leaky_relu'(%v) = %v, want %v", x[i], gx[i], wantGx[i])
					}
				}
			})
		}
		t.Run(fmt.Sprintf("sigmoid/%v", dt), func(t *testing.T) {
			xs := []float64{16, 20, -30, -100, math.NaN(), math.Inf(1), math.Inf(-1)}
			y, gx := actRun(t, dt, Sigmoid, xs, gy)
			for i, v := range xs {
				want := 1 / (1 + math.Exp(-v))
				if dt == tensor.Float32 {
					want = float64(float32(want))
				}
				if !sigmoidClose(dt, y[i], want) && !(math.IsNaN(y[i]) && math.IsNaN(want)) {
					t.Errorf("sigmoid(%v) = %v, want %v", v, y[i], want)
				}
				if math.IsNaN(v) != math.IsNaN(gx[i]) || gx[i] < 0 {
					t.Errorf("sigmoid'(%v) = %v", v, gx[i])
				}
			}
			if dt == tensor.Float32 && (y[0] == 1 || gx[0] == 0) {
				t.Errorf("sigmoid(16) = %v, gradient %v: clipped", y[0], gx[0])
			}
		})
	}
}
