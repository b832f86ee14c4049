package training

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/pkg/errors"
)

// step is the expected outcome of one Update call.
type esStep struct {
	value          float64
	improved, stop bool
}

func ptr(x float64) *float64 { return &x }

var nan = math.NaN()

// TestEarlyStoppingScripts feeds scripted metric sequences; every expected
// outcome was worked out by hand from Keras 3's on_epoch_end (quoted in
// EarlyStopping.Update's documentation): wait++ first; an improvement
// resets wait (only if it also beats the baseline) and returns without a
// stop check; otherwise stop when wait ≥ patience and epoch > 0.
func TestEarlyStoppingScripts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       EarlyStoppingConfig
		steps     []esStep // epochs 0, 1, … (until the first stop)
		bestEpoch int
		best      float64
	}{
		{"patience 0 stops at the first non-improving epoch", EarlyStoppingConfig{},
			[]esStep{
				{1.0, true, false},  // e0: 1.0 < +Inf: best 1.0, wait 0
				{0.9, true, false},  // e1: 0.9 < 1.0: best 0.9, wait 0
				{0.95, false, true}, // e2: wait 1 ≥ 0 → stop
			}, 1, 0.9},
		{"patience 2 waits two bad epochs", EarlyStoppingConfig{Patience: 2},
			[]esStep{
				{1.0, true, false},  // e0: best 1.0
				{1.1, false, false}, // e1: wait 1 < 2
				{0.9, true, false},  // e2: best 0.9, wait 0
				{1.0, false, false}, // e3: wait 1
				{1.0, false, true},  // e4: wait 2 ≥ 2 → stop
			}, 2, 0.9},
		{"min_delta: smaller gains do not count; its sign is ignored", EarlyStoppingConfig{Patience: 2, MinDelta: -0.1},
			[]esStep{
				{1.0, true, false},   // e0: 1.0 + 0.1 < +Inf
				{0.95, false, false}, // e1: 1.05 < 1.0? no, wait 1
				{0.85, true, false},  // e2: 0.95 < 1.0: best 0.85, wait 0
				{0.8, false, false},  // e3: 0.9 < 0.85? no, wait 1
				{0.79, false, true},  // e4: 0.89 < 0.85? no, wait 2 → stop
			}, 2, 0.85},
		{"max mode inferred from val_acc; ties are not improvements", EarlyStoppingConfig{Monitor: "val_acc", Patience: 1},
			[]esStep{
				{0.5, true, false}, // e0: 0.5 > −Inf
				{0.6, true, false}, // e1: 0.6 > 0.5
				{0.6, false, true}, // e2: 0.6 > 0.6? no, wait 1 ≥ 1 → stop
			}, 1, 0.6},
		{"explicit max mode", EarlyStoppingConfig{Monitor: "f1", Mode: ModeMax, Patience: 1, MinDelta: 0.05},
			[]esStep{
				{0.5, true, false},  // e0
				{0.54, false, true}, // e1: 0.54 − 0.05 > 0.5? no, wait 1 → stop
			}, 0, 0.5},
		{"baseline never beaten: improvements do not reset wait", EarlyStoppingConfig{Patience: 2, Baseline: ptr(0.5)},
			[]esStep{
				{1.0, true, false},  // e0: best 1.0; 1.0 < 0.5? no → wait stays 1; no stop check
				{0.9, true, false},  // e1: best 0.9, wait 2, no stop check
				{0.8, true, false},  // e2: best 0.8, wait 3, no stop check
				{0.85, false, true}, // e3: wait 4 ≥ 2 → stop
			}, 2, 0.8},
		{"baseline beaten resets wait", EarlyStoppingConfig{Patience: 2, Baseline: ptr(0.5)},
			[]esStep{
				{0.6, true, false},   // e0: best 0.6, wait 1 (0.6 < 0.5? no)
				{0.4, true, false},   // e1: best 0.4 and 0.4 < 0.5: wait 0
				{0.45, false, false}, // e2: wait 1
				{0.45, false, true},  // e3: wait 2 → stop
			}, 1, 0.4},
		{"start_from_epoch ignores warm-up epochs", EarlyStoppingConfig{StartFromEpoch: 2},
			[]esStep{
				{0.1, false, false}, // e0: ignored
				{0.2, false, false}, // e1: ignored
				{3.0, true, false},  // e2: first monitored: best 3.0
				{3.5, false, true},  // e3: wait 1 ≥ 0 → stop
			}, 2, 3.0},
		{"NaN never improves; no stop at epoch 0", EarlyStoppingConfig{},
			[]esStep{
				{nan, true, false}, // e0: first monitored epoch: its weights are kept (Keras), best stays +Inf; epoch 0 never stops
				{1.0, true, false}, // e1: 1.0 < +Inf: best 1.0, wait 0
				{nan, false, true}, // e2: wait 1 → stop
			}, 1, 1.0},
		{"KeepLast: no capture of a non-improving first epoch", EarlyStoppingConfig{KeepLast: true, Patience: 1},
			[]esStep{
				{nan, false, false}, // e0: not an improvement, nothing to restore, epoch 0
				{2.0, true, false},  // e1: best 2.0
				{2.0, false, true},  // e2: wait 1 → stop
			}, 1, 2.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, err := NewEarlyStopping(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for e, s := range tc.steps {
				improved, stop := es.Update(e, s.value)
				if improved != s.improved || stop != s.stop {
					t.Errorf("epoch %d (value %v): improved %v stop %v, want %v %v (wait %d)", e, s.value, improved, stop, s.improved, s.stop, es.Wait())
				}
			}
			if es.BestEpoch() != tc.bestEpoch || es.BestValue() != tc.best {
				t.Errorf("best epoch %d value %v, want %d %v", es.BestEpoch(), es.BestValue(), tc.bestEpoch, tc.best)
			}
			if want := len(tc.steps) - 1; es.StoppedEpoch() != want {
				t.Errorf("stopped epoch %d, want %d", es.StoppedEpoch(), want)
			}
			if es.RestoreBest() == tc.cfg.KeepLast {
				t.Errorf("RestoreBest %v with KeepLast %v", es.RestoreBest(), tc.cfg.KeepLast)
			}
		})
	}
}

