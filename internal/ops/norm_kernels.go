package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/vmath"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what the normalisation ops (op_batchnorm.go,
// op_groupnorm.go) share: the (N, C, S) view of an input, value access,
// validation of γ/β, a row-extracting op, and the pure-Go loops.
//
// Precision: every reduction (means, variances, gradient sums) accumulates in
// float64, also for float32 tensors, and the per-channel or per-group
// coefficients are computed in float64; only the final elementwise step
// (one multiply-add per element) runs in the tensor's own dtype. In float32
// the results therefore carry float32 rounding of the elementwise step only.

// normFloat is the element type of a normalisation kernel.
type normFloat interface{ float32 | float64 }

// normDims views an input of shape (N, C), (N, C, L) or (N, C, H, W) as
// (n, c, s): s is the product of the spatial sizes (1 for (N, C)). The layout
// is row-major, so x[n,c,·] is the contiguous block x[(n·c+c)·s : …+s].
type normDims struct{ n, c, s int }

// normDimsOf checks that shape is (N, C), (N, C, L) or (N, C, H, W) with
// positive sizes.
func normDimsOf(what string, shape tensor.Shape) (normDims, error) {
	if len(shape) < 2 || len(shape) > 4 {
		return normDims{}, errors.Wrapf(ErrShape, "%s: input shape %v (want (N,C), (N,C,L) or (N,C,H,W))", what, shape)
	}
	s := 1
	for _, v := range shape {
		if v <= 0 {
			return normDims{}, errors.Wrapf(ErrShape, "%s: input shape %v has a non-positive size", what, shape)
		}
	}
	for _, v := range shape[2:] {
		s *= v
	}
	return normDims{n: shape[0], c: shape[1], s: s}, nil
}

// normCheckNodes validates the graph-building inputs shared by every
// normalisation: x's dtype and rank, eps, and γ/β, which must both be nil
// (no affine transform) or both be (C) vectors of x's dtype. It returns x's
// (n, c, s) view and whether the transform is affine.
func normCheckNodes(what string, x, gamma, beta *G.Node, eps float64) (normDims, bool, error) {
	if x == nil {
		return normDims{}, false, errors.Wrapf(ErrConfig, "%s: nil input", what)
	}
	if err := checkDtype(x.Dtype()); err != nil {
		return normDims{}, false, errors.WithMessage(err, what)
	}
	d, err := normDimsOf(what, x.Shape())
	if err != nil {
		return normDims{}, false, err
	}
	if math.IsNaN(eps) || math.IsInf(eps, 0) || eps < 0 {
		return normDims{}, false, errors.Wrapf(ErrConfig, "%s: eps %v (want finite and >= 0)", what, eps)
	}
	if (gamma == nil) != (beta == nil) {
		return normDims{}, false, errors.Wrapf(ErrConfig, "%s: gamma and beta must both be given or both be nil", what)
	}
	if gamma == nil {
		return d, false, nil
	}
	for _, p := range []struct {
		name string
		n    *G.Node
	}{{"gamma", gamma}, {"beta", beta}} {
		if err := normCheckVector(what, p.name, p.n, x.Dtype(), d.c); err != nil {
			return normDims{}, false, err
		}
	}
	return d, true, nil
}

// normCheckVector checks that n is a (c) vector of dtype dt.
func normCheckVector(what, name string, n *G.Node, dt tensor.Dtype, c int) error {
	if n.Dtype() != dt {
		return errors.Wrapf(ErrDtype, "%s: %s has dtype %v, input %v", what, name, n.Dtype(), dt)
	}
	if s := n.Shape(); s.Dims() != 1 || s[0] != c {
		return errors.Wrapf(ErrShape, "%s: %s shape %v (want (%d))", what, name, s, c)
	}
	return nil
}

// normTT is a tensor type of the given rank over the type variable a.
func normTT(dims int) G.TensorType { return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

// normHash is the fnv-32a hash of an op's String, which must carry every
// field that changes what the op computes.
func normHash(s fmt.Stringer) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s.String()))
	return h.Sum32()
}

func normWriteHash(h hash.Hash, s fmt.Stringer) { _, _ = h.Write([]byte(s.String())) }

// normDense returns v as a contiguous *tensor.Dense of one of zoo's dtypes.
func normDense(what string, v G.Value) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, errors.Wrapf(ErrDtype, "%s: value of type %T (want *tensor.Dense)", what, v)
	}
	if err := checkDtype(d.Dtype()); err != nil {
		return nil, errors.WithMessage(err, what)
	}
	if d.RequiresIterator() {
		m, ok := d.Materialize().(*tensor.Dense)
		if !ok {
			return nil, errors.Wrapf(ErrShape, "%s: cannot materialise a non-contiguous view", what)
		}
		d = m
	}
	return d, nil
}

