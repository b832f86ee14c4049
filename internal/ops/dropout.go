package ops

import (
	"fmt"
	"hash"
	"math"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DropThreshold returns round(p·2³²): a 32-bit uniform draw below it drops a
// unit.
func DropThreshold(p float64) uint64 { return uint64(math.Round(p * (1 << 32))) }

// FillMask sets each element to 0 with probability t/2³² and to scale
// otherwise, drawing 32 bits per element, two elements per rng.Uint64 (see
// Dropout for the order).
func FillMask[T float32 | float64](m []T, rng *rand.Rand, t uint64, scale T) {
	vals := [2]T{scale, 0}
	i := 0
	for ; i+2 <= len(m); i += 2 {
		r := rng.Uint64()
		m[i] = vals[dropBit(r&0xffffffff, t)]
		m[i+1] = vals[dropBit(r>>32, t)]
	}
	if i < len(m) {
		m[i] = vals[dropBit(rng.Uint64()&0xffffffff, t)]
	}
}

// dropBit is 1 if u < t, else 0 (a comparison, not a branch).
func dropBit(u, t uint64) uint64 {
	var k uint64
	if u < t {
		k = 1
	}
	return k
}

// MaskMul returns x ⊙ mask, the dropout product of x with a constant mask of
// its shape and dtype.
func MaskMul(x, mask *G.Node) (*G.Node, error) { return G.ApplyOp(maskMulOp{}, x, mask) }

// maskMulOp is y = x ⊙ mask for two tensors of one shape; the mask is a
// constant (no gradient), and x's gradient is the same op applied to
// (g, mask). It is Gorgonia's HadamardProd without its broadcasting
// machinery, with a preallocated output.
type maskMulOp struct{}

func (maskMulOp) Arity() int                                        { return 2 }
func (maskMulOp) Type() hm.Type                                     { return matToMat(2) }
func (maskMulOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return sameShape(in) }
func (maskMulOp) ReturnsPtr() bool                                  { return false }
func (maskMulOp) CallsExtern() bool                                 { return false }
func (maskMulOp) OverwritesInput() int                              { return -1 }
func (op maskMulOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op maskMulOp) Hashcode() uint32                               { return opHash(op) }
func (maskMulOp) String() string                                    { return "zoo.MaskMul" }
func (maskMulOp) DiffWRT(int) []bool                                { return []bool{true, false} }

// SymDiff: gx = g ⊙ mask.
func (op maskMulOp) SymDiff(in G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	gx, err := G.ApplyOp(op, grad, in[1])
	return G.Nodes{gx, nil}, errors.Wrap(err, "graph: dropout gradient")
}

func (op maskMulOp) Do(vals ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, vals...) }

// UsePreallocDo writes x ⊙ mask into prealloc when it fits (see outputFor).
func (maskMulOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	const what = "dropout"
	if len(vals) != 2 {
		return nil, errors.Wrapf(ErrShape, "%s: %d inputs, want 2", what, len(vals))
	}
	x, err := dense(what, vals[0], -1)
	if err != nil {
		return nil, err
	}
	m, err := dense(what, vals[1], -1)
	if err != nil {
		return nil, err
	}
	if !x.Shape().Eq(m.Shape()) || x.Dtype() != m.Dtype() {
		return nil, errors.Wrapf(ErrShape, "%s: x %v %v, mask %v %v", what, x.Shape(), x.Dtype(), m.Shape(), m.Dtype())
	}
	out := outputFor(prealloc, x.Dtype(), x.Shape())
	switch xs := x.Data().(type) {
	case []float32:
		mulInto(out.Float32s(), xs, m.Float32s())
	case []float64:
		mulInto(out.Float64s(), xs, m.Float64s())
	}
	return out, nil
}

// mulInto writes z = x ⊙ y.
func mulInto[T float](z, x, y []T) {
	y, z = y[:len(x)], z[:len(x)]
	for i, v := range x {
		z[i] = v * y[i]
	}
}

var (
	_ G.SDOp            = maskMulOp{}
	_ G.UsePreallocDoer = maskMulOp{}
)
