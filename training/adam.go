package training

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Defaults of Adam and AdamW, PyTorch's.
const (
	DefaultAdamLR           = 1e-3
	DefaultAdamBeta1        = 0.9
	DefaultAdamBeta2        = 0.999
	DefaultAdamEps          = 1e-8
	DefaultAdamWWeightDecay = 1e-2
)

// AdamConfig configures Adam (Kingma & Ba, 2015) with the semantics of
// PyTorch 1.13's torch.optim.Adam (maximize=False, the single-tensor
// path). The zero value is Adam with lr 0.001, β = (0.9, 0.999), ε = 1e-8
// and no weight decay.
//
// At step t (counted per parameter from 1), for w with gradient g:
//
//	g = g + λ·w                      (coupled L2, only if Param.Decay)
//	m = β1·m + (1 − β1)·g
//	v = β2·v + (1 − β2)·g·g
//	v̂ = max(v̂, v) if AMSGrad, else v̂ = v
//	w = w − (lr / (1 − β1^t)) · m / (√v̂ / √(1 − β2^t) + ε)
//
// Note where ε enters: it is added after the bias correction of √v̂, as
// PyTorch does, not to √v̂ before it (the paper's form differs slightly).
//
// WeightDecay is coupled L2, like torch.optim.Adam's weight_decay: λ·w is
// added to the gradient and so is rescaled by 1/√v̂ with it. For the
// decoupled decay of Loshchilov & Hutter use [AdamW].
//
// A zero field means its default, so β1 = 0 cannot be written as 0; use
// math.SmallestNonzeroFloat64, which gives bit for bit the same updates as
// β1 = 0 would.
type AdamConfig struct {
	// LR is the learning rate, > 0. Zero means 0.001.
	LR float64
	// Beta1 in [0, 1) is the decay of the first moment. Zero means 0.9.
	Beta1 float64
	// Beta2 in [0, 1) is the decay of the second moment. Zero means 0.999.
	Beta2 float64
	// Eps > 0 is added to the bias-corrected √v̂. Zero means 1e-8.
	Eps float64
	// WeightDecay λ ≥ 0 is the coupled L2 coefficient applied to
	// parameters with Decay set. Default 0.
	WeightDecay float64
	// AMSGrad uses the running maximum of v (Reddi et al., 2018).
	AMSGrad bool
}

// AdamWConfig configures AdamW with the semantics of PyTorch 1.13's
// torch.optim.AdamW. It is [AdamConfig]'s update with the weight decay
// moved out of the gradient: before the Adam step, every parameter with
// Decay set is shrunk as
//
//	w = w · (1 − lr·λ)
//
// (decoupled weight decay, Loshchilov & Hutter, ICLR 2019), and the
// gradient is used as it is. The decay follows the current learning rate,
// so a schedule scales it too, as in PyTorch. The zero value is AdamW with
// lr 0.001, β = (0.9, 0.999), ε = 1e-8 and λ = 0.01.
//
// Zero fields mean their defaults; for λ = 0 use [Adam], which then makes
// the same updates, or math.SmallestNonzeroFloat64.
type AdamWConfig struct {
	// LR is the learning rate, > 0. Zero means 0.001.
	LR float64
	// Beta1 in [0, 1) is the decay of the first moment. Zero means 0.9.
	Beta1 float64
	// Beta2 in [0, 1) is the decay of the second moment. Zero means 0.999.
	Beta2 float64
	// Eps > 0 is added to the bias-corrected √v̂. Zero means 1e-8.
	Eps float64
	// WeightDecay λ ≥ 0 is the decoupled decay rate applied to parameters
	// with Decay set. Zero means 0.01.
	WeightDecay float64
	// AMSGrad uses the running maximum of v (Reddi et al., 2018).
	AMSGrad bool
}

func (c AdamConfig) withDefaults() AdamConfig {
	c.LR = orDefault(c.LR, DefaultAdamLR)
	c.Beta1 = orDefault(c.Beta1, DefaultAdamBeta1)
	c.Beta2 = orDefault(c.Beta2, DefaultAdamBeta2)
	c.Eps = orDefault(c.Eps, DefaultAdamEps)
	return c
}

func (c AdamWConfig) withDefaults() AdamWConfig {
	c.LR = orDefault(c.LR, DefaultAdamLR)
	c.Beta1 = orDefault(c.Beta1, DefaultAdamBeta1)
	c.Beta2 = orDefault(c.Beta2, DefaultAdamBeta2)
	c.Eps = orDefault(c.Eps, DefaultAdamEps)
	c.WeightDecay = orDefault(c.WeightDecay, DefaultAdamWWeightDecay)
	return c
}

func orDefault(x, def float64) float64 {
	if x == 0 {
		return def
	}
	return x
}

// Validate reports the first field out of range, after defaults apply.
func (c AdamConfig) Validate() error {
	c = c.withDefaults()
	return validateAdam(AlgorithmAdam, c.LR, c.Beta1, c.Beta2, c.Eps, c.WeightDecay)
}

// Validate reports the first field out of range, after defaults apply.
func (c AdamWConfig) Validate() error {
	c = c.withDefaults()
	return validateAdam(AlgorithmAdamW, c.LR, c.Beta1, c.Beta2, c.Eps, c.WeightDecay)
}

