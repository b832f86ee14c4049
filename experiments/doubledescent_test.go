package experiments

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The minimum-norm fit against the closed forms: with more features than
// rows it interpolates and equals Φᵀ(ΦΦᵀ)⁻¹Y; with fewer it is the
// ordinary least-squares solution (ΦᵀΦ)⁻¹ΦᵀY.
func TestDDMinNormFit(t *testing.T) {
	y := mat.NewDense(3, 2, []float64{1, 0, 0, 1, 1, 0})
	tests := []struct {
		name string
		phi  *mat.Dense
		wide bool
	}{
		{"wide", mat.NewDense(3, 4, []float64{1, 2, 0, 1, 0, 1, 1, 3, 2, 0, 1, 1}), true},
		{"tall", mat.NewDense(3, 2, []float64{1, 2, 0, 1, 2, 1}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ddMinNormFit(tt.phi, y, tt.phi, y)
			if err != nil {
				t.Fatal(err)
			}
			var want mat.Dense
			var g, inv mat.Dense
			if tt.wide {
				g.Mul(tt.phi, tt.phi.T())
				if err := inv.Inverse(&g); err != nil {
					t.Fatal(err)
				}
				var tmp mat.Dense
				tmp.Mul(&inv, y)
				want.Mul(tt.phi.T(), &tmp)
				if p.trainLoss > 1e-20 {
					t.Errorf("wide system not interpolated: loss %g", p.trainLoss)
				}
			} else {
				g.Mul(tt.phi.T(), tt.phi)
				if err := inv.Inverse(&g); err != nil {
					t.Fatal(err)
				}
				var tmp mat.Dense
				tmp.Mul(tt.phi.T(), y)
				want.Mul(&inv, &tmp)
			}
			if got := mat.Norm(&want, 2); math.Abs(p.norm-got) > 1e-12 {
				t.Errorf("norm %g, want %g", p.norm, got)
			}
			var pred, diff mat.Dense
			pred.Mul(tt.phi, &want)
			diff.Sub(&pred, y)
			r, _ := diff.Dims()
			if want := math.Pow(mat.Norm(&diff, 2), 2) / float64(r); math.Abs(p.trainLoss-want) > 1e-12 {
				t.Errorf("training loss %g, want %g", p.trainLoss, want)
			}
		})
	}
}

func TestDDScore(t *testing.T) {
	phi := mat.NewDense(2, 1, []float64{1, 1})
	a := mat.NewDense(1, 3, []float64{0.2, 0.7, 0.1})
	y := mat.NewDense(2, 3, []float64{0, 1, 0, 1, 0, 0})
	loss, e := ddScore(phi, a, y)
	// Row 1: (0.04+0.09+0.01); row 2: (0.64+0.49+0.01); one of two wrong.
	if math.Abs(loss-(0.14+1.14)/2) > 1e-12 || e != 0.5 {
		t.Errorf("ddScore = %g, %g, want 0.64, 0.5", loss, e)
	}
}

func TestDDFeatureCounts(t *testing.T) {
	got := ddFeatureCounts(ddConfig{rffN: 100, rffLo: 0.1, rffHi: 10, rffLog: 3, rffNear: []float64{1, 1.1, 0.1}})
	want := []int{10, 100, 110, 1000}
	if !slices.Equal(got, want) {
		t.Errorf("ddFeatureCounts = %v, want %v", got, want)
	}
}

func TestDDInteriorPeak(t *testing.T) {
	mk := func(errs ...float64) []ddMLPPoint {
		var out []ddMLPPoint
		for i, e := range errs {
			out = append(out, ddMLPPoint{width: i + 1})
			out[i].test.Accuracy = 1 - e
		}
		return out
	}
	tests := []struct {
		name string
		errs []float64
		peak int
		ok   bool
	}{
		{"double descent", []float64{0.6, 0.3, 0.35, 0.28, 0.25}, 2, true},
		{"monotone", []float64{0.6, 0.4, 0.3, 0.29, 0.28}, 1, false},
		{"bump below delta", []float64{0.6, 0.3, 0.305, 0.29}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := ddInteriorPeak(mk(tt.errs...), 0.01)
			if ok != tt.ok || (ok && p != tt.peak) {
				t.Errorf("ddInteriorPeak = %d, %v, want %d, %v", p, ok, tt.peak, tt.ok)
			}
		})
	}
}
