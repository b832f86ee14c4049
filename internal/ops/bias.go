package ops

import (
	"fmt"
	"hash"
	"runtime"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/vmath"
	"github.com/gozoo/zoo/internal/workers"
)

// biasAdd adds a per-channel bias b of shape (C) to x of shape (N,C) or
// (N,C,H,W): y[n,c,…] = x[n,c,…] + b[c]. It is one pass over x, where
// Gorgonia's BroadcastAdd reshapes and repeats b to x's full shape first.
func AddBias(x, b *G.Node) (*G.Node, error) {
	xs, bs := x.Shape(), b.Shape()
	if xs.Dims() < 2 || bs.Dims() != 1 || bs[0] != xs[1] {
		return nil, errors.Wrapf(ErrShape, "bias add: x %v, bias %v (want bias (C) for x (N,C,…))", xs, bs)
	}
	return G.ApplyOp(biasAddOp{dims: xs.Dims()}, x, b)
}

// biasAddOp's dims is the rank of x.
type biasAddOp struct{ dims int }

func (biasAddOp) Arity() int { return 2 }
func (op biasAddOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	x := G.TensorType{Dims: op.dims, Of: a}
	return hm.NewFnType(x, G.TensorType{Dims: 1, Of: a}, x)
}
func (biasAddOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (biasAddOp) ReturnsPtr() bool         { return false }
func (biasAddOp) CallsExtern() bool        { return false }
func (biasAddOp) OverwritesInput() int     { return -1 }
func (op biasAddOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op biasAddOp) Hashcode() uint32      { return hashOf(op) }
func (op biasAddOp) String() string        { return fmt.Sprintf("BiasAdd(%dd)", op.dims) }
func (biasAddOp) DiffWRT(int) []bool       { return []bool{true, true} }

func (op biasAddOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes x + b into prealloc when it fits (see outputFor).
func (biasAddOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	x, b, err := denseArgs2(vals)
	if err != nil {
		return nil, err
	}
	s := x.Shape()
	if s.Dims() < 2 || b.Shape().TotalSize() != s[1] {
		return nil, errors.Wrapf(ErrShape, "bias add: x %v, bias %v (want bias (C) for x (N,C,…))", s, b.Shape())
	}
	out := outputFor(prealloc, x.Dtype(), s)
	inner := innerSize(s)
	row := s[1] * inner
	switch xs := x.Data().(type) {
	case []float32:
		ys, bs := out.Data().([]float32), b.Data().([]float32)
		splitRows(len(xs)/max(row, 1), row, func(lo, hi int) { addBias(ys[lo:hi], xs[lo:hi], bs, inner) })
	case []float64:
		ys, bs := out.Data().([]float64), b.Data().([]float64)
		splitRows(len(xs)/max(row, 1), row, func(lo, hi int) { addBias(ys[lo:hi], xs[lo:hi], bs, inner) })
	default:
		return nil, errors.Wrapf(ErrDtype, "bias add: %v", x.Dtype())
	}
	return out, nil
}

// addBias writes y = x + b[c] where c is the channel of each element: x is
// (N, C) (inner = 1) or (N, C, …) with inner elements per (n, c) pair. It
// walks x row by row and plane by plane, with no division per element;
// rows of (N, C) run internal/vmath's vectorised Add, planes AddScalar.
func addBias[T float32 | float64](y, x, b []T, inner int) {
	c := len(b)
	row := c * inner
	y = y[:len(x)]
	start := 0
	if inner == 1 && c < narrowBias {
		start = addNarrowBias(y, x, b)
	}
	for r := start; r+row <= len(x); r += row {
		xr, yr := x[r:r+row], y[r:r+row]
		if inner == 1 {
			vmath.Add(yr[:len(b)], xr, b)
			continue
		}
		for ch, bv := range b {
			xp, yp := xr[ch*inner:(ch+1)*inner], yr[ch*inner:(ch+1)*inner]
			vmath.AddScalar(yp, xp, bv)
		}
	}
}

// narrowBias: rows of (N, C) with fewer channels than this (a 10-class
// output layer) are added in blocks of whole rows.
const narrowBias = 64

// addNarrowBias adds b to the rows of x (of len(b) < narrowBias channels)
// in blocks of as many whole rows as fill a multiple of 64 elements, each
// block a vectorised Add against b repeated (the same sum per element as
// row by row), and returns where the rows it left begin.
func addNarrowBias[T float32 | float64](y, x, b []T) int {
	var pat [narrowBias * 64]T
	c := len(b)
	rows := 64 / gcd(c, 64) // rows·c is a multiple of 64
	n := rows * c
	for i := 0; i < n; i += c {
		copy(pat[i:i+c], b)
	}
	p := pat[:n]
	r := 0
	for ; r+n <= len(x); r += n {
		vmath.Add(y[r:r+n], x[r:r+n], p)
	}
	return r
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// SymDiff: ∂L/∂x = g, ∂L/∂b[c] = Σ_{n,…} g[n,c,…].
func (op biasAddOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	gb, err := G.ApplyOp(channelSumOp{dims: op.dims}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, gb}, nil
}

var (
	_ G.UsePreallocDoer = biasAddOp{}
	_ G.UsePreallocDoer = channelSumOp{}
)

// channelSumOp sums (N,C,…) over every axis but 1, giving (C); dims is the
// input's rank.
type channelSumOp struct{ dims int }

func (channelSumOp) Arity() int { return 1 }
func (op channelSumOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: op.dims, Of: a}, G.TensorType{Dims: 1, Of: a})
}
func (channelSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s := in[0].(tensor.Shape)
	if s.Dims() < 2 {
		return nil, errors.Wrapf(ErrShape, "channel sum of %v", s)
	}
	return tensor.Shape{s[1]}, nil
}
func (channelSumOp) ReturnsPtr() bool         { return false }
func (channelSumOp) CallsExtern() bool        { return false }
func (channelSumOp) OverwritesInput() int     { return -1 }
func (op channelSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op channelSumOp) Hashcode() uint32      { return hashOf(op) }
func (op channelSumOp) String() string        { return fmt.Sprintf("ChannelSum(%dd)", op.dims) }

func (op channelSumOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes the channel sums into prealloc when it fits (see
// outputFor).
func (channelSumOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Errorf("graph: channel sum: want 1 input, got %d", len(vals))
	}
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("graph: channel sum: want *tensor.Dense, got %T", vals[0])
	}
	s := x.Shape()
	if s.Dims() < 2 {
		return nil, errors.Wrapf(ErrShape, "channel sum of %v", s)
	}
	if err := checkDtype(x.Dtype()); err != nil {
		return nil, errors.WithMessage(err, "graph: channel sum")
	}
	out := outputFor(prealloc, x.Dtype(), tensor.Shape{s[1]})
	inner := innerSize(s)
	switch d := x.Data().(type) {
	case []float32:
		sumChannelsSplit(d, out.Data().([]float32), inner)
	case []float64:
		sumChannelsSplit(d, out.Data().([]float64), inner)
	}
	return out, nil
}

// sumChannelRange writes out[c] = Σ_{n,…} x[n,c,…] for the channels
// c in [lo, hi). Each (n, c) block is summed in order first, then added to
// out[c] for n = 0, 1, …: the order of the additions is fixed by the
// shape. Rows of (N, C) are added to out with internal/vmath's vectorised
// Add, which keeps that order (it vectorises across channels).
func sumChannelRange[T float32 | float64](x, out []T, inner, lo, hi int) {
	o := out[lo:hi]
	clear(o)
	row := len(out) * inner
	for r := 0; r+row <= len(x); r += row {
		xr := x[r : r+row]
		if inner == 1 {
			vmath.Add(o, o, xr[lo:hi])
			continue
		}
		for j := range o {
			ch := lo + j
			var s T
			for _, v := range xr[ch*inner : (ch+1)*inner] {
				s += v
			}
			o[j] += s
		}
	}
}

// sumChannelsSplit writes out[c] = Σ_{n,…} x[n,c,…] for every channel,
// the channels of a large x spread over GOMAXPROCS goroutines: each
// channel's sum keeps its order (sumChannelRange).
func sumChannelsSplit[T float32 | float64](x, out []T, inner int) {
	c := len(out)
	if c == 0 {
		return
	}
	rows := len(x) / (c * inner)
	split1 := max(1, minSplit/max(rows*inner, 1))
	workers.For(runtime.GOMAXPROCS(0), c, split1, func(lo, hi int) {
		sumChannelRange(x, out, inner, lo, hi)
	})
}

// innerSize is the number of elements per (n, c) pair: H·W for images, 1 for
// matrices.
func innerSize(s tensor.Shape) int {
	n := 1
	for _, d := range s[2:] {
		n *= d
	}
	return n
}

func denseArgs2(vals []G.Value) (*tensor.Dense, *tensor.Dense, error) {
	if len(vals) != 2 {
		return nil, nil, errors.Errorf("graph: want 2 inputs, got %d", len(vals))
	}
	a, ok1 := vals[0].(*tensor.Dense)
	b, ok2 := vals[1].(*tensor.Dense)
	if !ok1 || !ok2 {
		return nil, nil, errors.Errorf("graph: want *tensor.Dense inputs, got %T and %T", vals[0], vals[1])
	}
	if a.Dtype() != b.Dtype() {
		return nil, nil, errors.Wrapf(ErrDtype, "inputs of dtypes %v and %v", a.Dtype(), b.Dtype())
	}
	return a, b, nil
}

// hashOf hashes an op by its String, which must name every parameter.
func hashOf(op fmt.Stringer) uint32 {
	var h uint32 = 2166136261
	for _, c := range []byte(op.String()) {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
