package ops

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

// Tests of the Gorgonia ops zoo builds on as they are (Conv2d, MaxPool2D,
// Rectify, LeakyRelu, Sigmoid, Tanh) against the PyTorch fixtures made by
// tools/golden/make_golden.py and against finite differences.

var convCases = []string{
	"conv2d_stride1_pad0", "conv2d_stride1_pad1", "conv2d_stride2_pad0", "conv2d_stride2_pad1",
	"conv2d_nobias", "conv2d_stride2_floor", "conv2d_rect",
}

// broadcastBias adds b (O) to y (N,O,H,W) with Gorgonia's BroadcastAdd,
// the way to add a bias to Gorgonia's own Conv2d that the tests check too.
func broadcastBias(y, b *G.Node) (*G.Node, error) {
	b4, err := G.Reshape(b, tensor.Shape{1, b.Shape()[0], 1, 1})
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(y, b4, nil, []byte{0, 2, 3})
}

func TestConv2DFixture(t *testing.T) {
	for _, name := range convCases {
		meta := zootest.LoadMeta(t, "layers", name)
		pad, stride := metaPair(t, meta, "padding"), metaPair(t, meta, "stride")
		bias := meta["bias"].(bool)
		arrays := []string{"x", "W"}
		if bias {
			arrays = append(arrays, "b")
		}
		var inputs []*tensor.Dense
		for _, a := range arrays {
			inputs = append(inputs, zootest.LoadGolden(t, "layers", name, a))
		}
		gy := zootest.LoadGolden(t, "layers", name, "gy")
		wantY := zootest.LoadGolden(t, "layers", name, "y").Float64s()
		for _, impl := range []struct {
			name string
			fn   func(in []*G.Node) (*G.Node, error)
		}{
			{"conv2dWithBias", func(in []*G.Node) (*G.Node, error) {
				if !bias {
					return Conv2D(in[0], in[1], nil, stride, pad)
				}
				return Conv2D(in[0], in[1], in[2], stride, pad)
			}},
			{"G.Conv2d+BroadcastAdd", func(in []*G.Node) (*G.Node, error) {
				c, err := G.Conv2d(in[0], in[1], tensor.Shape(in[1].Shape()[2:]).Clone(), pad[:], stride[:], []int{1, 1})
				if err != nil || !bias {
					return c, err
				}
				return broadcastBias(c, in[2])
			}},
		} {
			for _, d := range zootest.Dtypes {
				t.Run(fmt.Sprintf("%s/%s/%v", name, impl.name, d.DT), func(t *testing.T) {
					wrt := make([]bool, len(inputs))
					for i := range wrt {
						wrt[i] = true
					}
					y, grads := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return impl.fn(in) }, inputs, wrt, gy)
					msg := fmt.Sprintf("y %.3g", zootest.CheckClose(t, "y", y, wantY, d.Tol))
					for i, a := range arrays {
						want := zootest.LoadGolden(t, "layers", name, "g"+a).Float64s()
						msg += fmt.Sprintf(", g%s %.3g", a, zootest.CheckClose(t, "g"+a, grads[i], want, d.Tol))
					}
					t.Log("max rel err " + msg)
				})
			}
		}
	}
}

func TestConv2DGradFD(t *testing.T) {
	cases := []struct {
		name        string
		x, w        []int
		pad, stride [2]int
		bias        bool
	}{
		{"3x3 s1 p1", []int{2, 2, 5, 5}, []int{3, 2, 3, 3}, [2]int{1, 1}, [2]int{1, 1}, true},
		{"3x3 s2 p0", []int{1, 2, 6, 6}, []int{2, 2, 3, 3}, [2]int{0, 0}, [2]int{2, 2}, true},
		{"rect 2x3 s(1,2) p(0,1)", []int{2, 3, 5, 6}, []int{2, 3, 2, 3}, [2]int{0, 1}, [2]int{1, 2}, true},
		{"no bias", []int{1, 1, 4, 4}, []int{2, 1, 2, 2}, [2]int{0, 0}, [2]int{1, 1}, false},
		{"pad 2 stride 3", []int{1, 2, 7, 8}, []int{2, 2, 3, 3}, [2]int{2, 2}, [2]int{3, 3}, true},
		{"1x1 kernel s2", []int{2, 3, 5, 5}, []int{4, 3, 1, 1}, [2]int{0, 0}, [2]int{2, 2}, true},
		{"pad wider than input", []int{1, 2, 1, 2}, []int{2, 2, 5, 5}, [2]int{2, 2}, [2]int{1, 1}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inputs := []*tensor.Dense{zootest.RandDense(41, c.x...), zootest.RandDense(42, c.w...)}
			if c.bias {
				inputs = append(inputs, zootest.RandDense(43, c.w[0]))
			}
			zootest.CheckGrad(t, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
				var b *G.Node
				if c.bias {
					b = in[2]
				}
				return Conv2D(in[0], in[1], b, c.stride, c.pad)
			}, inputs, nil)
		})
	}
}

