package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
// (see op_conv_test.go), but keeps the argmax mask on the op between the
// forward and the backward pass, fixes the batch size into the op, and
// indexes out of range on a window of NaNs. These ops hold only their
// parameters; max pooling's backward pass finds each window's argmax again
// as the first element of x equal to the pooled y, which costs about what
// Gorgonia spends writing its mask.

// avgPool2D is average pooling of x (N,C,H,W) over kernel (kh,kw) windows
// moved by stride, with zero padding pad on each side counted in the divisor.
func avgPool2D(x *G.Node, kernel, pad, stride [2]int) (*G.Node, error) {
	p, err := lpPoolParams("avg pool", x, kernel, pad, stride)
	if err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(avgPool2DOp{p}, x)
	return y, errors.Wrap(err, "graph: avg pool")
}

// maxPool2D is max pooling of x (N,C,H,W) over kernel (kh,kw) windows moved
// by stride, padding counted as −∞.
func maxPool2D(x *G.Node, kernel, pad, stride [2]int) (*G.Node, error) {
	p, err := lpPoolParams("max pool", x, kernel, pad, stride)
	if err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(maxPool2DOp{p}, x)
	return y, errors.Wrap(err, "graph: max pool")
}

// lpPool is a window geometry (kernel, padding, stride), the whole state of
// the pooling and convolution ops.
type lpPool struct {
	kh, kw, ph, pw, sh, sw int
}

func (p lpPool) String() string {
	return fmt.Sprintf("k=(%d,%d) pad=(%d,%d) stride=(%d,%d)", p.kh, p.kw, p.ph, p.pw, p.sh, p.sw)
}

// outShape returns the pooled shape of an NCHW input shape.
func (p lpPool) outShape(s tensor.Shape) tensor.Shape {
	return tensor.Shape{s[0], s[1], (s[2]+2*p.ph-p.kh)/p.sh + 1, (s[3]+2*p.pw-p.kw)/p.sw + 1}
}

