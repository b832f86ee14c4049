package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

// poolFn is avgPool2D or maxPool2D.
type poolFn func(x *G.Node, kernel, stride, pad [2]int) (*G.Node, error)

// metaPair reads a two-element integer array such as "kernel" from a
// fixture's meta.json.
func metaPair(t testing.TB, meta map[string]any, key string) [2]int {
	t.Helper()
	v, ok := meta[key].([]any)
	if !ok || len(v) != 2 {
		t.Fatalf("meta %s: %v", key, meta[key])
	}
	return [2]int{int(v[0].(float64)), int(v[1].(float64))}
}

// TestPool2DFixture compares both pools with torch F.max_pool2d /
// F.avg_pool2d(count_include_pad=True) (tools/golden/make_golden.py).
func TestPool2DFixture(t *testing.T) {
	cases := []struct {
		name string
		pool poolFn
	}{
		{"maxpool2d_k2s2", MaxPool2D},
		{"maxpool2d_k2s2_odd", MaxPool2D},
		{"maxpool2d_k3s2p1", MaxPool2D},
		{"avgpool2d_k2s2", AvgPool2D},
		{"avgpool2d_k3s2p1", AvgPool2D},
	}
	for _, c := range cases {
		meta := zootest.LoadMeta(t, "layers", c.name)
		k, p, s := metaPair(t, meta, "kernel"), metaPair(t, meta, "padding"), metaPair(t, meta, "stride")
		x := zootest.LoadGolden(t, "layers", c.name, "x")
		gy := zootest.LoadGolden(t, "layers", c.name, "gy")
		wantY := zootest.LoadGolden(t, "layers", c.name, "y").Float64s()
		wantGx := zootest.LoadGolden(t, "layers", c.name, "gx").Float64s()
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.DT), func(t *testing.T) {
				y, g := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
					return c.pool(in[0], k, s, p)
				}, []*tensor.Dense{x}, []bool{true}, gy)
				ey := zootest.CheckClose(t, "y", y, wantY, d.Tol)
				eg := zootest.CheckClose(t, "gx", g[0], wantGx, d.Tol)
				t.Logf("max rel err y %.3g, gx %.3g", ey, eg)
			})
		}
	}
}

// distinct returns a float64 tensor whose values are a seeded shuffle of
// 0.01·(i − n/2): any two differ by at least 0.01, so max pooling has no
// ties and no kink within a finite-difference step.
func distinct(seed uint64, shape ...int) *tensor.Dense {
	n := tensor.Shape(shape).TotalSize()
	v := make([]float64, n)
	for i, j := range rand.New(rand.NewPCG(seed, 3)).Perm(n) {
		v[i] = 0.01 * float64(j-n/2)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

func TestPool2DGradFD(t *testing.T) {
	cases := []struct {
		name                string
		shape               []int
		kernel, pad, stride [2]int
	}{
		{"k2s2", []int{2, 2, 4, 4}, [2]int{2, 2}, [2]int{0, 0}, [2]int{2, 2}},
		{"k3s2p1", []int{1, 2, 5, 5}, [2]int{3, 3}, [2]int{1, 1}, [2]int{2, 2}},
		{"k3s1p1 overlapping", []int{1, 1, 4, 5}, [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1}},
		{"rect k2x3 s1x2 p1x1", []int{2, 1, 5, 6}, [2]int{2, 3}, [2]int{1, 1}, [2]int{1, 2}},
		{"odd floor", []int{1, 2, 7, 5}, [2]int{2, 2}, [2]int{0, 0}, [2]int{2, 2}},
	}
	for _, c := range cases {
		for _, f := range []struct {
			name string
			pool poolFn
		}{{"max", MaxPool2D}, {"avg", AvgPool2D}} {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
					return f.pool(in[0], c.kernel, c.stride, c.pad)
				}, []*tensor.Dense{distinct(5, c.shape...)}, nil)
			})
		}
	}
}

// TestPool2DGradFDChained feeds the pooled output into Gorgonia ops that may
// work in place on their input (max pooling's backward pass reads its output
// y, which must not be overwritten before then).
func TestPool2DGradFDChained(t *testing.T) {
	for _, f := range []struct {
		name string
		pool poolFn
	}{{"max", MaxPool2D}, {"avg", AvgPool2D}} {
		t.Run(f.name, func(t *testing.T) {
			zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
				y, err := f.pool(in[0], [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1})
				if err != nil {
					return nil, err
				}
				r, err := G.Rectify(y)
				if err != nil {
					return nil, err
				}
				s, err := G.Sigmoid(y)
				if err != nil {
					return nil, err
				}
				sq, err := G.Square(s)
				if err != nil {
					return nil, err
				}
				return G.Add(r, sq)
			}, []*tensor.Dense{distinct(9, 2, 2, 6, 5)}, nil)
		})
	}
}