func TestEarlyStoppingInitialState(t *testing.T) {
	es, _ := NewEarlyStopping(EarlyStoppingConfig{})
	if es.BestEpoch() != -1 || !math.IsInf(es.BestValue(), 1) || es.StoppedEpoch() != -1 || es.Mode() != ModeMin || es.Monitor() != "val_loss" || !es.RestoreBest() {
		t.Errorf("initial state %+v, mode %v, monitor %v", es.State(), es.Mode(), es.Monitor())
	}
	acc, _ := NewEarlyStopping(EarlyStoppingConfig{Monitor: "val_accuracy"})
	if acc.Mode() != ModeMax || !math.IsInf(acc.BestValue(), -1) {
		t.Errorf("val_accuracy: mode %v best %v", acc.Mode(), acc.BestValue())
	}
	loss, _ := NewEarlyStopping(EarlyStoppingConfig{Monitor: "loss", Mode: ModeAuto})
	if loss.Mode() != ModeMin {
		t.Errorf("loss: mode %v", loss.Mode())
	}
}

// TestEarlyStoppingResume: state saved as JSON mid-run and loaded into a
// fresh EarlyStopping gives the same decisions as the uninterrupted run.
func TestEarlyStoppingResume(t *testing.T) {
	cfg := EarlyStoppingConfig{Patience: 3, MinDelta: 0.01, Baseline: ptr(0.7)}
	values := []float64{1, 0.9, 0.95, 0.6, 0.61, 0.59, 0.62, 0.63, 0.64}
	straight, _ := NewEarlyStopping(cfg)
	var want [][2]bool
	for e, v := range values {
		i, s := straight.Update(e, v)
		want = append(want, [2]bool{i, s})
	}
	first, _ := NewEarlyStopping(cfg)
	for e, v := range values[:4] {
		first.Update(e, v)
	}
	b, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	var st EarlyStoppingState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	second, _ := NewEarlyStopping(cfg)
	if err := second.LoadState(st); err != nil {
		t.Fatal(err)
	}
	for e := 4; e < len(values); e++ {
		i, s := second.Update(e, values[e])
		if [2]bool{i, s} != want[e] {
			t.Errorf("epoch %d: %v %v, want %v", e, i, s, want[e])
		}
	}
	if second.State() != straight.State() {
		t.Errorf("final state %+v, want %+v", second.State(), straight.State())
	}
	other, _ := NewEarlyStopping(EarlyStoppingConfig{Monitor: "val_acc"})
	if err := other.LoadState(st); !errors.Is(err, ErrState) {
		t.Errorf("loading a val_loss state into a val_acc stopper: %v", err)
	}
	// A state with +Inf best survives JSON.
	fresh, _ := NewEarlyStopping(cfg)
	b, _ = json.Marshal(fresh.State())
	var st2 EarlyStoppingState
	if err := json.Unmarshal(b, &st2); err != nil || st2 != fresh.State() {
		t.Errorf("JSON %s → %+v, %v", b, st2, err)
	}
}

func TestEarlyStoppingValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  EarlyStoppingConfig
		ok   bool
	}{
		{"zero value", EarlyStoppingConfig{}, true},
		{"unknown metric in auto mode", EarlyStoppingConfig{Monitor: "val_f1"}, false},
		{"unknown metric with mode", EarlyStoppingConfig{Monitor: "val_f1", Mode: ModeMax}, true},
		{"bad mode", EarlyStoppingConfig{Mode: "down"}, false},
		{"negative patience", EarlyStoppingConfig{Patience: -1}, false},
		{"NaN min delta", EarlyStoppingConfig{MinDelta: math.NaN()}, false},
		{"infinite baseline", EarlyStoppingConfig{Baseline: ptr(math.Inf(1))}, false},
		{"negative start", EarlyStoppingConfig{StartFromEpoch: -2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
			if _, nerr := NewEarlyStopping(tc.cfg); (nerr == nil) != tc.ok {
				t.Errorf("NewEarlyStopping = %v", nerr)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%v is not ErrInvalidConfig", err)
			}
		})
	}
}
