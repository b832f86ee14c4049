package experiments

import (
	"slices"
	"testing"

	"github.com/gozoo/zoo/models"
)

func TestEDDScan(t *testing.T) {
	tests := []struct {
		name string
		e    []float64
		want eddShape
	}{
		{"one descent", []float64{0.5, 0.3, 0.2, 0.19, 0.195}, eddShape{firstMin: 3, rise: -1, peak: -1, fall: -1}},
		{"U", []float64{0.5, 0.2, 0.21, 0.25, 0.26}, eddShape{firstMin: 1, rise: 3, peak: 4, fall: -1}},
		{"double descent", []float64{0.5, 0.2, 0.25, 0.3, 0.28, 0.2}, eddShape{firstMin: 1, rise: 2, peak: 3, fall: 4}},
		{"wiggles within delta", []float64{0.3, 0.2, 0.205, 0.2, 0.208}, eddShape{firstMin: 1, rise: -1, peak: -1, fall: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eddScan(tt.e, 0.01); got != tt.want {
				t.Errorf("eddScan = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEDDSmooth(t *testing.T) {
	got := eddSmooth([]float64{3, 0, 3, 6, 0}, 3)
	// Ends average the available neighbours: (3+0)/2, (3+0+3)/3, …
	want := []float64{1.5, 2, 3, 3, 3}
	if !slices.Equal(got, want) {
		t.Errorf("eddSmooth = %v, want %v", got, want)
	}
}

func TestEDDRegime(t *testing.T) {
	// n·K = 2,000·10 = 20,000 parameters; a 784-h-10 MLP has 795h+10.
	cfg := eddSettings(false)
	want := map[int]string{8: "below the threshold", 16: "near the threshold", 24: "near the threshold", 32: "near the threshold", 64: "above the threshold", 512: "above the threshold"}
	for _, h := range cfg.widths {
		m, err := BuildMLP([]int{h}, models.Config{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if p := m.NumParams(); p != 795*h+10 {
			t.Errorf("784-%d-10: %d parameters, want %d", h, p, 795*h+10)
		}
		if got, _ := eddRegime(cfg, m.NumParams()); got != want[h] {
			t.Errorf("784-%d-10: %q, want %q", h, got, want[h])
		}
	}
}
