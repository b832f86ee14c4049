package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/vmath"
)

// This file holds zoo's row-wise softmax and log-softmax ops and the small
// helpers (prefixed lp) that the loss and pooling ops share.
//
// Gorgonia's SoftMax/LogSoftMax (tensor v0.9.24) subtract one maximum for the
// whole array instead of each row's, so a row far below another overflows;
// its graph stabiliser rewrites SoftMax nodes in place, and SoftMax and
// LogSoftMax of one input hash to the same node.
// The ops here are separate types with distinct hashes, subtract each row's
// own maximum, and compute the exponentials and the logarithm in float64 for
// float32 inputs too.

// softmax returns the row-wise softmax of the 2-D node x (N,K):
// y[i,j] = exp(x[i,j] − m_i) / Σ_k exp(x[i,k] − m_i), m_i = max_k x[i,k].
func Softmax(x *G.Node) (*G.Node, error) {
	if err := check2D("softmax", x); err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(softmaxRowsOp{}, x)
	return y, errors.Wrap(err, "graph: softmax")
}

// logSoftmax returns the row-wise log-softmax of the 2-D node x (N,K):
// y[i,j] = x[i,j] − m_i − log Σ_k exp(x[i,k] − m_i), m_i = max_k x[i,k].
func LogSoftmax(x *G.Node) (*G.Node, error) {
	if err := check2D("log-softmax", x); err != nil {
		return nil, err
	}
	y, err := G.ApplyOp(logSoftmaxRowsOp{}, x)
	return y, errors.Wrap(err, "graph: log-softmax")
}

// softmaxRowsOp is y = Softmax(x) over the last axis of a matrix.
type softmaxRowsOp struct{}

func (softmaxRowsOp) Arity() int                                        { return 1 }
func (softmaxRowsOp) Type() hm.Type                                     { return matToMat(1) }
func (softmaxRowsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShape(in) }
func (softmaxRowsOp) ReturnsPtr() bool                                  { return false }
func (softmaxRowsOp) CallsExtern() bool                                 { return false }
func (softmaxRowsOp) OverwritesInput() int                              { return -1 }
func (op softmaxRowsOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op softmaxRowsOp) Hashcode() uint32                               { return opHash(op) }
func (softmaxRowsOp) String() string                                    { return "zoo.SoftmaxRows" }
func (softmaxRowsOp) DiffWRT(int) []bool                                { return []bool{true} }

func (op softmaxRowsOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes Softmax(x) into prealloc when it fits (see outputFor).
func (softmaxRowsOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return rowsDo("softmax", prealloc, vals, softmaxRows[float32], softmaxRows[float64])
}

// SymDiff: gx = y ⊙ (gy − Σ_j gy_j y_j), row by row.
func (softmaxRowsOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	gx, err := G.ApplyOp(softmaxRowsGradOp{}, out, grad)
	return G.Nodes{gx}, errors.Wrap(err, "graph: softmax gradient")
}

// logSoftmaxRowsOp is y = log Softmax(x) over the last axis of a matrix.
type logSoftmaxRowsOp struct{}

func (logSoftmaxRowsOp) Arity() int                                        { return 1 }
func (logSoftmaxRowsOp) Type() hm.Type                                     { return matToMat(1) }
func (logSoftmaxRowsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShape(in) }
func (logSoftmaxRowsOp) ReturnsPtr() bool                                  { return false }
func (logSoftmaxRowsOp) CallsExtern() bool                                 { return false }
func (logSoftmaxRowsOp) OverwritesInput() int                              { return -1 }
func (op logSoftmaxRowsOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op logSoftmaxRowsOp) Hashcode() uint32                               { return opHash(op) }
func (logSoftmaxRowsOp) String() string                                    { return "zoo.LogSoftmaxRows" }
func (logSoftmaxRowsOp) DiffWRT(int) []bool                                { return []bool{true} }

func (op logSoftmaxRowsOp) Do(vals ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, vals...)
}

// UsePreallocDo writes log Softmax(x) into prealloc when it fits (see outputFor).
func (logSoftmaxRowsOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return rowsDo("log-softmax", prealloc, vals, LogSoftmaxRows[float32], LogSoftmaxRows[float64])
}

