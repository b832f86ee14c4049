package ops

import (
	"fmt"
	"hash"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/vmath"
	"github.com/gozoo/zoo/internal/workers"
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
// scratch, so their im2col buffers are made once, not at every run.
func Conv2D(x, w, b *G.Node, stride, pad [2]int) (*G.Node, error) {
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
	g := window{kh: ws[2], kw: ws[3], ph: pad[0], pw: pad[1], sh: stride[0], sw: stride[1]}
	if err := g.check("conv2d", xs); err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(conv2dOp{g: g, sc: new(scratch)}, x, w)
	if err != nil {
		return nil, errors.Wrap(err, "graph: conv2d")
	}
	if b == nil {
		return y, nil
	}
	return AddBias(y, b)
}

// conv2dOp maps (x (N,C,H,W), w (O,C,kh,kw)) to the cross-correlation
// (N,O,OH,OW). Its geometry (kernel, padding, stride) is its identity
// (String, Hashcode); sc holds the work buffers that it and its gradient
// ops reuse from one call to the next.
type conv2dOp struct {
	g  window
	sc *scratch
}

func (conv2dOp) Arity() int               { return 2 }
func (conv2dOp) Type() hm.Type            { return poolType(2) }
func (conv2dOp) ReturnsPtr() bool         { return false }
func (conv2dOp) CallsExtern() bool        { return false }
func (conv2dOp) OverwritesInput() int     { return -1 }
func (op conv2dOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op conv2dOp) Hashcode() uint32      { return opHash(op) }
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
	x, w, err := convArgs("conv2d", op.g, vals, 2)
	if err != nil {
		return nil, err
	}
	k := convGeom(op.g, x.Shape(), w.Shape())
	y := outputFor(prealloc, x.Dtype(), tensor.Shape{k.n, k.o, k.oh, k.ow})
	switch xs := x.Data().(type) {
	case []float32:
		convForward(op.sc, k, xs, w.Data().([]float32), y.Data().([]float32))
	case []float64:
		convForward(op.sc, k, xs, w.Data().([]float64), y.Data().([]float64))
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
	g    window
	wrtW bool
	sc   *scratch
}

func (conv2dGradOp) Arity() int               { return 3 }
func (conv2dGradOp) Type() hm.Type            { return poolType(3) }
func (conv2dGradOp) ReturnsPtr() bool         { return false }
func (conv2dGradOp) CallsExtern() bool        { return false }
func (conv2dGradOp) OverwritesInput() int     { return -1 }
func (op conv2dGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op conv2dGradOp) Hashcode() uint32      { return opHash(op) }
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
	return sameShape(in[i:])
}

