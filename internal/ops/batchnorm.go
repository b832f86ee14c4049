package ops

import (
	"fmt"
	"hash"
	"math"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Batch normalisation as pure Gorgonia ops (Ioffe & Szegedy 2015), with
// PyTorch's conventions:
//
//	training:   μ, σ²_b = mean and biased variance over the normalised axes
//	            y = γ·(x − μ)/√(σ²_b + ε) + β
//	evaluation: y = γ·(x − running_mean)/√(running_var + ε) + β
//	running statistics (BatchStats.Update, once per training step):
//	            running = (1 − momentum)·running + momentum·batch,
//	            with the UNBIASED batch variance σ²_b·m/(m−1)
//
// The normalised axes are (N) for an (N, C) input and (N, H, W) for
// (N, C, H, W) (also (N, L) for (N, C, L)); m is the number of elements per
// channel. The mode is fixed when the graph is built: batchNormTrain and
// batchNormEval build different nodes, and no op ever changes a buffer.
//
// Graph layout. A statistics node s of shape (2, C) holds [μ; 1/√(σ²+ε)]:
// in training it is computed from x by bnBatchStatsOp, in evaluation from
// the running buffers by bnEvalStatsOp. The output is y = bnNormOp(x, s, γ, β).
// bnNormOp's gradient does not flow into s; in training it instead uses the
// full batch-norm backward, which accounts for μ and σ² depending on x:
//
//	dx = γ/√(σ²+ε) · (dy − mean(dy) − x̂·mean(dy·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy
//
// with means and sums over the normalised axes. The backward is two passes
// over x and dy: bnReduceOp computes [Σ dy·x̂; Σ dy] per channel (which are
// also dγ and dβ), then bnDxOp writes dx.

// bnErrNoBatch is returned by BatchStats.Update when no forward pass has run
// since the previous update (or at all).
var bnErrNoBatch = errors.New("graph: batchnorm: no training forward pass since the last running-statistics update")

// bnSeq numbers bnBatchStatsOp instances. Gorgonia merges nodes whose op hash
// and children are equal; each training batch-norm owns a BatchStats, so its
// statistics op must never be merged with another one on the same input.
var bnSeq atomic.Uint64

// BatchStats receives the batch statistics of a training batch-norm at every
// forward pass and folds them into running buffers on request.
type BatchStats struct {
	mu    sync.Mutex
	mean  []float64 // batch mean per channel, from the last forward pass
	varU  []float64 // unbiased batch variance per channel
	fresh bool      // a forward pass has run since the last Update
}

// record stores a forward pass's per-channel mean and sum of squared
// deviations over m elements.
func (s *BatchStats) record(mean, ssd []float64, m int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(s.mean, mean)
	for c, v := range ssd {
		s.varU[c] = v / float64(m-1)
	}
	s.fresh = true
}

// batch returns copies of the batch mean and unbiased variance of the last
// forward pass, and whether there has been one since the last Update.
func (s *BatchStats) batch() (mean, varU []float64, fresh bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]float64(nil), s.mean...), append([]float64(nil), s.varU...), s.fresh
}

