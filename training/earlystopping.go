package training

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/pkg/errors"
)

// DefaultMonitor is the metric EarlyStopping watches when Monitor is empty.
const DefaultMonitor = "val_loss"

// EarlyStoppingConfig configures [EarlyStopping] with the names and
// semantics of Keras 3's keras.callbacks.EarlyStopping
// (keras/src/callbacks/early_stopping.py). The zero value monitors
// "val_loss" in min mode, stops at the first epoch without improvement
// (patience 0) and restores the best weights.
type EarlyStoppingConfig struct {
	// Monitor names the watched metric. Default "val_loss".
	Monitor string
	// Mode is ModeMin, ModeMax or ModeAuto (also for ""). Auto infers the
	// direction from Monitor with its "val_" prefix removed: "loss" is
	// minimised, "acc" and "accuracy" are maximised; any other name needs
	// an explicit Mode (Keras raises an error there too).
	Mode Mode
	// MinDelta is the smallest change that counts as an improvement; its
	// absolute value is used. In min mode a value v improves on the best
	// b when v + |MinDelta| < b, in max mode when v − |MinDelta| > b.
	// Default 0.
	MinDelta float64
	// Patience ≥ 0 is the number of epochs without improvement after
	// which training stops. Default 0.
	Patience int
	// Baseline, when non-nil, is a value the metric must improve on (by
	// MinDelta) for the patience counter to be reset: an epoch that
	// improves on the best so far but not on Baseline is recorded as the
	// best but does not reset the counter.
	Baseline *float64
	// StartFromEpoch ≥ 0 is the number of warm-up epochs that are ignored
	// entirely (epochs 0 … StartFromEpoch−1). Default 0.
	StartFromEpoch int
	// KeepLast turns off restoring the best weights at the end of
	// training. The default (false) restores them, which is Keras's
	// restore_best_weights=True; Keras's own default is the opposite.
	KeepLast bool
}

func (c EarlyStoppingConfig) withDefaults() EarlyStoppingConfig {
	if c.Monitor == "" {
		c.Monitor = DefaultMonitor
	}
	if c.Mode == "" {
		c.Mode = ModeAuto
	}
	c.MinDelta = math.Abs(c.MinDelta)
	return c
}

// direction resolves ModeAuto from the monitored name.
func (c EarlyStoppingConfig) direction() (Mode, error) {
	switch c.Mode {
	case ModeMin, ModeMax:
		return c.Mode, nil
	case ModeAuto:
		switch strings.TrimPrefix(c.Monitor, "val_") {
		case "loss":
			return ModeMin, nil
		case "acc", "accuracy":
			return ModeMax, nil
		}
		return "", configErr("early stopping: cannot infer whether %q should be minimised or maximised; set Mode", c.Monitor)
	}
	return "", configErr("early stopping: Mode %q must be %q, %q or %q", c.Mode, ModeAuto, ModeMin, ModeMax)
}

// Validate reports the first field out of range, after defaults apply.
func (c EarlyStoppingConfig) Validate() error {
	c = c.withDefaults()
	if _, err := c.direction(); err != nil {
		return err
	}
	switch {
	case !finite(c.MinDelta):
		return configErr("early stopping: MinDelta %v must be finite", c.MinDelta)
	case c.Patience < 0:
		return configErr("early stopping: Patience %d must be ≥ 0", c.Patience)
	case c.Baseline != nil && !finite(*c.Baseline):
		return configErr("early stopping: Baseline %v must be finite", *c.Baseline)
	case c.StartFromEpoch < 0:
		return configErr("early stopping: StartFromEpoch %d must be ≥ 0", c.StartFromEpoch)
	}
	return nil
}

// EarlyStopping decides when to stop training from one metric value per
// epoch. It is a pure state machine: it never touches a model, it tells
// the caller when the weights of an epoch become the best ones (to keep a
// copy) and when to stop.
type EarlyStopping struct {
	cfg EarlyStoppingConfig
	dir Mode
	st  EarlyStoppingState
}

// EarlyStoppingState is the serialisable state of an [EarlyStopping].
// Best is +Inf (min mode) or −Inf (max mode) until the first improvement;
// its JSON form writes those as strings.
type EarlyStoppingState struct {
	Monitor      string  // monitored metric, checked on load
	Mode         Mode    // resolved direction, checked on load
	Wait         int     // Keras's wait counter
	Best         float64 // best value so far
	BestEpoch    int     // epoch of the weights to restore, −1 if none yet
	StoppedEpoch int     // epoch at which Update said stop, −1 if none
}

type earlyStoppingStateJSON struct {
	Monitor      string    `json:"monitor"`
	Mode         Mode      `json:"mode"`
	Wait         int       `json:"wait"`
	Best         jsonFloat `json:"best"`
	BestEpoch    int       `json:"best_epoch"`
	StoppedEpoch int       `json:"stopped_epoch"`
}

