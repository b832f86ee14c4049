package regularizers

import (
	"fmt"
	"math"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The penalties of this package implement [graph.Penalty]. Node builds the
// penalty as a scalar node of the builder's graph over the selected
// parameters' nodes, so its gradient comes from Gorgonia's symbolic
// differentiation together with the data loss's. The penalty is added to
// the loss as it is: it is not divided by the batch size (if the data loss
// is a batch mean, λ is per step, which is what PyTorch's weight_decay is
// too).
//
// Node returns a nil node and a nil error when the penalty's coefficients are
// all zero (the zero value of every penalty is "no penalty");
// [graph.AddPenalties] skips such terms. A non-zero penalty whose selector
// selects no parameter fails with [ErrNoneSelected].
var (
	_ graph.Penalty = L2{}
	_ graph.Penalty = L1{}
	_ graph.Penalty = ElasticNet{}
	_ graph.Penalty = WeightElimination{}
)

// L2 is the Tikhonov (ridge) penalty
//
//	λ · Σ w²
//
// over the selected parameters, WITHOUT a factor ½: its gradient is 2λ·w.
//
// Relation to PyTorch: SGD's and Adam's weight_decay=wd add wd·w to the
// gradient, which is the gradient of (wd/2)·Σ w², so L2{Lambda: wd/2}
// reproduces torch.optim.SGD(..., weight_decay=wd) and
// torch.optim.Adam(..., weight_decay=wd) (Adam's weight_decay is this same
// coupled L2: the term passes through Adam's moment estimates). Decoupled
// weight decay as in AdamW (w ← w − lr·wd·w beside the Adam update) is not a
// loss term and does not live here: it is an optimizer option in package
// training. Unlike PyTorch's weight_decay, which applies to every parameter
// handed to the optimizer, L2 applies by default to weights only.
type L2 struct {
	// Lambda is λ ≥ 0. The default 0 is no penalty.
	Lambda float64
	// Select picks the parameters. The default nil is [WeightsOnly].
	Select Selector
}

// Validate reports a negative or non-finite λ and a misconfigured selector.
func (p L2) Validate() error {
	if err := checkCoef("L2 Lambda", p.Lambda); err != nil {
		return err
	}
	return validateSelector(p.Select)
}

// Node returns λ·Σw² in b's graph, or nil if λ is 0.
func (p L2) Node(b *graph.Builder) (*G.Node, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return weighted(b, p.Select, p.Lambda, sumSquares)
}

func (p L2) String() string {
	return fmt.Sprintf("L2(λ=%g, %s)", p.Lambda, orDefault(p.Select))
}

// L1 is the lasso penalty
//
//	λ · Σ |w|
//
// over the selected parameters. Its (sub)gradient is λ·sign(w) with
// sign(0) = 0 (Gorgonia differentiates |w| as sign(w), and tensor's Sign
// maps 0 to 0; the package's tests check it). Gradient steps on it shrink
// weights towards zero but oscillate around it and almost never make a
// weight exactly zero; for exact zeros use [ProxL1] instead of (not in
// addition to) this penalty.
type L1 struct {
	// Lambda is λ ≥ 0. The default 0 is no penalty.
	Lambda float64
	// Select picks the parameters. The default nil is [WeightsOnly].
	Select Selector
}

// Validate reports a negative or non-finite λ and a misconfigured selector.
func (p L1) Validate() error {
	if err := checkCoef("L1 Lambda", p.Lambda); err != nil {
		return err
	}
	return validateSelector(p.Select)
}

// Node returns λ·Σ|w| in b's graph, or nil if λ is 0.
func (p L1) Node(b *graph.Builder) (*G.Node, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return weighted(b, p.Select, p.Lambda, sumAbs)
}

func (p L1) String() string {
	return fmt.Sprintf("L1(λ=%g, %s)", p.Lambda, orDefault(p.Select))
}

// ElasticNet is the elastic-net penalty (Zou & Hastie 2005)
//
//	λ1 · Σ |w|  +  λ2 · Σ w²
//
// over the selected parameters, with the same conventions as [L1] and [L2]
// (no ½ on the squared term).
type ElasticNet struct {
	// L1 is λ1 ≥ 0, the coefficient of Σ|w|. Default 0.
	L1 float64
	// L2 is λ2 ≥ 0, the coefficient of Σw². Default 0.
	L2 float64
	// Select picks the parameters. The default nil is [WeightsOnly].
	Select Selector
}

// Validate reports a negative or non-finite coefficient and a misconfigured
// selector.
func (p ElasticNet) Validate() error {
	if err := checkCoef("ElasticNet L1", p.L1); err != nil {
		return err
	}
	if err := checkCoef("ElasticNet L2", p.L2); err != nil {
		return err
	}
	return validateSelector(p.Select)
}

// Node returns λ1·Σ|w| + λ2·Σw² in b's graph, or nil if both are 0.
func (p ElasticNet) Node(b *graph.Builder) (*G.Node, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return graph.AddPenalties(b, nil, L1{Lambda: p.L1, Select: p.Select}, L2{Lambda: p.L2, Select: p.Select})
}

func (p ElasticNet) String() string {
	return fmt.Sprintf("ElasticNet(λ1=%g, λ2=%g, %s)", p.L1, p.L2, orDefault(p.Select))
}

// WeightElimination is the penalty of Weigend, Rumelhart & Huberman (1990,
// "Generalization by weight-elimination with application to forecasting")
//
//	λ · Σ (w/w0)² / (1 + (w/w0)²)
//
// over the selected parameters. Each term grows like (w/w0)² for |w| ≪ w0
// (an L2 penalty of λ/w0²) and saturates at 1 for |w| ≫ w0, so small weights
// are pushed to zero while large ones are left almost free: it counts
// weights rather than shrinking them all. Its gradient is
//
//	λ · (2w/w0²) / (1 + (w/w0)²)².
type WeightElimination struct {
	// Lambda is λ ≥ 0. The default 0 is no penalty.
	Lambda float64
	// W0 is the scale w0 > 0 separating "small" from "large" weights, in the
	// weights' units. It has no default: it must be set when Lambda > 0.
	W0 float64
	// Select picks the parameters. The default nil is [WeightsOnly].
	Select Selector
}

// Validate reports a negative or non-finite λ, a W0 that is not positive and
// finite (W0 may be 0 only in the zero value, with λ = 0), and a
// misconfigured selector.
func (p WeightElimination) Validate() error {
	if err := checkCoef("WeightElimination Lambda", p.Lambda); err != nil {
		return err
	}
	if p.W0 < 0 || math.IsNaN(p.W0) || math.IsInf(p.W0, 0) || (p.W0 == 0 && p.Lambda != 0) {
		return errors.Wrapf(ErrConfig, "regularizers: WeightElimination W0 = %g, want > 0", p.W0)
	}
	return validateSelector(p.Select)
}

// Node returns λ·Σ (w/w0)²/(1+(w/w0)²) in b's graph, or nil if λ is 0.
func (p WeightElimination) Node(b *graph.Builder) (*G.Node, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	invW02 := 1 / (p.W0 * p.W0)
	return weighted(b, p.Select, p.Lambda, func(dt tensor.Dtype, w *G.Node) (*G.Node, error) {
		sq, err := G.Square(w)
		if err != nil {
			return nil, err
		}
		r, err := G.Mul(sq, scalar(dt, invW02)) // r = (w/w0)²
		if err != nil {
			return nil, err
		}
		den, err := G.Add(r, scalar(dt, 1))
		if err != nil {
			return nil, err
		}
		frac, err := G.HadamardDiv(r, den)
		if err != nil {
			return nil, err
		}
		return G.Sum(frac)
	})
}

func (p WeightElimination) String() string {
	return fmt.Sprintf("WeightElimination(λ=%g, w0=%g, %s)", p.Lambda, p.W0, orDefault(p.Select))
}

// checkCoef reports a coefficient that is negative, NaN or infinite.
func checkCoef(what string, x float64) error {
	if !(x >= 0) || math.IsInf(x, 1) {
		return errors.Wrapf(ErrConfig, "regularizers: %s = %g, want finite and ≥ 0", what, x)
	}
	return nil
}

// term returns a scalar node Σ f(w) over one parameter's node.
type term func(dt tensor.Dtype, w *G.Node) (*G.Node, error)

func sumSquares(_ tensor.Dtype, w *G.Node) (*G.Node, error) {
	sq, err := G.Square(w)
	if err != nil {
		return nil, err
	}
	return G.Sum(sq)
}

func sumAbs(_ tensor.Dtype, w *G.Node) (*G.Node, error) {
	a, err := G.Abs(w)
	if err != nil {
		return nil, err
	}
	return G.Sum(a)
}

// weighted returns coef · Σ_v t(v) over the selected parameters' nodes in b's
// graph, or nil if coef is 0.
func weighted(b *graph.Builder, sel Selector, coef float64, t term) (*G.Node, error) {
	if coef == 0 {
		return nil, nil
	}
	vars, err := Select(b.Store(), sel)
	if err != nil {
		return nil, err
	}
	dt := b.Dtype()
	var total *G.Node
	for _, v := range vars {
		w, err := b.Var(v)
		if err != nil {
			return nil, errors.WithMessage(err, "regularizers")
		}
		s, err := t(dt, w)
		if err != nil {
			return nil, errors.Wrapf(err, "regularizers: penalty term of %s", v.Name())
		}
		if total == nil {
			total = s
		} else if total, err = G.Add(total, s); err != nil {
			return nil, errors.Wrap(err, "regularizers: penalty sum")
		}
	}
	out, err := G.Mul(scalar(dt, coef), total)
	if err != nil {
		return nil, errors.Wrap(err, "regularizers: penalty coefficient")
	}
	return out, nil
}

// scalar returns a constant scalar node of dtype dt.
func scalar(dt tensor.Dtype, x float64) *G.Node {
	if dt == tensor.Float32 {
		return G.NewConstant(float32(x))
	}
	return G.NewConstant(x)
}
