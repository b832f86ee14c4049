package experiments

import (
	"math"
	"testing"
)

// The expected percentiles follow numpy's default (linear) rule: the value
// at position q·(n−1) of the sorted sample, interpolated between ranks.
func TestBNPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		{"15th of 1..4", []float64{1, 2, 3, 4}, 0.15, 1.45},
		{"median of 1..4", []float64{1, 2, 3, 4}, 0.5, 2.5},
		{"85th of 1..4", []float64{1, 2, 3, 4}, 0.85, 3.55},
		{"15th of 0..100 by 10", []float64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 0.15, 15},
		{"max", []float64{1, 2, 3}, 1, 3},
		{"min", []float64{1, 2, 3}, 0, 1},
		{"one value", []float64{5}, 0.85, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bnPercentile(tt.sorted, tt.q); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("bnPercentile(%v, %g) = %g, want %g", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
	if got := bnPercentile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("bnPercentile(nil) = %g, want NaN", got)
	}
}

func TestBNDrift(t *testing.T) {
	tests := []struct {
		name    string
		medians []float64
		spread  float64
		want    float64
	}{
		{"range over final spread", []float64{0, -1, 2, 1}, 1.5, 2},
		{"constant", []float64{3, 3, 3}, 2, 0},
		{"NaN median", []float64{0, math.NaN()}, 1, math.Inf(1)},
		{"zero spread", []float64{0, 1}, 0, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bnDrift(tt.medians, tt.spread); got != tt.want {
				t.Errorf("bnDrift(%v, %g) = %g, want %g", tt.medians, tt.spread, got, tt.want)
			}
		})
	}
}

func TestBNStepsTo(t *testing.T) {
	pts := []bnPoint{{step: 0, acc: 0.1}, {step: 100, acc: 0.9}, {step: 200, acc: 0.95}, {step: 300, acc: 0.94}}
	tests := []struct {
		name string
		acc  float64
		want int
	}{
		{"reached exactly", 0.95, 200},
		{"first reached", 0.5, 100},
		{"never", 0.97, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bnStepsTo(pts, tt.acc); got != tt.want {
				t.Errorf("bnStepsTo(%g) = %d, want %d", tt.acc, got, tt.want)
			}
		})
	}
}