func validateAdam(algo string, lr, beta1, beta2, eps, wd float64) error {
	switch {
	case !(lr > 0) || !finite(lr):
		return configErr("%s: LR %v must be positive and finite", algo, lr)
	case !(beta1 >= 0 && beta1 < 1):
		return configErr("%s: Beta1 %v must be in [0, 1)", algo, beta1)
	case !(beta2 >= 0 && beta2 < 1):
		return configErr("%s: Beta2 %v must be in [0, 1)", algo, beta2)
	case !(eps > 0) || !finite(eps):
		return configErr("%s: Eps %v must be positive and finite", algo, eps)
	case !(wd >= 0) || !finite(wd):
		return configErr("%s: WeightDecay %v must be ≥ 0 and finite", algo, wd)
	}
	return nil
}

// Adam is the Adam optimizer with coupled L2, configured by [AdamConfig].
type Adam struct {
	cfg  AdamConfig
	core adamCore
}

// AdamW is Adam with decoupled weight decay, configured by [AdamWConfig].
type AdamW struct {
	cfg  AdamWConfig
	core adamCore
}

var (
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*AdamW)(nil)
)

// NewAdam returns an Adam optimizer, or an error if cfg is invalid.
func NewAdam(cfg AdamConfig) (*Adam, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Adam{cfg: cfg, core: adamCore{
		algo: AlgorithmAdam, lr: cfg.LR, beta1: cfg.Beta1, beta2: cfg.Beta2, eps: cfg.Eps,
		wd: cfg.WeightDecay, amsgrad: cfg.AMSGrad, state: make(map[string]*adamSlots),
	}}, nil
}

// NewAdamW returns an AdamW optimizer, or an error if cfg is invalid.
func NewAdamW(cfg AdamWConfig) (*AdamW, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &AdamW{cfg: cfg, core: adamCore{
		algo: AlgorithmAdamW, lr: cfg.LR, beta1: cfg.Beta1, beta2: cfg.Beta2, eps: cfg.Eps,
		wd: cfg.WeightDecay, amsgrad: cfg.AMSGrad, decoupled: true, state: make(map[string]*adamSlots),
	}}, nil
}

// Config returns the configuration with defaults filled in.
func (o *Adam) Config() AdamConfig { return o.cfg }

// LR returns the current learning rate.
func (o *Adam) LR() float64 { return o.core.lr }

// SetLR sets the learning rate of the following steps.
func (o *Adam) SetLR(lr float64) { o.core.lr = lr }

// Step applies one Adam update to every parameter; see [AdamConfig] for
// the formula. On error nothing has been changed.
func (o *Adam) Step(params []Param) error { return o.core.step(params) }

// State returns a deep copy of the moments, step counts and learning rate.
func (o *Adam) State() OptimizerState { return o.core.stateCopy() }

// LoadState replaces the moments, step counts and learning rate by copies
// of those in s.
func (o *Adam) LoadState(s OptimizerState) error { return o.core.load(s) }

// Config returns the configuration with defaults filled in.
func (o *AdamW) Config() AdamWConfig { return o.cfg }

// LR returns the current learning rate.
func (o *AdamW) LR() float64 { return o.core.lr }

// SetLR sets the learning rate of the following steps; the decoupled
// decay w·(1 − lr·λ) uses it too.
func (o *AdamW) SetLR(lr float64) { o.core.lr = lr }

// Step applies one AdamW update to every parameter; see [AdamWConfig] for
// the formula. On error nothing has been changed.
func (o *AdamW) Step(params []Param) error { return o.core.step(params) }

// State returns a deep copy of the moments, step counts and learning rate.
func (o *AdamW) State() OptimizerState { return o.core.stateCopy() }

// LoadState replaces the moments, step counts and learning rate by copies
// of those in s.
func (o *AdamW) LoadState(s OptimizerState) error { return o.core.load(s) }

// adamCore implements Adam and AdamW.
type adamCore struct {
	algo                      string
	lr, beta1, beta2, eps, wd float64
	amsgrad, decoupled        bool
	state                     map[string]*adamSlots
}

// adamSlots is the state of one parameter.
type adamSlots struct {
	m, v, vmax *tensor.Dense
	step       int64
}

// adamCoef holds the scalars of one parameter's update, computed in
// float64 as PyTorch computes them in Python.
type adamCoef struct {
	beta1, beta2, eps float64
	coupledWD         float64 // λ added to the gradient (Adam), else 0
	shrink            float64 // 1 − lr·λ (AdamW), else 1
	stepSize          float64 // lr / (1 − β1^t)
	bc2Sqrt           float64 // √(1 − β2^t)
}

