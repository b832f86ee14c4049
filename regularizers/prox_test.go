package regularizers

import (
	"math"
	"slices"
	"testing"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// TestProxL1 checks soft-thresholding against its closed form
// sign(w)·max(|w| − ηλ, 0) on the N(0,1) fixture, that exact zeros appear for
// exactly the weights with |w| ≤ ηλ, and that biases, γ, β and buffers are
// untouched.
func TestProxL1(t *testing.T) {
	const lam, lr = 2.5, 0.2 // threshold ηλ = 0.5
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			s := model(t, dt)
			before := map[string][]float64{}
			for _, name := range weights {
				before[name] = mustVar(t, s, name).Float64s()
			}
			snap := snapshot(s)
			p := ProxL1{Lambda: lam}
			if err := graph.AfterSteps(s, lr, p); err != nil {
				t.Fatalf("%+v", err)
			}
			thr := float64(float32(lr * lam))
			if dt == graph.Float64 {
				thr = lr * lam
			}
			zeros, small := 0, 0
			for _, name := range weights {
				after := mustVar(t, s, name).Float64s()
				for i, w := range before[name] {
					want := math.Copysign(math.Max(math.Abs(w)-thr, 0), w)
					if math.Abs(w) <= thr {
						small++
						want = 0
					}
					if !near(after[i], want, tolFor(dt)) {
						t.Errorf("%s[%d]: prox(%g) = %g, want %g", name, i, w, after[i], want)
					}
					if after[i] == 0 {
						zeros++
						if math.Signbit(after[i]) {
							t.Errorf("%s[%d] is -0", name, i)
						}
					}
				}
			}
			if zeros != small || zeros == 0 {
				t.Errorf("%d exact zeros, want %d (> 0) weights with |w| ≤ ηλ", zeros, small)
			}
			for _, name := range changed(s, snap) {
				if !slices.Contains(weights, name) {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
}

func TestProxL1NoOpAndErrors(t *testing.T) {
	s := model(t, graph.Float64)
	snap := snapshot(s)
	for _, p := range []ProxL1{{}, {Lambda: 1}} {
		lr := 0.0
		if p.Lambda == 0 {
			lr = 0.1
		}
		if err := p.Apply(s, lr); err != nil || len(changed(s, snap)) > 0 {
			t.Errorf("%v at lr %g: err %v, changed %v", p, lr, err, changed(s, snap))
		}
	}
	for _, c := range []struct {
		p  ProxL1
		lr float64
	}{{ProxL1{Lambda: -1}, 0.1}, {ProxL1{Lambda: 1}, -0.1}, {ProxL1{Lambda: 1}, math.NaN()}, {ProxL1{Lambda: 1, Select: ByName("[")}, 0.1}} {
		if err := c.p.Apply(s, c.lr); !errors.Is(err, ErrConfig) {
			t.Errorf("%v at lr %g: error %v, want ErrConfig", c.p, c.lr, err)
		}
	}
	if len(changed(s, snap)) > 0 {
		t.Errorf("failed calls changed %v", changed(s, snap))
	}
	// A NaN weight is not hidden by the threshold.
	w := mustVar(t, s, "fc1/W")
	w.Value().Float64s()[3] = math.NaN()
	if err := (ProxL1{Lambda: 1}).Apply(s, 0.1); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(w.Value().Float64s()[3]) {
		t.Error("NaN weight was thresholded")
	}
}