// TestConv2DMatchesGorgonia compares conv2dWithBias with Gorgonia's Conv2d
// on batches larger than one worker chunk (so the filter gradient is summed
// over several chunks), and checks that the result does not depend on
// GOMAXPROCS, bit for bit.
func TestConv2DMatchesGorgonia(t *testing.T) {
	cases := []struct {
		name        string
		x, w        []int
		pad, stride [2]int
	}{
		{"batch 19 3x3 p1", []int{19, 3, 9, 9}, []int{5, 3, 3, 3}, [2]int{1, 1}, [2]int{1, 1}},
		{"batch 17 5x5 s2 p2", []int{17, 2, 12, 11}, []int{4, 2, 5, 5}, [2]int{2, 2}, [2]int{2, 2}},
		{"batch 9 rect s(2,1) p(1,0)", []int{9, 2, 8, 7}, []int{3, 2, 3, 2}, [2]int{1, 0}, [2]int{2, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inputs := []*tensor.Dense{zootest.RandDense(51, c.x...), zootest.RandDense(52, c.w...)}
			gy := zootest.RandDense(53, append([]int{c.x[0], c.w[0]}, (c.x[2]+2*c.pad[0]-c.w[2])/c.stride[0]+1, (c.x[3]+2*c.pad[1]-c.w[3])/c.stride[1]+1)...)
			wrt := []bool{true, true}
			zoo := func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
				return Conv2D(in[0], in[1], nil, c.stride, c.pad)
			}
			y, g := zootest.Run(t, tensor.Float64, zoo, inputs, wrt, gy)
			wy, wg := zootest.Run(t, tensor.Float64, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
				return G.Conv2d(in[0], in[1], tensor.Shape{c.w[2], c.w[3]}, c.pad[:], c.stride[:], []int{1, 1})
			}, inputs, wrt, gy)
			zootest.CheckClose(t, "y", y, wy, 1e-12)
			zootest.CheckClose(t, "gx", g[0], wg[0], 1e-12)
			zootest.CheckClose(t, "gW", g[1], wg[1], 1e-12)
			for _, procs := range []int{1, 3} {
				old := runtime.GOMAXPROCS(procs)
				y32a, g32a := zootest.Run(t, tensor.Float32, zoo, inputs, wrt, gy)
				runtime.GOMAXPROCS(old)
				y32b, g32b := zootest.Run(t, tensor.Float32, zoo, inputs, wrt, gy)
				if !slices.Equal(y32a, y32b) || !slices.Equal(g32a[0], g32b[0]) || !slices.Equal(g32a[1], g32b[1]) {
					t.Errorf("float32 results differ between GOMAXPROCS %d and %d", procs, old)
				}
			}
		})
	}
}

