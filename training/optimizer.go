package training

import (
	"math"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Optimizer updates parameters in place from their gradients.
//
// Step validates every parameter (names, nil tensors, dtypes, shapes, and
// existing state) before it changes anything, so on error no parameter or
// state has been modified. Parameters are matched to their state by name;
// a parameter seen for the first time gets fresh state.
//
// State returns a deep copy of everything that changes during training,
// and LoadState installs such a copy; an optimizer built with the same
// configuration that loads the state of another continues bit for bit as
// the other would have.
type Optimizer interface {
	// Step applies one update to every parameter.
	Step(params []Param) error
	// LR returns the current learning rate.
	LR() float64
	// SetLR sets the learning rate for the following steps, as a
	// schedule does between epochs.
	SetLR(lr float64)
	// State returns a deep copy of the optimizer's state.
	State() OptimizerState
	// LoadState replaces the optimizer's state by a deep copy of s.
	LoadState(s OptimizerState) error
}

// Algorithm names used in [OptimizerState.Algorithm].
const (
	AlgorithmSGD   = "sgd"
	AlgorithmAdam  = "adam"
	AlgorithmAdamW = "adamw"
)

// Names of the per-parameter state slots, the first part of the keys in
// [OptimizerState.Tensors]. They are PyTorch's state_dict keys.
const (
	SlotMomentum    = "momentum_buffer" // SGD with momentum: velocity buffer
	SlotExpAvg      = "exp_avg"         // Adam, AdamW: first moment m
	SlotExpAvgSq    = "exp_avg_sq"      // Adam, AdamW: second moment v
	SlotMaxExpAvgSq = "max_exp_avg_sq"  // AMSGrad: running maximum of v
)

// OptimizerState is the serialisable state of an [Optimizer].
//
// Tensors are keyed "<slot>/<parameter name>", for example
// "momentum_buffer/fc1/W" or "exp_avg/fc1/W"; Steps counts the updates each
// parameter has received (Adam and AdamW use it for bias correction; SGD
// leaves it empty). Checkpoints store the tensors under "optimizer/" and the
// rest in their JSON metadata.
type OptimizerState struct {
	Algorithm string                   // AlgorithmSGD, AlgorithmAdam or AlgorithmAdamW
	LR        float64                  // learning rate in force
	Steps     map[string]int64         // per-parameter step counts
	Tensors   map[string]*tensor.Dense // "<slot>/<parameter name>" → state tensor
}

// slotKey returns the key of a state tensor.
func slotKey(slot, param string) string { return slot + "/" + param }

// splitSlotKey splits a state key into its slot and parameter name.
func splitSlotKey(key string) (slot, param string, ok bool) {
	slot, param, ok = strings.Cut(key, "/")
	return slot, param, ok && slot != "" && param != ""
}

// Clone returns a deep copy of s.
func (s OptimizerState) Clone() OptimizerState {
	c := OptimizerState{Algorithm: s.Algorithm, LR: s.LR}
	if s.Steps != nil {
		c.Steps = make(map[string]int64, len(s.Steps))
		for k, v := range s.Steps {
			c.Steps[k] = v
		}
	}
	if s.Tensors != nil {
		c.Tensors = make(map[string]*tensor.Dense, len(s.Tensors))
		for k, v := range s.Tensors {
			if v != nil {
				v = cloneDense(v)
			}
			c.Tensors[k] = v
		}
	}
	return c
}

// Keys returns the keys of s.Tensors in sorted order.
func (s OptimizerState) Keys() []string {
	keys := make([]string, 0, len(s.Tensors))
	for k := range s.Tensors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkStateHeader validates the parts of a state common to every
// optimizer and returns its tensors grouped by parameter and slot.
func checkStateHeader(s OptimizerState, algorithm string, slots ...string) (map[string]map[string]*tensor.Dense, error) {
	if s.Algorithm != algorithm {
		return nil, errors.WithMessagef(ErrState, "optimizer state is for %q, not %q", s.Algorithm, algorithm)
	}
	if !(s.LR > 0) || isInf(s.LR) {
		return nil, errors.WithMessagef(ErrState, "%s: learning rate %v in state", algorithm, s.LR)
	}
	allowed := make(map[string]bool, len(slots))
	for _, sl := range slots {
		allowed[sl] = true
	}
	byParam := make(map[string]map[string]*tensor.Dense)
	for _, key := range s.Keys() {
		t := s.Tensors[key]
		slot, param, ok := splitSlotKey(key)
		if !ok || !allowed[slot] {
			return nil, errors.WithMessagef(ErrState, "%s: unexpected state tensor %q", algorithm, key)
		}
		if err := checkTensor(param, slot+" state", t); err != nil {
			return nil, err
		}
		if byParam[param] == nil {
			byParam[param] = make(map[string]*tensor.Dense, len(slots))
		}
		byParam[param][slot] = t
	}
	for param, m := range byParam {
		var ref *tensor.Dense
		for _, sl := range slots {
			t := m[sl]
			if t == nil {
				continue
			}
			if ref == nil {
				ref = t
				continue
			}
			if t.Dtype() != ref.Dtype() || !sameShape(t.Shape(), ref.Shape()) {
				return nil, paramErr(param, ErrState, "state tensors disagree in shape or dtype")
			}
		}
	}
	return byParam, nil
}

func isInf(x float64) bool { return math.IsInf(x, 0) }

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
