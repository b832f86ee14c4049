package card

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestWilson checks the interval against values worked by hand from the
// formula in the package documentation.
func TestWilson(t *testing.T) {
	z := Z95
	z2 := z * z
	for _, tc := range []struct {
		name   string
		k, n   int
		lo, hi float64
	}{
		// k = 0: centre = half-width = (z²/2n)/(1+z²/n), so lo = 0 and
		// hi = z²/(n + z²) = 3.841459/13.841459 = 0.277533.
		{"0 of 10", 0, 10, 0, z2 / (10 + z2)},
		// k = n: symmetric, lo = n/(n + z²) = 10/13.841459 = 0.722467.
		{"10 of 10", 10, 10, 10 / (10 + z2), 1},
		// k = 95, n = 10000 (zoo's error count for lenet5's 0.95%):
		// p = 0.0095, z²/n = 3.84145882e-4,
		// centre = (0.0095 + 1.92072941e-4)/1.000384145882 = 0.00968835120,
		// half = 1.959963984540054/1.000384145882·√(0.0095·0.9905/10000 +
		// 3.84145882/4e8) = 0.00191018451: (0.00777816670, 0.01159853571)
		// (worked in 30-digit decimal arithmetic).
		{"95 of 10000", 95, 10000, 0.00777816670, 0.01159853571},
		// k = 5, n = 20: p = 0.25, z²/n = 0.192072941,
		// centre = (0.25 + 0.0960364705)/1.192072941 = 0.290281290,
		// half = 1.959963985/1.192072941·√(0.009375 + 0.0024009118) =
		// 0.178419588: (0.111861701, 0.468700878).
		{"5 of 20", 5, 20, 0.111861701, 0.468700878},
	} {
		lo, hi := Wilson(tc.k, tc.n, z)
		if !near(lo, tc.lo, 1e-9) || !near(hi, tc.hi, 1e-9) {
			t.Errorf("%s: (%.7f, %.7f), want (%.7f, %.7f)", tc.name, lo, hi, tc.lo, tc.hi)
		}
	}
	if lo, hi := Wilson(0, 0, z); lo != 0 || hi != 0 {
		t.Errorf("n = 0: (%v, %v)", lo, hi)
	}
}

// TestCalibration works a small case by hand with 4 bins: confidences 0.1
// (bin 1, wrong), 0.3 and 0.45 (bin 2, one right), 0.5 (bin 2: bins are
// closed on the right), 0.9 and 1.0 (bin 4, both right).
// Bin 1: acc 0, conf 0.1, gap 0.1, weight 1/6.
// Bin 2: samples 0.3 ✓, 0.45 ✗, 0.5 ✓: acc 2/3, conf 1.25/3, gap 0.25, weight 3/6.
// Bin 3: empty. Bin 4: acc 1, conf 0.95, gap 0.05, weight 2/6.
// ECE = 0.1/6 + 0.75/6 + 0.1/6 = 0.95/6 = 0.158333….
func TestCalibration(t *testing.T) {
	conf := []float64{0.1, 0.3, 0.45, 0.5, 0.9, 1.0}
	correct := []bool{false, true, false, true, true, true}
	ece, bins := Calibration(conf, correct, 4)
	if !near(ece, 0.95/6, 1e-15) {
		t.Errorf("ECE %v, want %v", ece, 0.95/6)
	}
	want := []Bin{
		{0, 0.25, 1, 0.1, 0},
		{0.25, 0.5, 3, 1.25 / 3, 2.0 / 3},
		{0.5, 0.75, 0, 0, 0},
		{0.75, 1, 2, 0.95, 1},
	}
	for i, b := range bins {
		w := want[i]
		if b.Lo != w.Lo || b.Hi != w.Hi || b.Count != w.Count || !near(b.Confidence, w.Confidence, 1e-15) || b.Accuracy != w.Accuracy {
			t.Errorf("bin %d: %+v, want %+v", i, b, w)
		}
	}
	// A perfectly calibrated set: confidence 0.75 and 3 of 4 right.
	if ece, _ := Calibration([]float64{0.75, 0.75, 0.75, 0.75}, []bool{true, true, true, false}, 15); !near(ece, 0, 1e-15) {
		t.Errorf("calibrated: ECE %v", ece)
	}
}
