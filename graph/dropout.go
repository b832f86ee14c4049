package graph

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

// DropoutScaling is where dropout compensates for the units it drops.
type DropoutScaling uint8

const (
	// Inverted dropout (the default, and PyTorch's): in training, kept units
	// are scaled by 1/(1−p); evaluation is the identity.
	Inverted DropoutScaling = iota
	// WeightScaling is dropout as in Srivastava et al. (2014): no scaling in
	// training; at evaluation activations are multiplied by the retain
	// probability 1−p.
	WeightScaling
)

// Dropout zeroes each unit independently with probability Rate in training.
//
// Masks are drawn from the builder's rng before every run of the graph, so a
// run is reproducible bit for bit from its seed; Gorgonia's own Dropout is not
// used (its gradient divides by p instead of 1−p and it seeds from the clock).
// The mask is a graph input holding 0 or the scale (1/(1−p) inverted, 1 for
// weight scaling), multiplied in element-wise by one fused op, so the
// gradient is the same product: g·mask.
//
// Mask stream: the mask is filled in row-major order from 32-bit uniform
// draws, two per rng.Uint64 (element 2i from its low 32 bits, element 2i+1
// from its high 32 bits; an odd last element uses the low half of one more
// draw). A unit is dropped when its draw u satisfies u < round(p·2³²), so the
// drop probability is p to within 2⁻³³. (Until November 2026 every element
// took one rng.Float64 and was dropped when it was below p; the masks, and
// so the trained numbers, of a given seed changed then.)
//
// In [Eval] mode dropout is deterministic: the identity for [Inverted], a
// multiplication by 1−p for [WeightScaling]. In [MonteCarlo] mode it keeps
// sampling masks exactly as in training, so averaging k runs gives Monte-Carlo
// dropout (Gal & Ghahramani 2016).
type Dropout struct {
	name    string
	rate    float64
	scaling DropoutScaling
}

var _ Layer = (*Dropout)(nil)

// NewDropout returns a dropout layer that drops units with probability rate,
// 0 ≤ rate < 1 (rate 0 is the identity in every mode).
func NewDropout(name string, rate float64, scaling DropoutScaling) (*Dropout, error) {
	if !(rate >= 0 && rate < 1) {
		return nil, errors.Wrapf(ErrConfig, "dropout %s: rate %v not in [0, 1)", name, rate)
	}
	if scaling > WeightScaling {
		return nil, errors.Wrapf(ErrConfig, "dropout %s: unknown scaling %d", name, scaling)
	}
	return &Dropout{name: name, rate: rate, scaling: scaling}, nil
}

// Name returns the layer's name.
func (d *Dropout) Name() string { return d.name }

// Rate returns the drop probability p.
func (d *Dropout) Rate() float64 { return d.rate }

// Forward applies dropout in the builder's mode.
func (d *Dropout) Forward(b *Builder, x *G.Node) (*G.Node, error) {
	if d.rate == 0 {
		return x, nil
	}
	keep := 1 - d.rate
	if b.Mode() == Eval {
		if d.scaling == Inverted {
			return x, nil
		}
		k, _ := b.Constant(Join(d.name, "keep"), tensor.Shape{}, []float64{keep})
		y, err := G.HadamardProd(x, k)
		return y, errors.Wrapf(err, "dropout %s", d.name)
	}
	rng, err := b.Rand()
	if err != nil {
		return nil, errors.WithMessagef(err, "dropout %s", d.name)
	}
	scale := 1.0
	if d.scaling == Inverted {
		scale = 1 / keep
	}
	maskNode, mask := b.Constant(Join(d.name, "mask"), x.Shape(), make([]float64, x.Shape().TotalSize()))
	t := dropThreshold(d.rate)
	b.BeforeRun(func() error {
		switch m := mask.Data().(type) {
		case []float32:
			fillMask(m, rng, t, float32(scale))
		case []float64:
			fillMask(m, rng, t, scale)
		}
		return nil
	})
	y, err := G.ApplyOp(maskMulOp{}, x, maskNode)
	return y, errors.Wrapf(err, "dropout %s", d.name)
}

// dropThreshold returns round(p·2³²): a 32-bit uniform draw below it drops a
// unit.
func dropThreshold(p float64) uint64 { return uint64(math.Round(p * (1 << 32))) }

// fillMask sets each element to 0 with probability t/2³² and to scale
// otherwise, drawing 32 bits per element, two elements per rng.Uint64 (see
// Dropout for the order).
func fillMask[T float32 | float64](m []T, rng *rand.Rand, t uint64, scale T) {
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

// maskMulOp is y = x ⊙ mask for two tensors of one shape; the mask is a
// constant (no gradient), and x's gradient is the same op applied to
// (g, mask). It is Gorgonia's HadamardProd without its broadcasting
// machinery, with a preallocated output.
type maskMulOp struct{}

func (maskMulOp) Arity() int                                        { return 2 }
func (maskMulOp) Type() hm.Type                                     { return lpMatToMat(2) }
func (maskMulOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return lpSameShape(in) }
func (maskMulOp) ReturnsPtr() bool                                  { return false }
func (maskMulOp) CallsExtern() bool                                 { return false }
func (maskMulOp) OverwritesInput() int                              { return -1 }
func (op maskMulOp) WriteHash(h hash.Hash)                          { fmt.Fprint(h, op.String()) }
func (op maskMulOp) Hashcode() uint32                               { return lpHash(op) }
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
	x, err := lpDense(what, vals[0], -1)
	if err != nil {
		return nil, err
	}
	m, err := lpDense(what, vals[1], -1)
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
func mulInto[T lpFloat](z, x, y []T) {
	y, z = y[:len(x)], z[:len(x)]
	for i, v := range x {
		z[i] = v * y[i]
	}
}

var (
	_ G.SDOp            = maskMulOp{}
	_ G.UsePreallocDoer = maskMulOp{}
)