// TestAvgPool2DCountsPadding checks the divisor on a constant input: with
// count_include_pad a 3×3 window at a corner with pad 1 covers 4 of 9 ones.
func TestAvgPool2DCountsPadding(t *testing.T) {
	for _, d := range zootest.Dtypes {
		t.Run(d.DT.String(), func(t *testing.T) {
			x := tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float64{1, 1, 1, 1, 1, 1, 1, 1, 1}))
			y, _ := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
				return AvgPool2D(in[0], [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1})
			}, []*tensor.Dense{x}, []bool{false}, nil)
			want := []float64{4.0 / 9, 6.0 / 9, 4.0 / 9, 6.0 / 9, 1, 6.0 / 9, 4.0 / 9, 6.0 / 9, 4.0 / 9}
			zootest.CheckClose(t, "y", y, want, d.Tol)
		})
	}
}

// TestMaxPool2DPadding checks that padding never wins over negative inputs
// (PyTorch pads max pooling with −∞, not 0) and that ties and NaN follow
// PyTorch: the first maximum in row-major order gets the gradient, a NaN
// propagates.
func TestMaxPool2DPadding(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name   string
		x      []float64 // 1×1×2×2
		wantY  []float64 // k2 s2 p1 → 2×2
		wantGx []float64 // for gy = 1
	}{
		{"negative", []float64{-1, -2, -3, -4}, []float64{-1, -2, -3, -4}, []float64{1, 1, 1, 1}},
		{"ties", []float64{5, 5, 5, 5}, []float64{5, 5, 5, 5}, []float64{1, 1, 1, 1}},
		{"nan", []float64{1, nan, 3, 4}, []float64{1, nan, 3, 4}, []float64{1, 1, 1, 1}},
	}
	for _, c := range cases {
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.DT), func(t *testing.T) {
				x := tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking(append([]float64(nil), c.x...)))
				gy := tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float64{1, 1, 1, 1}))
				y, g := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
					return MaxPool2D(in[0], [2]int{2, 2}, [2]int{2, 2}, [2]int{1, 1})
				}, []*tensor.Dense{x}, []bool{true}, gy)
				for i := range y {
					if y[i] != c.wantY[i] && !(math.IsNaN(y[i]) && math.IsNaN(c.wantY[i])) {
						t.Errorf("y = %v, want %v", y, c.wantY)
						break
					}
				}
				zootest.CheckClose(t, "gx", g[0], c.wantGx, 0)
			})
		}
	}
	// Ties inside one window: the gradient goes to the first maximum.
	x := tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float64{1, 7, 7, 7}))
	gy := tensor.New(tensor.WithShape(1, 1, 1, 1), tensor.WithBacking([]float64{3}))
	_, g := zootest.Run(t, tensor.Float64, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
		return MaxPool2D(in[0], [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	}, []*tensor.Dense{x}, []bool{true}, gy)
	zootest.CheckClose(t, "tie gx", g[0], []float64{0, 3, 0, 0}, 0)

	// NaN inside one window, on the 2×2 stride-2 path and on the general
	// path (stride 1): the first NaN in row-major order takes the gradient.
	x = tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float64{1, nan, nan, 4}))
	for _, stride := range [][2]int{{2, 2}, {1, 1}} {
		y, g := zootest.Run(t, tensor.Float64, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
			return MaxPool2D(in[0], [2]int{2, 2}, stride, [2]int{0, 0})
		}, []*tensor.Dense{x}, []bool{true}, gy)
		if !math.IsNaN(y[0]) {
			t.Errorf("stride %v: y = %v, want NaN", stride, y)
		}
		zootest.CheckClose(t, fmt.Sprintf("stride %v: NaN gx", stride), g[0], []float64{0, 3, 0, 0}, 0)
	}
}