func TestConv2DBadShapes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(2, 3, 5, 5), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float64, 4, G.WithShape(4, 3, 3, 3), G.WithName("w"))
	cases := []struct {
		name        string
		x, w, b     *G.Node
		pad, stride [2]int
	}{
		{"channel mismatch", x, G.NewTensor(g, tensor.Float64, 4, G.WithShape(4, 2, 3, 3), G.WithName("w2")), nil, [2]int{}, [2]int{1, 1}},
		{"kernel too big", x, G.NewTensor(g, tensor.Float64, 4, G.WithShape(4, 3, 6, 3), G.WithName("w6")), nil, [2]int{}, [2]int{1, 1}},
		{"zero stride", x, w, nil, [2]int{}, [2]int{0, 1}},
		{"bias length", x, w, G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("b3")), [2]int{}, [2]int{1, 1}},
		{"rank 3 input", G.NewTensor(g, tensor.Float64, 3, G.WithShape(3, 5, 5), G.WithName("x3")), w, nil, [2]int{}, [2]int{1, 1}},
		{"float32 filter", x, G.NewTensor(g, tensor.Float32, 4, G.WithShape(4, 3, 3, 3), G.WithName("w32")), nil, [2]int{}, [2]int{1, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Conv2D(c.x, c.w, c.b, c.stride, c.pad); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestGorgoniaMaxPool2DFixture checks Gorgonia's own MaxPool2D against the
// max-pool fixtures (zoo uses its own maxPool2D; see op_pool.go for why).
func TestGorgoniaMaxPool2DFixture(t *testing.T) {
	for _, name := range []string{"maxpool2d_k2s2", "maxpool2d_k2s2_odd", "maxpool2d_k3s2p1"} {
		meta := zootest.LoadMeta(t, "layers", name)
		k, p, s := metaPair(t, meta, "kernel"), metaPair(t, meta, "padding"), metaPair(t, meta, "stride")
		x := zootest.LoadGolden(t, "layers", name, "x")
		gy := zootest.LoadGolden(t, "layers", name, "gy")
		wantY := zootest.LoadGolden(t, "layers", name, "y").Float64s()
		wantGx := zootest.LoadGolden(t, "layers", name, "gx").Float64s()
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", name, d.DT), func(t *testing.T) {
				y, g := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
					return G.MaxPool2D(in[0], tensor.Shape{k[0], k[1]}, p[:], s[:])
				}, []*tensor.Dense{x}, []bool{true}, gy)
				t.Logf("max rel err y %.3g, gx %.3g", zootest.CheckClose(t, "y", y, wantY, d.Tol), zootest.CheckClose(t, "gx", g[0], wantGx, d.Tol))
			})
		}
	}
}

func benchConv(b *testing.B, dt tensor.Dtype, x, w []int, pad, stride [2]int) {
	benchForwardBackward(b, dt, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
		return Conv2D(in[0], in[1], in[2], stride, pad)
	}, [][]int{x, w, {w[0]}}, nil)
}

func BenchmarkConv2DWithBias100x1x28x28To32K5F32(b *testing.B) {
	benchConv(b, tensor.Float32, []int{100, 1, 28, 28}, []int{32, 1, 5, 5}, [2]int{}, [2]int{1, 1})
}

func BenchmarkGorgoniaConv2DBroadcastBias100x1x28x28To32K5F32(b *testing.B) {
	benchForwardBackward(b, tensor.Float32, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
		c, err := G.Conv2d(in[0], in[1], tensor.Shape{5, 5}, []int{0, 0}, []int{1, 1}, []int{1, 1})
		if err != nil {
			return nil, err
		}
		return broadcastBias(c, in[2])
	}, [][]int{{100, 1, 28, 28}, {32, 1, 5, 5}, {32}}, nil)
}

// convNaive computes conv2d, its input gradient and its filter gradient
// from their definitions as direct sums (y = Σ w·x over each window), the
// reference for the kernels.
func convNaive(k convK, x, w, gy []float64) (y, gx, gw []float64) {
	g := k.g
	y, gx, gw = make([]float64, k.n*k.outLen), make([]float64, k.n*k.inLen), make([]float64, k.o*k.rows)
	for n := 0; n < k.n; n++ {
		for o := 0; o < k.o; o++ {
			for r := 0; r < k.oh; r++ {
				for s := 0; s < k.ow; s++ {
					out := ((n*k.o+o)*k.oh+r)*k.ow + s
					for c := 0; c < k.c; c++ {
						for i := 0; i < g.kh; i++ {
							for j := 0; j < g.kw; j++ {
								a, b := r*g.sh-g.ph+i, s*g.sw-g.pw+j
								if a < 0 || a >= k.h || b < 0 || b >= k.w {
									continue
								}
								in := ((n*k.c+c)*k.h+a)*k.w + b
								wi := ((o*k.c+c)*g.kh+i)*g.kw + j
								y[out] += w[wi] * x[in]
								gx[in] += w[wi] * gy[out]
								gw[wi] += gy[out] * x[in]
							}
						}
					}
				}
			}
		}
	}
	return y, gx, gw
}