// Update folds the statistics of the last forward pass into the running
// buffers, in place, with PyTorch's convention
//
//	runningMean = (1 − momentum)·runningMean + momentum·μ_batch
//	runningVar  = (1 − momentum)·runningVar  + momentum·σ²_unbiased
//
// (momentum weights the new batch; PyTorch's default is 0.1). Both buffers
// must be contiguous (C) tensors of dtype float32 or float64. Each forward
// pass may be folded in once: Update returns bnErrNoBatch when no forward
// pass has run since the previous Update (or ever), so that a hook called
// twice cannot apply a batch twice. On any error the buffers are unchanged.
func (s *BatchStats) Update(runningMean, runningVar *tensor.Dense, momentum float64) error {
	if s == nil {
		return errors.Wrap(ErrConfig, "graph: batchnorm: nil statistics")
	}
	if math.IsNaN(momentum) || momentum < 0 || momentum > 1 {
		return errors.Wrapf(ErrConfig, "graph: batchnorm: momentum %v (want 0 <= momentum <= 1)", momentum)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fresh {
		return bnErrNoBatch
	}
	for _, b := range []struct {
		name string
		t    *tensor.Dense
	}{{"running mean", runningMean}, {"running variance", runningVar}} {
		if b.t == nil {
			return errors.Wrapf(ErrConfig, "graph: batchnorm: nil %s", b.name)
		}
		if err := checkDtype(b.t.Dtype()); err != nil {
			return errors.WithMessagef(err, "graph: batchnorm: %s", b.name)
		}
		if !b.t.Shape().Eq(tensor.Shape{len(s.mean)}) || b.t.RequiresIterator() {
			return errors.Wrapf(ErrShape, "graph: batchnorm: %s shape %v (want contiguous (%d))", b.name, b.t.Shape(), len(s.mean))
		}
	}
	bnBlend(runningMean, s.mean, momentum)
	bnBlend(runningVar, s.varU, momentum)
	s.fresh = false
	return nil
}

func bnBlend(dst *tensor.Dense, batch []float64, momentum float64) {
	if dst.Dtype() == tensor.Float32 {
		r := dst.Float32s()
		for c, v := range batch {
			r[c] = float32((1-momentum)*float64(r[c]) + momentum*v)
		}
		return
	}
	r := dst.Float64s()
	for c, v := range batch {
		r[c] = (1-momentum)*r[c] + momentum*v
	}
}

// batchNormTrain normalises x, (N, C) or (N, C, H, W), with its batch
// statistics per channel and applies the affine transform γ, β, (C) nodes of
// x's dtype, or both nil for none (y = x̂). It is differentiable with respect
// to x, γ and β. After every forward pass the returned stats hold the batch
// mean and unbiased variance for [BatchStats.Update].
//
// With one value per channel (N·H·W = 1) the unbiased variance is undefined
// and batchNormTrain fails, as PyTorch does ("Expected more than 1 value per
// channel when training"); the forward pass checks the same for a value
// bound later with another shape.
func BatchNormTrain(x, gamma, beta *G.Node, eps float64) (*G.Node, *BatchStats, error) {
	const what = "graph: batchnorm (train)"
	d, affine, err := normCheckNodes(what, x, gamma, beta, eps)
	if err != nil {
		return nil, nil, err
	}
	if d.n*d.s < 2 {
		return nil, nil, errors.Wrapf(ErrShape, "%s: expected more than 1 value per channel when training, got input shape %v", what, x.Shape())
	}
	stats := &BatchStats{mean: make([]float64, d.c), varU: make([]float64, d.c)}
	sop := &bnBatchStatsOp{dims: x.Dims(), eps: eps, id: bnSeq.Add(1), stats: stats}
	s, err := G.ApplyOp(sop, x)
	if err != nil {
		return nil, nil, errors.Wrap(err, what)
	}
	y, err := bnApplyNorm(what, x, s, gamma, beta, affine, true)
	if err != nil {
		return nil, nil, err
	}
	return y, stats, nil
}

// batchNormEval normalises x, (N, C) or (N, C, H, W), with the running
// statistics mean and variance, (C) nodes bound to the buffers, and applies
// γ, β ((C) nodes, or both nil). It reads the buffers and never writes them.
// It is differentiable with respect to x, γ and β; the statistics are
// constants (asking Gorgonia for their gradient is an error).
func BatchNormEval(x, gamma, beta, mean, variance *G.Node, eps float64) (*G.Node, error) {
	const what = "graph: batchnorm (eval)"
	d, affine, err := normCheckNodes(what, x, gamma, beta, eps)
	if err != nil {
		return nil, err
	}
	if mean == nil || variance == nil {
		return nil, errors.Wrapf(ErrConfig, "%s: nil running statistics", what)
	}
	if err := normCheckVector(what, "running mean", mean, x.Dtype(), d.c); err != nil {
		return nil, err
	}
	if err := normCheckVector(what, "running variance", variance, x.Dtype(), d.c); err != nil {
		return nil, err
	}
	s, err := G.ApplyOp(bnEvalStatsOp{eps: eps}, mean, variance)
	if err != nil {
		return nil, errors.Wrap(err, what)
	}
	return bnApplyNorm(what, x, s, gamma, beta, affine, false)
}

func bnApplyNorm(what string, x, s, gamma, beta *G.Node, affine, train bool) (*G.Node, error) {
	in := G.Nodes{x, s}
	if affine {
		in = append(in, gamma, beta)
	}
	y, err := G.ApplyOp(bnNormOp{dims: x.Dims(), affine: affine, train: train}, in...)
	if err != nil {
		return nil, errors.Wrap(err, what)
	}
	return y, nil
}

// bnCheckStats checks a (2, C) statistics value against x's channels.
func bnCheckStats(what string, s *tensor.Dense, c int) error {
	return normWant(what, "statistics", s, 2, c)
}

// ---- bnBatchStatsOp: x → [μ; 1/√(σ²_b+ε)], reporting to a BatchStats ----

type bnBatchStatsOp struct {
	dims  int
	eps   float64
	id    uint64 // unique per instance: see bnSeq
	stats *BatchStats
}

func (*bnBatchStatsOp) Arity() int               { return 1 }
func (op *bnBatchStatsOp) Type() hm.Type         { return hm.NewFnType(normTT(op.dims), normTT(2)) }
func (*bnBatchStatsOp) ReturnsPtr() bool         { return false }
func (*bnBatchStatsOp) CallsExtern() bool        { return false }
func (*bnBatchStatsOp) OverwritesInput() int     { return -1 }
func (op *bnBatchStatsOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op *bnBatchStatsOp) Hashcode() uint32      { return normHash(op) }
func (*bnBatchStatsOp) DiffWRT(int) []bool       { return []bool{false} }
func (op *bnBatchStatsOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v is not differentiable (bnNormOp differentiates through it)", op)
}
func (op *bnBatchStatsOp) String() string {
	return fmt.Sprintf("bnBatchStats{%dd,eps=%g,id=%d}", op.dims, op.eps, op.id)
}

func (op *bnBatchStatsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want 1)", op, len(in))
	}
	xs, _ := in[0].(tensor.Shape)
	d, err := normDimsOf(op.String(), xs)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{2, d.c}, nil
}