// check validates an NCHW input shape against the parameters.
func (p lpPool) check(what string, s tensor.Shape) error {
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

func lpPoolParams(what string, x *G.Node, kernel, pad, stride [2]int) (lpPool, error) {
	p := lpPool{kh: kernel[0], kw: kernel[1], ph: pad[0], pw: pad[1], sh: stride[0], sw: stride[1]}
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

// lpPoolType is the type of a pooling op (n inputs, one output, all 4-D).
func lpPoolType(n int) hm.Type {
	t := &G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	ts := make([]hm.Type, n+1)
	for i := range ts {
		ts[i] = t
	}
	return hm.NewFnType(ts...)
}

// avgPool2DOp is the forward average pooling.
type avgPool2DOp struct{ p lpPool }

func (avgPool2DOp) Arity() int               { return 1 }
func (avgPool2DOp) Type() hm.Type            { return lpPoolType(1) }
func (avgPool2DOp) ReturnsPtr() bool         { return false }
func (avgPool2DOp) CallsExtern() bool        { return false }
func (avgPool2DOp) OverwritesInput() int     { return -1 }
func (op avgPool2DOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op avgPool2DOp) Hashcode() uint32      { return lpHash(op) }
func (op avgPool2DOp) String() string        { return "zoo.AvgPool2D{" + op.p.String() + "}" }
func (avgPool2DOp) DiffWRT(n int) []bool     { return []bool{true} }
func (op avgPool2DOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return lpPoolInfer(op.p, in)
}

func (op avgPool2DOp) Do(vals ...G.Value) (G.Value, error) {
	return lpPoolDo("avg pool", op.p, vals, lpAvgPool[float32], lpAvgPool[float64])
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
type avgPool2DGradOp struct{ p lpPool }

func (avgPool2DGradOp) Arity() int               { return 2 }
func (avgPool2DGradOp) Type() hm.Type            { return lpPoolType(2) }
func (avgPool2DGradOp) ReturnsPtr() bool         { return false }
func (avgPool2DGradOp) CallsExtern() bool        { return false }
func (avgPool2DGradOp) OverwritesInput() int     { return -1 }
func (op avgPool2DGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op avgPool2DGradOp) Hashcode() uint32      { return lpHash(op) }
func (op avgPool2DGradOp) String() string        { return "zoo.AvgPool2DGrad{" + op.p.String() + "}" }
func (avgPool2DGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return lpSameShape(in)
}

func (op avgPool2DGradOp) Do(vals ...G.Value) (G.Value, error) {
	return lpPoolGradDo("avg pool gradient", op.p, vals, 2, lpAvgPoolGrad[float32], lpAvgPoolGrad[float64])
}

// maxPool2DOp is the forward max pooling.
type maxPool2DOp struct{ p lpPool }

func (maxPool2DOp) Arity() int               { return 1 }
func (maxPool2DOp) Type() hm.Type            { return lpPoolType(1) }
func (maxPool2DOp) ReturnsPtr() bool         { return false }
func (maxPool2DOp) CallsExtern() bool        { return false }
func (maxPool2DOp) OverwritesInput() int     { return -1 }
func (op maxPool2DOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op maxPool2DOp) Hashcode() uint32      { return lpHash(op) }
func (op maxPool2DOp) String() string        { return "zoo.MaxPool2D{" + op.p.String() + "}" }
func (maxPool2DOp) DiffWRT(n int) []bool     { return []bool{true} }
func (op maxPool2DOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return lpPoolInfer(op.p, in)
}

func (op maxPool2DOp) Do(vals ...G.Value) (G.Value, error) {
	return lpPoolDo("max pool", op.p, vals, lpMaxPool[float32], lpMaxPool[float64])
}

func (op maxPool2DOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if len(in) != 1 {
		return nil, errors.Wrapf(ErrShape, "max pool gradient: %d inputs, want 1", len(in))
	}
	gx, err := G.ApplyOp(maxPool2DGradOp(op), in[0], out, grad)
	return G.Nodes{gx}, errors.Wrap(err, "graph: max pool gradient")
}

// maxPool2DGradOp maps (x, y, gy) to max pooling's input gradient: each gy
// goes to the first element of its window in x that equals the window's
// maximum y.
type maxPool2DGradOp struct{ p lpPool }

func (maxPool2DGradOp) Arity() int               { return 3 }
func (maxPool2DGradOp) Type() hm.Type            { return lpPoolType(3) }
func (maxPool2DGradOp) ReturnsPtr() bool         { return false }
func (maxPool2DGradOp) CallsExtern() bool        { return false }
func (maxPool2DGradOp) OverwritesInput() int     { return -1 }
func (op maxPool2DGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op maxPool2DGradOp) Hashcode() uint32      { return lpHash(op) }
func (op maxPool2DGradOp) String() string        { return "zoo.MaxPool2DGrad{" + op.p.String() + "}" }
func (maxPool2DGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return lpSameShape(in)
}

func (op maxPool2DGradOp) Do(vals ...G.Value) (G.Value, error) {
	return lpPoolGradDo("max pool gradient", op.p, vals, 3, lpMaxPoolGrad[float32], lpMaxPoolGrad[float64])
}

func lpPoolInfer(p lpPool, in []G.DimSizer) (tensor.Shape, error) {
	s, err := lpSameShape(in)
	if err != nil {
		return nil, err
	}
	if err := p.check("pool", s); err != nil {
		return nil, err
	}
	return p.outShape(s), nil
}

// lpPoolDo runs a forward pooling kernel; the kernels get the input's plane
// size (H, W) and the output's (OH, OW).
func lpPoolDo(what string, p lpPool, vals []G.Value,
	f32 func(p lpPool, x, y []float32, h, w, oh, ow int), f64 func(p lpPool, x, y []float64, h, w, oh, ow int)) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Wrapf(ErrShape, "%s: %d inputs, want 1", what, len(vals))
	}
	x, err := lpDense(what, vals[0], 4)
	if err != nil {
		return nil, err
	}
	s := x.Shape()
	if err := p.check(what, s); err != nil {
		return nil, err
	}
	os := p.outShape(s)
	y := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(os...))
	switch xs := x.Data().(type) {
	case []float32:
		f32(p, xs, y.Data().([]float32), s[2], s[3], os[2], os[3])
	case []float64:
		f64(p, xs, y.Data().([]float64), s[2], s[3], os[2], os[3])
	}
	return y, nil
}

// lpPoolGradDo runs a backward pooling kernel on (x, gy), or on (x, y, gy)
// for max pooling (n = 3), where y is the forward output; for n = 2 the
// kernel gets y = nil.
func lpPoolGradDo(what string, p lpPool, vals []G.Value, n int,
	f32 func(p lpPool, x, y, gy, gx []float32, h, w, oh, ow int), f64 func(p lpPool, x, y, gy, gx []float64, h, w, oh, ow int)) (G.Value, error) {
	if len(vals) != n {
		return nil, errors.Wrapf(ErrShape, "%s: %d inputs, want %d", what, len(vals), n)
	}
	ts := make([]*tensor.Dense, n)
	for i, v := range vals {
		var err error
		if ts[i], err = lpDense(what, v, 4); err != nil {
			return nil, err
		}
	}
	x, gy := ts[0], ts[n-1]
	s := x.Shape()
	if err := p.check(what, s); err != nil {
		return nil, err
	}
	os := p.outShape(s)
	for _, t := range ts[1:] {
		if !t.Shape().Eq(os) || t.Dtype() != x.Dtype() {
			return nil, errors.Wrapf(ErrShape, "%s: pooled input %v %v for x %v %v (want %v)", what, t.Shape(), t.Dtype(), s, x.Dtype(), os)
		}
	}
	gx := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(s.Clone()...))
	switch xs := x.Data().(type) {
	case []float32:
		var y []float32
		if n == 3 {
			y = ts[1].Data().([]float32)
		}
		f32(p, xs, y, gy.Data().([]float32), gx.Data().([]float32), s[2], s[3], os[2], os[3])
	case []float64:
		var y []float64
		if n == 3 {
			y = ts[1].Data().([]float64)
		}
		f64(p, xs, y, gy.Data().([]float64), gx.Data().([]float64), s[2], s[3], os[2], os[3])
	}
	return gx, nil
}

