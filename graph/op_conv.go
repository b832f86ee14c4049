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
	"gonum.org/v1/gonum/blas/gonum"
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
// one-pass biasAdd. The forward op and its two gradient ops share one
// lpScratch, so their im2col buffers are made once, not at every run.
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
	y, err := G.ApplyOp(conv2dOp{g: g, sc: new(lpScratch)}, x, w)
	if err != nil {
		return nil, errors.Wrap(err, "graph: conv2d")
	}
	if b == nil {
		return y, nil
	}
	return biasAdd(y, b)
}

// conv2dOp maps (x (N,C,H,W), w (O,C,kh,kw)) to the cross-correlation
// (N,O,OH,OW). Its geometry (kernel, padding, stride) is its identity
// (String, Hashcode); sc holds the work buffers that it and its gradient
// ops reuse from one call to the next.
type conv2dOp struct {
	g  lpPool
	sc *lpScratch
}

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

func (op conv2dOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the convolution into prealloc when it fits (see
// outputFor).
func (op conv2dOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	x, w, err := lpConvArgs("conv2d", op.g, vals, 2)
	if err != nil {
		return nil, err
	}
	k := lpConvGeom(op.g, x.Shape(), w.Shape())
	y := outputFor(prealloc, x.Dtype(), tensor.Shape{k.n, k.o, k.oh, k.ow})
	switch xs := x.Data().(type) {
	case []float32:
		lpConvForward(op.sc, k, xs, w.Data().([]float32), y.Data().([]float32))
	case []float64:
		lpConvForward(op.sc, k, xs, w.Data().([]float64), y.Data().([]float64))
	}
	return y, nil
}

// SymDiff: gx = col2im(Wᵀ·gy) per image, gW = Σ_n gy_n·col_nᵀ.
func (op conv2dOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != 2 {
		return nil, errors.Wrapf(ErrShape, "conv2d gradient: %d inputs, want 2", len(in))
	}
	gx, err := G.ApplyOp(conv2dGradOp{g: op.g, wrtW: false, sc: op.sc}, in[0], in[1], grad)
	if err != nil {
		return nil, errors.Wrap(err, "graph: conv2d gradient")
	}
	gw, err := G.ApplyOp(conv2dGradOp{g: op.g, wrtW: true, sc: op.sc}, in[0], in[1], grad)
	return G.Nodes{gx, gw}, errors.Wrap(err, "graph: conv2d gradient")
}

// conv2dGradOp maps (x, w, gy) to the gradient with respect to x, or to w
// if wrtW. (The other input only supplies its shape.) sc is the forward
// op's.
type conv2dGradOp struct {
	g    lpPool
	wrtW bool
	sc   *lpScratch
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

func (op conv2dGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the gradient into prealloc when it fits (see
// outputFor).
func (op conv2dGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
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
		gw := outputFor(prealloc, w.Dtype(), w.Shape())
		switch xs := x.Data().(type) {
		case []float32:
			lpConvGradW(op.sc, k, xs, gy.Data().([]float32), gw.Data().([]float32))
		case []float64:
			lpConvGradW(op.sc, k, xs, gy.Data().([]float64), gw.Data().([]float64))
		}
		return gw, nil
	}
	gx := outputFor(prealloc, x.Dtype(), x.Shape())
	switch ws := w.Data().(type) {
	case []float32:
		lpConvGradX(op.sc, k, ws, gy.Data().([]float32), gx.Data().([]float32))
	case []float64:
		lpConvGradX(op.sc, k, ws, gy.Data().([]float64), gx.Data().([]float64))
	}
	return gx, nil
}

var (
	_ G.UsePreallocDoer = conv2dOp{}
	_ G.UsePreallocDoer = conv2dGradOp{}
)

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
	// im2col makes stride-1 convolutions use lpIm2col and lpCol2im
	// instead of wide rows (tests use it to run both).
	im2col bool
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
// as an (o, rows) matrix and y_n as (o, cols): on wide rows (lpWide) for
// stride 1, else through lpIm2col.
func lpConvForward[T float32 | float64](sc *lpScratch, k lpConvK, x, w, y []T) {
	if g, ok := k.wide(); ok {
		lpParallelChunks(k.n, lpConvChunk, func(_, lo, hi int) {
			b := lpWideTake[T](sc, g, k.o, lpWideBatch(g))
			for i0 := lo; i0 < hi; i0 += b.nb {
				nb := min(b.nb, hi-i0)
				var col []T
				for bi := range nb {
					i := i0 + bi
					col = b.cols(g, x[i*k.inLen:(i+1)*k.inLen], bi)
				}
				out := b.wideOut(y[i0*k.outLen : (i0+1)*k.outLen])
				lpGemm(false, false, k.o, nb*g.l, g.rows, w, g.rows, col, b.ld, 0, out, b.ld)
				for bi := range nb {
					i := i0 + bi
					lpWideCompact(g, out[bi*g.l:], b.ld, y[i*k.outLen:(i+1)*k.outLen], k.o)
				}
			}
			b.give(sc)
		})
		return
	}
	lpParallelChunks(k.n, lpConvChunk, func(_, lo, hi int) {
		col := lpTake[T](sc, k.rows*k.cols)
		for i := lo; i < hi; i++ {
			lpIm2col(k, x[i*k.inLen:(i+1)*k.inLen], col)
			lpGemm(false, false, k.o, k.cols, k.rows, w, k.rows, col, k.cols, 0, y[i*k.outLen:(i+1)*k.outLen], k.cols)
		}
		lpGive(sc, col)
	})
}

// lpConvGradX computes gx_n = col2im(Wᵀ · gy_n) for every image n, on wide
// rows for stride 1.
func lpConvGradX[T float32 | float64](sc *lpScratch, k lpConvK, w, gy, gx []T) {
	if g, ok := k.wide(); ok {
		lpParallelChunks(k.n, lpConvChunk, func(_, lo, hi int) {
			b := lpWideTake[T](sc, g, k.o, lpWideBatch(g))
			for i0 := lo; i0 < hi; i0 += b.nb {
				nb := min(b.nb, hi-i0)
				var a []T
				for bi := range nb {
					i := i0 + bi
					a = b.wideIn(g, gy[i*k.outLen:(i+1)*k.outLen], k.o, bi)
				}
				col := b.colTarget(gx[i0*k.inLen : (i0+1)*k.inLen])
				lpGemm(true, false, k.rows, nb*g.l, k.o, w, k.rows, a, b.ld, 0, col, b.ld)
				for bi := range nb {
					i := i0 + bi
					b.col2im(g, col, bi, gx[i*k.inLen:(i+1)*k.inLen])
				}
			}
			b.give(sc)
		})
		return
	}
	lpParallelChunks(k.n, lpConvChunk, func(_, lo, hi int) {
		col := lpTake[T](sc, k.rows*k.cols)
		for i := lo; i < hi; i++ {
			lpGemm(true, false, k.rows, k.cols, k.o, w, k.rows, gy[i*k.outLen:(i+1)*k.outLen], k.cols, 0, col, k.cols)
			gxi := gx[i*k.inLen : (i+1)*k.inLen]
			clear(gxi)
			lpCol2im(k, col, gxi)
		}
		lpGive(sc, col)
	})
}

// lpConvGradW computes gW = Σ_n gy_n · im2col(x_n)ᵀ: each chunk of images
// sums into its own buffer (chunk 0 into gW), and the buffers are added to
// gW in chunk order, whatever the number of goroutines. For stride 1 the
// product runs over wide rows, gy_n widened with zeros (lpWideEmbed),
// unless the filters outnumber the im2col rows.
func lpConvGradW[T float32 | float64](sc *lpScratch, k lpConvK, x, gy, gw []T) {
	chunks := (k.n + lpConvChunk - 1) / lpConvChunk
	size := k.o * k.rows
	g, wide := k.wide()
	// Widening gy costs a copy per output row of each of the o filters,
	// which is more than the compact im2col's copies per output row of
	// each of its rows when there are fewer of those (a first layer:
	// measured 15% slower on wide rows with 1 channel and 32 filters, 3×3).
	wide = wide && k.rows > k.o
	// chunk sums images [lo, hi) into dst.
	chunk := func(lo, hi int, dst []T) {
		var b lpWideBufs[T]
		var col []T
		if wide {
			b = lpWideTake[T](sc, g, k.o, 1)
		} else {
			col = lpTake[T](sc, k.rows*k.cols)
		}
		for i := lo; i < hi; i++ {
			beta := T(1)
			if i == lo {
				beta = 0
			}
			gyi := gy[i*k.outLen : (i+1)*k.outLen]
			if wide {
				c := b.cols(g, x[i*k.inLen:(i+1)*k.inLen], 0)
				a := b.wideIn(g, gyi, k.o, 0)
				lpGemm(false, true, k.o, k.rows, g.l, a, g.l, c, g.l, beta, dst, k.rows)
				continue
			}
			lpIm2col(k, x[i*k.inLen:(i+1)*k.inLen], col)
			lpGemm(false, true, k.o, k.rows, k.cols, gyi, k.cols, col, k.cols, beta, dst, k.rows)
		}
		b.give(sc)
		lpGive(sc, col)
	}
	if chunks == 1 || runtime.GOMAXPROCS(0) == 1 {
		var part []T
		if chunks > 1 {
			part = lpTake[T](sc, size)
		}
		for c := 0; c < chunks; c++ {
			lo, hi := c*lpConvChunk, min((c+1)*lpConvChunk, k.n)
			if c == 0 {
				chunk(lo, hi, gw)
				continue
			}
			chunk(lo, hi, part)
			lpAddTo(gw, part)
		}
		lpGive(sc, part)
		return
	}
	parts := make([][]T, chunks)
	lpParallelChunks(k.n, lpConvChunk, func(c, lo, hi int) {
		dst := gw
		if c > 0 {
			dst = lpTake[T](sc, size)
			parts[c] = dst
		}
		chunk(lo, hi, dst)
	})
	for _, p := range parts[1:] {
		lpAddTo(gw, p)
		lpGive(sc, p)
	}
}

// lpAddTo adds src to dst element by element (gonum's Saxpy or Daxpy with
// alpha 1: vector additions, each element rounded once).
func lpAddTo[T float32 | float64](dst, src []T) {
	switch s := any(src).(type) {
	case []float32:
		gonum.Implementation{}.Saxpy(len(s), 1, s, 1, any(dst).([]float32), 1)
	case []float64:
		gonum.Implementation{}.Daxpy(len(s), 1, s, 1, any(dst).([]float64), 1)
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

// lpColRange returns the output indices [lo, hi) (0 ≤ lo ≤ hi ≤ n) whose
// input index q = p·stride − pad + j falls inside [0, w).
func lpColRange(j, w, n, pad, stride int) (lo, hi int) {
	// p·s ≥ pad − j  and  p·s ≤ w − 1 + pad − j.
	if d := pad - j; d > 0 {
		lo = min((d+stride-1)/stride, n)
	}
	if top := w - 1 + pad - j; top >= 0 {
		hi = min(top/stride+1, n)
	}
	return lo, max(hi, lo)
}

// lpIm2col writes image x (C,H,W) as the (C·kh·kw, OH·OW) matrix col whose
// column p holds the receptive field of output pixel p, zero where it
// reaches into the padding. Row (c, i, j) of col is OH runs of OW values,
// each a strided (for stride 1, contiguous) run of one input row between
// zeros at the padded edges.
func lpIm2col[T float32 | float64](k lpConvK, x, col []T) {
	g := k.g
	ow := k.ow
	row := 0
	for c := 0; c < k.c; c++ {
		xc := x[c*k.h*k.w : (c+1)*k.h*k.w]
		for i := 0; i < g.kh; i++ {
			o0, o1 := lpColRange(i, k.h, k.oh, g.ph, g.sh)
			for j := 0; j < g.kw; j++ {
				dst := col[row*k.cols : (row+1)*k.cols]
				row++
				lo, hi := lpColRange(j, k.w, ow, g.pw, g.sw)
				if lo == hi {
					clear(dst)
					continue
				}
				clear(dst[:o0*ow])
				clear(dst[o1*ow:])
				off := lo*g.sw - g.pw + j // input column of output column lo
				for o := o0; o < o1; o++ {
					d := dst[o*ow : (o+1)*ow]
					xr := xc[(o*g.sh-g.ph+i)*k.w:][:k.w]
					for p := range lo {
						d[p] = 0
					}
					if g.sw == 1 {
						copy(d[lo:hi], xr[off:])
					} else {
						for p, q := lo, off; p < hi; p, q = p+1, q+g.sw {
							d[p] = xr[q]
						}
					}
					for p := hi; p < ow; p++ {
						d[p] = 0
					}
				}
			}
		}
	}
}

// lpCol2im adds the (C·kh·kw, OH·OW) matrix col back into image gx
// (C,H,W), the adjoint of lpIm2col.
func lpCol2im[T float32 | float64](k lpConvK, col, gx []T) {
	g := k.g
	ow := k.ow
	row := 0
	for c := 0; c < k.c; c++ {
		gc := gx[c*k.h*k.w : (c+1)*k.h*k.w]
		for i := 0; i < g.kh; i++ {
			o0, o1 := lpColRange(i, k.h, k.oh, g.ph, g.sh)
			for j := 0; j < g.kw; j++ {
				src := col[row*k.cols : (row+1)*k.cols]
				row++
				lo, hi := lpColRange(j, k.w, ow, g.pw, g.sw)
				if lo == hi {
					continue
				}
				off := lo*g.sw - g.pw + j
				for o := o0; o < o1; o++ {
					s := src[o*ow+lo : o*ow+hi]
					gr := gc[(o*g.sh-g.ph+i)*k.w:][:k.w]
					if g.sw == 1 {
						gr = gr[off : off+len(s)]
						for p, v := range s {
							gr[p] += v
						}
						continue
					}
					for p, q := 0, off; p < len(s); p, q = p+1, q+g.sw {
						gr[q] += s[p]
					}
				}
			}
		}
	}
}

// lpWide is a stride-1 convolution of p planes computed on wide rows.
// The planes are zero-padded into rows of wp elements; output pixel (r, s)
// is then the dot product of the filter with the padded plane from offset
// r·wp + s on, so row (c, i, j) of the im2col matrix, taken over the wide
// index q = r·wp + s, is the single run padded_c[i·wp + j :][:l]. The wide
// output has l = (oh−1)·wp + ow columns, of which q = r·wp + s with s < ow
// are the output pixels and the others (wp − ow per row) are discarded.
// Each row of the matrix is one copy instead of oh, for (wp/ow − 1) more
// multiply-adds in the product. Where pw ≤ kw − 1, a row's right padding
// is the next row's left padding (wp = w + pw, and pw zeros after the last
// row), so wp − ow = kw − 1 − pw: 3.6% more on 28×28 with a 3×3 kernel and
// padding 1, 7% on 14×14; else wp = w + 2·pw. The products take the same
// terms in the same order as on the compact matrix (where a discarded
// column enters a sum, in the filter gradient and in col2im, it holds
// zeros), so the results are those of lpIm2col and lpCol2im, bit for bit.
type lpWide struct {
	p, h, w, kh, kw, ph, pw int
	// A padded plane is hp rows of wp elements, padded row ph + r holding
	// input row r from pw on, then slack zeros; plane is its length.
	hp, wp, slack, plane int
	oh, ow               int
	rows, l              int
}

// wide returns k's wide-row geometry, false if its stride is not 1.
func (k lpConvK) wide() (lpWide, bool) {
	if k.g.sh != 1 || k.g.sw != 1 || k.im2col {
		return lpWide{}, false
	}
	return lpWideGeom(k.c, k.h, k.w, k.g.kh, k.g.kw, k.g.ph, k.g.pw), true
}

func lpWideGeom(p, h, w, kh, kw, ph, pw int) lpWide {
	g := lpWide{p: p, h: h, w: w, kh: kh, kw: kw, ph: ph, pw: pw, hp: h + 2*ph, wp: w + 2*pw}
	if pw <= kw-1 {
		g.wp, g.slack = w+pw, pw
	}
	g.plane = g.hp*g.wp + g.slack
	g.oh, g.ow = g.hp-kh+1, w+2*pw-kw+1
	g.rows, g.l = p*kh*kw, (g.oh-1)*g.wp+g.ow
	return g
}

// lpWideBufs is one worker's buffers for wide rows, for batches of nb
// images side by side in one product (the columns of image bi of a batch
// start at bi·l, rows are ld = nb·l apart): the padded planes of one image
// (none without padding), the im2col matrix (rows × ld; none for a 1×1
// kernel) and the wide output or input (m × ld; none if wp = ow, when wide
// rows are the output's rows). Without one of the last two, nb is 1.
type lpWideBufs[T float32 | float64] struct {
	pad, col, out []T
	nb, ld        int
}

// lpWideBatch is the number of images whose wide im2col matrices go into
// one product: as many as fit 2^19 elements (2 MB of float32), at most a
// chunk. A wider product packs the filters once for more columns (packing
// them is as costly as packing the matrix when l is small). Each element
// of the product is the same sum whatever the batch.
func lpWideBatch(g lpWide) int {
	return max(1, min(lpConvChunk, (1<<19)/(g.rows*g.l)))
}

// lpWideTake takes the buffers for g, batches of up to nb images and a
// wide output (or input) of m rows, from sc.
func lpWideTake[T float32 | float64](sc *lpScratch, g lpWide, m, nb int) lpWideBufs[T] {
	if g.kh*g.kw == 1 || g.wp == g.ow {
		nb = 1
	}
	b := lpWideBufs[T]{nb: nb, ld: nb * g.l}
	if g.ph != 0 || g.pw != 0 {
		b.pad = lpTake[T](sc, g.p*g.plane)
	}
	if g.kh*g.kw != 1 {
		b.col = lpTake[T](sc, g.rows*b.ld)
	}
	if g.wp != g.ow {
		b.out = lpTake[T](sc, m*b.ld)
	}
	return b
}

// give returns the buffers to sc.
func (b lpWideBufs[T]) give(sc *lpScratch) {
	lpGive(sc, b.pad)
	lpGive(sc, b.col)
	lpGive(sc, b.out)
}

// cols writes the wide im2col matrix (rows × l) of the planes x
// (p × h × w) as image bi of the batch in b.col and returns b.col, or for a
// 1×1 kernel returns the padded planes themselves.
func (b lpWideBufs[T]) cols(g lpWide, x []T, bi int) []T {
	if b.pad != nil {
		lpPadPlanes(g, x, b.pad)
		x = b.pad
	}
	if b.col == nil {
		return x
	}
	plane := g.plane
	col := b.col[bi*g.l:]
	row := 0
	for c := 0; c < g.p; c++ {
		xc := x[c*plane : (c+1)*plane]
		for i := 0; i < g.kh; i++ {
			for j := 0; j < g.kw; j++ {
				copy(col[row*b.ld:][:g.l], xc[i*g.wp+j:])
				row++
			}
		}
	}
	return b.col
}

// colTarget returns where the product writes the wide im2col matrices that
// col2im adds into the planes: b.col, or for a 1×1 kernel the padded
// planes (b.pad, or gx, the first image's planes, without padding).
func (b lpWideBufs[T]) colTarget(gx []T) []T {
	switch {
	case b.col != nil:
		return b.col
	case b.pad != nil:
		return b.pad
	}
	return gx
}

// col2im writes into the planes gx (p × h × w) the adjoint of cols for
// image bi of the batch: each element the sum of the entries of the wide
// im2col matrix in col (from colTarget) that copy it, one vector addition
// per row of col. The discarded columns of col must be zero (they fall on
// the padding or on other elements).
func (b lpWideBufs[T]) col2im(g lpWide, col []T, bi int, gx []T) {
	dst := gx
	if b.pad != nil {
		dst = b.pad
	}
	if b.col != nil {
		plane := g.plane
		clear(dst[:g.p*plane])
		col = col[bi*g.l:]
		row := 0
		for c := 0; c < g.p; c++ {
			dc := dst[c*plane : (c+1)*plane]
			for i := 0; i < g.kh; i++ {
				for j := 0; j < g.kw; j++ {
					lpAddTo(dc[i*g.wp+j:][:g.l], col[row*b.ld:][:g.l])
					row++
				}
			}
		}
	}
	if b.pad != nil {
		plane := g.plane
		for c := 0; c < g.p; c++ {
			pc := b.pad[c*plane : (c+1)*plane]
			for r := 0; r < g.h; r++ {
				copy(gx[(c*g.h+r)*g.w:][:g.w], pc[(g.ph+r)*g.wp+g.pw:])
			}
		}
	}
}

// wideOut returns where the product writes its wide output: b.out, or y,
// the first image's compact output, if wp = ow.
func (b lpWideBufs[T]) wideOut(y []T) []T {
	if b.out == nil {
		return y
	}
	return b.out
}

// wideIn writes the compact matrix a (m × oh·ow) as image bi of the batch
// of wide matrices in b.out (lpWideEmbed) and returns b.out, or returns a
// itself if wp = ow.
func (b lpWideBufs[T]) wideIn(g lpWide, a []T, m, bi int) []T {
	if b.out == nil {
		return a
	}
	lpWideEmbed(g, a, b.out[bi*g.l:], b.ld, m)
	return b.out
}

// lpPadPlanes writes the planes x (p × h × w) into pad (p padded planes,
// see lpWide) with zeros around them.
func lpPadPlanes[T float32 | float64](g lpWide, x, pad []T) {
	for c := 0; c < g.p; c++ {
		pc := pad[c*g.plane : (c+1)*g.plane]
		xc := x[c*g.h*g.w : (c+1)*g.h*g.w]
		at := g.ph*g.wp + g.pw // where input row 0 goes
		clear(pc[:at])
		for r := 0; r < g.h; r++ {
			copy(pc[at:at+g.w], xc[r*g.w:(r+1)*g.w])
			end := at + g.w
			at += g.wp
			if r+1 == g.h {
				at = len(pc)
			}
			gap := pc[end:at] // right padding, next row's left padding
			for q := range gap {
				gap[q] = 0
			}
		}
	}
}

// lpWideCompact copies the output pixels of the wide matrix wide (m × l,
// rows ld apart) into y (m × oh × ow); nothing if they are the same
// memory (wp = ow).
func lpWideCompact[T float32 | float64](g lpWide, wide []T, ld int, y []T, m int) {
	if g.wp == g.ow {
		return
	}
	for q := 0; q < m; q++ {
		wq := wide[q*ld:][:g.l]
		yq := y[q*g.oh*g.ow : (q+1)*g.oh*g.ow]
		for r := 0; r < g.oh; r++ {
			copy(yq[r*g.ow:(r+1)*g.ow], wq[r*g.wp:])
		}
	}
}

// lpWideEmbed writes the compact matrix a (m × oh × ow) into wide (m × l,
// rows ld apart), zero in the discarded columns: the adjoint of
// lpWideCompact.
func lpWideEmbed[T float32 | float64](g lpWide, a, wide []T, ld, m int) {
	for q := 0; q < m; q++ {
		wq := wide[q*ld:][:g.l]
		aq := a[q*g.oh*g.ow : (q+1)*g.oh*g.ow]
		for r := 0; r < g.oh; r++ {
			copy(wq[r*g.wp:r*g.wp+g.ow], aq[r*g.ow:(r+1)*g.ow])
			if r+1 < g.oh {
				gap := wq[r*g.wp+g.ow : (r+1)*g.wp]
				for s := range gap {
					gap[s] = 0
				}
			}
		}
	}
}

// lpScratch keeps an op's work buffers (im2col matrices, per-chunk partial
// sums) from one call to the next: a call takes the buffers it needs and
// gives them back when it is done, so that after the first run a run
// allocates none. It is safe for concurrent use; a nil *lpScratch hands out
// new buffers and drops those given back.
type lpScratch struct {
	mu  sync.Mutex
	f32 [][]float32
	f64 [][]float64
}

// lpFreeList returns s's list of free buffers of type T.
func lpFreeList[T float32 | float64](s *lpScratch) *[][]T {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(&s.f32).(*[][]T)
	}
	return any(&s.f64).(*[][]T)
}

// lpTake returns a buffer of n elements, of undefined contents: the
// smallest free one that is large enough, or a new one.
func lpTake[T float32 | float64](s *lpScratch, n int) []T {
	if s == nil {
		return make([]T, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	free := lpFreeList[T](s)
	best := -1
	for i, b := range *free {
		if cap(b) >= n && (best < 0 || cap(b) < cap((*free)[best])) {
			best = i
		}
	}
	if best < 0 {
		return make([]T, n)
	}
	b := (*free)[best]
	last := len(*free) - 1
	(*free)[best], (*free)[last] = (*free)[last], nil
	*free = (*free)[:last]
	return b[:n]
}

// lpGive returns buffer b, taken from s, to s. A nil b is ignored.
func lpGive[T float32 | float64](s *lpScratch, b []T) {
	if s == nil || b == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	free := lpFreeList[T](s)
	*free = append(*free, b)
}
