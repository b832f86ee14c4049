package training

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/pkg/errors"
)

// TestSchedulesClosedForm compares the recursive implementations with the
// closed forms in their documentation over 30 epochs, past TMax for the
// cosine (which goes on as a cosine, back up to base at 2·TMax).
func TestSchedulesClosedForm(t *testing.T) {
	const base = 0.3
	for _, tc := range []struct {
		name   string
		s      Schedule
		closed func(e int) float64
	}{
		{"constant", Constant{}, func(int) float64 { return base }},
		{"step default gamma", StepLR{StepSize: 4}, func(e int) float64 { return base * math.Pow(0.1, float64(e/4)) }},
		{"step", StepLR{StepSize: 1, Gamma: 0.7}, func(e int) float64 { return base * math.Pow(0.7, float64(e)) }},
		{"exponential", ExponentialLR{Gamma: 0.95}, func(e int) float64 { return base * math.Pow(0.95, float64(e)) }},
		{"cosine", CosineAnnealingLR{TMax: 7, EtaMin: 0.01}, func(e int) float64 {
			return 0.01 + (base-0.01)*(1+math.Cos(math.Pi*float64(e)/7))/2
		}},
		{"cosine to zero", CosineAnnealingLR{TMax: 5}, func(e int) float64 {
			return base * (1 + math.Cos(math.Pi*float64(e)/5)) / 2
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for e := 0; e < 30; e++ {
				got, want := tc.s.LR(e, base), tc.closed(e)
				// Absolute tolerance relative to base: the cosine passes
				// through EtaMin, where relative errors of the recursion
				// are meaningless.
				if math.Abs(got-want) > 1e-12*base {
					t.Errorf("epoch %d: %v, want %v", e, got, want)
				}
			}
			if got := tc.s.LR(0, base); got != base {
				t.Errorf("LR(0) = %v, want base", got)
			}
		})
	}
	// The cosine reaches EtaMin exactly at TMax and base again at 2·TMax.
	c := CosineAnnealingLR{TMax: 4, EtaMin: 0.001}
	if got := c.LR(4, 0.1); got != 0.001 {
		t.Errorf("cosine at TMax: %v", got)
	}
	if got := c.LR(8, 0.1); math.Abs(got-0.1) > 1e-15 {
		t.Errorf("cosine at 2·TMax: %v", got)
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    interface {
			Schedule
			Validate() error
		}
		ok bool
	}{
		{"step ok", StepLR{StepSize: 3}, true},
		{"step zero size", StepLR{}, false},
		{"step gamma > 1", StepLR{StepSize: 1, Gamma: 1.5}, false},
		{"step negative gamma", StepLR{StepSize: 1, Gamma: -0.5}, false},
		{"exponential zero", ExponentialLR{}, false},
		{"exponential one", ExponentialLR{Gamma: 1}, true},
		{"cosine zero", CosineAnnealingLR{}, false},
		{"cosine negative eta", CosineAnnealingLR{TMax: 3, EtaMin: -1}, false},
		{"constant", Constant{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("%v is not ErrInvalidConfig", err)
				}
				if got := tc.s.LR(5, 0.2); got != 0.2 {
					t.Errorf("invalid schedule LR = %v, want base", got)
				}
			}
			if got := tc.s.LR(-1, 0.2); got != 0.2 {
				t.Errorf("LR(-1) = %v, want base", got)
			}
		})
	}
}