func (op *bnBatchStatsOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the statistics into prealloc when it fits (see
// outputFor).
func (op *bnBatchStatsOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), 1, vals)
	if err != nil {
		return nil, err
	}
	d, err := normDimsOf(op.String(), in[0].Shape())
	if err != nil {
		return nil, err
	}
	m := d.n * d.s
	if m < 2 {
		return nil, errors.Wrapf(ErrShape, "graph: batchnorm (train): expected more than 1 value per channel when training, got input shape %v", in[0].Shape())
	}
	if d.c != len(op.stats.mean) {
		return nil, errors.Wrapf(ErrShape, "%v: input shape %v (want %d channels)", op, in[0].Shape(), len(op.stats.mean))
	}
	mean, ssd := make([]float64, d.c), make([]float64, d.c)
	if dt == tensor.Float32 {
		bnMoments(normSlice[float32](in[0]), d, mean, ssd)
	} else {
		bnMoments(normSlice[float64](in[0]), d, mean, ssd)
	}
	op.stats.record(mean, ssd, m)
	// ssd becomes 1/√(σ²_b + ε) in place.
	for c, v := range ssd {
		ssd[c] = 1 / math.Sqrt(v/float64(m)+op.eps)
	}
	if dt == tensor.Float32 {
		return bnStatsValue[float32](prealloc, mean, ssd), nil
	}
	return bnStatsValue[float64](prealloc, mean, ssd), nil
}

// bnStatsValue packs [mean; inv] into a (2, C) tensor, prealloc if it fits.
func bnStatsValue[T float32 | float64](prealloc G.Value, mean, inv []float64) *tensor.Dense {
	c := len(mean)
	out, o := normOut[T](prealloc, 2, c)
	for i := range mean {
		o[i] = T(mean[i])
		o[c+i] = T(inv[i])
	}
	return out
}

// ---- bnEvalStatsOp: (running mean, running var) → [μ; 1/√(var+ε)] ----

type bnEvalStatsOp struct{ eps float64 }

func (bnEvalStatsOp) Arity() int { return 2 }
func (bnEvalStatsOp) Type() hm.Type {
	return hm.NewFnType(normTT(1), normTT(1), normTT(2))
}
func (bnEvalStatsOp) ReturnsPtr() bool         { return false }
func (bnEvalStatsOp) CallsExtern() bool        { return false }
func (bnEvalStatsOp) OverwritesInput() int     { return -1 }
func (op bnEvalStatsOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op bnEvalStatsOp) Hashcode() uint32      { return normHash(op) }
func (op bnEvalStatsOp) String() string        { return fmt.Sprintf("bnEvalStats{eps=%g}", op.eps) }
func (bnEvalStatsOp) DiffWRT(int) []bool       { return []bool{false, false} }
func (op bnEvalStatsOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v is not differentiable (running statistics are constants)", op)
}

func (op bnEvalStatsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want 2)", op, len(in))
	}
	a, _ := in[0].(tensor.Shape)
	b, _ := in[1].(tensor.Shape)
	if a.Dims() != 1 || !a.Eq(b) {
		return nil, errors.Wrapf(ErrShape, "%v: running mean %v and variance %v (want equal (C))", op, in[0], in[1])
	}
	return tensor.Shape{2, a[0]}, nil
}

