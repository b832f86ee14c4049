package ops

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Group normalisation (Wu & He 2018) as pure Gorgonia ops. The C channels of
// x, (N, C) or (N, C, H, W), are split into `groups` contiguous groups of
// C/groups channels; each (sample, group) is normalised over its channels
// and spatial positions with its own mean and BIASED variance, then a
// per-channel affine transform is applied:
//
//	y[n,c,·] = γ[c]·(x[n,c,·] − μ[n,g])/√(σ²[n,g] + ε) + β[c],  g = c/(C/groups)
//
// The same op serves as
//   - LayerNorm: groups = 1. For (N, D) input this is torch.nn.LayerNorm(D);
//     for (N, C, H, W) it normalises each sample over (C, H, W) with a
//     per-channel γ, β, i.e. torch.nn.GroupNorm(1, C), not
//     torch.nn.LayerNorm([C, H, W]) (whose affine is elementwise).
//   - InstanceNorm: groups = C, torch.nn.InstanceNorm2d(C, affine=True).
//
// Statistics depend on the sample only, so training and evaluation compute
// the same thing and the op holds no state.
//
// Graph layout: s = gnStatsOp(x), (2, N·groups) holding [μ; 1/√(σ²+ε)];
// y = gnNormOp(x, s, γ, β). The backward, with ĝ = γ[c]·dy per element and
// means over each (sample, group) block,
//
//	dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) / √(σ²+ε),  dγ = Σ_{n,hw} dy·x̂,  dβ = Σ_{n,hw} dy,
//
// is gnDxOp (two passes over each contiguous block) and gnParamGradOp (one
// pass, both parameter gradients as a (2, C) node).

// groupNorm normalises x, (N, C) or (N, C, H, W), in `groups` groups of
// channels and applies γ, β, (C) nodes of x's dtype, or both nil for no
// affine transform. C must be divisible by groups. It is differentiable with
// respect to x, γ and β.
func GroupNorm(x, gamma, beta *G.Node, groups int, eps float64) (*G.Node, error) {
	const what = "graph: groupnorm"
	d, affine, err := normCheckNodes(what, x, gamma, beta, eps)
	if err != nil {
		return nil, err
	}
	if groups <= 0 || d.c%groups != 0 {
		return nil, errors.Wrapf(ErrConfig, "%s: %d channels cannot be split into %d equal groups", what, d.c, groups)
	}
	s, err := G.ApplyOp(gnStatsOp{dims: x.Dims(), groups: groups, eps: eps}, x)
	if err != nil {
		return nil, errors.Wrap(err, what)
	}
	in := G.Nodes{x, s}
	if affine {
		in = append(in, gamma, beta)
	}
	y, err := G.ApplyOp(gnNormOp{dims: x.Dims(), groups: groups, affine: affine}, in...)
	if err != nil {
		return nil, errors.Wrap(err, what)
	}
	return y, nil
}

// gnDims checks x's shape against the group count.
func gnDims(what string, shape tensor.Shape, groups int) (normDims, error) {
	d, err := normDimsOf(what, shape)
	if err != nil {
		return d, err
	}
	if groups <= 0 || d.c%groups != 0 {
		return d, errors.Wrapf(ErrShape, "%s: %d channels cannot be split into %d equal groups", what, d.c, groups)
	}
	return d, nil
}

// ---- gnStatsOp: x → [μ; 1/√(σ²+ε)] per (sample, group) ----

type gnStatsOp struct {
	dims, groups int
	eps          float64
}

func (gnStatsOp) Arity() int               { return 1 }
func (op gnStatsOp) Type() hm.Type         { return hm.NewFnType(normTT(op.dims), normTT(2)) }
func (gnStatsOp) ReturnsPtr() bool         { return false }
func (gnStatsOp) CallsExtern() bool        { return false }
func (gnStatsOp) OverwritesInput() int     { return -1 }
func (op gnStatsOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op gnStatsOp) Hashcode() uint32      { return normHash(op) }
func (gnStatsOp) DiffWRT(int) []bool       { return []bool{false} }
func (op gnStatsOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v is not differentiable (gnNormOp differentiates through it)", op)
}
func (op gnStatsOp) String() string {
	return fmt.Sprintf("gnStats{%dd,groups=%d,eps=%g}", op.dims, op.groups, op.eps)
}