// SymDiff: gx = gy − exp(y) Σ_j gy_j, row by row.
func (logSoftmaxRowsOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	gx, err := G.ApplyOp(logSoftmaxRowsGradOp{}, out, grad)
	return G.Nodes{gx}, errors.Wrap(err, "graph: log-softmax gradient")
}

// softmaxRowsGradOp maps (y, gy) to softmax's input gradient.
type softmaxRowsGradOp struct{}

func (softmaxRowsGradOp) Arity() int                                        { return 2 }
func (softmaxRowsGradOp) Type() hm.Type                                     { return matToMat(2) }
func (softmaxRowsGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShape(in) }
func (softmaxRowsGradOp) ReturnsPtr() bool                                  { return false }
func (softmaxRowsGradOp) CallsExtern() bool                                 { return false }
func (softmaxRowsGradOp) OverwritesInput() int                              { return -1 }
func (op softmaxRowsGradOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op softmaxRowsGradOp) Hashcode() uint32                               { return opHash(op) }
func (softmaxRowsGradOp) String() string                                    { return "zoo.SoftmaxRowsGrad" }

func (op softmaxRowsGradOp) Do(vals ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, vals...)
}

// UsePreallocDo writes the input gradient into prealloc when it fits (see outputFor).
func (softmaxRowsGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return rowsGradDo("softmax gradient", prealloc, vals, softmaxRowsGrad[float32], softmaxRowsGrad[float64])
}

// logSoftmaxRowsGradOp maps (y, gy) to log-softmax's input gradient.
type logSoftmaxRowsGradOp struct{}

func (logSoftmaxRowsGradOp) Arity() int    { return 2 }
func (logSoftmaxRowsGradOp) Type() hm.Type { return matToMat(2) }
func (logSoftmaxRowsGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return sameShape(in)
}
func (logSoftmaxRowsGradOp) ReturnsPtr() bool         { return false }
func (logSoftmaxRowsGradOp) CallsExtern() bool        { return false }
func (logSoftmaxRowsGradOp) OverwritesInput() int     { return -1 }
func (op logSoftmaxRowsGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op logSoftmaxRowsGradOp) Hashcode() uint32      { return opHash(op) }
func (logSoftmaxRowsGradOp) String() string           { return "zoo.LogSoftmaxRowsGrad" }

func (op logSoftmaxRowsGradOp) Do(vals ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, vals...)
}

// UsePreallocDo writes the input gradient into prealloc when it fits (see outputFor).
func (logSoftmaxRowsGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	return rowsGradDo("log-softmax gradient", prealloc, vals, logSoftmaxRowsGrad[float32], logSoftmaxRowsGrad[float64])
}

// softmaxRows writes Softmax(x) row by row (rows of length k) into y.
func softmaxRows[T float](x, y []T, k int) {
	e := make([]float64, k)
	for r := 0; r+k <= len(x); r += k {
		inv := 1 / expRow(x[r:r+k], e)
		out := y[r : r+k]
		for j, v := range e {
			out[j] = T(v * inv)
		}
	}
}

// expRow writes e = exp(row − max(row)) and returns Σ e (≥ 1 for a finite
// row, so its inverse and logarithm are safe).
func expRow[T float](row []T, e []float64) float64 {
	m := rowMax(row)
	var s float64
	for j, v := range row {
		e[j] = math.Exp(float64(v) - m)
		s += e[j]
	}
	return s
}

// LogSoftmaxRows writes log Softmax(x) row by row into y (rows of length
// k ≥ 1); y may be x.
func LogSoftmaxRows[T float](x, y []T, k int) {
	if k < 1 {
		return
	}
	rows := len(x) / k
	var lse [lseChunk]float64
	for r0 := 0; r0 < rows; r0 += lseChunk {
		r1 := min(rows, r0+lseChunk)
		logSumExps(x[r0*k:r1*k], k, lse[:r1-r0])
		for r := r0; r < r1; r++ {
			l := lse[r-r0]
			for j := r * k; j < (r+1)*k; j++ {
				y[j] = T(float64(x[j]) - l)
			}
		}
	}
}

