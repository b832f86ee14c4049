package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// biasAdd adds a per-channel bias b of shape (C) to x of shape (N,C) or
// (N,C,H,W): y[n,c,…] = x[n,c,…] + b[c]. It is one pass over x, where
// Gorgonia's BroadcastAdd reshapes and repeats b to x's full shape first.
func biasAdd(x, b *G.Node) (*G.Node, error) {
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

func (biasAddOp) Do(vals ...G.Value) (G.Value, error) {
	x, b, err := denseArgs2(vals)
	if err != nil {
		return nil, err
	}
	out := x.Clone().(*tensor.Dense)
	inner := innerSize(x.Shape())
	switch o := out.Data().(type) {
	case []float32:
		addBias(o, b.Data().([]float32), inner)
	case []float64:
		addBias(o, b.Data().([]float64), inner)
	default:
		return nil, errors.Wrapf(ErrDtype, "bias add: %v", x.Dtype())
	}
	return out, nil
}

func addBias[T float32 | float64](y, b []T, inner int) {
	c := len(b)
	for i := 0; i < len(y); i += inner {
		bv := b[(i/inner)%c]
		row := y[i : i+inner]
		for j := range row {
			row[j] += bv
		}
	}
}

// SymDiff: ∂L/∂x = g, ∂L/∂b[c] = Σ_{n,…} g[n,c,…].
func (op biasAddOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	gb, err := G.ApplyOp(channelSumOp{dims: op.dims}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, gb}, nil
}

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

func (channelSumOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Errorf("graph: channel sum: want 1 input, got %d", len(vals))
	}
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("graph: channel sum: want *tensor.Dense, got %T", vals[0])
	}
	s := x.Shape()
	inner := innerSize(s)
	switch d := x.Data().(type) {
	case []float32:
		out := make([]float32, s[1])
		sumChannels(d, out, inner)
		return tensor.New(tensor.WithShape(s[1]), tensor.WithBacking(out)), nil
	case []float64:
		out := make([]float64, s[1])
		sumChannels(d, out, inner)
		return tensor.New(tensor.WithShape(s[1]), tensor.WithBacking(out)), nil
	}
	return nil, errors.Wrapf(ErrDtype, "channel sum: %v", x.Dtype())
}

func sumChannels[T float32 | float64](x, out []T, inner int) {
	c := len(out)
	for i := 0; i < len(x); i += inner {
		var s T
		for _, v := range x[i : i+inner] {
			s += v
		}
		out[(i/inner)%c] += s
	}
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