func (op gnStatsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want 1)", op, len(in))
	}
	xs, _ := in[0].(tensor.Shape)
	d, err := gnDims(op.String(), xs, op.groups)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{2, d.n * op.groups}, nil
}

func (op gnStatsOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the statistics into prealloc when it fits (see
// outputFor).
func (op gnStatsOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), 1, vals)
	if err != nil {
		return nil, err
	}
	d, err := gnDims(op.String(), in[0].Shape(), op.groups)
	if err != nil {
		return nil, err
	}
	k := d.n * op.groups
	if dt == tensor.Float32 {
		out, s := normOut[float32](prealloc, 2, k)
		gnMoments(normSlice[float32](in[0]), d, op.groups, op.eps, s[:k], s[k:])
		return out, nil
	}
	out, s := normOut[float64](prealloc, 2, k)
	gnMoments(normSlice[float64](in[0]), d, op.groups, op.eps, s[:k], s[k:])
	return out, nil
}

// gnCheckInputs checks the (x, s, dy-or-γ…) values shared by the GroupNorm
// ops: x's shape, the statistics' shape, and that every further input listed
// in same has x's shape.
func gnCheckInputs(what string, in []*tensor.Dense, groups int, same ...int) (normDims, error) {
	d, err := gnDims(what, in[0].Shape(), groups)
	if err != nil {
		return d, err
	}
	if err := normWant(what, "statistics", in[1], 2, d.n*groups); err != nil {
		return d, err
	}
	for _, i := range same {
		if err := normWant(what, "gradient", in[i], in[0].Shape()...); err != nil {
			return d, err
		}
	}
	return d, nil
}

// gnInferStats checks x and statistics shapes at graph-building time.
func gnInferStats(what string, in []G.DimSizer, groups int) (tensor.Shape, normDims, error) {
	xs, _ := in[0].(tensor.Shape)
	d, err := gnDims(what, xs, groups)
	if err != nil {
		return nil, d, err
	}
	if s, _ := in[1].(tensor.Shape); !s.Eq(tensor.Shape{2, d.n * groups}) {
		return nil, d, errors.Wrapf(ErrShape, "%s: statistics %v (want (2, %d))", what, in[1], d.n*groups)
	}
	return xs, d, nil
}

// ---- gnNormOp: (x, s[, γ, β]) → y ----

type gnNormOp struct {
	dims, groups int
	affine       bool
}

func (op gnNormOp) Arity() int {
	if op.affine {
		return 4
	}
	return 2
}

func (op gnNormOp) Type() hm.Type {
	x := normTT(op.dims)
	if op.affine {
		return hm.NewFnType(x, normTT(2), normTT(1), normTT(1), x)
	}
	return hm.NewFnType(x, normTT(2), x)
}
func (gnNormOp) ReturnsPtr() bool         { return false }
func (gnNormOp) CallsExtern() bool        { return false }
func (gnNormOp) OverwritesInput() int     { return -1 }
func (op gnNormOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op gnNormOp) Hashcode() uint32      { return normHash(op) }
func (op gnNormOp) String() string {
	return fmt.Sprintf("gnNorm{%dd,groups=%d,affine=%t}", op.dims, op.groups, op.affine)
}
func (op gnNormOp) DiffWRT(int) []bool { return []bool{true, false, true, true}[:op.Arity()] }

func (op gnNormOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want %d)", op, len(in), op.Arity())
	}
	xs, d, err := gnInferStats(op.String(), in, op.groups)
	if err != nil {
		return nil, err
	}
	for _, p := range in[2:] {
		if s, _ := p.(tensor.Shape); !s.Eq(tensor.Shape{d.c}) {
			return nil, errors.Wrapf(ErrShape, "%v: gamma/beta %v (want (%d))", op, p, d.c)
		}
	}
	return xs.Clone(), nil
}