// normDenses converts the op's input values, checking arity and that they
// share one dtype, which it returns.
func normDenses(what string, arity int, vals []G.Value) ([]*tensor.Dense, tensor.Dtype, error) {
	if len(vals) != arity {
		return nil, tensor.Dtype{}, errors.Wrapf(ErrConfig, "%s: %d inputs (want %d)", what, len(vals), arity)
	}
	out := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		d, err := normDense(what, v)
		if err != nil {
			return nil, tensor.Dtype{}, err
		}
		if i > 0 && d.Dtype() != out[0].Dtype() {
			return nil, tensor.Dtype{}, errors.Wrapf(ErrDtype, "%s: input %d has dtype %v, input 0 %v", what, i, d.Dtype(), out[0].Dtype())
		}
		out[i] = d
	}
	return out, out[0].Dtype(), nil
}

// normSlice returns the backing slice of a contiguous dense tensor of element
// type T.
func normSlice[T float32 | float64](d *tensor.Dense) []T {
	if d == nil {
		return nil
	}
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(d.Float32s()).([]T)
	}
	return any(d.Float64s()).([]T)
}

// normWant checks that a value has exactly the shape an op expects; Gorgonia
// checks shapes when a graph is built, this catches values bound with Let
// to a different shape.
func normWant(what, name string, d *tensor.Dense, want ...int) error {
	if !d.Shape().Eq(tensor.Shape(want)) {
		return errors.Wrapf(ErrShape, "%s: %s shape %v (want %v)", what, name, d.Shape(), tensor.Shape(want))
	}
	return nil
}

// normOut returns an output tensor of element type T and the given shape, and
// its backing slice: prealloc when it fits (see outputFor; the caller then
// overwrites every element), else a new zeroed tensor.
func normOut[T float32 | float64](prealloc G.Value, shape ...int) (*tensor.Dense, []T) {
	dt := tensor.Float64
	var zero T
	if _, ok := any(zero).(float32); ok {
		dt = tensor.Float32
	}
	out := outputFor(prealloc, dt, tensor.Shape(shape))
	return out, normSlice[T](out)
}

// normRowOp extracts row `row` of a (2, k) tensor as a (k) vector. The
// normalisation ops compute two reductions in one pass into a (2, k) node
// (Σ dy·x̂ and Σ dy); this op hands each row to its parameter's gradient.
type normRowOp struct{ row int }

func (normRowOp) Arity() int               { return 1 }
func (normRowOp) Type() hm.Type            { return hm.NewFnType(normTT(2), normTT(1)) }
func (normRowOp) ReturnsPtr() bool         { return false }
func (normRowOp) CallsExtern() bool        { return false }
func (normRowOp) OverwritesInput() int     { return -1 }
func (op normRowOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op normRowOp) Hashcode() uint32      { return normHash(op) }
func (op normRowOp) String() string        { return fmt.Sprintf("normRow{%d}", op.row) }
func (normRowOp) DiffWRT(int) []bool       { return []bool{false} }
func (op normRowOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v is not differentiable", op)
}

func (op normRowOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want 1)", op, len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok || s.Dims() != 2 || s[0] != 2 || op.row < 0 || op.row > 1 {
		return nil, errors.Wrapf(ErrShape, "%v: input %v (want (2, k))", op, in[0])
	}
	return tensor.Shape{s[1]}, nil
}

func (op normRowOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the row into prealloc when it fits (see outputFor).
func (op normRowOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), 1, vals)
	if err != nil {
		return nil, err
	}
	s := in[0].Shape()
	if s.Dims() != 2 || s[0] != 2 {
		return nil, errors.Wrapf(ErrShape, "%v: input %v (want (2, k))", op, s)
	}
	k := s[1]
	if dt == tensor.Float32 {
		out, o := normOut[float32](prealloc, k)
		copy(o, normSlice[float32](in[0])[op.row*k:])
		return out, nil
	}
	out, o := normOut[float64](prealloc, k)
	copy(o, normSlice[float64](in[0])[op.row*k:])
	return out, nil
}

// ---- BatchNorm loops: statistics per channel c over (n, s). ----

