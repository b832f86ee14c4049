package training

import "math"

// Schedule gives the learning rate of each epoch as a pure function of the
// epoch index and the base (initial) learning rate, so that a resumed run
// needs no schedule state: LR(epoch, base) is the learning rate to use
// while training epoch (0-based), and LR(0, base) == base.
//
// This is PyTorch's convention when scheduler.step() is called once at the
// end of every epoch: the learning rate during epoch e is the one after e
// calls of step(). The implementations repeat PyTorch 1.13's recursive
// (chainable) update e times rather than using a closed form, so their
// values agree with PyTorch's to the last bit or two.
//
// Schedules are small value types with a Validate method; LR on an invalid
// schedule, or for a negative epoch, returns base unchanged.
type Schedule interface {
	LR(epoch int, base float64) float64
}

var (
	_ Schedule = Constant{}
	_ Schedule = StepLR{}
	_ Schedule = ExponentialLR{}
	_ Schedule = CosineAnnealingLR{}
)

// Constant keeps the base learning rate.
type Constant struct{}

// LR returns base.
func (Constant) LR(epoch int, base float64) float64 { return base }

// Validate returns nil.
func (Constant) Validate() error { return nil }

// DefaultStepGamma is StepLR's decay factor when Gamma is zero, PyTorch's.
const DefaultStepGamma = 0.1

// StepLR multiplies the learning rate by Gamma every StepSize epochs, as
// torch.optim.lr_scheduler.StepLR: LR(e) = base·Gamma^⌊e/StepSize⌋.
type StepLR struct {
	// StepSize is the period in epochs, > 0. It has no default (PyTorch
	// requires it too).
	StepSize int
	// Gamma in (0, 1] is the factor. Zero means 0.1.
	Gamma float64
}

// Validate reports a non-positive StepSize or a Gamma outside (0, 1].
func (s StepLR) Validate() error {
	g := orDefault(s.Gamma, DefaultStepGamma)
	switch {
	case s.StepSize <= 0:
		return configErr("step schedule: StepSize %d must be positive", s.StepSize)
	case !(g > 0 && g <= 1):
		return configErr("step schedule: Gamma %v must be in (0, 1]", g)
	}
	return nil
}

// LR returns the learning rate of the given epoch.
func (s StepLR) LR(epoch int, base float64) float64 {
	if s.Validate() != nil || epoch <= 0 {
		return base
	}
	g := orDefault(s.Gamma, DefaultStepGamma)
	lr := base
	for k := epoch / s.StepSize; k > 0; k-- {
		lr *= g
	}
	return lr
}

// ExponentialLR multiplies the learning rate by Gamma every epoch, as
// torch.optim.lr_scheduler.ExponentialLR: LR(e) = base·Gamma^e.
type ExponentialLR struct {
	// Gamma in (0, 1] is the factor per epoch. It has no default.
	Gamma float64
}

// Validate reports a Gamma outside (0, 1].
func (s ExponentialLR) Validate() error {
	if !(s.Gamma > 0 && s.Gamma <= 1) {
		return configErr("exponential schedule: Gamma %v must be in (0, 1]", s.Gamma)
	}
	return nil
}

// LR returns the learning rate of the given epoch.
func (s ExponentialLR) LR(epoch int, base float64) float64 {
	if s.Validate() != nil || epoch <= 0 {
		return base
	}
	lr := base
	for range epoch {
		lr *= s.Gamma
	}
	return lr
}

// CosineAnnealingLR follows half a cosine from base down to EtaMin over
// TMax epochs, as torch.optim.lr_scheduler.CosineAnnealingLR:
//
//	LR(e) = EtaMin + (base − EtaMin)·(1 + cos(π·e/TMax))/2
//
// After TMax epochs the curve continues as the cosine does, rising back to
// base at 2·TMax (PyTorch's behaviour; it does not restart or stay flat).
// The value is computed with PyTorch's recursive form, step by step.
type CosineAnnealingLR struct {
	// TMax is the half period in epochs, > 0. It has no default.
	TMax int
	// EtaMin ≥ 0 is the minimum learning rate. Default 0.
	EtaMin float64
}

// Validate reports a non-positive TMax or a negative EtaMin.
func (s CosineAnnealingLR) Validate() error {
	switch {
	case s.TMax <= 0:
		return configErr("cosine schedule: TMax %d must be positive", s.TMax)
	case !(s.EtaMin >= 0) || !finite(s.EtaMin):
		return configErr("cosine schedule: EtaMin %v must be ≥ 0 and finite", s.EtaMin)
	}
	return nil
}

// LR returns the learning rate of the given epoch.
func (s CosineAnnealingLR) LR(epoch int, base float64) float64 {
	if s.Validate() != nil || epoch <= 0 {
		return base
	}
	T := float64(s.TMax)
	lr := base
	for e := 1; e <= epoch; e++ {
		if (e-1-s.TMax)%(2*s.TMax) == 0 {
			lr = lr + (base-s.EtaMin)*(1-math.Cos(math.Pi/T))/2
			continue
		}
		lr = (1+math.Cos(math.Pi*float64(e)/T))/(1+math.Cos(math.Pi*float64(e-1)/T))*(lr-s.EtaMin) + s.EtaMin
	}
	return lr
}
