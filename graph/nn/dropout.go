package nn

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
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
// drop probability is p to within 2⁻³³.
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
		return nil, errors.Wrapf(graph.ErrConfig, "dropout %s: rate %v not in [0, 1)", name, rate)
	}
	if scaling > WeightScaling {
		return nil, errors.Wrapf(graph.ErrConfig, "dropout %s: unknown scaling %d", name, scaling)
	}
	return &Dropout{name: name, rate: rate, scaling: scaling}, nil
}

// Name returns the layer's name.
func (d *Dropout) Name() string { return d.name }

// Rate returns the drop probability p.
func (d *Dropout) Rate() float64 { return d.rate }

// Scaling returns where the layer compensates for dropped units.
func (d *Dropout) Scaling() DropoutScaling { return d.scaling }

// Forward applies dropout in the builder's mode.
func (d *Dropout) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	if d.rate == 0 {
		return x, nil
	}
	keep := 1 - d.rate
	if b.Mode() == graph.Eval {
		if d.scaling == Inverted {
			return x, nil
		}
		k, _ := b.Constant(graph.Join(d.name, "keep"), tensor.Shape{}, []float64{keep})
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
	maskNode, mask := b.Constant(graph.Join(d.name, "mask"), x.Shape(), make([]float64, x.Shape().TotalSize()))
	t := ops.DropThreshold(d.rate)
	b.BeforeRun(func() error {
		switch m := mask.Data().(type) {
		case []float32:
			ops.FillMask(m, rng, t, float32(scale))
		case []float64:
			ops.FillMask(m, rng, t, scale)
		}
		return nil
	})
	y, err := ops.MaskMul(x, maskNode)
	return y, errors.Wrapf(err, "dropout %s", d.name)
}