func (a *adamCore) step(params []Param) error {
	if err := checkParams(params); err != nil {
		return err
	}
	if !(a.lr > 0) || !finite(a.lr) {
		return configErr("%s: learning rate %v must be positive and finite", a.algo, a.lr)
	}
	for _, p := range params {
		s, ok := a.state[p.Name]
		if !ok {
			continue
		}
		if err := a.checkSlots(p, s); err != nil {
			return err
		}
	}
	for _, p := range params {
		s, ok := a.state[p.Name]
		if !ok {
			s = &adamSlots{m: zerosLike(p.Value), v: zerosLike(p.Value)}
			if a.amsgrad {
				s.vmax = zerosLike(p.Value)
			}
			a.state[p.Name] = s
		}
		s.step++
		t := float64(s.step)
		c := adamCoef{
			beta1: a.beta1, beta2: a.beta2, eps: a.eps, shrink: 1,
			stepSize: a.lr / (1 - math.Pow(a.beta1, t)),
			bc2Sqrt:  math.Sqrt(1 - math.Pow(a.beta2, t)),
		}
		if p.Decay && a.decoupled {
			c.shrink = 1 - a.lr*a.wd
		}
		if p.Decay && !a.decoupled {
			c.coupledWD = a.wd
		}
		if p.Value.Dtype() == tensor.Float32 {
			adamUpdate(c, floats[float32](p.Value), floats[float32](p.Grad),
				floats[float32](s.m), floats[float32](s.v), bufData[float32](s.vmax))
		} else {
			adamUpdate(c, floats[float64](p.Value), floats[float64](p.Grad),
				floats[float64](s.m), floats[float64](s.v), bufData[float64](s.vmax))
		}
	}
	return nil
}

func (a *adamCore) checkSlots(p Param, s *adamSlots) error {
	if err := checkSlot(p, SlotExpAvg, s.m); err != nil {
		return err
	}
	if err := checkSlot(p, SlotExpAvgSq, s.v); err != nil {
		return err
	}
	if a.amsgrad {
		return checkSlot(p, SlotMaxExpAvgSq, s.vmax)
	}
	return nil
}

// adamUpdate is torch.optim.Adam's and AdamW's _single_tensor_adam(w) for
// one parameter, operation for operation: each scalar is rounded to T and
// products and quotients are formed in PyTorch's order.
func adamUpdate[T float](c adamCoef, w, g, m, v, vmax []T) {
	b1, omb1 := T(c.beta1), T(1-c.beta1)
	b2, omb2 := T(c.beta2), T(1-c.beta2)
	wd, shrink := T(c.coupledWD), T(c.shrink)
	negStep, bc2, eps := T(-c.stepSize), T(c.bc2Sqrt), T(c.eps)
	for i := range w {
		gi := g[i]
		if c.coupledWD != 0 {
			gi += wd * w[i] // grad.add(param, alpha=weight_decay)
		}
		if c.shrink != 1 {
			w[i] *= shrink // param.mul_(1 - lr * weight_decay)
		}
		m[i] = m[i]*b1 + omb1*gi
		v[i] = v[i]*b2 + omb2*gi*gi
		vi := v[i]
		if vmax != nil {
			if vi > vmax[i] || vi != vi { // torch.maximum propagates NaN
				vmax[i] = vi
			}
			vi = vmax[i]
		}
		denom := T(math.Sqrt(float64(vi)))/bc2 + eps
		w[i] += negStep * m[i] / denom // param.addcdiv_(exp_avg, denom, value=-step_size)
	}
}

func (a *adamCore) stateCopy() OptimizerState {
	s := OptimizerState{
		Algorithm: a.algo, LR: a.lr,
		Steps:   make(map[string]int64, len(a.state)),
		Tensors: make(map[string]*tensor.Dense, 3*len(a.state)),
	}
	for name, sl := range a.state {
		s.Steps[name] = sl.step
		s.Tensors[slotKey(SlotExpAvg, name)] = cloneDense(sl.m)
		s.Tensors[slotKey(SlotExpAvgSq, name)] = cloneDense(sl.v)
		if sl.vmax != nil {
			s.Tensors[slotKey(SlotMaxExpAvgSq, name)] = cloneDense(sl.vmax)
		}
	}
	return s
}

func (a *adamCore) load(s OptimizerState) error {
	slots := []string{SlotExpAvg, SlotExpAvgSq}
	if a.amsgrad {
		slots = append(slots, SlotMaxExpAvgSq)
	}
	byParam, err := checkStateHeader(s, a.algo, slots...)
	if err != nil {
		return err
	}
	state := make(map[string]*adamSlots, len(byParam))
	for name, m := range byParam {
		for _, sl := range slots {
			if m[sl] == nil {
				return paramErr(name, ErrState, "%s: %s state is missing", a.algo, sl)
			}
		}
		step, ok := s.Steps[name]
		if !ok || step < 1 {
			return paramErr(name, ErrState, "%s: step count %d missing or < 1", a.algo, step)
		}
		st := &adamSlots{m: cloneDense(m[SlotExpAvg]), v: cloneDense(m[SlotExpAvgSq]), step: step}
		if a.amsgrad {
			st.vmax = cloneDense(m[SlotMaxExpAvgSq])
		}
		state[name] = st
	}
	for name := range s.Steps {
		if _, ok := byParam[name]; !ok {
			return errors.WithMessagef(ErrState, "%s: step count for %q without state tensors", a.algo, name)
		}
	}
	a.state, a.lr = state, s.LR
	return nil
}
