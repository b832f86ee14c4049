package training

import (
	"runtime"

	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/vmath"
	"github.com/gozoo/zoo/internal/workers"
)

// DefaultSGDLR is the learning rate SGD uses when SGDConfig.LR is zero.
const DefaultSGDLR = 0.01

// SGDConfig configures stochastic gradient descent, with the semantics of
// PyTorch 1.13's torch.optim.SGD (maximize=False). The zero value is plain
// SGD at learning rate 0.01.
//
// One step on a parameter w with gradient g is
//
//	d = g + λ·w                  (coupled L2, only if Param.Decay)
//	b = d                        (first step with momentum)
//	b = μ·b + (1 − τ)·d          (later steps)
//	d = d + μ·b  if Nesterov, else d = b   (only if μ ≠ 0)
//	w = w − lr·d
//
// WeightDecay is coupled L2: λ·w enters the gradient, and so the momentum
// buffer, exactly as torch.optim.SGD's weight_decay. It is the gradient of
// the penalty ½·λ·‖w‖² and is not the decoupled decay of [AdamW].
type SGDConfig struct {
	// LR is the learning rate, > 0. Zero means DefaultSGDLR (0.01).
	LR float64
	// Momentum μ ≥ 0. Zero (the default) keeps no velocity buffer.
	Momentum float64
	// Dampening τ in [0, 1] scales the new gradient in the momentum
	// update by 1 − τ. Default 0.
	Dampening float64
	// Nesterov enables Nesterov momentum; it needs Momentum > 0 and
	// Dampening 0, as in PyTorch.
	Nesterov bool
	// WeightDecay λ ≥ 0 is the coupled L2 coefficient applied to
	// parameters with Decay set. Default 0.
	WeightDecay float64
}

func (c SGDConfig) withDefaults() SGDConfig {
	if c.LR == 0 {
		c.LR = DefaultSGDLR
	}
	return c
}

// Validate reports the first field out of range, after defaults apply.
func (c SGDConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case !(c.LR > 0) || !finite(c.LR):
		return configErr("sgd: LR %v must be positive and finite", c.LR)
	case !(c.Momentum >= 0) || !finite(c.Momentum):
		return configErr("sgd: Momentum %v must be ≥ 0 and finite", c.Momentum)
	case !(c.Dampening >= 0 && c.Dampening <= 1):
		return configErr("sgd: Dampening %v must be in [0, 1]", c.Dampening)
	case !(c.WeightDecay >= 0) || !finite(c.WeightDecay):
		return configErr("sgd: WeightDecay %v must be ≥ 0 and finite", c.WeightDecay)
	case c.Nesterov && (c.Momentum == 0 || c.Dampening != 0):
		return configErr("sgd: Nesterov needs Momentum > 0 and Dampening 0 (have %v and %v)", c.Momentum, c.Dampening)
	}
	return nil
}

// SGD is stochastic gradient descent with optional momentum and coupled L2,
// configured by [SGDConfig].
type SGD struct {
	cfg SGDConfig
	lr  float64
	buf map[string]*tensor.Dense // momentum buffers by parameter name
}

var _ Optimizer = (*SGD)(nil)

// NewSGD returns an SGD optimizer, or an error if cfg is invalid.
func NewSGD(cfg SGDConfig) (*SGD, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &SGD{cfg: cfg, lr: cfg.LR, buf: make(map[string]*tensor.Dense)}, nil
}

// Config returns the configuration with defaults filled in.
func (o *SGD) Config() SGDConfig { return o.cfg }

// LR returns the current learning rate.
func (o *SGD) LR() float64 { return o.lr }

// SetLR sets the learning rate of the following steps.
func (o *SGD) SetLR(lr float64) { o.lr = lr }