func (op conv2dGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the gradient into prealloc when it fits (see
// outputFor).
func (op conv2dGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	const what = "conv2d gradient"
	x, w, err := convArgs(what, op.g, vals, 3)
	if err != nil {
		return nil, err
	}
	gy, err := dense(what, vals[2], 4)
	if err != nil {
		return nil, err
	}
	k := convGeom(op.g, x.Shape(), w.Shape())
	if want := (tensor.Shape{k.n, k.o, k.oh, k.ow}); !gy.Shape().Eq(want) || gy.Dtype() != x.Dtype() {
		return nil, errors.Wrapf(ErrShape, "%s: gy %v %v (want %v %v)", what, gy.Shape(), gy.Dtype(), want, x.Dtype())
	}
	if op.wrtW {
		gw := outputFor(prealloc, w.Dtype(), w.Shape())
		switch xs := x.Data().(type) {
		case []float32:
			convGradW(op.sc, k, xs, gy.Data().([]float32), gw.Data().([]float32))
		case []float64:
			convGradW(op.sc, k, xs, gy.Data().([]float64), gw.Data().([]float64))
		}
		return gw, nil
	}
	gx := outputFor(prealloc, x.Dtype(), x.Shape())
	switch ws := w.Data().(type) {
	case []float32:
		convGradX(op.sc, k, ws, gy.Data().([]float32), gx.Data().([]float32))
	case []float64:
		convGradX(op.sc, k, ws, gy.Data().([]float64), gx.Data().([]float64))
	}
	return gx, nil
}

var (
	_ G.UsePreallocDoer = conv2dOp{}
	_ G.UsePreallocDoer = conv2dGradOp{}
)

// convArgs checks x (N,C,H,W) and w (O,C,kh,kw), the first two of n inputs.
func convArgs(what string, g window, vals []G.Value, n int) (x, w *tensor.Dense, err error) {
	if len(vals) != n {
		return nil, nil, errors.Wrapf(ErrShape, "%s: %d inputs, want %d", what, len(vals), n)
	}
	if x, err = dense(what, vals[0], 4); err != nil {
		return nil, nil, err
	}
	if w, err = dense(what, vals[1], 4); err != nil {
		return nil, nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	if ws[1] != xs[1] || ws[2] != g.kh || ws[3] != g.kw || w.Dtype() != x.Dtype() {
		return nil, nil, errors.Wrapf(ErrShape, "%s: x %v %v, w %v %v", what, xs, x.Dtype(), ws, w.Dtype())
	}
	return x, w, g.check(what, xs)
}

// convK is a convolution's sizes: batch n, channels c → o, input h×w,
// output oh×ow, and the im2col matrix of one image, rows = c·kh·kw by
// cols = oh·ow.
type convK struct {
	g                         window
	n, c, o, h, w, oh, ow     int
	rows, cols, inLen, outLen int
	// im2col makes stride-1 convolutions use im2col and col2im
	// instead of wide rows (tests use it to run both).
	im2col bool
}

func convGeom(g window, xs, ws tensor.Shape) convK {
	os := g.outShape(xs)
	k := convK{g: g, n: xs[0], c: xs[1], o: ws[0], h: xs[2], w: xs[3], oh: os[2], ow: os[3]}
	k.rows, k.cols = k.c*g.kh*g.kw, k.oh*k.ow
	k.inLen, k.outLen = k.c*k.h*k.w, k.o*k.cols
	return k
}

// convChunk is the number of images one worker handles at a time. It is
// fixed, not derived from GOMAXPROCS, so that the order in which the filter
// gradient's per-chunk sums are added, and so its bits, do not depend on the
// number of cores.
const convChunk = 8

// parallelChunks calls f(chunk, lo, hi) for every chunk [lo, hi) of size
// (at most) size of the range [0, n), on up to GOMAXPROCS goroutines (the
// worker pool's). The chunks do not depend on the number of goroutines.
func parallelChunks(n, size int, f func(chunk, lo, hi int)) {
	chunks := (n + size - 1) / size
	workers.Each(runtime.GOMAXPROCS(0), chunks, func(c int) { f(c, c*size, min((c+1)*size, n)) })
}

// convForward computes y_n = W · im2col(x_n) for every image n, W viewed
// as an (o, rows) matrix and y_n as (o, cols): on wide rows (wide) for
// stride 1, else through im2col.
func convForward[T float32 | float64](sc *scratch, k convK, x, w, y []T) {
	if g, ok := k.wide(); ok {
		parallelChunks(k.n, convChunk, func(_, lo, hi int) {
			b := wideTake[T](sc, g, k.o, wideBatch(g))
			for i0 := lo; i0 < hi; i0 += b.nb {
				nb := min(b.nb, hi-i0)
				var col []T
				for bi := range nb {
					i := i0 + bi
					col = b.cols(g, x[i*k.inLen:(i+1)*k.inLen], bi)
				}
				out := b.wideOut(y[i0*k.outLen : (i0+1)*k.outLen])
				gemm(false, false, k.o, nb*g.l, g.rows, w, g.rows, col, b.ld, 0, out, b.ld)
				for bi := range nb {
					i := i0 + bi
					wideCompact(g, out[bi*g.l:], b.ld, y[i*k.outLen:(i+1)*k.outLen], k.o)
				}
			}
			b.give(sc)
		})
		return
	}
	parallelChunks(k.n, convChunk, func(_, lo, hi int) {
		col := take[T](sc, k.rows*k.cols)
		for i := lo; i < hi; i++ {
			im2col(k, x[i*k.inLen:(i+1)*k.inLen], col)
			gemm(false, false, k.o, k.cols, k.rows, w, k.rows, col, k.cols, 0, y[i*k.outLen:(i+1)*k.outLen], k.cols)
		}
		give(sc, col)
	})
}

// convGradX computes gx_n = col2im(Wᵀ · gy_n) for every image n, on wide
// rows for stride 1.
func convGradX[T float32 | float64](sc *scratch, k convK, w, gy, gx []T) {
	if g, ok := k.wide(); ok {
		parallelChunks(k.n, convChunk, func(_, lo, hi int) {
			b := wideTake[T](sc, g, k.o, wideBatch(g))
			for i0 := lo; i0 < hi; i0 += b.nb {
				nb := min(b.nb, hi-i0)
				var a []T
				for bi := range nb {
					i := i0 + bi
					a = b.wideIn(g, gy[i*k.outLen:(i+1)*k.outLen], k.o, bi)
				}
				col := b.colTarget(gx[i0*k.inLen : (i0+1)*k.inLen])
				gemm(true, false, k.rows, nb*g.l, k.o, w, k.rows, a, b.ld, 0, col, b.ld)
				for bi := range nb {
					i := i0 + bi
					b.col2im(g, col, bi, gx[i*k.inLen:(i+1)*k.inLen])
				}
			}
			b.give(sc)
		})
		return
	}
	parallelChunks(k.n, convChunk, func(_, lo, hi int) {
		col := take[T](sc, k.rows*k.cols)
		for i := lo; i < hi; i++ {
			gemm(true, false, k.rows, k.cols, k.o, w, k.rows, gy[i*k.outLen:(i+1)*k.outLen], k.cols, 0, col, k.cols)
			gxi := gx[i*k.inLen : (i+1)*k.inLen]
			clear(gxi)
			col2im(k, col, gxi)
		}
		give(sc, col)
	})
}

// convGradW computes gW = Σ_n gy_n · im2col(x_n)ᵀ: each chunk of images
// sums into its own buffer (chunk 0 into gW), and the buffers are added to
// gW in chunk order, whatever the number of goroutines. For stride 1 the
// product runs over wide rows, gy_n widened with zeros (wideEmbed),
// unless the filters outnumber the im2col rows.
func convGradW[T float32 | float64](sc *scratch, k convK, x, gy, gw []T) {
	chunks := (k.n + convChunk - 1) / convChunk
	size := k.o * k.rows
	g, wide := k.wide()
	// Widening gy costs a copy per output row of each of the o filters,
	// which is more than the compact im2col's copies per output row of
	// each of its rows when there are fewer of those (a first layer:
	// measured 15% slower on wide rows with 1 channel and 32 filters, 3×3).
	wide = wide && k.rows > k.o
	// chunk sums images [lo, hi) into dst.
	chunk := func(lo, hi int, dst []T) {
		var b wideBufs[T]
		var col []T
		if wide {
			b = wideTake[T](sc, g, k.o, 1)
		} else {
			col = take[T](sc, k.rows*k.cols)
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
				gemm(false, true, k.o, k.rows, g.l, a, g.l, c, g.l, beta, dst, k.rows)
				continue
			}
			im2col(k, x[i*k.inLen:(i+1)*k.inLen], col)
			gemm(false, true, k.o, k.rows, k.cols, gyi, k.cols, col, k.cols, beta, dst, k.rows)
		}
		b.give(sc)
		give(sc, col)
	}
	if chunks == 1 || runtime.GOMAXPROCS(0) == 1 {
		var part []T
		if chunks > 1 {
			part = take[T](sc, size)
		}
		for c := 0; c < chunks; c++ {
			lo, hi := c*convChunk, min((c+1)*convChunk, k.n)
			if c == 0 {
				chunk(lo, hi, gw)
				continue
			}
			chunk(lo, hi, part)
			addTo(gw, part)
		}
		give(sc, part)
		return
	}
	parts := make([][]T, chunks)
	parallelChunks(k.n, convChunk, func(c, lo, hi int) {
		dst := gw
		if c > 0 {
			dst = take[T](sc, size)
			parts[c] = dst
		}
		chunk(lo, hi, dst)
	})
	for _, p := range parts[1:] {
		addTo(gw, p)
		give(sc, p)
	}
}

// addTo adds src to dst element by element, dst[i] = src[i] + dst[i], each
// element rounded once (internal/vmath's vectorised Add).
func addTo[T float32 | float64](dst, src []T) {
	dst = dst[:len(src)]
	vmath.Add(dst, src, dst)
}

// gemm is c = op(a)·op(b) + beta·c on row-major matrices (m×k times k×n)
// through the BLAS Gorgonia uses.
func gemm[T float32 | float64](ta, tb bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
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

// scratch keeps an op's work buffers (im2col matrices, per-chunk partial
// sums) from one call to the next: a call takes the buffers it needs and
// gives them back when it is done, so that after the first run a run
// allocates none. It is safe for concurrent use; a nil *scratch hands out
// new buffers and drops those given back.
type scratch struct {
	mu  sync.Mutex
	f32 [][]float32
	f64 [][]float64
}

// freeList returns s's list of free buffers of type T.
func freeList[T float32 | float64](s *scratch) *[][]T {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(&s.f32).(*[][]T)
	}
	return any(&s.f64).(*[][]T)
}

// take returns a buffer of n elements, of undefined contents: the
// smallest free one that is large enough, or a new one.
func take[T float32 | float64](s *scratch, n int) []T {
	if s == nil {
		return make([]T, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	free := freeList[T](s)
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

// give returns buffer b, taken from s, to s. A nil b is ignored.
func give[T float32 | float64](s *scratch, b []T) {
	if s == nil || b == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	free := freeList[T](s)
	*free = append(*free, b)
}