// TestConv2DKernelPaths checks both kernel paths (wide rows and
// im2col/col2im) against the direct sums, in float64 and float32, with
// output buffers full of NaN (a kernel must overwrite all of its output) and
// one scratch shared by all cases (buffers of every size are handed out
// again). The two paths add the same products in the same order, so their
// float32 results must be equal bit for bit.
func TestConv2DKernelPaths(t *testing.T) {
	cases := []struct {
		name        string
		x, w        []int
		pad, stride [2]int
	}{
		{"3x3 p1 batch 10", []int{10, 3, 6, 7}, []int{4, 3, 3, 3}, [2]int{1, 1}, [2]int{1, 1}},
		{"5x5 p2 one channel", []int{9, 1, 8, 8}, []int{6, 1, 5, 5}, [2]int{2, 2}, [2]int{1, 1}},
		{"5x5 valid", []int{3, 6, 9, 9}, []int{16, 6, 5, 5}, [2]int{0, 0}, [2]int{1, 1}},
		{"rect 2x3 p(1,0)", []int{2, 2, 5, 6}, []int{3, 2, 2, 3}, [2]int{1, 0}, [2]int{1, 1}},
		{"1x1", []int{2, 5, 4, 3}, []int{2, 5, 1, 1}, [2]int{0, 0}, [2]int{1, 1}},
		{"1x1 p1", []int{2, 3, 3, 4}, []int{2, 3, 1, 1}, [2]int{1, 1}, [2]int{1, 1}},
		{"pad over kernel", []int{2, 2, 3, 3}, []int{3, 2, 2, 2}, [2]int{2, 2}, [2]int{1, 1}},
		{"pad wider than input", []int{1, 2, 1, 2}, []int{2, 2, 5, 5}, [2]int{2, 2}, [2]int{1, 1}},
		{"stride 2 p1", []int{9, 2, 7, 8}, []int{3, 2, 3, 3}, [2]int{1, 1}, [2]int{2, 2}},
		{"stride (2,1)", []int{2, 2, 8, 7}, []int{3, 2, 3, 2}, [2]int{1, 0}, [2]int{2, 1}},
	}
	sc := new(scratch)
	for _, c := range cases {
		g := window{kh: c.w[2], kw: c.w[3], ph: c.pad[0], pw: c.pad[1], sh: c.stride[0], sw: c.stride[1]}
		k := convGeom(g, tensor.Shape(c.x), tensor.Shape(c.w))
		x, w := zootest.RandDense(61, c.x...).Float64s(), zootest.RandDense(62, c.w...).Float64s()
		gy := zootest.RandDense(63, k.n, k.o, k.oh, k.ow).Float64s()
		wantY, wantGx, wantGw := convNaive(k, x, w, gy)
		var got32 [2][3][]float32
		for p, path := range []string{"wide", "im2col"} {
			k.im2col = p == 1
			t.Run(c.name+"/"+path+"/float64", func(t *testing.T) {
				y, gx, gw := naNs[float64](len(wantY)), naNs[float64](len(wantGx)), naNs[float64](len(wantGw))
				convForward(sc, k, x, w, y)
				convGradX(sc, k, w, gy, gx)
				convGradW(sc, k, x, gy, gw)
				zootest.CheckClose(t, "y", y, wantY, 1e-13)
				zootest.CheckClose(t, "gx", gx, wantGx, 1e-13)
				zootest.CheckClose(t, "gW", gw, wantGw, 1e-13)
			})
			t.Run(c.name+"/"+path+"/float32", func(t *testing.T) {
				x32, w32, gy32 := to32(x), to32(w), to32(gy)
				y, gx, gw := naNs[float32](len(wantY)), naNs[float32](len(wantGx)), naNs[float32](len(wantGw))
				convForward(sc, k, x32, w32, y)
				convGradX(sc, k, w32, gy32, gx)
				convGradW(sc, k, x32, gy32, gw)
				zootest.CheckClose(t, "y", to64(y), wantY, zootest.Tol32)
				zootest.CheckClose(t, "gx", to64(gx), wantGx, zootest.Tol32)
				zootest.CheckClose(t, "gW", to64(gw), wantGw, zootest.Tol32)
				got32[p] = [3][]float32{y, gx, gw}
			})
		}
		// zoo's GEMM computes each output element as one fixed chain of
		// FMAs whatever the product's shape; OpenBLAS (-tags openblas)
		// blocks differently shaped products differently.
		if !strings.HasPrefix(graph.BLASName(), "FastBLAS: zoo GEMM") {
			continue
		}
		for i, what := range []string{"y", "gx", "gW"} {
			if !slices.Equal(got32[0][i], got32[1][i]) {
				t.Errorf("%s: float32 %s differs between the wide and the im2col path", c.name, what)
			}
		}
	}
}