func TestPool2DBadConfig(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 2, 5, 5), G.WithName("x"))
	cases := []struct {
		name                string
		x                   *G.Node
		kernel, pad, stride [2]int
	}{
		{"pad over half kernel", x, [2]int{2, 2}, [2]int{2, 0}, [2]int{1, 1}},
		{"zero stride", x, [2]int{2, 2}, [2]int{0, 0}, [2]int{0, 1}},
		{"zero kernel", x, [2]int{0, 2}, [2]int{0, 0}, [2]int{1, 1}},
		{"negative pad", x, [2]int{2, 2}, [2]int{-1, 0}, [2]int{1, 1}},
		{"kernel over input", x, [2]int{6, 2}, [2]int{0, 0}, [2]int{1, 1}},
		{"3-D input", G.NewTensor(g, tensor.Float64, 3, G.WithShape(2, 5, 5), G.WithName("x3")), [2]int{2, 2}, [2]int{0, 0}, [2]int{2, 2}},
		{"int input", G.NewTensor(g, tensor.Int, 4, G.WithShape(1, 2, 5, 5), G.WithName("xi")), [2]int{2, 2}, [2]int{0, 0}, [2]int{2, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := MaxPool2D(c.x, c.kernel, c.stride, c.pad); err == nil {
				t.Error("max pool: no error")
			}
			if _, err := AvgPool2D(c.x, c.kernel, c.stride, c.pad); err == nil {
				t.Error("avg pool: no error")
			}
		})
	}
}