func (op bnEvalStatsOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the statistics into prealloc when it fits (see
// outputFor).
func (op bnEvalStatsOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), 2, vals)
	if err != nil {
		return nil, err
	}
	c := in[0].Shape().TotalSize()
	if err := normWant(op.String(), "running mean", in[0], c); err != nil {
		return nil, err
	}
	if err := normWant(op.String(), "running variance", in[1], c); err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		return bnEvalStatsDo[float32](prealloc, in[0], in[1], op.eps), nil
	}
	return bnEvalStatsDo[float64](prealloc, in[0], in[1], op.eps), nil
}

func bnEvalStatsDo[T float32 | float64](prealloc G.Value, mt, vt *tensor.Dense, eps float64) *tensor.Dense {
	m, v := normSlice[T](mt), normSlice[T](vt)
	out, o := normOut[T](prealloc, 2, len(m))
	for c := range m {
		o[c] = m[c]
		o[len(m)+c] = T(1 / math.Sqrt(float64(v[c])+eps))
	}
	return out
}

// ---- bnNormOp: (x, s[, γ, β]) → y ----

type bnNormOp struct {
	dims   int
	affine bool
	train  bool // s depends on x: use the full batch-norm backward
}

func (op bnNormOp) Arity() int {
	if op.affine {
		return 4
	}
	return 2
}

func (op bnNormOp) Type() hm.Type {
	x := normTT(op.dims)
	if op.affine {
		return hm.NewFnType(x, normTT(2), normTT(1), normTT(1), x)
	}
	return hm.NewFnType(x, normTT(2), x)
}
func (bnNormOp) ReturnsPtr() bool         { return false }
func (bnNormOp) CallsExtern() bool        { return false }
func (bnNormOp) OverwritesInput() int     { return -1 }
func (op bnNormOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op bnNormOp) Hashcode() uint32      { return normHash(op) }
func (op bnNormOp) String() string {
	return fmt.Sprintf("bnNorm{%dd,affine=%t,train=%t}", op.dims, op.affine, op.train)
}

// DiffWRT: x, γ and β; never the statistics (see the file comment).
func (op bnNormOp) DiffWRT(int) []bool {
	return []bool{true, false, true, true}[:op.Arity()]
}

func (op bnNormOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want %d)", op, len(in), op.Arity())
	}
	xs, _ := in[0].(tensor.Shape)
	d, err := normDimsOf(op.String(), xs)
	if err != nil {
		return nil, err
	}
	if s, _ := in[1].(tensor.Shape); !s.Eq(tensor.Shape{2, d.c}) {
		return nil, errors.Wrapf(ErrShape, "%v: statistics %v (want (2, %d))", op, in[1], d.c)
	}
	for _, p := range in[2:] {
		if s, _ := p.(tensor.Shape); !s.Eq(tensor.Shape{d.c}) {
			return nil, errors.Wrapf(ErrShape, "%v: gamma/beta %v (want (%d))", op, p, d.c)
		}
	}
	return xs.Clone(), nil
}

func (op bnNormOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes y into prealloc when it fits (see outputFor).
func (op bnNormOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), op.Arity(), vals)
	if err != nil {
		return nil, err
	}
	d, err := normDimsOf(op.String(), in[0].Shape())
	if err != nil {
		return nil, err
	}
	if err := bnCheckStats(op.String(), in[1], d.c); err != nil {
		return nil, err
	}
	for _, p := range in[2:] {
		if err := normWant(op.String(), "gamma/beta", p, d.c); err != nil {
			return nil, err
		}
	}
	if dt == tensor.Float32 {
		return bnNormDo[float32](prealloc, in, d), nil
	}
	return bnNormDo[float64](prealloc, in, d), nil
}

func bnNormDo[T float32 | float64](prealloc G.Value, in []*tensor.Dense, d normDims) *tensor.Dense {
	x, st := normSlice[T](in[0]), normSlice[T](in[1])
	mean, scale := st[:d.c], st[d.c:]
	var shift []T
	if len(in) == 4 {
		gamma := normSlice[T](in[2])
		shift = normSlice[T](in[3])
		s := make([]T, d.c)
		for c := range s {
			s[c] = T(float64(scale[c]) * float64(gamma[c]))
		}
		scale = s
	}
	out, y := normOut[T](prealloc, in[0].Shape()...)
	row := d.c * d.s
	splitRows(d.n, row, func(lo, hi int) {
		bd := d
		bd.n = (hi - lo) / row
		bnApply(x[lo:hi], y[lo:hi], bd, mean, scale, shift)
	})
	return out
}

