package regularizers

import (
	"context"
	"math"
	"testing"
)

func TestIterativeFractions(t *testing.T) {
	got := IterativeConfig{Target: 0.875, Steps: 3}.Fractions()
	// kept fraction (1−0.875)^(i/3) = 0.5, 0.25, 0.125
	want := []float64{0.5, 0.75, 0.875}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("fractions %v, want %v", got, want)
		}
	}
	if f := (IterativeConfig{Target: 0.3}).Fractions(); len(f) != 1 || f[0] != 0.3 {
		t.Errorf("one step: %v, want [0.3]", f)
	}
}

// TestIterativePruneNestsMasks prunes the tiny net in 3 rounds by OBD with
// 20 gradient-descent steps of retraining after each (the mask applied
// after every step): each round's mask contains the previous one's, the
// pruned weights are exactly zero after retraining, and the last round
// prunes round(0.8·35) = 28 of the 35 weights.
func TestIterativePruneNestsMasks(t *testing.T) {
	ctx := context.Background()
	net := newTinyNet(t, dtypes[1])
	data := tinyData(t, 6)
	var prev *Mask
	rounds := 0
	last, err := IterativePrune(ctx, net, data, IterativeConfig{Saliency: SaliencyConfig{Criterion: OBD}, Target: 0.8, Steps: 3},
		func(ctx context.Context, round int, m *Mask) error {
			rounds++
			for _, name := range prev.Names() {
				kp, _ := prev.Kept(name)
				km, _ := m.Kept(name)
				for k := range kp {
					if !kp[k] && km[k] {
						t.Errorf("round %d: %s[%d] pruned before, kept now", round, name, k)
					}
				}
			}
			prev = m
			vars := net.s.Params()
			for range 20 {
				g, err := meanGradient(ctx, net, vars, data, SaliencyConfig{})
				if err != nil {
					return err
				}
				for i, v := range vars {
					for k := range g[i] {
						perturb(v, k, -0.5*g[i][k])
					}
				}
				if err := m.AfterStep(net.s, 0.5); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if rounds != 3 {
		t.Errorf("%d rounds, want 3", rounds)
	}
	if p, n := last.Count(); p != 28 || n != 35 {
		t.Errorf("pruned %d of %d, want 28 of 35", p, n)
	}
	for _, name := range last.Names() {
		keep, _ := last.Kept(name)
		w := mustVar(t, net.s, name).Float64s()
		for k, kp := range keep {
			if !kp && w[k] != 0 {
				t.Errorf("%s[%d] = %g after retraining, pruned", name, k, w[k])
			}
		}
	}
	if _, err := IterativePrune(ctx, net, data, IterativeConfig{Target: 1.5}, nil); err == nil {
		t.Error("target 1.5: no error")
	}
}