// softmaxRowsGrad writes gx = y ⊙ (gy − Σ gy⊙y) row by row.
func softmaxRowsGrad[T float](y, gy, gx []T, k int) {
	for r := 0; r+k <= len(y); r += k {
		yr, gr, out := y[r:r+k], gy[r:r+k], gx[r:r+k]
		var dot float64
		for j, v := range yr {
			dot += float64(v) * float64(gr[j])
		}
		for j, v := range yr {
			out[j] = T(float64(v) * (float64(gr[j]) - dot))
		}
	}
}

// logSoftmaxRowsGrad writes gx = gy − exp(y) Σ gy row by row.
func logSoftmaxRowsGrad[T float](y, gy, gx []T, k int) {
	for r := 0; r+k <= len(y); r += k {
		yr, gr, out := y[r:r+k], gy[r:r+k], gx[r:r+k]
		var s float64
		for _, v := range gr {
			s += float64(v)
		}
		for j, v := range yr {
			out[j] = T(float64(gr[j]) - math.Exp(float64(v))*s)
		}
	}
}

// rowMax returns the largest element of a non-empty row, or NaN if the row
// holds a NaN (so that NaN propagates, as in PyTorch).
func rowMax[T float](row []T) float64 {
	m := float64(row[0])
	for _, v := range row[1:] {
		f := float64(v)
		if f > m || f != f {
			m = f
		}
		if m != m {
			break
		}
	}
	return m
}

// logSumExp returns log Σ exp(row) computed around the row's maximum m:
// m + log Σ exp(row − m), finite whenever the row is.
func logSumExp[T float](row []T) float64 {
	m := rowMax(row)
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// lseChunk is how many values logSumExps exponentiates at a time (and
// how many rows its callers hand it at most).
const lseChunk = 1024

// logSumExps writes logSumExp of each of the len(lse) rows of x (length
// k) into lse, the same bits as logSumExp row by row: the shifted values
// of the rows are exponentiated lseChunk at a time by vmath.ExpSlice
// (math.Exp's bits, eight at a time), summed row by row in order, and the
// sums' logarithms taken by vmath.LogSlice (math.Log's bits).
func logSumExps[T float](x []T, k int, lse []float64) {
	per := lseChunk / k
	if per == 0 {
		for r := range lse {
			lse[r] = logSumExp(x[r*k : (r+1)*k])
		}
		return
	}
	var buf, sum [lseChunk]float64
	for r0 := 0; r0 < len(lse); r0 += per {
		r1 := min(len(lse), r0+per)
		e := buf[:(r1-r0)*k]
		for r := r0; r < r1; r++ {
			row := x[r*k : (r+1)*k]
			m := rowMax(row)
			lse[r] = m
			d := e[(r-r0)*k:]
			for j, v := range row {
				d[j] = float64(v) - m
			}
		}
		vmath.ExpSlice(e, e)
		sums := sum[:r1-r0]
		for r := range sums {
			var s float64
			for _, v := range e[r*k : (r+1)*k] {
				s += v
			}
			sums[r] = s
		}
		vmath.LogSlice(sums, sums)
		for r := r0; r < r1; r++ {
			if !math.IsInf(lse[r], 0) {
				lse[r] += sums[r-r0]
			}
		}
	}
}

// float is the element type of the generic kernels of the softmax, loss and
// pooling ops.
type float interface{ ~float32 | ~float64 }

// check2D reports an error unless x is a float matrix with a non-empty last axis.
func check2D(what string, x *G.Node) error {
	if err := checkDtype(x.Dtype()); err != nil {
		return errors.WithMessage(err, "graph: "+what)
	}
	if s := x.Shape(); s.Dims() != 2 || s[1] < 1 {
		return errors.Wrapf(ErrShape, "%s: input shape %v (want (N, K) with K ≥ 1)", what, s)
	}
	return nil
}

// matToMat is the type a → … → a of an op taking n tensors of one shape
// family and returning one like them (arity n).
func matToMat(n int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, n+1)
	for i := range ts {
		ts[i] = a
	}
	return hm.NewFnType(ts...)
}