func (op gnNormOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes y into prealloc when it fits (see outputFor).
func (op gnNormOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), op.Arity(), vals)
	if err != nil {
		return nil, err
	}
	d, err := gnCheckInputs(op.String(), in, op.groups)
	if err != nil {
		return nil, err
	}
	for _, p := range in[2:] {
		if err := normWant(op.String(), "gamma/beta", p, d.c); err != nil {
			return nil, err
		}
	}
	if dt == tensor.Float32 {
		return gnNormDo[float32](prealloc, in, d, op.groups), nil
	}
	return gnNormDo[float64](prealloc, in, d, op.groups), nil
}

func gnNormDo[T float32 | float64](prealloc G.Value, in []*tensor.Dense, d normDims, groups int) *tensor.Dense {
	s := normSlice[T](in[1])
	k := d.n * groups
	var gamma, beta []T
	if len(in) == 4 {
		gamma, beta = normSlice[T](in[2]), normSlice[T](in[3])
	}
	out, y := normOut[T](prealloc, in[0].Shape()...)
	gnApply(normSlice[T](in[0]), y, d, groups, s[:k], s[k:], gamma, beta)
	return out
}

func (op gnNormOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	if len(in) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want %d)", op, len(in), op.Arity())
	}
	x, s := in[0], in[1]
	dxIn := G.Nodes{x, s, grad}
	if op.affine {
		dxIn = append(dxIn, in[2])
	}
	dx, err := G.ApplyOp(gnDxOp{dims: op.dims, groups: op.groups, affine: op.affine}, dxIn...)
	if err != nil {
		return nil, errors.Wrap(err, "graph: groupnorm backward")
	}
	if !op.affine {
		return G.Nodes{dx, nil}, nil
	}
	pg, err := G.ApplyOp(gnParamGradOp{dims: op.dims, groups: op.groups}, x, s, grad)
	if err != nil {
		return nil, errors.Wrap(err, "graph: groupnorm backward")
	}
	dgamma, err := G.ApplyOp(normRowOp{row: 0}, pg)
	if err != nil {
		return nil, errors.Wrap(err, "graph: groupnorm backward")
	}
	dbeta, err := G.ApplyOp(normRowOp{row: 1}, pg)
	if err != nil {
		return nil, errors.Wrap(err, "graph: groupnorm backward")
	}
	return G.Nodes{dx, nil, dgamma, dbeta}, nil
}

// ---- gnParamGradOp: (x, s, dy) → [Σ dy·x̂; Σ dy] per channel ----

type gnParamGradOp struct{ dims, groups int }

func (gnParamGradOp) Arity() int { return 3 }
func (op gnParamGradOp) Type() hm.Type {
	x := normTT(op.dims)
	return hm.NewFnType(x, normTT(2), x, normTT(2))
}
func (gnParamGradOp) ReturnsPtr() bool         { return false }
func (gnParamGradOp) CallsExtern() bool        { return false }
func (gnParamGradOp) OverwritesInput() int     { return -1 }
func (op gnParamGradOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op gnParamGradOp) Hashcode() uint32      { return normHash(op) }
func (op gnParamGradOp) String() string {
	return fmt.Sprintf("gnParamGrad{%dd,groups=%d}", op.dims, op.groups)
}
func (gnParamGradOp) DiffWRT(int) []bool { return []bool{false, false, false} }
func (op gnParamGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v: second derivatives are not implemented", op)
}

func (op gnParamGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 3 {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want 3)", op, len(in))
	}
	xs, d, err := gnInferStats(op.String(), in, op.groups)
	if err != nil {
		return nil, err
	}
	if gs, _ := in[2].(tensor.Shape); !gs.Eq(xs) {
		return nil, errors.Wrapf(ErrShape, "%v: gradient %v (want %v)", op, in[2], xs)
	}
	return tensor.Shape{2, d.c}, nil
}

