package ops

import (
	"fmt"
	"hash"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/vmath"
)

// zoo's 2-D pooling ops, NCHW, with PyTorch's conventions: output size
// floor((H + 2·pad − k) / stride) + 1 (ceil_mode=False), padding at most half
// the kernel, average pooling dividing every window by kh·kw with the zero
// padding counted (count_include_pad=True), max pooling treating padding as
// −∞ and, among equal maxima, routing the gradient to the first in row-major
// order. A NaN in a window wins, so NaN propagates as in PyTorch; its
// gradient goes to the window's first NaN (PyTorch's CPU kernel picks the
// last).
//
// Gorgonia's MaxPool2D agrees with these semantics on inputs without NaN
// (see op_conv_test.go), but fixes the batch size into the op and indexes
// out of range on a window of NaNs. Like Gorgonia's (and PyTorch's), zoo's
// max pooling records each window's argmax in the forward pass
// (maxIndex, shared by the forward op and its gradient op) and the
// backward pass scatters gy through it. The backward pass checks that the
// record belongs to its x and y, and finds the argmax again from x and y if
// it does not (a gradient run without the forward pass before it), so the
// record is a cache, never a source of wrong gradients.

// avgPool2D is average pooling of x (N,C,H,W) over kernel (kh,kw) windows
// moved by stride, with zero padding pad on each side counted in the divisor.
func AvgPool2D(x *G.Node, kernel, stride, pad [2]int) (*G.Node, error) {
	p, err := poolParams("avg pool", x, kernel, stride, pad)
	if err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(avgPool2DOp{p}, x)
	return y, errors.Wrap(err, "graph: avg pool")
}

// maxPool2D is max pooling of x (N,C,H,W) over kernel (kh,kw) windows moved
// by stride, padding counted as −∞.
func MaxPool2D(x *G.Node, kernel, stride, pad [2]int) (*G.Node, error) {
	p, err := poolParams("max pool", x, kernel, stride, pad)
	if err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(maxPool2DOp{p: p, ix: new(maxIndex)}, x)
	return y, errors.Wrap(err, "graph: max pool")
}

// window is a window geometry (kernel, padding, stride), the whole state of
// the pooling and convolution ops.
type window struct {
	kh, kw, ph, pw, sh, sw int
}

func (p window) String() string {
	return fmt.Sprintf("k=(%d,%d) pad=(%d,%d) stride=(%d,%d)", p.kh, p.kw, p.ph, p.pw, p.sh, p.sw)
}

// outShape returns the pooled shape of an NCHW input shape.
func (p window) outShape(s tensor.Shape) tensor.Shape {
	return tensor.Shape{s[0], s[1], (s[2]+2*p.ph-p.kh)/p.sh + 1, (s[3]+2*p.pw-p.kw)/p.sw + 1}
}

// check validates an NCHW input shape against the parameters.
func (p window) check(what string, s tensor.Shape) error {
	if s.Dims() != 4 {
		return errors.Wrapf(ErrShape, "%s: input shape %v (want (N, C, H, W))", what, s)
	}
	for _, d := range s {
		if d < 1 {
			return errors.Wrapf(ErrShape, "%s: input shape %v has an empty axis", what, s)
		}
	}
	if s[2]+2*p.ph < p.kh || s[3]+2*p.pw < p.kw {
		return errors.Wrapf(ErrShape, "%s: kernel (%d,%d) larger than the padded input %dx%d", what, p.kh, p.kw, s[2]+2*p.ph, s[3]+2*p.pw)
	}
	return nil
}

func poolParams(what string, x *G.Node, kernel, stride, pad [2]int) (window, error) {
	p := window{kh: kernel[0], kw: kernel[1], ph: pad[0], pw: pad[1], sh: stride[0], sw: stride[1]}
	if err := checkDtype(x.Dtype()); err != nil {
		return p, errors.WithMessage(err, "graph: "+what)
	}
	for i := 0; i < 2; i++ {
		if kernel[i] < 1 || stride[i] < 1 || pad[i] < 0 || 2*pad[i] > kernel[i] {
			return p, errors.Wrapf(ErrConfig, "graph: %s: kernel %v, pad %v, stride %v (want kernel ≥ 1, stride ≥ 1, 0 ≤ pad ≤ kernel/2)",
				what, kernel, pad, stride)
		}
	}
	return p, p.check(what, x.Shape())
}