func sameShape(in []G.DimSizer) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, errors.Wrap(ErrShape, "no input shape")
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, errors.Wrapf(ErrShape, "input is a %T, not a shape", in[0])
	}
	return s.Clone(), nil
}

func opHash(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, op.String())
	return h.Sum32()
}

// dense returns v as a contiguous float tensor of the given rank (any rank
// if dims < 0).
func dense(what string, v G.Value, dims int) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, errors.Wrapf(ErrShape, "%s: got a %T, want a tensor", what, v)
	}
	if err := checkDtype(d.Dtype()); err != nil {
		return nil, errors.WithMessage(err, "graph: "+what)
	}
	if dims >= 0 && d.Dims() != dims {
		return nil, errors.Wrapf(ErrShape, "%s: shape %v (want %d dimensions)", what, d.Shape(), dims)
	}
	if d.RequiresIterator() {
		m, ok := d.Materialize().(*tensor.Dense)
		if !ok {
			return nil, errors.Wrapf(ErrShape, "%s: cannot materialise a view", what)
		}
		d = m
	}
	return d, nil
}

// scalar returns a scalar value (a Gorgonia scalar or a one-element
// tensor) as a float64.
func scalar(what string, v G.Value) (float64, error) {
	switch x := v.Data().(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case []float64:
		if len(x) == 1 {
			return x[0], nil
		}
	case []float32:
		if len(x) == 1 {
			return float64(x[0]), nil
		}
	}
	return 0, errors.Wrapf(ErrShape, "%s: upstream gradient %v is not a scalar", what, v.Shape())
}

// rowsDo runs a row kernel over a matrix input into prealloc if it fits
// (see outputFor), else into a new tensor.
func rowsDo(what string, prealloc G.Value, vals []G.Value, f32 func(x, y []float32, k int), f64 func(x, y []float64, k int)) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Wrapf(ErrShape, "%s: %d inputs, want 1", what, len(vals))
	}
	x, err := dense(what, vals[0], 2)
	if err != nil {
		return nil, err
	}
	k := x.Shape()[1]
	out := outputFor(prealloc, x.Dtype(), x.Shape())
	switch xs := x.Data().(type) {
	case []float32:
		f32(xs, out.Data().([]float32), k)
	case []float64:
		f64(xs, out.Data().([]float64), k)
	}
	return out, nil
}

// rowsGradDo runs a row gradient kernel over (y, gy) into prealloc if it
// fits (see outputFor), else into a new tensor.
func rowsGradDo(what string, prealloc G.Value, vals []G.Value, f32 func(y, gy, gx []float32, k int), f64 func(y, gy, gx []float64, k int)) (G.Value, error) {
	if len(vals) != 2 {
		return nil, errors.Wrapf(ErrShape, "%s: %d inputs, want 2", what, len(vals))
	}
	y, err := dense(what, vals[0], 2)
	if err != nil {
		return nil, err
	}
	gy, err := dense(what, vals[1], 2)
	if err != nil {
		return nil, err
	}
	if !y.Shape().Eq(gy.Shape()) || y.Dtype() != gy.Dtype() {
		return nil, errors.Wrapf(ErrShape, "%s: y %v %v, gy %v %v", what, y.Shape(), y.Dtype(), gy.Shape(), gy.Dtype())
	}
	k := y.Shape()[1]
	out := outputFor(prealloc, y.Dtype(), y.Shape())
	switch ys := y.Data().(type) {
	case []float32:
		f32(ys, gy.Data().([]float32), out.Data().([]float32), k)
	case []float64:
		f64(ys, gy.Data().([]float64), out.Data().([]float64), k)
	}
	return out, nil
}

var (
	_ G.UsePreallocDoer = softmaxRowsOp{}
	_ G.UsePreallocDoer = logSoftmaxRowsOp{}
	_ G.UsePreallocDoer = softmaxRowsGradOp{}
	_ G.UsePreallocDoer = logSoftmaxRowsGradOp{}
)
