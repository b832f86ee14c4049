package training

import (
	"encoding/json"
	"math"

	"github.com/pkg/errors"
)

// Defaults of ReduceLROnPlateau, PyTorch's.
const (
	DefaultPlateauFactor    = 0.1
	DefaultPlateauThreshold = 1e-4
	DefaultPlateauEps       = 1e-8
)

// ReduceLROnPlateauConfig configures [ReduceLROnPlateau], with the
// semantics of PyTorch 1.13's torch.optim.lr_scheduler.ReduceLROnPlateau.
//
// A zero field means its default. Two defaults differ from PyTorch's
// because zero is a meaningful value for them: Patience and Cooldown are 0
// unless set (PyTorch's Patience default is 10). Threshold 0 means 1e-4;
// math.SmallestNonzeroFloat64 behaves as no threshold.
type ReduceLROnPlateauConfig struct {
	// Mode is ModeMin (the default, also for "") when lower metrics are
	// better, ModeMax when higher are.
	Mode Mode
	// Factor in (0, 1) multiplies the learning rate at each reduction.
	// Zero means 0.1.
	Factor float64
	// Patience ≥ 0 is the number of epochs without improvement that are
	// tolerated; the learning rate drops after Patience+1 such epochs.
	// Default 0.
	Patience int
	// Threshold ≥ 0 is how much better than the best a metric must be to
	// count as an improvement; see ThresholdMode. Zero means 1e-4.
	Threshold float64
	// ThresholdMode is ThresholdRel (the default, also for ""): in min mode
	// an improvement is metric < best·(1 − Threshold); or ThresholdAbs:
	// metric < best − Threshold (mirrored in max mode).
	ThresholdMode ThresholdMode
	// Cooldown ≥ 0 is the number of epochs after a reduction during which
	// bad epochs are not counted. Default 0.
	Cooldown int
	// MinLR ≥ 0 is the floor of the learning rate. Default 0.
	MinLR float64
	// Eps ≥ 0: a reduction smaller than Eps is skipped. Zero means 1e-8.
	Eps float64
}

func (c ReduceLROnPlateauConfig) withDefaults() ReduceLROnPlateauConfig {
	if c.Mode == "" {
		c.Mode = ModeMin
	}
	if c.ThresholdMode == "" {
		c.ThresholdMode = ThresholdRel
	}
	c.Factor = orDefault(c.Factor, DefaultPlateauFactor)
	c.Threshold = orDefault(c.Threshold, DefaultPlateauThreshold)
	c.Eps = orDefault(c.Eps, DefaultPlateauEps)
	return c
}

// Validate reports the first field out of range, after defaults apply.
func (c ReduceLROnPlateauConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Mode != ModeMin && c.Mode != ModeMax:
		return configErr("plateau: Mode %q must be %q or %q", c.Mode, ModeMin, ModeMax)
	case c.ThresholdMode != ThresholdRel && c.ThresholdMode != ThresholdAbs:
		return configErr("plateau: ThresholdMode %q must be %q or %q", c.ThresholdMode, ThresholdRel, ThresholdAbs)
	case !(c.Factor > 0 && c.Factor < 1):
		return configErr("plateau: Factor %v must be in (0, 1)", c.Factor)
	case c.Patience < 0:
		return configErr("plateau: Patience %d must be ≥ 0", c.Patience)
	case !(c.Threshold >= 0) || !finite(c.Threshold):
		return configErr("plateau: Threshold %v must be ≥ 0 and finite", c.Threshold)
	case c.Cooldown < 0:
		return configErr("plateau: Cooldown %d must be ≥ 0", c.Cooldown)
	case !(c.MinLR >= 0) || !finite(c.MinLR):
		return configErr("plateau: MinLR %v must be ≥ 0 and finite", c.MinLR)
	case !(c.Eps >= 0) || !finite(c.Eps):
		return configErr("plateau: Eps %v must be ≥ 0 and finite", c.Eps)
	}
	return nil
}

// ReduceLROnPlateau lowers the learning rate when a metric stops
// improving. It is fed one metric per epoch and, like PyTorch's, changes
// the learning rate it is given rather than keeping its own:
//
//	lr, _ = plateau.Step(valLoss, opt.LR())
//	opt.SetLR(lr)
//
// Its state (best value, bad-epoch and cooldown counters) is serialisable
// with State and LoadState for resuming.
type ReduceLROnPlateau struct {
	cfg ReduceLROnPlateauConfig
	st  PlateauState
}

