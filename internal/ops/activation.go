package ops

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/vmath"
)

// Fused element-wise activations: one op and one pass forward, one op and one
// pass backward, the gradient computed from the output y.
//
// ReLU: y = max(x, 0) (NaN stays NaN, −0 and negative inputs give +0, as
// PyTorch's relu does). Its gradient is gx = gy·[y > 0], PyTorch's
// threshold_backward: 0 where x ≤ 0, also at x = 0 exactly. Gorgonia's
// Rectify, which this replaces, is x ⊙ (x ≥ 0): two ops and two fresh
// tensors forward, two products backward (one of them, the gradient with
// respect to the mask, unused), negative inputs give −0, and the gradient at
// x = 0 is gy. Both directions select bits (gx is gy's bits or +0) with
// internal/vmath's vectorised ReLU and ReLUGrad.
//
// Sigmoid: y = 1/(1 + e^−x); in float64 with math.Exp (the value Gorgonia's
// Sigmoid computes, bit for bit, where it does not clip), in float32 with
// internal/vmath's float32 exponential (within 2 ulp of the float64 formula
// rounded to float32, the same bits on every CPU, vectorised). Its gradient is PyTorch's sigmoid_backward,
// gx = (gy·(1 − y))·y, in the tensor's dtype: no exponential. Gorgonia's
// Sigmoid, which this replaces, differs in two ways: it clips, returning
// exactly 1 for x > 15 (float32) or x > 19 (float64) and 0 for x < −88
// (float32) or x < −709 (float64), where this op (and PyTorch) keep the
// unclipped value and a small nonzero gradient; and its graph stabiliser
// rewrites the 1 − y of its gradient into σ(−x), a second exponential (and a
// second op and tensor), which is more accurate where y rounds near 1
// (x ≳ 5 in float32) but not what PyTorch computes.
//
// LeakyReLU: y = x for x > 0 and slope·x otherwise (NaN stays NaN, −0 stays
// −0), the slope rounded to the tensor's dtype, as PyTorch's leaky_relu
// does. Its gradient is PyTorch's leaky_relu_backward, gx = gy where x > 0
// and gy·slope elsewhere, x = 0 included; it reads x, not y, so any slope
// (negative too) gives the right gradient. Gorgonia's LeakyRelu, which this
// replaces, gives gradient gy at x = 0.

// actKind selects the activation of an actOp or actGradOp.
type actKind uint8

const (
	actReLU actKind = iota
	actSigmoid
	actLeakyReLU
)

// name is the kind with LeakyReLU's slope, for op names and hashes.
func (k actKind) name(slope float64) string {
	if k == actLeakyReLU {
		return fmt.Sprintf("LeakyReLU(%v)", slope)
	}
	return k.String()
}

func (k actKind) String() string {
	switch k {
	case actSigmoid:
		return "Sigmoid"
	case actLeakyReLU:
		return "LeakyReLU"
	}
	return "ReLU"
}

// ReLU returns max(x, 0) element-wise.
func ReLU(x *G.Node) (*G.Node, error) { return applyAct(actOp{kind: actReLU}, x) }

// Sigmoid returns 1/(1 + e^−x) element-wise.
func Sigmoid(x *G.Node) (*G.Node, error) { return applyAct(actOp{kind: actSigmoid}, x) }

// LeakyReLU returns x where x > 0 and slope·x elsewhere, element-wise.
func LeakyReLU(x *G.Node, slope float64) (*G.Node, error) {
	if math.IsNaN(slope) || math.IsInf(slope, 0) {
		return nil, errors.Wrapf(ErrConfig, "LeakyReLU: slope %v", slope)
	}
	return applyAct(actOp{kind: actLeakyReLU, slope: slope}, x)
}

func applyAct(op actOp, x *G.Node) (*G.Node, error) {
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, errors.WithMessagef(err, "graph: %v", op.kind)
	}
	if x.IsScalar() {
		return nil, errors.Wrapf(ErrShape, "%v: scalar input (want a tensor)", op.kind)
	}
	y, err := G.ApplyOp(op, x)
	return y, errors.Wrapf(err, "graph: %v", op.kind)
}

// actOp is y = f(x) element-wise for the activation f of its kind (and
// slope, for LeakyReLU).
type actOp struct {
	kind  actKind
	slope float64
}

func (actOp) Arity() int                                        { return 1 }
func (actOp) Type() hm.Type                                     { return matToMat(1) }
func (actOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShape(in) }
func (actOp) ReturnsPtr() bool                                  { return false }
func (actOp) CallsExtern() bool                                 { return false }
func (actOp) OverwritesInput() int                              { return -1 }
func (op actOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op actOp) Hashcode() uint32                               { return opHash(op) }
func (op actOp) String() string                                 { return "zoo." + op.kind.name(op.slope) }
func (actOp) DiffWRT(int) []bool                                { return []bool{true} }

