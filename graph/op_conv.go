package graph

import (
	"fmt"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// conv2dWithBias is the 2-D cross-correlation of x (N,C,H,W) with filters w
// (O,C,kh,kw), PyTorch's F.conv2d layout and semantics (zero padding pad on
// each side, stride, dilation 1), plus a per-channel bias b (O) if b is not
// nil. Output (N,O,OH,OW) with OH = ⌊(H + 2·pad − kh)/stride⌋ + 1.
//
// The convolution is zoo's conv2dOp: per image, im2col and one matrix
// product W·col written straight into the NCHW output, through the BLAS
// Gorgonia uses (G.WhichBLAS, so gorgonia.Use(OpenBLAS) speeds it up too).
// Gorgonia's own Conv2d is correct (op_conv_test.go checks it against the
// same fixtures) but builds one im2col matrix for the whole batch and
// transposes the product back to NCHW in both passes. The bias is zoo's
// one-pass biasAdd.
func conv2dWithBias(x, w, b *G.Node, pad, stride [2]int) (*G.Node, error) {
	xs, ws := x.Shape(), w.Shape()
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, errors.WithMessage(err, "graph: conv2d")
	}
	if xs.Dims() != 4 || ws.Dims() != 4 || ws[1] != xs[1] || w.Dtype() != x.Dtype() {
		return nil, errors.Wrapf(ErrShape, "conv2d: x %v %v, w %v %v (want x (N,C,H,W), w (O,C,kh,kw), one dtype)",
			xs, x.Dtype(), ws, w.Dtype())
	}
	for i := 0; i < 2; i++ {
		if stride[i] < 1 || pad[i] < 0 {
			return nil, errors.Wrapf(ErrConfig, "graph: conv2d: pad %v, stride %v (want pad ≥ 0, stride ≥ 1)", pad, stride)
		}
	}
	if b != nil && (b.Shape().Dims() != 1 || b.Shape()[0] != ws[0] || b.Dtype() != x.Dtype()) {
		return nil, errors.Wrapf(ErrShape, "conv2d: bias %v %v for %d filters", b.Shape(), b.Dtype(), ws[0])
	}
	g := lpPool{kh: ws[2], kw: ws[3], ph: pad[0], pw: pad[1], sh: stride[0], sw: stride[1]}
	if err := g.check("conv2d", xs); err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(conv2dOp{g}, x, w)
	if err != nil {
		return nil, errors.Wrap(err, "graph: conv2d")
	}
	if b == nil {
		return y, nil
	}
	return biasAdd(y, b)
}

// conv2dOp maps (x (N,C,H,W), w (O,C,kh,kw)) to the cross-correlation
// (N,O,OH,OW). Its geometry (kernel, padding, stride) is its whole state.
type conv2dOp struct{ g lpPool }

func (conv2dOp) Arity() int               { return 2 }
func (conv2dOp) Type() hm.Type            { return lpPoolType(2) }
func (conv2dOp) ReturnsPtr() bool         { return false }
func (conv2dOp) CallsExtern() bool        { return false }
func (conv2dOp) OverwritesInput() int     { return -1 }
func (op conv2dOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op conv2dOp) Hashcode() uint32      { return lpHash(op) }
func (op conv2dOp) String() string        { return "zoo.Conv2D{" + op.g.String() + "}" }
func (conv2dOp) DiffWRT(int) []bool       { return []bool{true, true} }

func (op conv2dOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, errors.Wrapf(ErrShape, "conv2d: %d input shapes, want 2", len(in))
	}
	xs, ok1 := in[0].(tensor.Shape)
	ws, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || ws.Dims() != 4 {
		return nil, errors.Wrapf(ErrShape, "conv2d: input shapes %v, %v", in[0], in[1])
	}
	if err := op.g.check("conv2d", xs); err != nil {
		return nil, err
	}
	s := op.g.outShape(xs)
	s[1] = ws[0]
	return s, nil
}