// bnMoments writes each channel's mean and its sum of squared deviations
// from that mean, in two passes over x (the mean first, so the second sum
// does not suffer the cancellation of Σx² − m·μ²). Each channel's sums run
// over n (and s) in order; for (N, C) inputs internal/vmath's kernels add
// one row at a time, vectorised across channels.
func bnMoments[T normFloat](x []T, d normDims, mean, ssd []float64) {
	clear(mean)
	clear(ssd)
	if d.s == 1 {
		for n := 0; n < d.n; n++ {
			vmath.AddWiden(mean, x[n*d.c:(n+1)*d.c])
		}
	} else {
		for n := 0; n < d.n; n++ {
			for c := 0; c < d.c; c++ {
				mean[c] += normSum(x[(n*d.c+c)*d.s : (n*d.c+c+1)*d.s])
			}
		}
	}
	inv := 1 / float64(d.n*d.s)
	for c := range mean {
		mean[c] *= inv
	}
	if d.s == 1 {
		for n := 0; n < d.n; n++ {
			vmath.AddSquaredDiff(ssd, mean, x[n*d.c:(n+1)*d.c])
		}
		return
	}
	for n := 0; n < d.n; n++ {
		for c := 0; c < d.c; c++ {
			ssd[c] += normSSD(x[(n*d.c+c)*d.s:(n*d.c+c+1)*d.s], mean[c])
		}
	}
}

// bnApply writes y = (x − mean[c])·scale[c] + shift[c]; shift may be nil
// (then y = (x − mean[c])·scale[c], no + 0). Rows of (N, C) run
// internal/vmath's vectorised NormAffine and NormScale.
func bnApply[T normFloat](x, y []T, d normDims, mean, scale, shift []T) {
	if d.s == 1 {
		for n := 0; n < d.n; n++ {
			xr, yr := x[n*d.c:(n+1)*d.c], y[n*d.c:(n+1)*d.c]
			if shift == nil {
				vmath.NormScale(yr, xr, mean, scale)
			} else {
				vmath.NormAffine(yr, xr, mean, scale, shift)
			}
		}
		return
	}
	for n := 0; n < d.n; n++ {
		for c := 0; c < d.c; c++ {
			i := (n*d.c + c) * d.s
			var b T
			if shift != nil {
				b = shift[c]
			}
			vmath.AffineScalar(y[i:i+d.s], x[i:i+d.s], mean[c], scale[c], b)
		}
	}
}

// bnReduce accumulates per channel sdyx[c] = Σ dy·(x − mean[c]) and
// sdy[c] = Σ dy over (n, s); the caller scales sdyx by 1/σ to get Σ dy·x̂.
// For (N, C) inputs internal/vmath's AddGradMoments adds one row at a time,
// vectorised across channels.
func bnReduce[T normFloat](x, dy []T, d normDims, mean []T, sdyx, sdy []float64) {
	clear(sdyx)
	clear(sdy)
	if d.s == 1 {
		for n := 0; n < d.n; n++ {
			vmath.AddGradMoments(sdyx, sdy, x[n*d.c:(n+1)*d.c], dy[n*d.c:(n+1)*d.c], mean)
		}
		return
	}
	for n := 0; n < d.n; n++ {
		for c := 0; c < d.c; c++ {
			i := (n*d.c + c) * d.s
			a, b := normDotCentred(x[i:i+d.s], dy[i:i+d.s], mean[c])
			sdyx[c] += a
			sdy[c] += b
		}
	}
}

// bnDx writes dx = k[c]·dy − c1[c] − (x − mean[c])·c2[c] (c1, c2 already
// scaled by k). With c1 = c2 = nil it writes dx = k[c]·dy: the statistics
// are constants, as in evaluation. Rows of (N, C) inputs run
// internal/vmath's vectorised BNDx and Mul.
func bnDx[T normFloat](x, dy, dx []T, d normDims, mean, k, c1, c2 []T) {
	for n := 0; n < d.n; n++ {
		if d.s == 1 {
			xr, gr, or := x[n*d.c:(n+1)*d.c], dy[n*d.c:(n+1)*d.c], dx[n*d.c:(n+1)*d.c]
			if c1 == nil {
				vmath.Mul(or, k, gr)
			} else {
				vmath.BNDx(or, xr, gr, mean, k, c1, c2)
			}
			continue
		}
		for c := 0; c < d.c; c++ {
			i := (n*d.c + c) * d.s
			if c1 == nil {
				vmath.Scale(dx[i:i+d.s], dy[i:i+d.s], k[c])
				continue
			}
			vmath.BNDxScalar(dx[i:i+d.s], x[i:i+d.s], dy[i:i+d.s], mean[c], k[c], c1[c], c2[c])
		}
	}
}

// ---- GroupNorm loops: statistics per (n, group) over a contiguous block. ----