func (op actOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes f(x) into prealloc when it fits (see outputFor).
func (op actOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	what := op.kind.String()
	if len(vals) != 1 {
		return nil, errors.Wrapf(ErrShape, "%s: %d inputs, want 1", what, len(vals))
	}
	x, err := dense(what, vals[0], -1)
	if err != nil {
		return nil, err
	}
	out := outputFor(prealloc, x.Dtype(), x.Shape())
	switch xs := x.Data().(type) {
	case []float32:
		ys := out.Float32s()
		split(len(xs), func(lo, hi int) { op.forward32(xs[lo:hi], ys[lo:hi]) })
	case []float64:
		ys := out.Float64s()
		split(len(xs), func(lo, hi int) { op.forward64(xs[lo:hi], ys[lo:hi]) })
	}
	return out, nil
}

// forward32 writes the activation of x into y.
func (op actOp) forward32(x, y []float32) {
	switch op.kind {
	case actSigmoid:
		vmath.SigmoidSlice32(x, y)
	case actLeakyReLU:
		leakyForward(x, y, float32(op.slope))
	default:
		vmath.ReLU(y, x)
	}
}

// forward64 is forward32 for float64.
func (op actOp) forward64(x, y []float64) {
	switch op.kind {
	case actSigmoid:
		sigmoidForward64(x, y)
	case actLeakyReLU:
		leakyForward(x, y, op.slope)
	default:
		vmath.ReLU(y, x)
	}
}

// SymDiff: gx = actGrad(y, gy), or actGrad(x, gy) for LeakyReLU.
func (op actOp) SymDiff(inputs G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	from := out
	if op.kind == actLeakyReLU {
		from = inputs[0]
	}
	gx, err := G.ApplyOp(actGradOp(op), from, grad)
	return G.Nodes{gx}, errors.Wrapf(err, "graph: %v gradient", op.kind)
}

// actGradOp maps (y, gy) to the input gradient of the activation of its
// kind; for LeakyReLU it maps (x, gy).
type actGradOp struct {
	kind  actKind
	slope float64
}

func (actGradOp) Arity() int                                        { return 2 }
func (actGradOp) Type() hm.Type                                     { return matToMat(2) }
func (actGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShape(in) }
func (actGradOp) ReturnsPtr() bool                                  { return false }
func (actGradOp) CallsExtern() bool                                 { return false }
func (actGradOp) OverwritesInput() int                              { return -1 }
func (op actGradOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op actGradOp) Hashcode() uint32                               { return opHash(op) }
func (op actGradOp) String() string                                 { return "zoo." + op.kind.name(op.slope) + "Grad" }
func (actGradOp) DiffWRT(int) []bool                                { return []bool{false, false} }
func (op actGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v: second derivatives are not implemented", op)
}

func (op actGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the input gradient into prealloc when it fits (see
// outputFor).
func (op actGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	what := op.String()
	if len(vals) != 2 {
		return nil, errors.Wrapf(ErrShape, "%s: %d inputs, want 2", what, len(vals))
	}
	y, err := dense(what, vals[0], -1)
	if err != nil {
		return nil, err
	}
	gy, err := dense(what, vals[1], -1)
	if err != nil {
		return nil, err
	}
	if !y.Shape().Eq(gy.Shape()) || y.Dtype() != gy.Dtype() {
		return nil, errors.Wrapf(ErrShape, "%s: y %v %v, gy %v %v", what, y.Shape(), y.Dtype(), gy.Shape(), gy.Dtype())
	}
	out := outputFor(prealloc, y.Dtype(), y.Shape())
	switch ys := y.Data().(type) {
	case []float32:
		gys, gxs := gy.Float32s(), out.Float32s()
		split(len(ys), func(lo, hi int) { op.backward32(ys[lo:hi], gys[lo:hi], gxs[lo:hi]) })
	case []float64:
		gys, gxs := gy.Float64s(), out.Float64s()
		split(len(ys), func(lo, hi int) { op.backward64(ys[lo:hi], gys[lo:hi], gxs[lo:hi]) })
	}
	return out, nil
}

// backward32 writes the input gradient for (y, gy), or (x, gy) for
// LeakyReLU, into gx.
func (op actGradOp) backward32(y, gy, gx []float32) {
	switch op.kind {
	case actSigmoid:
		vmath.SigmoidGrad(gx, y, gy)
	case actLeakyReLU:
		leakyBackward(y, gy, gx, float32(op.slope))
	default:
		vmath.ReLUGrad(gx, y, gy)
	}
}

// backward64 is backward32 for float64.
func (op actGradOp) backward64(y, gy, gx []float64) {
	switch op.kind {
	case actSigmoid:
		vmath.SigmoidGrad(gx, y, gy)
	case actLeakyReLU:
		leakyBackward(y, gy, gx, op.slope)
	default:
		vmath.ReLUGrad(gx, y, gy)
	}
}

// sigmoidForward64 writes y = 1/(1 + e^−x).
func sigmoidForward64(x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = 1 / (1 + math.Exp(-v))
	}
}

// leakyForward writes y = x for x > 0 and slope·x elsewhere (NaN and −0
// included), in T's precision.
func leakyForward[T float](x, y []T, slope T) {
	y = y[:len(x)]
	for i, v := range x {
		if !(v > 0) {
			v *= slope
		}
		y[i] = v
	}
}

// leakyBackward writes gx = gy where x > 0 and gy·slope elsewhere (x = 0
// included), PyTorch's leaky_relu_backward.
func leakyBackward[T float](x, gy, gx []T, slope T) {
	gy, gx = gy[:len(x)], gx[:len(x)]
	for i, v := range x {
		g := gy[i]
		if !(v > 0) {
			g *= slope
		}
		gx[i] = g
	}
}

var (
	_ G.SDOp            = actOp{}
	_ G.UsePreallocDoer = actOp{}
	_ G.UsePreallocDoer = actGradOp{}
)