func (op conv2dOp) Do(vals ...G.Value) (G.Value, error) {
	x, w, err := lpConvArgs("conv2d", op.g, vals, 2)
	if err != nil {
		return nil, err
	}
	s := op.g.outShape(x.Shape())
	s[1] = w.Shape()[0]
	y := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(s...))
	k := lpConvGeom(op.g, x.Shape(), w.Shape())
	switch xs := x.Data().(type) {
	case []float32:
		lpConvForward(k, xs, w.Data().([]float32), y.Data().([]float32))
	case []float64:
		lpConvForward(k, xs, w.Data().([]float64), y.Data().([]float64))
	}
	return y, nil
}

// SymDiff: gx = col2im(Wᵀ·gy) per image, gW = Σ_n gy_n·col_nᵀ.
func (op conv2dOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != 2 {
		return nil, errors.Wrapf(ErrShape, "conv2d gradient: %d inputs, want 2", len(in))
	}
	gx, err := G.ApplyOp(conv2dGradOp{g: op.g, wrtW: false}, in[0], in[1], grad)
	if err != nil {
		return nil, errors.Wrap(err, "graph: conv2d gradient")
	}
	gw, err := G.ApplyOp(conv2dGradOp{g: op.g, wrtW: true}, in[0], in[1], grad)
	return G.Nodes{gx, gw}, errors.Wrap(err, "graph: conv2d gradient")
}

// conv2dGradOp maps (x, w, gy) to the gradient with respect to x, or to w
// if wrtW. (The other input only supplies its shape.)
type conv2dGradOp struct {
	g    lpPool
	wrtW bool
}

func (conv2dGradOp) Arity() int               { return 3 }
func (conv2dGradOp) Type() hm.Type            { return lpPoolType(3) }
func (conv2dGradOp) ReturnsPtr() bool         { return false }
func (conv2dGradOp) CallsExtern() bool        { return false }
func (conv2dGradOp) OverwritesInput() int     { return -1 }
func (op conv2dGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op conv2dGradOp) Hashcode() uint32      { return lpHash(op) }
func (op conv2dGradOp) String() string {
	if op.wrtW {
		return "zoo.Conv2DGradW{" + op.g.String() + "}"
	}
	return "zoo.Conv2DGradX{" + op.g.String() + "}"
}

func (op conv2dGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 3 {
		return nil, errors.Wrapf(ErrShape, "conv2d gradient: %d input shapes, want 3", len(in))
	}
	i := 0
	if op.wrtW {
		i = 1
	}
	return lpSameShape(in[i:])
}

func (op conv2dGradOp) Do(vals ...G.Value) (G.Value, error) {
	const what = "conv2d gradient"
	x, w, err := lpConvArgs(what, op.g, vals, 3)
	if err != nil {
		return nil, err
	}
	gy, err := lpDense(what, vals[2], 4)
	if err != nil {
		return nil, err
	}
	k := lpConvGeom(op.g, x.Shape(), w.Shape())
	if want := (tensor.Shape{k.n, k.o, k.oh, k.ow}); !gy.Shape().Eq(want) || gy.Dtype() != x.Dtype() {
		return nil, errors.Wrapf(ErrShape, "%s: gy %v %v (want %v %v)", what, gy.Shape(), gy.Dtype(), want, x.Dtype())
	}
	if op.wrtW {
		gw := tensor.New(tensor.Of(w.Dtype()), tensor.WithShape(w.Shape().Clone()...))
		switch xs := x.Data().(type) {
		case []float32:
			lpConvGradW(k, xs, gy.Data().([]float32), gw.Data().([]float32))
		case []float64:
			lpConvGradW(k, xs, gy.Data().([]float64), gw.Data().([]float64))
		}
		return gw, nil
	}
	gx := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(x.Shape().Clone()...))
	switch ws := w.Data().(type) {
	case []float32:
		lpConvGradX(k, ws, gy.Data().([]float32), gx.Data().([]float32))
	case []float64:
		lpConvGradX(k, ws, gy.Data().([]float64), gx.Data().([]float64))
	}
	return gx, nil
}