// TestPlateauScripts: outcomes worked out by hand from PyTorch's
// ReduceLROnPlateau.step (quoted in Step's documentation).
func TestPlateauScripts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     ReduceLROnPlateauConfig
		lr      float64
		metrics []float64
		want    []float64 // lr after each step
	}{
		{"cooldown suspends counting", ReduceLROnPlateauConfig{Factor: 0.5, Cooldown: 2}, 0.1,
			// e0 best 1; e1 bad 1 > 0 → 0.05, cooldown 2; e2, e3 in
			// cooldown (bad reset); e4 bad 1 → 0.025; e5 cooldown.
			[]float64{1, 1, 1, 1, 1, 1},
			[]float64{0.1, 0.05, 0.05, 0.05, 0.025, 0.025}},
		{"max mode, absolute threshold", ReduceLROnPlateauConfig{Mode: ModeMax, ThresholdMode: ThresholdAbs, Threshold: 0.1, Patience: 1}, 1,
			// e0 best 0.5; e1 0.55 > 0.6? no, bad 1; e2 0.7 > 0.6: best;
			// e3 bad 1; e4 bad 2 > 1 → 1·0.1.
			[]float64{0.5, 0.55, 0.7, 0.75, 0.79},
			[]float64{1, 1, 1, 1, 0.1}},
		{"min lr floor, then no change", ReduceLROnPlateauConfig{Factor: 0.5, MinLR: 0.03}, 0.1,
			// e1 → 0.05; e2 → max(0.025, 0.03) = 0.03; e3: max(0.015,
			// 0.03) = 0.03, a change of 0 ≤ eps: kept.
			[]float64{2, 2, 2, 2},
			[]float64{0.1, 0.05, 0.03, 0.03}},
		{"reductions below eps are skipped", ReduceLROnPlateauConfig{Factor: 0.5, Eps: 0.01}, 0.015,
			// e1: 0.015 − 0.0075 = 0.0075 ≤ 0.01: kept.
			[]float64{1, 1},
			[]float64{0.015, 0.015}},
		{"NaN counts as a bad epoch", ReduceLROnPlateauConfig{Factor: 0.5, Patience: 1}, 0.1,
			[]float64{1, nan, nan},
			[]float64{0.1, 0.1, 0.05}},
		{"relative threshold", ReduceLROnPlateauConfig{Factor: 0.5, Threshold: 0.1}, 0.1,
			// e1: 0.95 < 1·0.9? no → bad 1 > 0 → 0.05; e2: 0.85 < 0.9:
			// best 0.85; e3: 0.8 < 0.765? no → 0.025.
			[]float64{1, 0.95, 0.85, 0.8},
			[]float64{0.1, 0.05, 0.05, 0.025}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewReduceLROnPlateau(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			lr := tc.lr
			for e, m := range tc.metrics {
				prev := lr
				var reduced bool
				lr, reduced = p.Step(m, lr)
				if lr != tc.want[e] {
					t.Errorf("epoch %d: lr %v, want %v", e, lr, tc.want[e])
				}
				if reduced != (lr != prev) {
					t.Errorf("epoch %d: reduced %v but lr %v → %v", e, reduced, prev, lr)
				}
			}
		})
	}
}

func TestPlateauStateResume(t *testing.T) {
	cfg := ReduceLROnPlateauConfig{Factor: 0.5, Patience: 1, Cooldown: 1}
	metrics := []float64{1, 0.9, 0.95, 0.97, 0.96, 0.8, 0.85, 0.9, 0.91}
	straight, _ := NewReduceLROnPlateau(cfg)
	lr := 0.1
	var want []float64
	for _, m := range metrics {
		lr, _ = straight.Step(m, lr)
		want = append(want, lr)
	}
	first, _ := NewReduceLROnPlateau(cfg)
	lr = 0.1
	for _, m := range metrics[:4] {
		lr, _ = first.Step(m, lr)
	}
	b, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	var st PlateauState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	second, _ := NewReduceLROnPlateau(cfg)
	if err := second.LoadState(st); err != nil {
		t.Fatal(err)
	}
	for e := 4; e < len(metrics); e++ {
		lr, _ = second.Step(metrics[e], lr)
		if lr != want[e] {
			t.Errorf("epoch %d: %v, want %v", e, lr, want[e])
		}
	}
	if second.State() != straight.State() {
		t.Errorf("state %+v, want %+v", second.State(), straight.State())
	}
	fresh, _ := NewReduceLROnPlateau(cfg)
	b, _ = json.Marshal(fresh.State())
	var st2 PlateauState
	if err := json.Unmarshal(b, &st2); err != nil || st2 != fresh.State() {
		t.Errorf("JSON %s → %+v, %v", b, st2, err)
	}
	maxMode, _ := NewReduceLROnPlateau(ReduceLROnPlateauConfig{Mode: ModeMax})
	if err := maxMode.LoadState(st); !errors.Is(err, ErrState) {
		t.Errorf("loading a min-mode state into max mode: %v", err)
	}
	bad := st
	bad.NumBadEpochs = -1
	if err := second.LoadState(bad); !errors.Is(err, ErrState) {
		t.Errorf("negative counter: %v", err)
	}
}

func TestPlateauValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ReduceLROnPlateauConfig
		ok   bool
	}{
		{"zero value", ReduceLROnPlateauConfig{}, true},
		{"factor 1", ReduceLROnPlateauConfig{Factor: 1}, false},
		{"negative factor", ReduceLROnPlateauConfig{Factor: -0.5}, false},
		{"auto mode", ReduceLROnPlateauConfig{Mode: ModeAuto}, false},
		{"bad threshold mode", ReduceLROnPlateauConfig{ThresholdMode: "pct"}, false},
		{"negative patience", ReduceLROnPlateauConfig{Patience: -1}, false},
		{"negative threshold", ReduceLROnPlateauConfig{Threshold: -1}, false},
		{"negative cooldown", ReduceLROnPlateauConfig{Cooldown: -1}, false},
		{"negative min lr", ReduceLROnPlateauConfig{MinLR: -1}, false},
		{"negative eps", ReduceLROnPlateauConfig{Eps: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("%v is not ErrInvalidConfig", err)
			}
		})
	}
	p, _ := NewReduceLROnPlateau(ReduceLROnPlateauConfig{})
	if c := p.Config(); c.Factor != 0.1 || c.Threshold != 1e-4 || c.Eps != 1e-8 || c.Mode != ModeMin || c.ThresholdMode != ThresholdRel {
		t.Errorf("defaults %+v", c)
	}
}