func naNs[T float32 | float64](n int) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T(math.NaN())
	}
	return v
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, f := range v {
		out[i] = float64(f)
	}
	return out
}

// naNTensor returns a tensor of the given dtype and shape full of NaN.
func naNTensor(dt tensor.Dtype, shape ...int) *tensor.Dense {
	d := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	switch v := d.Data().(type) {
	case []float32:
		copy(v, naNs[float32](len(v)))
	case []float64:
		copy(v, naNs[float64](len(v)))
	}
	return d
}

// TestConvPoolUsePrealloc checks that every conv and pooling op's
// UsePreallocDo writes its whole result into a prealloc full of NaN,
// returns that prealloc, gives the bits Do gives, and allocates a new
// tensor for a prealloc of the wrong shape.
func TestConvPoolUsePrealloc(t *testing.T) {
	conv := window{kh: 3, kw: 3, ph: 1, pw: 1, sh: 1, sw: 1}
	conv2 := window{kh: 3, kw: 3, ph: 1, pw: 1, sh: 2, sw: 2}
	pw := window{kh: 2, kw: 2, sh: 2, sw: 2}
	for _, d := range zootest.Dtypes {
		x := zootest.Cast(zootest.RandDense(71, 9, 2, 6, 6), d.DT)
		w := zootest.Cast(zootest.RandDense(72, 3, 2, 3, 3), d.DT)
		gy := zootest.Cast(zootest.RandDense(73, 9, 3, 6, 6), d.DT)
		gy2 := zootest.Cast(zootest.RandDense(74, 9, 3, 3, 3), d.DT)
		gp := zootest.Cast(zootest.RandDense(75, 9, 2, 3, 3), d.DT)
		mp := maxPool2DOp{p: pw, ix: recordingIndex()}
		py, err := mp.Do(x)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			op   interface {
				G.Op
				G.UsePreallocDoer
			}
			in []G.Value
		}{
			{"conv2d", conv2dOp{g: conv, sc: new(scratch)}, []G.Value{x, w}},
			{"conv2d stride 2", conv2dOp{g: conv2, sc: new(scratch)}, []G.Value{x, w}},
			{"conv2d gx", conv2dGradOp{g: conv, sc: new(scratch)}, []G.Value{x, w, gy}},
			{"conv2d gx stride 2", conv2dGradOp{g: conv2, sc: new(scratch)}, []G.Value{x, w, gy2}},
			{"conv2d gW", conv2dGradOp{g: conv, wrtW: true, sc: new(scratch)}, []G.Value{x, w, gy}},
			{"conv2d gW stride 2", conv2dGradOp{g: conv2, wrtW: true}, []G.Value{x, w, gy2}},
			{"avg pool", avgPool2DOp{p: pw}, []G.Value{x}},
			{"avg pool gx", avgPool2DGradOp{p: pw}, []G.Value{x, gp}},
			{"max pool", mp, []G.Value{x}},
			{"max pool gx", maxPool2DGradOp(mp), []G.Value{x, py, gp}},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.DT), func(t *testing.T) {
				want, err := c.op.Do(c.in...)
				if err != nil {
					t.Fatal(err)
				}
				pre := naNTensor(d.DT, want.Shape()...)
				got, err := c.op.UsePreallocDo(pre, c.in...)
				if err != nil {
					t.Fatal(err)
				}
				if got != G.Value(pre) {
					t.Error("UsePreallocDo did not return its prealloc")
				}
				if a, b := zootest.Floats(t, got), zootest.Floats(t, want); !slices.Equal(a, b) {
					t.Errorf("UsePreallocDo gives %v, Do %v", a, b)
				}
				wrong := naNTensor(d.DT, want.Shape().TotalSize())
				got, err = c.op.UsePreallocDo(wrong, c.in...)
				if err != nil {
					t.Fatal(err)
				}
				if got == G.Value(wrong) || !got.Shape().Eq(want.Shape()) {
					t.Errorf("prealloc of shape %v used for a result of shape %v", wrong.Shape(), want.Shape())
				}
				if a, b := zootest.Floats(t, got), zootest.Floats(t, want); !slices.Equal(a, b) {
					t.Errorf("with a wrong prealloc: %v, Do %v", a, b)
				}
			})
		}
	}
}