// poolType is the type of a pooling op (n inputs, one output, all 4-D).
func poolType(n int) hm.Type {
	t := &G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	ts := make([]hm.Type, n+1)
	for i := range ts {
		ts[i] = t
	}
	return hm.NewFnType(ts...)
}

// avgPool2DOp is the forward average pooling.
type avgPool2DOp struct{ p window }

func (avgPool2DOp) Arity() int               { return 1 }
func (avgPool2DOp) Type() hm.Type            { return poolType(1) }
func (avgPool2DOp) ReturnsPtr() bool         { return false }
func (avgPool2DOp) CallsExtern() bool        { return false }
func (avgPool2DOp) OverwritesInput() int     { return -1 }
func (op avgPool2DOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op avgPool2DOp) Hashcode() uint32      { return opHash(op) }
func (op avgPool2DOp) String() string        { return "zoo.AvgPool2D{" + op.p.String() + "}" }
func (avgPool2DOp) DiffWRT(n int) []bool     { return []bool{true} }
func (op avgPool2DOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return poolInfer(op.p, in)
}

func (op avgPool2DOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the pooled x into prealloc when it fits (see
// outputFor).
func (op avgPool2DOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	x, y, err := poolArgs("avg pool", op.p, prealloc, vals)
	if err != nil {
		return nil, err
	}
	d := poolDims(x, y)
	switch xs := x.Data().(type) {
	case []float32:
		avgPool(op.p, d, xs, y.Data().([]float32))
	case []float64:
		avgPool(op.p, d, xs, y.Data().([]float64))
	}
	return y, nil
}

func (op avgPool2DOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != 1 {
		return nil, errors.Wrapf(ErrShape, "avg pool gradient: %d inputs, want 1", len(in))
	}
	gx, err := G.ApplyOp(avgPool2DGradOp(op), in[0], grad)
	return G.Nodes{gx}, errors.Wrap(err, "graph: avg pool gradient")
}

// avgPool2DGradOp maps (x, gy) to avg pooling's input gradient; x only
// supplies the shape.
type avgPool2DGradOp struct{ p window }

func (avgPool2DGradOp) Arity() int               { return 2 }
func (avgPool2DGradOp) Type() hm.Type            { return poolType(2) }
func (avgPool2DGradOp) ReturnsPtr() bool         { return false }
func (avgPool2DGradOp) CallsExtern() bool        { return false }
func (avgPool2DGradOp) OverwritesInput() int     { return -1 }
func (op avgPool2DGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op avgPool2DGradOp) Hashcode() uint32      { return opHash(op) }
func (op avgPool2DGradOp) String() string        { return "zoo.AvgPool2DGrad{" + op.p.String() + "}" }
func (avgPool2DGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return sameShape(in)
}

func (op avgPool2DGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the input gradient into prealloc when it fits (see
// outputFor).
func (op avgPool2DGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	ts, gx, err := poolGradArgs("avg pool gradient", op.p, prealloc, vals, 2)
	if err != nil {
		return nil, err
	}
	d := poolDims(ts[0], ts[1])
	switch gxs := gx.Data().(type) {
	case []float32:
		avgPoolGrad(op.p, d, ts[1].Data().([]float32), gxs)
	case []float64:
		avgPoolGrad(op.p, d, ts[1].Data().([]float64), gxs)
	}
	return gx, nil
}

// maxPool2DOp is the forward max pooling. Its parameters are its identity
// (String, Hashcode); ix records the argmax of every window for the
// gradient op.
type maxPool2DOp struct {
	p  window
	ix *maxIndex
}

func (maxPool2DOp) Arity() int               { return 1 }
func (maxPool2DOp) Type() hm.Type            { return poolType(1) }
func (maxPool2DOp) ReturnsPtr() bool         { return false }
func (maxPool2DOp) CallsExtern() bool        { return false }
func (maxPool2DOp) OverwritesInput() int     { return -1 }
func (op maxPool2DOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op maxPool2DOp) Hashcode() uint32      { return opHash(op) }
func (op maxPool2DOp) String() string        { return "zoo.MaxPool2D{" + op.p.String() + "}" }
func (maxPool2DOp) DiffWRT(n int) []bool     { return []bool{true} }
func (op maxPool2DOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return poolInfer(op.p, in)
}

func (op maxPool2DOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the pooled x into prealloc when it fits (see
// outputFor), and records the windows' argmax in op.ix.
func (op maxPool2DOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	x, y, err := poolArgs("max pool", op.p, prealloc, vals)
	if err != nil {
		return nil, err
	}
	d := poolDims(x, y)
	var idx []int32
	if op.ix != nil && op.ix.grad.Load() {
		op.ix.mu.Lock()
		defer op.ix.mu.Unlock()
		idx = op.ix.record(x, y)
	}
	switch xs := x.Data().(type) {
	case []float32:
		maxPool(op.p, d, xs, y.Data().([]float32), idx)
	case []float64:
		maxPool(op.p, d, xs, y.Data().([]float64), idx)
	}
	return y, nil
}

func (op maxPool2DOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if len(in) != 1 {
		return nil, errors.Wrapf(ErrShape, "max pool gradient: %d inputs, want 1", len(in))
	}
	if op.ix != nil {
		op.ix.grad.Store(true)
	}
	gx, err := G.ApplyOp(maxPool2DGradOp(op), in[0], out, grad)
	return G.Nodes{gx}, errors.Wrap(err, "graph: max pool gradient")
}

// maxPool2DGradOp maps (x, y, gy) to max pooling's input gradient: each gy
// goes to the first element of its window in x that equals the window's
// maximum y (the forward op's recorded argmax).
type maxPool2DGradOp struct {
	p  window
	ix *maxIndex
}

func (maxPool2DGradOp) Arity() int               { return 3 }
func (maxPool2DGradOp) Type() hm.Type            { return poolType(3) }
func (maxPool2DGradOp) ReturnsPtr() bool         { return false }
func (maxPool2DGradOp) CallsExtern() bool        { return false }
func (maxPool2DGradOp) OverwritesInput() int     { return -1 }
func (op maxPool2DGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op maxPool2DGradOp) Hashcode() uint32      { return opHash(op) }
func (op maxPool2DGradOp) String() string        { return "zoo.MaxPool2DGrad{" + op.p.String() + "}" }
func (maxPool2DGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return sameShape(in)
}

func (op maxPool2DGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the input gradient into prealloc when it fits (see
// outputFor).
func (op maxPool2DGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	ts, gx, err := poolGradArgs("max pool gradient", op.p, prealloc, vals, 3)
	if err != nil {
		return nil, err
	}
	x, y, gy := ts[0], ts[1], ts[2]
	d := poolDims(x, y)
	var idx []int32
	if op.ix != nil {
		op.ix.mu.Lock()
		defer op.ix.mu.Unlock()
		idx = op.ix.lookup(x, y)
	}
	switch xs := x.Data().(type) {
	case []float32:
		maxPoolGrad(op.p, d, xs, y.Data().([]float32), gy.Data().([]float32), gx.Data().([]float32), idx)
	case []float64:
		maxPoolGrad(op.p, d, xs, y.Data().([]float64), gy.Data().([]float64), gx.Data().([]float64), idx)
	}
	return gx, nil
}

var (
	_ G.UsePreallocDoer = avgPool2DOp{}
	_ G.UsePreallocDoer = avgPool2DGradOp{}
	_ G.UsePreallocDoer = maxPool2DOp{}
	_ G.UsePreallocDoer = maxPool2DGradOp{}
)

// maxIndex is the argmax record of a max pooling op's last forward call:
// for every output element, the index in its input plane of the element
// it took, and the data addresses and shapes of that call's x and y. The
// forward op records only once a gradient op has been made (grad): an
// evaluation graph keeps no argmax.
type maxIndex struct {
	grad   atomic.Bool
	mu     sync.Mutex
	idx    []int32
	x, y   uintptr
	xs, ys [4]int
}

// record makes room for the argmax of y = maxpool(x) and returns it. The
// caller holds the lock and fills the returned slice.
func (m *maxIndex) record(x, y *tensor.Dense) []int32 {
	m.x, m.y = x.Uintptr(), y.Uintptr()
	copy(m.xs[:], x.Shape())
	copy(m.ys[:], y.Shape())
	n := y.Shape().TotalSize()
	if cap(m.idx) < n {
		m.idx = make([]int32, n)
	}
	m.idx = m.idx[:n]
	return m.idx
}

// lookup returns the recorded argmax if the last forward call read x and
// wrote y (same memory, same shapes), else nil. The caller holds the lock.
func (m *maxIndex) lookup(x, y *tensor.Dense) []int32 {
	var xs, ys [4]int
	copy(xs[:], x.Shape())
	copy(ys[:], y.Shape())
	if m.idx == nil || m.x != x.Uintptr() || m.y != y.Uintptr() || m.xs != xs || m.ys != ys {
		return nil
	}
	return m.idx
}

func poolInfer(p window, in []G.DimSizer) (tensor.Shape, error) {
	s, err := sameShape(in)
	if err != nil {
		return nil, err
	}
	if err := p.check("pool", s); err != nil {
		return nil, err
	}
	return p.outShape(s), nil
}

// poolArgs checks a forward pooling op's input and returns it with the
// output tensor: prealloc if it fits (see outputFor), else a new one.
func poolArgs(what string, p window, prealloc G.Value, vals []G.Value) (x, y *tensor.Dense, err error) {
	if len(vals) != 1 {
		return nil, nil, errors.Wrapf(ErrShape, "%s: %d inputs, want 1", what, len(vals))
	}
	if x, err = dense(what, vals[0], 4); err != nil {
		return nil, nil, err
	}
	if err := p.check(what, x.Shape()); err != nil {
		return nil, nil, err
	}
	return x, outputFor(prealloc, x.Dtype(), p.outShape(x.Shape())), nil
}

// poolGradArgs checks a backward pooling op's inputs, (x, gy), or (x, y,
// gy) for max pooling (n = 3), where y is the forward output, and returns
// them with the output tensor for gx: prealloc if it fits, else a new one.
func poolGradArgs(what string, p window, prealloc G.Value, vals []G.Value, n int) (ts []*tensor.Dense, gx *tensor.Dense, err error) {
	if len(vals) != n {
		return nil, nil, errors.Wrapf(ErrShape, "%s: %d inputs, want %d", what, len(vals), n)
	}
	ts = make([]*tensor.Dense, n)
	for i, v := range vals {
		if ts[i], err = dense(what, v, 4); err != nil {
			return nil, nil, err
		}
	}
	x := ts[0]
	s := x.Shape()
	if err := p.check(what, s); err != nil {
		return nil, nil, err
	}
	os := p.outShape(s)
	for _, t := range ts[1:] {
		if !t.Shape().Eq(os) || t.Dtype() != x.Dtype() {
			return nil, nil, errors.Wrapf(ErrShape, "%s: pooled input %v %v for x %v %v (want %v)", what, t.Shape(), t.Dtype(), s, x.Dtype(), os)
		}
	}
	return ts, outputFor(prealloc, x.Dtype(), s), nil
}

// poolDim is the plane sizes of a pooling: planes (N·C), input h×w,
// output oh×ow.
type poolDim struct{ planes, h, w, oh, ow int }

// poolDims returns the plane sizes of x (N,C,H,W) pooled into y.
func poolDims(x, y *tensor.Dense) poolDim {
	s, os := x.Shape(), y.Shape()
	return poolDim{planes: s[0] * s[1], h: s[2], w: s[3], oh: os[2], ow: os[3]}
}

// planes calls f for every plane (one image's channel) in [0, n), in
// parallel chunks of planeChunk planes; planes are independent, so the
// result does not depend on the number of goroutines.
func planes(n int, f func(plane int)) {
	parallelChunks(n, planeChunk, func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			f(p)
		}
	})
}

// planeChunk is the number of planes a pooling worker takes at a time.
const planeChunk = 16

// span returns the input range [lo, hi) that output index o covers along an
// axis of input size n, kernel k, padding p and stride s, clipped to the
// unpadded input.
func span(o, n, k, p, s int) (lo, hi int) {
	lo = o*s - p
	return max(lo, 0), min(lo+k, n)
}

func avgPool[T float](p window, d poolDim, x, y []T) {
	h, w, oh, ow := d.h, d.w, d.oh, d.ow
	inv := 1 / T(p.kh*p.kw)
	planes(d.planes, func(plane int) {
		xp, yp := x[plane*h*w:(plane+1)*h*w], y[plane*oh*ow:(plane+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := span(i, h, p.kh, p.ph, p.sh)
			yr := yp[i*ow : (i+1)*ow]
			for j := range yr {
				c0, c1 := span(j, w, p.kw, p.pw, p.sw)
				var s T
				for r := r0; r < r1; r++ {
					for _, v := range xp[r*w+c0 : r*w+c1] {
						s += v
					}
				}
				yr[j] = s * inv
			}
		}
	})
}

func avgPoolGrad[T float](p window, d poolDim, gy, gx []T) {
	h, w, oh, ow := d.h, d.w, d.oh, d.ow
	inv := 1 / T(p.kh*p.kw)
	planes(d.planes, func(plane int) {
		gxp, gyp := gx[plane*h*w:(plane+1)*h*w], gy[plane*oh*ow:(plane+1)*oh*ow]
		clear(gxp)
		for i := 0; i < oh; i++ {
			r0, r1 := span(i, h, p.kh, p.ph, p.sh)
			gr := gyp[i*ow : (i+1)*ow]
			for j, g := range gr {
				c0, c1 := span(j, w, p.kw, p.pw, p.sw)
				g *= inv
				for r := r0; r < r1; r++ {
					row := gxp[r*w+c0 : r*w+c1]
					for k := range row {
						row[k] += g
					}
				}
			}
		}
	})
}

// windowMax returns the maximum of the window rows [r0, r1) × columns
// [c0, c1) of the plane xp (rows of width w), NaN if the window holds one,
// and the index in xp of the window's first element equal to it (of its
// first NaN if it is NaN).
func windowMax[T float](xp []T, w, r0, r1, c0, c1 int) (T, int) {
	m := xp[r0*w+c0]
	for r := r0; r < r1; r++ {
		for _, v := range xp[r*w+c0 : r*w+c1] {
			m = max(m, v)
		}
	}
	return m, argMax(xp, w, r0, r1, c0, c1, m)
}

// argMax returns the index in the plane xp of the first element of the
// window equal to its maximum m, or of the first NaN if m is NaN. It scans
// backwards and keeps the last hit, which compiles to conditional moves
// rather than a branch per element.
func argMax[T float](xp []T, w, r0, r1, c0, c1 int, m T) int {
	best := r0*w + c0
	nan := m != m
	for r := r1 - 1; r >= r0; r-- {
		row := xp[r*w+c0 : r*w+c1]
		for c := len(row) - 1; c >= 0; c-- {
			v := row[c]
			if v == m || (nan && v != v) {
				best = r*w + c0 + c
			}
		}
	}
	return best
}

// max2Row pools the row pair r0, r1 (each 2·len(yr) long) with 2×2
// windows at stride 2 into yr, as windowMax does, and if ip is not nil
// records each maximum's index in the plane, r0 starting at index base and
// r1 at base + w. The first match is found by testing the window backwards
// (conditional moves, not branches on the data).
func max2Row[T float](r0, r1, yr []T, ip []int32, base, w int) {
	r0, r1 = r0[:2*len(yr)], r1[:2*len(yr)]
	y32, vec := any(yr).([]float32)
	for j := 0; j < len(yr); {
		end := len(yr)
		if vec {
			// Vectorised up to a block of 16 holding a NaN, which the Go
			// loop does.
			var ipj []int32
			if ip != nil {
				ipj = ip[j:]
			}
			j += vmath.MaxPool2Rows(any(r0).([]float32)[2*j:], any(r1).([]float32)[2*j:], y32[j:], ipj, base+2*j, w)
			end = min(len(yr), j+16)
		}
		max2RowGo(r0, r1, yr, ip, base, w, j, end)
		j = end
	}
}

// max2RowGo is max2Row for outputs [j0, j1).
func max2RowGo[T float](r0, r1, yr []T, ip []int32, base, w, j0, j1 int) {
	for j := j0; j < j1; j++ {
		a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
		m := max(a, b, c, d)
		at := w + 1
		if c == m {
			at = w
		}
		if b == m {
			at = 1
		}
		if a == m {
			at = 0
		}
		if m != m {
			at = argMax([]T{a, b, c, d}, 2, 0, 2, 0, 2, m)
			at = at/2*w + at%2
		}
		yr[j] = m
		if ip != nil {
			ip[j] = int32(base + 2*j + at)
		}
	}
}

// maxPool writes the window maxima of x into y and, if idx is not nil,
// the index of each maximum in its input plane into idx.
func maxPool[T float](p window, d poolDim, x, y []T, idx []int32) {
	h, w, oh, ow := d.h, d.w, d.oh, d.ow
	k2 := p == window{kh: 2, kw: 2, sh: 2, sw: 2}
	planes(d.planes, func(plane int) {
		xp, yp := x[plane*h*w:(plane+1)*h*w], y[plane*oh*ow:(plane+1)*oh*ow]
		var ip []int32
		if idx != nil {
			ip = idx[plane*oh*ow : (plane+1)*oh*ow]
		}
		for i := 0; i < oh; i++ {
			yr := yp[i*ow : (i+1)*ow]
			if k2 {
				var ir []int32
				if ip != nil {
					ir = ip[i*ow : (i+1)*ow]
				}
				max2Row(xp[2*i*w:(2*i+1)*w], xp[(2*i+1)*w:(2*i+2)*w], yr, ir, 2*i*w, w)
				continue
			}
			r0, r1 := span(i, h, p.kh, p.ph, p.sh)
			for j := range yr {
				c0, c1 := span(j, w, p.kw, p.pw, p.sw)
				m, at := windowMax(xp, w, r0, r1, c0, c1)
				yr[j] = m
				if ip != nil {
					ip[i*ow+j] = int32(at)
				}
			}
		}
	})
}

// maxPoolGrad writes into gx the gradient of max pooling: each gy goes to
// its window's first maximum. idx, if not nil, is the forward pass's
// record of those; a plane whose record does not match x and y (x at the
// recorded index is not y) is done again from x and y.
func maxPoolGrad[T float](p window, d poolDim, x, y, gy, gx []T, idx []int32) {
	h, w, oh, ow := d.h, d.w, d.oh, d.ow
	planes(d.planes, func(plane int) {
		xp, gxp := x[plane*h*w:(plane+1)*h*w], gx[plane*h*w:(plane+1)*h*w]
		yp, gyp := y[plane*oh*ow:(plane+1)*oh*ow], gy[plane*oh*ow:(plane+1)*oh*ow]
		clear(gxp)
		if idx != nil && scatterMax(xp, yp, gyp, gxp, idx[plane*oh*ow:(plane+1)*oh*ow]) {
			return
		}
		clear(gxp)
		for i := 0; i < oh; i++ {
			r0, r1 := span(i, h, p.kh, p.ph, p.sh)
			for j := 0; j < ow; j++ {
				c0, c1 := span(j, w, p.kw, p.pw, p.sw)
				_, at := windowMax(xp, w, r0, r1, c0, c1)
				gxp[at] += gyp[i*ow+j]
			}
		}
	})
}

// scatterMax adds gy[k] to gx[ip[k]] for every output k of a plane and
// reports whether x[ip[k]] is y[k] (or both are NaN) for every k.
func scatterMax[T float](xp, yp, gyp, gxp []T, ip []int32) bool {
	ok := true
	yp, gyp = yp[:len(ip)], gyp[:len(ip)]
	for k, at := range ip {
		if int(at) >= len(xp) {
			return false
		}
		v, m := xp[at], yp[k]
		ok = ok && (v == m || v != v && m != m)
		gxp[at] += gyp[k]
	}
	return ok
}