// TestPool2DDistinctNodes checks that pools with different parameters on
// one input are different nodes (their hashes encode the parameters).
func TestPool2DDistinctNodes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 1, 6, 6), G.WithName("x"))
	a, err := MaxPool2D(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	b, err := MaxPool2D(x, [2]int{2, 2}, [2]int{1, 1}, [2]int{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	c, err := AvgPool2D(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a == c {
		t.Error("pools with different parameters or kinds share a node")
	}
	if !b.Shape().Eq(tensor.Shape{1, 1, 5, 5}) {
		t.Errorf("stride-1 shape %v, want (1,1,5,5)", b.Shape())
	}
}

// TestMaxPool2DIndexChecked checks that max pooling's backward pass does
// not trust an argmax record that does not belong to its input: after the
// forward pass, x changes in place (and y with it), so the record is stale
// though the memory is the same; the gradient must be the one found from x
// and y alone (an op without a record).
func TestMaxPool2DIndexChecked(t *testing.T) {
	p := window{kh: 3, kw: 3, ph: 1, pw: 1, sh: 2, sw: 2}
	for _, d := range zootest.Dtypes {
		t.Run(d.DT.String(), func(t *testing.T) {
			x := zootest.Cast(distinct(21, 2, 3, 7, 6), d.DT)
			gy := zootest.Cast(zootest.RandDense(22, 2, 3, 4, 3), d.DT)
			op := maxPool2DOp{p: p, ix: recordingIndex()}
			y, err := op.Do(x)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := maxPool2DGradOp(op).Do(x, y, gy)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := maxPool2DGradOp{p: p}.Do(x, y, gy)
			if err != nil {
				t.Fatal(err)
			}
			zootest.CheckClose(t, "gx with the record", zootest.Floats(t, fresh), zootest.Floats(t, plain), 0)
			// Reverse x in place and pool it into the same y without
			// recording: the record now points at other elements.
			xs := zootest.Cast(distinct(23, 2, 3, 7, 6), d.DT)
			if err := tensor.Copy(x, xs); err != nil {
				t.Fatal(err)
			}
			if _, err := (maxPool2DOp{p: p}).UsePreallocDo(y, x); err != nil {
				t.Fatal(err)
			}
			stale, err := maxPool2DGradOp(op).Do(x, y, gy)
			if err != nil {
				t.Fatal(err)
			}
			want, err := maxPool2DGradOp{p: p}.Do(x, y, gy)
			if err != nil {
				t.Fatal(err)
			}
			zootest.CheckClose(t, "gx with a stale record", zootest.Floats(t, stale), zootest.Floats(t, want), 0)
			if slices.Equal(zootest.Floats(t, stale), zootest.Floats(t, fresh)) {
				t.Error("the new x routes the gradient as the old one did: the test proves nothing")
			}
		})
	}
}

func benchPool(b *testing.B, pool poolFn, dt tensor.Dtype) {
	benchForwardBackward(b, dt, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
		return pool(in[0], [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	}, [][]int{{100, 32, 28, 28}}, nil)
}

func gorgoniaMaxPool(x *G.Node, kernel, stride, pad [2]int) (*G.Node, error) {
	return G.MaxPool2D(x, tensor.Shape{kernel[0], kernel[1]}, pad[:], stride[:])
}

func BenchmarkAvgPool2D100x32x28x28K2S2F32(b *testing.B) { benchPool(b, AvgPool2D, tensor.Float32) }
func BenchmarkMaxPool2D100x32x28x28K2S2F32(b *testing.B) { benchPool(b, MaxPool2D, tensor.Float32) }
func BenchmarkGorgoniaMaxPool2D100x32x28x28K2S2F32(b *testing.B) {
	benchPool(b, gorgoniaMaxPool, tensor.Float32)
}

// recordingIndex returns a maxIndex that the forward op records into, as
// it does once the graph has a gradient op.
func recordingIndex() *maxIndex {
	ix := new(maxIndex)
	ix.grad.Store(true)
	return ix
}

// TestMaxPool2DRecordsOnlyForGradients builds max pooling in a graph: the
// forward op keeps no argmax until the graph has the gradient op, then
// records one per output element.
func TestMaxPool2DRecordsOnlyForGradients(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(2, 3, 4, 4), G.WithName("x"), G.WithValue(distinct(31, 2, 3, 4, 4)))
	y, err := MaxPool2D(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	op := y.Op().(maxPool2DOp)
	if _, err := op.Do(x.Value()); err != nil {
		t.Fatal(err)
	}
	if op.ix.idx != nil {
		t.Errorf("without a gradient op the forward recorded %d indices", len(op.ix.idx))
	}
	if _, err := G.Grad(G.Must(G.Sum(y)), x); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Do(x.Value()); err != nil {
		t.Fatal(err)
	}
	if want := 2 * 3 * 2 * 2; len(op.ix.idx) != want {
		t.Errorf("with a gradient op the forward recorded %d indices, want %d", len(op.ix.idx), want)
	}
}

// TestMax2RowMatchesGo: the vectorised 2×2 max pooling of a row pair gives
// the Go loop's maxima and argmax indices bit for bit, for 0 to 40 outputs
// (whole and partial blocks of 16), with ties, ±0 against each other, ±Inf
// and NaN (whose blocks the Go loop does), with and without indices.
func TestMax2RowMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for n := 0; n <= 40; n++ {
		for trial := range 50 {
			w := 2*n + trial%3
			r0, r1 := make([]float32, w), make([]float32, w)
			for i := range r0 {
				// Mostly few distinct values (ties, ±0), NaN only in some trials.
				pick := func() float32 {
					if trial%2 == 0 {
						return float32(rng.NormFloat64())
					}
					v := vals[rng.IntN(len(vals))]
					if v != v && trial%5 != 1 {
						v = 3
					}
					return v
				}
				r0[i], r1[i] = pick(), pick()
			}
			base := 7 * trial
			for _, withIdx := range []bool{false, true} {
				y, want := make([]float32, n+1), make([]float32, n+1)
				y[n], want[n] = 42, 42
				var ip, wantIP []int32
				if withIdx {
					ip, wantIP = make([]int32, n+1), make([]int32, n+1)
					ip[n], wantIP[n] = -5, -5
				}
				max2Row(r0, r1, y[:n], ipOrNil(ip, n), base, w)
				max2RowGo(r0[:2*n], r1[:2*n], want[:n], ipOrNil(wantIP, n), base, w, 0, n)
				for j := range y {
					if math.Float32bits(y[j]) != math.Float32bits(want[j]) {
						t.Fatalf("n %d, trial %d: y[%d] = %v (%#x), want %v (%#x)", n, trial, j, y[j], math.Float32bits(y[j]), want[j], math.Float32bits(want[j]))
					}
					if withIdx && ip[j] != wantIP[j] {
						t.Fatalf("n %d, trial %d: ip[%d] = %d, want %d", n, trial, j, ip[j], wantIP[j])
					}
				}
			}
		}
	}
}

func ipOrNil(ip []int32, n int) []int32 {
	if ip == nil {
		return nil
	}
	return ip[:n]
}

// BenchmarkMax2Row pools lenet5's first layer (128 images × 6 planes of
// 28×28) row pair by row pair, vectorised and in Go.
func BenchmarkMax2Row(b *testing.B) {
	const planes, h, w = 128 * 6, 28, 28
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, planes*h*w)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y, ip := make([]float32, planes*h*w/4), make([]int32, planes*h*w/4)
	run := func(b *testing.B, f func(r0, r1, yr []float32, ir []int32, base int)) {
		for range b.N {
			for p := range planes {
				xp := x[p*h*w:]
				for i := range h / 2 {
					o := (p*h/2 + i) * w / 2
					f(xp[2*i*w:(2*i+1)*w], xp[(2*i+1)*w:(2*i+2)*w], y[o:o+w/2], ip[o:o+w/2], 2*i*w)
				}
			}
		}
	}
	b.Run("vmath", func(b *testing.B) {
		run(b, func(r0, r1, yr []float32, ir []int32, base int) { max2Row(r0, r1, yr, ir, base, w) })
	})
	b.Run("go", func(b *testing.B) {
		run(b, func(r0, r1, yr []float32, ir []int32, base int) { max2RowGo(r0, r1, yr, ir, base, w, 0, len(yr)) })
	})
}