func (op gnParamGradOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes [dγ; dβ] into prealloc when it fits (see outputFor).
func (op gnParamGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), 3, vals)
	if err != nil {
		return nil, err
	}
	d, err := gnCheckInputs(op.String(), in, op.groups, 2)
	if err != nil {
		return nil, err
	}
	dgamma, dbeta := make([]float64, d.c), make([]float64, d.c)
	k := d.n * op.groups
	if dt == tensor.Float32 {
		s := normSlice[float32](in[1])
		gnParamGrads(normSlice[float32](in[0]), normSlice[float32](in[2]), d, op.groups, s[:k], s[k:], dgamma, dbeta)
		return bnStatsValue[float32](prealloc, dgamma, dbeta), nil
	}
	s := normSlice[float64](in[1])
	gnParamGrads(normSlice[float64](in[0]), normSlice[float64](in[2]), d, op.groups, s[:k], s[k:], dgamma, dbeta)
	return bnStatsValue[float64](prealloc, dgamma, dbeta), nil
}

// ---- gnDxOp: (x, s, dy[, γ]) → dx ----

type gnDxOp struct {
	dims, groups int
	affine       bool
}

func (op gnDxOp) Arity() int {
	if op.affine {
		return 4
	}
	return 3
}

func (op gnDxOp) Type() hm.Type {
	x := normTT(op.dims)
	if op.affine {
		return hm.NewFnType(x, normTT(2), x, normTT(1), x)
	}
	return hm.NewFnType(x, normTT(2), x, x)
}
func (gnDxOp) ReturnsPtr() bool         { return false }
func (gnDxOp) CallsExtern() bool        { return false }
func (gnDxOp) OverwritesInput() int     { return -1 }
func (op gnDxOp) WriteHash(h hash.Hash) { normWriteHash(h, op) }
func (op gnDxOp) Hashcode() uint32      { return normHash(op) }
func (op gnDxOp) String() string {
	return fmt.Sprintf("gnDx{%dd,groups=%d,affine=%t}", op.dims, op.groups, op.affine)
}
func (op gnDxOp) DiffWRT(int) []bool { return make([]bool, op.Arity()) }
func (op gnDxOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Wrapf(ErrConfig, "graph: %v: second derivatives are not implemented", op)
}

func (op gnDxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs (want %d)", op, len(in), op.Arity())
	}
	xs, d, err := gnInferStats(op.String(), in, op.groups)
	if err != nil {
		return nil, err
	}
	if gs, _ := in[2].(tensor.Shape); !gs.Eq(xs) {
		return nil, errors.Wrapf(ErrShape, "%v: gradient %v (want %v)", op, in[2], xs)
	}
	if op.affine {
		if s, _ := in[3].(tensor.Shape); !s.Eq(tensor.Shape{d.c}) {
			return nil, errors.Wrapf(ErrShape, "%v: gamma %v (want (%d))", op, in[3], d.c)
		}
	}
	return xs.Clone(), nil
}

func (op gnDxOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes dx into prealloc when it fits (see outputFor).
func (op gnDxOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	in, dt, err := normDenses(op.String(), op.Arity(), vals)
	if err != nil {
		return nil, err
	}
	d, err := gnCheckInputs(op.String(), in, op.groups, 2)
	if err != nil {
		return nil, err
	}
	var gamma *tensor.Dense
	if op.affine {
		gamma = in[3]
		if err := normWant(op.String(), "gamma", gamma, d.c); err != nil {
			return nil, err
		}
	}
	if dt == tensor.Float32 {
		return gnDxDo[float32](prealloc, in[0], in[1], in[2], gamma, d, op.groups), nil
	}
	return gnDxDo[float64](prealloc, in[0], in[1], in[2], gamma, d, op.groups), nil
}

func gnDxDo[T float32 | float64](prealloc G.Value, xt, st, dyt, gammat *tensor.Dense, d normDims, groups int) *tensor.Dense {
	s := normSlice[T](st)
	k := d.n * groups
	out, dx := normOut[T](prealloc, xt.Shape()...)
	gnDx(normSlice[T](xt), normSlice[T](dyt), dx, d, groups, s[:k], s[k:], normSlice[T](gammat))
	return out
}

var (
	_ G.SDOp = gnStatsOp{}
	_ G.SDOp = gnNormOp{}
	_ G.SDOp = gnParamGradOp{}
	_ G.SDOp = gnDxOp{}

	_ G.UsePreallocDoer = gnStatsOp{}
	_ G.UsePreallocDoer = gnNormOp{}
	_ G.UsePreallocDoer = gnParamGradOp{}
	_ G.UsePreallocDoer = gnDxOp{}
)