// MarshalJSON implements json.Marshaler, writing non-finite Best as a
// string.
func (s EarlyStoppingState) MarshalJSON() ([]byte, error) {
	return json.Marshal(earlyStoppingStateJSON{s.Monitor, s.Mode, s.Wait, jsonFloat(s.Best), s.BestEpoch, s.StoppedEpoch})
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *EarlyStoppingState) UnmarshalJSON(b []byte) error {
	var j earlyStoppingStateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return errors.Wrap(err, "training: early stopping state")
	}
	*s = EarlyStoppingState{j.Monitor, j.Mode, j.Wait, float64(j.Best), j.BestEpoch, j.StoppedEpoch}
	return nil
}

// NewEarlyStopping returns an early-stopping state machine, or an error if
// cfg is invalid.
func NewEarlyStopping(cfg EarlyStoppingConfig) (*EarlyStopping, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	dir, _ := cfg.direction()
	return &EarlyStopping{cfg: cfg, dir: dir, st: EarlyStoppingState{
		Monitor: cfg.Monitor, Mode: dir, Best: worst(dir), BestEpoch: -1, StoppedEpoch: -1,
	}}, nil
}

// Config returns the configuration with defaults filled in.
func (e *EarlyStopping) Config() EarlyStoppingConfig { return e.cfg }

// Monitor returns the name of the watched metric.
func (e *EarlyStopping) Monitor() string { return e.cfg.Monitor }

// Mode returns the resolved direction, ModeMin or ModeMax.
func (e *EarlyStopping) Mode() Mode { return e.dir }

// RestoreBest reports whether the trainer should put back the weights of
// BestEpoch when training ends. As in Keras 3 this holds however training
// ends, by early stopping or by running out of epochs.
func (e *EarlyStopping) RestoreBest() bool { return !e.cfg.KeepLast }

// BestEpoch returns the epoch whose weights are the best so far, or −1.
func (e *EarlyStopping) BestEpoch() int { return e.st.BestEpoch }

// BestValue returns the best metric value so far: +Inf (min mode) or −Inf
// (max mode) before any improvement.
func (e *EarlyStopping) BestValue() float64 { return e.st.Best }

// Wait returns the number of monitored epochs since the counter was last
// reset.
func (e *EarlyStopping) Wait() int { return e.st.Wait }

// StoppedEpoch returns the epoch at which Update first returned stop, or
// −1.
func (e *EarlyStopping) StoppedEpoch() int { return e.st.StoppedEpoch }

// Update records the metric value of the epoch that just finished (0-based,
// Keras's on_epoch_end index) and reports whether the weights of this epoch
// are now the best ones (the caller keeps a copy when RestoreBest) and
// whether to stop. It follows Keras's on_epoch_end step by step:
//
//	if epoch < StartFromEpoch: return (ignored)
//	if restoring and no best yet: best epoch = epoch   (improved = true)
//	wait++
//	if value improves on best (by MinDelta):
//	    best = value, best epoch = epoch                (improved = true)
//	    if no Baseline or value improves on Baseline: wait = 0
//	    return (no stop check on an improving epoch)
//	if wait ≥ Patience and epoch > 0: stop
//
// improved is also true for the first monitored epoch when restoring even
// if its value is NaN or infinite: Keras keeps those weights as the best
// until something improves. A NaN value never improves on anything.
func (e *EarlyStopping) Update(epoch int, value float64) (improved, stop bool) {
	s := &e.st
	if epoch < e.cfg.StartFromEpoch {
		return false, false
	}
	if !e.cfg.KeepLast && s.BestEpoch < 0 {
		s.BestEpoch = epoch
		improved = true
	}
	s.Wait++
	if e.isImprovement(value, s.Best) {
		s.Best = value
		s.BestEpoch = epoch
		if e.cfg.Baseline == nil || e.isImprovement(value, *e.cfg.Baseline) {
			s.Wait = 0
		}
		return true, false
	}
	if s.Wait >= e.cfg.Patience && epoch > 0 {
		if s.StoppedEpoch < 0 {
			s.StoppedEpoch = epoch
		}
		return improved, true
	}
	return improved, false
}

// isImprovement is Keras's _is_improvement: monitor_op(value − min_delta,
// reference) with min_delta negated in min mode.
func (e *EarlyStopping) isImprovement(value, reference float64) bool {
	if e.dir == ModeMin {
		return value+e.cfg.MinDelta < reference
	}
	return value-e.cfg.MinDelta > reference
}

// State returns a copy of the state.
func (e *EarlyStopping) State() EarlyStoppingState { return e.st }

// LoadState replaces the state; it must come from an EarlyStopping that
// monitors the same metric in the same direction.
func (e *EarlyStopping) LoadState(s EarlyStoppingState) error {
	switch {
	case s.Monitor != e.cfg.Monitor || s.Mode != e.dir:
		return errors.WithMessagef(ErrState, "early stopping: state is for %s (%s), not %s (%s)", s.Monitor, s.Mode, e.cfg.Monitor, e.dir)
	case s.Wait < 0 || s.BestEpoch < -1 || s.StoppedEpoch < -1:
		return errors.WithMessagef(ErrState, "early stopping: bad counters in state %+v", s)
	case math.IsNaN(s.Best):
		return errors.WithMessage(ErrState, "early stopping: best value is NaN")
	}
	e.st = s
	return nil
}