// PlateauState is the serialisable state of a [ReduceLROnPlateau]. Best is
// +Inf (min mode) or −Inf (max mode) before the first metric; its JSON
// form writes those as strings.
type PlateauState struct {
	Mode            Mode    // resolved mode, checked on load
	Best            float64 // best metric so far
	NumBadEpochs    int     // epochs since the best, outside cooldown
	CooldownCounter int     // epochs of cooldown left
	Epochs          int     // number of Step calls so far
}

type plateauStateJSON struct {
	Mode            Mode      `json:"mode"`
	Best            jsonFloat `json:"best"`
	NumBadEpochs    int       `json:"num_bad_epochs"`
	CooldownCounter int       `json:"cooldown_counter"`
	Epochs          int       `json:"epochs"`
}

// MarshalJSON implements json.Marshaler, writing non-finite Best as a
// string.
func (s PlateauState) MarshalJSON() ([]byte, error) {
	return json.Marshal(plateauStateJSON{s.Mode, jsonFloat(s.Best), s.NumBadEpochs, s.CooldownCounter, s.Epochs})
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *PlateauState) UnmarshalJSON(b []byte) error {
	var j plateauStateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return errors.Wrap(err, "training: plateau state")
	}
	*s = PlateauState{j.Mode, float64(j.Best), j.NumBadEpochs, j.CooldownCounter, j.Epochs}
	return nil
}

// NewReduceLROnPlateau returns a plateau scheduler, or an error if cfg is
// invalid.
func NewReduceLROnPlateau(cfg ReduceLROnPlateauConfig) (*ReduceLROnPlateau, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	p := &ReduceLROnPlateau{cfg: cfg}
	p.st = PlateauState{Mode: cfg.Mode, Best: worst(cfg.Mode)}
	return p, nil
}

// worst is the starting best value of a mode.
func worst(m Mode) float64 {
	if m == ModeMax {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// Config returns the configuration with defaults filled in.
func (p *ReduceLROnPlateau) Config() ReduceLROnPlateauConfig { return p.cfg }

// Step records the metric of the epoch that just ended and returns the
// learning rate for the next one, given the current one, and whether it
// was reduced. It is torch's ReduceLROnPlateau.step(metric):
//
//	if metric is better than best (see Threshold): best = metric, bad = 0
//	else bad++
//	if cooldown > 0: cooldown--, bad = 0
//	if bad > Patience:
//	    new = max(lr·Factor, MinLR); if lr − new > Eps: lr = new
//	    cooldown = Cooldown, bad = 0
//
// A NaN metric is never better, so it counts as a bad epoch.
func (p *ReduceLROnPlateau) Step(metric, lr float64) (newLR float64, reduced bool) {
	s := &p.st
	s.Epochs++
	if p.isBetter(metric, s.Best) {
		s.Best = metric
		s.NumBadEpochs = 0
	} else {
		s.NumBadEpochs++
	}
	if s.CooldownCounter > 0 {
		s.CooldownCounter--
		s.NumBadEpochs = 0
	}
	if s.NumBadEpochs > p.cfg.Patience {
		next := math.Max(lr*p.cfg.Factor, p.cfg.MinLR)
		if lr-next > p.cfg.Eps {
			lr, reduced = next, true
		}
		s.CooldownCounter = p.cfg.Cooldown
		s.NumBadEpochs = 0
	}
	return lr, reduced
}

func (p *ReduceLROnPlateau) isBetter(a, best float64) bool {
	t := p.cfg.Threshold
	switch {
	case p.cfg.Mode == ModeMin && p.cfg.ThresholdMode == ThresholdRel:
		return a < best*(1-t)
	case p.cfg.Mode == ModeMin:
		return a < best-t
	case p.cfg.ThresholdMode == ThresholdRel:
		return a > best*(t+1)
	default:
		return a > best+t
	}
}

// State returns a copy of the scheduler's state.
func (p *ReduceLROnPlateau) State() PlateauState { return p.st }

// LoadState replaces the scheduler's state.
func (p *ReduceLROnPlateau) LoadState(s PlateauState) error {
	switch {
	case s.Mode != p.cfg.Mode:
		return errors.WithMessagef(ErrState, "plateau: state is for mode %q, scheduler uses %q", s.Mode, p.cfg.Mode)
	case s.NumBadEpochs < 0 || s.CooldownCounter < 0 || s.Epochs < 0:
		return errors.WithMessagef(ErrState, "plateau: negative counter in state %+v", s)
	case math.IsNaN(s.Best):
		return errors.WithMessage(ErrState, "plateau: best value is NaN")
	}
	p.st = s
	return nil
}