// gnMoments writes, for each of the n·groups contiguous blocks of x, its mean
// and 1/√(biased variance + eps).
func gnMoments[T normFloat](x []T, d normDims, groups int, eps float64, mean, inv []T) {
	m := d.c / groups * d.s
	for i := range mean {
		blk := x[i*m : (i+1)*m]
		mu := normSum(blk) / float64(m)
		v := normSSD(blk, mu) / float64(m)
		mean[i] = T(mu)
		inv[i] = T(1 / math.Sqrt(v+eps))
	}
}

// gnApply writes y = (x − mean[n,g])·inv[n,g]·γ[c] + β[c]; gamma and beta
// are nil without the affine transform.
func gnApply[T normFloat](x, y []T, d normDims, groups int, mean, inv, gamma, beta []T) {
	cg := d.c / groups
	for n := 0; n < d.n; n++ {
		for c := 0; c < d.c; c++ {
			j := n*groups + c/cg
			a, b := inv[j], T(0)
			if gamma != nil {
				a *= gamma[c]
				b = beta[c]
			}
			i := (n*d.c + c) * d.s
			vmath.AffineScalar(y[i:i+d.s], x[i:i+d.s], mean[j], a, b)
		}
	}
}

// gnParamGrads accumulates per channel dgamma[c] = Σ dy·x̂ and dbeta[c] = Σ dy
// over (n, s).
func gnParamGrads[T normFloat](x, dy []T, d normDims, groups int, mean, inv []T, dgamma, dbeta []float64) {
	clear(dgamma)
	clear(dbeta)
	cg := d.c / groups
	for n := 0; n < d.n; n++ {
		for c := 0; c < d.c; c++ {
			j := n*groups + c/cg
			i := (n*d.c + c) * d.s
			a, b := normDotCentred(x[i:i+d.s], dy[i:i+d.s], mean[j])
			dgamma[c] += a * float64(inv[j])
			dbeta[c] += b
		}
	}
}

// gnDx writes, per block of m elements with g = dy·γ[c],
// dx = σ⁻¹·(g − mean(g) − x̂·mean(g·x̂)), the gradient of the normalisation
// through the block's own mean and variance.
func gnDx[T normFloat](x, dy, dx []T, d normDims, groups int, mean, inv, gamma []T) {
	cg := d.c / groups
	m := float64(cg * d.s)
	for n := 0; n < d.n; n++ {
		for g := 0; g < groups; g++ {
			j := n*groups + g
			mu, is := mean[j], float64(inv[j])
			var sg, sgx float64 // Σ γ·dy and Σ γ·dy·(x − μ) over the block
			for cc := 0; cc < cg; cc++ {
				c := g*cg + cc
				i := (n*d.c + c) * d.s
				a, b := normDotCentred(x[i:i+d.s], dy[i:i+d.s], mu)
				w := 1.0
				if gamma != nil {
					w = float64(gamma[c])
				}
				sgx += w * a
				sg += w * b
			}
			c1 := sg / m
			c2 := sgx * is * is / m
			for cc := 0; cc < cg; cc++ {
				c := g*cg + cc
				i := (n*d.c + c) * d.s
				w := 1.0
				if gamma != nil {
					w = float64(gamma[c])
				}
				// dx = is·(w·dy − c1 − (x−μ)·c2)
				vmath.BNDxScalar(dx[i:i+d.s], x[i:i+d.s], dy[i:i+d.s], mu, T(is*w), T(is*c1), T(is*c2))
			}
		}
	}
}

// ---- contiguous-block primitives (four accumulators for throughput) ----

func normSum[T normFloat](x []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// normSSD returns Σ (x − mu)².
func normSSD[T normFloat](x []T, mu float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		e0 := float64(x[i]) - mu
		e1 := float64(x[i+1]) - mu
		e2 := float64(x[i+2]) - mu
		e3 := float64(x[i+3]) - mu
		s0 += e0 * e0
		s1 += e1 * e1
		s2 += e2 * e2
		s3 += e3 * e3
	}
	for ; i < len(x); i++ {
		e := float64(x[i]) - mu
		s0 += e * e
	}
	return (s0 + s1) + (s2 + s3)
}

// normDotCentred returns Σ dy·(x − mu) and Σ dy.
func normDotCentred[T normFloat](x, dy []T, mu T) (sdyx, sdy float64) {
	dy = dy[:len(x)]
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		g0, g1 := float64(dy[i]), float64(dy[i+1])
		a0 += g0 * float64(x[i]-mu)
		a1 += g1 * float64(x[i+1]-mu)
		b0 += g0
		b1 += g1
	}
	for ; i < len(x); i++ {
		g := float64(dy[i])
		a0 += g * float64(x[i]-mu)
		b0 += g
	}
	return a0 + a1, b0 + b1
}