// Step applies one SGD update to every parameter; see [SGDConfig] for the
// formula. On error nothing has been changed.
func (o *SGD) Step(params []Param) error {
	if err := checkParams(params); err != nil {
		return err
	}
	if !(o.lr > 0) || !finite(o.lr) {
		return configErr("sgd: learning rate %v must be positive and finite", o.lr)
	}
	for _, p := range params {
		if b, ok := o.buf[p.Name]; ok {
			if err := checkSlot(p, SlotMomentum, b); err != nil {
				return err
			}
		}
	}
	for _, p := range params {
		wd := 0.0
		if p.Decay {
			wd = o.cfg.WeightDecay
		}
		b, seen := o.buf[p.Name]
		if o.cfg.Momentum != 0 && !seen {
			b = zerosLike(p.Value)
			o.buf[p.Name] = b
		}
		c := sgdCoef{lr: o.lr, momentum: o.cfg.Momentum, dampening: o.cfg.Dampening, wd: wd, nesterov: o.cfg.Nesterov, first: !seen}
		if p.Value.Dtype() == tensor.Float32 {
			splitUpdate(c, floats[float32](p.Value), floats[float32](p.Grad), bufData[float32](b), sgdUpdate[float32])
		} else {
			splitUpdate(c, floats[float64](p.Value), floats[float64](p.Grad), bufData[float64](b), sgdUpdate[float64])
		}
	}
	return nil
}

// bufData returns the data of an optional state tensor.
func bufData[T float](t *tensor.Dense) []T {
	if t == nil {
		return nil
	}
	return floats[T](t)
}

// minSplit is the parameter size (in elements) from which an update is
// split between goroutines: an update streams several arrays of this size
// through memory, and the second core's share only pays on large ones.
const minSplit = 1 << 16

// splitUpdate applies update to w, g and the optional state b, in ranges
// spread over GOMAXPROCS goroutines if w is large. Every element's update
// is independent of the others, so the bits do not depend on the split.
func splitUpdate[T float, C any](c C, w, g, b []T, update func(C, []T, []T, []T)) {
	workers.For(runtime.GOMAXPROCS(0), len(w), minSplit, func(lo, hi int) {
		var bs []T
		if b != nil {
			bs = b[lo:hi]
		}
		update(c, w[lo:hi], g[lo:hi], bs)
	})
}

type sgdCoef struct {
	lr, momentum, dampening, wd float64
	nesterov, first             bool
}

// sgdUpdate is torch.optim.SGD's _single_tensor_sgd for one parameter. The
// hyperparameters are rounded to T, as PyTorch does for float32 tensors.
//
// The common cases, no momentum, or momentum after the first step without
// Nesterov, run vmath's vectorised kernels; they compute exactly what
// sgdGeneral computes, operation for operation.
func sgdUpdate[T float](c sgdCoef, w, g, b []T) {
	negLR, wd, mu, keep := T(-c.lr), T(c.wd), T(c.momentum), T(1-c.dampening)
	switch {
	case c.momentum == 0 && c.wd == 0:
		vmath.SGD(w, g, negLR)
	case c.momentum == 0:
		vmath.SGDDecay(w, g, negLR, wd)
	case c.first || c.nesterov:
		sgdGeneral(c, w, g, b)
	case c.wd == 0:
		vmath.Momentum(w, g, b, negLR, mu, keep)
	default:
		vmath.MomentumDecay(w, g, b, negLR, wd, mu, keep)
	}
}

// sgdGeneral is sgdUpdate for any coefficients, one Go loop.
func sgdGeneral[T float](c sgdCoef, w, g, b []T) {
	negLR, wd, mu, keep := T(-c.lr), T(c.wd), T(c.momentum), T(1-c.dampening)
	g = g[:len(w)]
	for i := range w {
		d := g[i]
		if c.wd != 0 {
			d += wd * w[i]
		}
		if c.momentum != 0 {
			if c.first {
				b[i] = d
			} else {
				b[i] = b[i]*mu + keep*d
			}
			if c.nesterov {
				d += mu * b[i]
			} else {
				d = b[i]
			}
		}
		w[i] += negLR * d
	}
}

// State returns a deep copy of the momentum buffers and learning rate.
func (o *SGD) State() OptimizerState {
	s := OptimizerState{Algorithm: AlgorithmSGD, LR: o.lr, Tensors: make(map[string]*tensor.Dense, len(o.buf))}
	for name, b := range o.buf {
		s.Tensors[slotKey(SlotMomentum, name)] = cloneDense(b)
	}
	return s
}

// LoadState replaces the momentum buffers and learning rate by copies of
// those in s.
func (o *SGD) LoadState(s OptimizerState) error {
	byParam, err := checkStateHeader(s, AlgorithmSGD, SlotMomentum)
	if err != nil {
		return err
	}
	buf := make(map[string]*tensor.Dense, len(byParam))
	for name, m := range byParam {
		buf[name] = cloneDense(m[SlotMomentum])
	}
	o.buf, o.lr = buf, s.LR
	return nil
}