func (op bnNormOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want %d)", op, len(in), op.Arity())
	}
	x, s := in[0], in[1]
	var red *G.Node
	var err error
	if op.train || op.affine {
		if red, err = G.ApplyOp(bnReduceOp{dims: op.dims}, x, s, grad); err != nil {
			return nil, errors.Wrap(err, "graph: batchnorm backward")
		}
	}
	dxIn := G.Nodes{x, s, grad}
	if op.train {
		dxIn = append(dxIn, red)
	}
	if op.affine {
		dxIn = append(dxIn, in[2])
	}
	dx, err := G.ApplyOp(bnDxOp{dims: op.dims, affine: op.affine, train: op.train}, dxIn...)
	if err != nil {
		return nil, errors.Wrap(err, "graph: batchnorm backward")
	}
	if !op.affine {
		return G.Nodes{dx, nil}, nil
	}
	dgamma, err := G.ApplyOp(normRowOp{row: 0}, red)
	if err != nil {
		return nil, errors.Wrap(err, "graph: batchnorm backward")
	}
	dbeta, err := G.ApplyOp(normRowOp{row: 1}, red)
	if err != nil {
		return nil, errors.Wrap(err, "graph: batchnorm backward")
	}
	return G.Nodes{dx, nil, dgamma, dbeta}, nil
}

// ---- bnReduceOp: (x, s, dy) → [Σ dy·x̂; Σ dy] per channel ----

type bnReduceOp struct{ dims int }

func (bnReduceOp) Arity() int { return 3 }
func (op bnReduceOp) Type() hm.Type {
	x := normTT(op.dims)
	return hm.NewFnType(x, normTT(2), x, normTT(2))
}
func (bnReduceOp) ReturnsPtr() bool         { return false }
func (bnReduceOp) CallsExtern() bool        { return false }
func (bnReduceOp) OverwritesInput() int     { return -1 }
func (op bnReduceOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op bnReduceOp) Hashcode() uint32      { return normHash(op) }
func (op bnReduceOp) String() string        { return fmt.Sprintf("bnReduce{%dd}", op.dims) }
func (bnReduceOp) DiffWRT(int) []bool       { return []bool{false, false, false} }
func (op bnReduceOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v: second derivatives are not implemented", op)
}

func (op bnReduceOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 3 {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want 3)", op, len(in))
	}
	xs, _ := in[0].(tensor.Shape)
	d, err := normDimsOf(op.String(), xs)
	if err != nil {
		return nil, err
	}
	if gs, _ := in[2].(tensor.Shape); !gs.Eq(xs) {
		return nil, errors.Wrapf(ErrShape, "%v: gradient %v (want %v)", op, in[2], xs)
	}
	return tensor.Shape{2, d.c}, nil
}

func (op bnReduceOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the reductions into prealloc when it fits (see
// outputFor).
func (op bnReduceOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), 3, vals)
	if err != nil {
		return nil, err
	}
	d, err := normDimsOf(op.String(), in[0].Shape())
	if err != nil {
		return nil, err
	}
	if err := bnCheckStats(op.String(), in[1], d.c); err != nil {
		return nil, err
	}
	if err := normWant(op.String(), "gradient", in[2], in[0].Shape()...); err != nil {
		return nil, err
	}
	sdyx, sdy := make([]float64, d.c), make([]float64, d.c)
	if dt == tensor.Float32 {
		return bnReduceDo[float32](prealloc, in, d, sdyx, sdy), nil
	}
	return bnReduceDo[float64](prealloc, in, d, sdyx, sdy), nil
}

func bnReduceDo[T float32 | float64](prealloc G.Value, in []*tensor.Dense, d normDims, sdyx, sdy []float64) *tensor.Dense {
	st := normSlice[T](in[1])
	bnReduce(normSlice[T](in[0]), normSlice[T](in[2]), d, st[:d.c], sdyx, sdy)
	for c := range sdyx {
		sdyx[c] *= float64(st[d.c+c])
	}
	return bnStatsValue[T](prealloc, sdyx, sdy)
}

// ---- bnDxOp: (x, s, dy[, red][, γ]) → dx ----

type bnDxOp struct {
	dims   int
	affine bool
	train  bool
}