// lpConvArgs checks x (N,C,H,W) and w (O,C,kh,kw), the first two of n inputs.
func lpConvArgs(what string, g lpPool, vals []G.Value, n int) (x, w *tensor.Dense, err error) {
	if len(vals) != n {
		return nil, nil, errors.Wrapf(ErrShape, "%s: %d inputs, want %d", what, len(vals), n)
	}
	if x, err = lpDense(what, vals[0], 4); err != nil {
		return nil, nil, err
	}
	if w, err = lpDense(what, vals[1], 4); err != nil {
		return nil, nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	if ws[1] != xs[1] || ws[2] != g.kh || ws[3] != g.kw || w.Dtype() != x.Dtype() {
		return nil, nil, errors.Wrapf(ErrShape, "%s: x %v %v, w %v %v", what, xs, x.Dtype(), ws, w.Dtype())
	}
	return x, w, g.check(what, xs)
}

// lpConvK is a convolution's sizes: batch n, channels c → o, input h×w,
// output oh×ow, and the im2col matrix of one image, rows = c·kh·kw by
// cols = oh·ow.
type lpConvK struct {
	g                         lpPool
	n, c, o, h, w, oh, ow     int
	rows, cols, inLen, outLen int
}

func lpConvGeom(g lpPool, xs, ws tensor.Shape) lpConvK {
	os := g.outShape(xs)
	k := lpConvK{g: g, n: xs[0], c: xs[1], o: ws[0], h: xs[2], w: xs[3], oh: os[2], ow: os[3]}
	k.rows, k.cols = k.c*g.kh*g.kw, k.oh*k.ow
	k.inLen, k.outLen = k.c*k.h*k.w, k.o*k.cols
	return k
}

// lpConvChunk is the number of images one worker handles at a time. It is
// fixed, not derived from GOMAXPROCS, so that the order in which the filter
// gradient's per-chunk sums are added, and so its bits, do not depend on the
// number of cores.
const lpConvChunk = 8

// lpParallelChunks calls f(chunk, lo, hi) for every chunk [lo, hi) of size
// (at most) size of the range [0, n), on up to GOMAXPROCS goroutines. The
// chunks do not depend on the number of goroutines.
func lpParallelChunks(n, size int, f func(chunk, lo, hi int)) {
	chunks := (n + size - 1) / size
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		for c := 0; c < chunks; c++ {
			f(c, c*size, min((c+1)*size, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				f(c, c*size, min((c+1)*size, n))
			}
		}()
	}
	wg.Wait()
}

// lpConvForward computes y_n = W · im2col(x_n) for every image n, W viewed
// as an (o, rows) matrix and y_n as (o, cols).
func lpConvForward[T float32 | float64](k lpConvK, x, w, y []T) {
	lpParallelChunks(k.n, lpConvChunk, func(_, lo, hi int) {
		col := make([]T, k.rows*k.cols)
		for i := lo; i < hi; i++ {
			lpIm2col(k, x[i*k.inLen:(i+1)*k.inLen], col)
			lpGemm(false, false, k.o, k.cols, k.rows, w, k.rows, col, k.cols, 0, y[i*k.outLen:(i+1)*k.outLen], k.cols)
		}
	})
}

// lpConvGradX computes gx_n = col2im(Wᵀ · gy_n) for every image n.
func lpConvGradX[T float32 | float64](k lpConvK, w, gy, gx []T) {
	lpParallelChunks(k.n, lpConvChunk, func(_, lo, hi int) {
		col := make([]T, k.rows*k.cols)
		for i := lo; i < hi; i++ {
			lpGemm(true, false, k.rows, k.cols, k.o, w, k.rows, gy[i*k.outLen:(i+1)*k.outLen], k.cols, 0, col, k.cols)
			lpCol2im(k, col, gx[i*k.inLen:(i+1)*k.inLen])
		}
	})
}

// lpConvGradW computes gW = Σ_n gy_n · im2col(x_n)ᵀ: each chunk of images
// sums into its own buffer, and the buffers are added in chunk order.
func lpConvGradW[T float32 | float64](k lpConvK, x, gy, gw []T) {
	chunks := (k.n + lpConvChunk - 1) / lpConvChunk
	parts := make([][]T, chunks)
	lpParallelChunks(k.n, lpConvChunk, func(c, lo, hi int) {
		col := make([]T, k.rows*k.cols)
		part := make([]T, k.o*k.rows)
		for i := lo; i < hi; i++ {
			lpIm2col(k, x[i*k.inLen:(i+1)*k.inLen], col)
			lpGemm(false, true, k.o, k.rows, k.cols, gy[i*k.outLen:(i+1)*k.outLen], k.cols, col, k.cols, 1, part, k.rows)
		}
		parts[c] = part
	})
	for _, p := range parts {
		for j, v := range p {
			gw[j] += v
		}
	}
}

// lpGemm is c = op(a)·op(b) + beta·c on row-major matrices (m×k times k×n)
// through the BLAS Gorgonia uses.
func lpGemm[T float32 | float64](ta, tb bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if ta {
		tA = blas.Trans
	}
	if tb {
		tB = blas.Trans
	}
	switch a := any(a).(type) {
	case []float32:
		G.WhichBLAS().Sgemm(tA, tB, m, n, k, 1, a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		G.WhichBLAS().Dgemm(tA, tB, m, n, k, 1, a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// lpColRange returns the output columns [lo, hi) whose input column
// q = p·stride − pad + j falls inside [0, w).
func lpColRange(j, w, ow, pad, stride int) (lo, hi int) {
	// p·s ≥ pad − j  and  p·s ≤ w − 1 + pad − j.
	if d := pad - j; d > 0 {
		lo = (d + stride - 1) / stride
	}
	if top := w - 1 + pad - j; top < 0 {
		hi = 0
	} else {
		hi = min(top/stride+1, ow)
	}
	return lo, max(hi, lo)
}

// lpIm2col writes image x (C,H,W) as the (C·kh·kw, OH·OW) matrix col whose
// column p holds the receptive field of output pixel p, zero where it
// reaches into the padding.
func lpIm2col[T float32 | float64](k lpConvK, x, col []T) {
	g := k.g
	row := 0
	for c := 0; c < k.c; c++ {
		xc := x[c*k.h*k.w : (c+1)*k.h*k.w]
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				dst := col[row*k.cols : (row+1)*k.cols]
				lo, hi := lpColRange(j, k.w, k.ow, g.pw, g.sw)
				for o := 0; o < k.oh; o++ {
					d := dst[o*k.ow : (o+1)*k.ow]
					r := o*g.sh - g.ph + i
					if r < 0 || r >= k.h {
						clear(d)
						continue
					}
					xr := xc[r*k.w : (r+1)*k.w]
					clear(d[:lo])
					clear(d[hi:])
					if g.sw == 1 {
						copy(d[lo:hi], xr[lo-g.pw+j:])
						continue
					}
					for p := lo; p < hi; p++ {
						d[p] = xr[p*g.sw-g.pw+j]
					}
				}
				row++
			}
		}
	}
}

// lpCol2im adds the (C·kh·kw, OH·OW) matrix col back into image gx
// (C,H,W), the adjoint of lpIm2col.
func lpCol2im[T float32 | float64](k lpConvK, col, gx []T) {
	g := k.g
	row := 0
	for c := 0; c < k.c; c++ {
		gc := gx[c*k.h*k.w : (c+1)*k.h*k.w]
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				src := col[row*k.cols : (row+1)*k.cols]
				lo, hi := lpColRange(j, k.w, k.ow, g.pw, g.sw)
				for o := 0; o < k.oh; o++ {
					r := o*g.sh - g.ph + i
					if r < 0 || r >= k.h {
						continue
					}
					gr := gc[r*k.w : (r+1)*k.w]
					s := src[o*k.ow : (o+1)*k.ow]
					for p := lo; p < hi; p++ {
						gr[p*g.sw-g.pw+j] += s[p]
					}
				}
				row++
			}
		}
	}
}