// lpPlanes calls f for every plane (one image's channel) in [0, n), in
// parallel chunks of lpPlaneChunk planes; planes are independent, so the
// result does not depend on the number of goroutines.
func lpPlanes(n int, f func(plane int)) {
	lpParallelChunks(n, lpPlaneChunk, func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			f(p)
		}
	})
}

// lpPlaneChunk is the number of planes a pooling worker takes at a time.
const lpPlaneChunk = 16

// lpSpan returns the input range [lo, hi) that output index o covers along an
// axis of input size n, kernel k, padding p and stride s, clipped to the
// unpadded input.
func lpSpan(o, n, k, p, s int) (lo, hi int) {
	lo = o*s - p
	return max(lo, 0), min(lo+k, n)
}

func lpAvgPool[T lpFloat](p lpPool, x, y []T, h, w, oh, ow int) {
	inv := 1 / T(p.kh*p.kw)
	lpPlanes(len(x)/(h*w), func(plane int) {
		xp, yp := x[plane*h*w:(plane+1)*h*w], y[plane*oh*ow:(plane+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := lpSpan(i, h, p.kh, p.ph, p.sh)
			yr := yp[i*ow : (i+1)*ow]
			for j := range yr {
				c0, c1 := lpSpan(j, w, p.kw, p.pw, p.sw)
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

func lpAvgPoolGrad[T lpFloat](p lpPool, _, _, gy, gx []T, h, w, oh, ow int) {
	inv := 1 / T(p.kh*p.kw)
	lpPlanes(len(gx)/(h*w), func(plane int) {
		gxp, gyp := gx[plane*h*w:(plane+1)*h*w], gy[plane*oh*ow:(plane+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := lpSpan(i, h, p.kh, p.ph, p.sh)
			gr := gyp[i*ow : (i+1)*ow]
			for j, g := range gr {
				c0, c1 := lpSpan(j, w, p.kw, p.pw, p.sw)
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

// lpWindowMax returns the maximum of the window rows [r0, r1) × columns
// [c0, c1) of the plane xp (rows of width w), NaN if the window holds one.
func lpWindowMax[T lpFloat](xp []T, w, r0, r1, c0, c1 int) T {
	m := xp[r0*w+c0]
	for r := r0; r < r1; r++ {
		for _, v := range xp[r*w+c0 : r*w+c1] {
			m = max(m, v)
		}
	}
	return m
}

// lpArgMax returns the index in the plane xp of the first element of the
// window equal to its maximum m, or of the first NaN if m is NaN. It scans
// backwards and keeps the last hit, which compiles to conditional moves
// rather than a branch per element.
func lpArgMax[T lpFloat](xp []T, w, r0, r1, c0, c1 int, m T) int {
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

func lpMaxPool[T lpFloat](p lpPool, x, y []T, h, w, oh, ow int) {
	lpPlanes(len(x)/(h*w), func(plane int) {
		xp, yp := x[plane*h*w:(plane+1)*h*w], y[plane*oh*ow:(plane+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := lpSpan(i, h, p.kh, p.ph, p.sh)
			yr := yp[i*ow : (i+1)*ow]
			for j := range yr {
				c0, c1 := lpSpan(j, w, p.kw, p.pw, p.sw)
				yr[j] = lpWindowMax(xp, w, r0, r1, c0, c1)
			}
		}
	})
}

func lpMaxPoolGrad[T lpFloat](p lpPool, x, y, gy, gx []T, h, w, oh, ow int) {
	lpPlanes(len(x)/(h*w), func(plane int) {
		xp, gxp := x[plane*h*w:(plane+1)*h*w], gx[plane*h*w:(plane+1)*h*w]
		yp, gyp := y[plane*oh*ow:(plane+1)*oh*ow], gy[plane*oh*ow:(plane+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := lpSpan(i, h, p.kh, p.ph, p.sh)
			for j := 0; j < ow; j++ {
				c0, c1 := lpSpan(j, w, p.kw, p.pw, p.sw)
				gxp[lpArgMax(xp, w, r0, r1, c0, c1, yp[i*ow+j])] += gyp[i*ow+j]
			}
		}
	})
}