func (op bnDxOp) Arity() int {
	n := 3
	if op.train {
		n++
	}
	if op.affine {
		n++
	}
	return n
}

func (op bnDxOp) Type() hm.Type {
	x := normTT(op.dims)
	ts := []hm.Type{x, normTT(2), x}
	if op.train {
		ts = append(ts, normTT(2))
	}
	if op.affine {
		ts = append(ts, normTT(1))
	}
	return hm.NewFnType(append(ts, x)...)
}
func (bnDxOp) ReturnsPtr() bool         { return false }
func (bnDxOp) CallsExtern() bool        { return false }
func (bnDxOp) OverwritesInput() int     { return -1 }
func (op bnDxOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op bnDxOp) Hashcode() uint32      { return normHash(op) }
func (op bnDxOp) String() string {
	return fmt.Sprintf("bnDx{%dd,affine=%t,train=%t}", op.dims, op.affine, op.train)
}
func (op bnDxOp) DiffWRT(int) []bool { return make([]bool, op.Arity()) }
func (op bnDxOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v: second derivatives are not implemented", op)
}

func (op bnDxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want %d)", op, len(in), op.Arity())
	}
	xs, _ := in[0].(tensor.Shape)
	if gs, _ := in[2].(tensor.Shape); !gs.Eq(xs) {
		return nil, errors.Wrapf(ErrShape, "%v: gradient %v (want %v)", op, in[2], xs)
	}
	return xs.Clone(), nil
}

func (op bnDxOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes dx into prealloc when it fits (see outputFor).
func (op bnDxOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), op.Arity(), vals)
	if err != nil {
		return nil, err
	}
	d, err := normDimsOf(op.String(), in[0].Shape())
	if err != nil {
		return nil, err
	}
	if err := bnCheckStats(op.String(), in[1], d.c); err != nil {
		return nil, err
	}
	if err := normWant(op.String(), "gradient", in[2], in[0].Shape()...); err != nil {
		return nil, err
	}
	var red, gamma *tensor.Dense
	rest := in[3:]
	if op.train {
		red, rest = rest[0], rest[1:]
		if err := normWant(op.String(), "reductions", red, 2, d.c); err != nil {
			return nil, err
		}
	}
	if op.affine {
		gamma = rest[0]
		if err := normWant(op.String(), "gamma", gamma, d.c); err != nil {
			return nil, err
		}
	}
	if dt == tensor.Float32 {
		return bnDxDo[float32](prealloc, in[0], in[1], in[2], red, gamma, d), nil
	}
	return bnDxDo[float64](prealloc, in[0], in[1], in[2], red, gamma, d), nil
}

func bnDxDo[T float32 | float64](prealloc G.Value, xt, st, dyt, redt, gammat *tensor.Dense, d normDims) *tensor.Dense {
	s, gamma := normSlice[T](st), normSlice[T](gammat)
	mean, inv := s[:d.c], s[d.c:]
	k := make([]T, d.c)
	var c1, c2, red []T
	if redt != nil {
		c1, c2, red = make([]T, d.c), make([]T, d.c), normSlice[T](redt)
	}
	m := float64(d.n * d.s)
	for c := range k {
		kc := float64(inv[c])
		if gamma != nil {
			kc *= float64(gamma[c])
		}
		k[c] = T(kc)
		if red != nil {
			// dx = k·(dy − Σdy/m − x̂·Σ(dy·x̂)/m), x̂ = (x − μ)·inv
			c1[c] = T(kc * float64(red[d.c+c]) / m)
			c2[c] = T(kc * float64(inv[c]) * float64(red[c]) / m)
		}
	}
	out, dx := normOut[T](prealloc, xt.Shape()...)
	bnDx(normSlice[T](xt), normSlice[T](dyt), dx, d, mean, k, c1, c2)
	return out
}

var (
	_ G.SDOp = (*bnBatchStatsOp)(nil)
	_ G.SDOp = bnEvalStatsOp{}
	_ G.SDOp = bnNormOp{}
	_ G.SDOp = bnReduceOp{}
	_ G.SDOp = bnDxOp{}
	_ G.SDOp = normRowOp{}

	_ G.UsePreallocDoer = (*bnBatchStatsOp)(nil)
	_ G.UsePreallocDoer = bnEvalStatsOp{}
	_ G.UsePreallocDoer = bnNormOp{}
	_ G.UsePreallocDoer = bnReduceOp{}
	_ G.UsePreallocDoer = bnDxOp{}
	_ G.UsePreallocDoer = normRowOp{}
)
