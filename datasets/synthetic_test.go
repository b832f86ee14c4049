package datasets

import (
	"math"
	"slices"
	"testing"

	"github.com/pkg/errors"
)

func TestCaruanaSine(t *testing.T) {
	c, err := CaruanaSine(pcg(1))
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 21 {
		t.Fatalf("%d points, want 21 (x = 0..20)", c.Len())
	}
	for i := range c.X {
		if c.X[i] != float64(i) || math.Abs(c.Y[i]-math.Sin(float64(i)/3)) > 0.25 {
			t.Fatalf("point %d: (%v, %v)", i, c.X[i], c.Y[i])
		}
	}
	again, _ := CaruanaSine(pcg(1))
	other, _ := CaruanaSine(pcg(2))
	if !slices.Equal(c.Y, again.Y) || slices.Equal(c.Y, other.Y) {
		t.Fatal("same seed must repeat, another seed must differ")
	}
	x32, y32 := c.Float32()
	if len(x32) != 21 || y32[5] != float32(c.Y[5]) {
		t.Fatal("Float32 conversion")
	}
	// The noise is U(-0.25, 0.25): mean 0, variance 0.5^2/12. Over 21,000
	// draws the mean's sd is 0.001 and the variance's relative sd ~0.9%.
	var sum, sq float64
	n := 0
	for seed := uint64(0); seed < 1000; seed++ {
		c, _ := CaruanaSine(pcg(seed))
		for i := range c.X {
			e := c.Y[i] - math.Sin(c.X[i]/3)
			sum += e
			sq += e * e
			n++
		}
	}
	mean, variance := sum/float64(n), sq/float64(n)
	if math.Abs(mean) > 0.005 || math.Abs(variance/(0.25/12)-1) > 0.05 {
		t.Fatalf("noise mean %v variance %v, want 0 and %v", mean, variance, 0.25/12)
	}
	if _, err := CaruanaSine(nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("nil rng: %v", err)
	}
}

func TestCaruanaGrid(t *testing.T) {
	c, err := CaruanaGrid(0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 1000 || c.X[0] != 0 || c.X[999] != 20 {
		t.Fatalf("default grid: %d points from %v to %v", c.Len(), c.X[0], c.X[c.Len()-1])
	}
	for i := range c.X {
		if math.Abs(c.X[i]-20*float64(i)/999) > 1e-12 || c.Y[i] != math.Sin(c.X[i]/3) {
			t.Fatalf("point %d: (%v, %v)", i, c.X[i], c.Y[i])
		}
	}
	if c, _ := CaruanaGrid(3); !slices.Equal(c.X, []float64{0, 10, 20}) {
		t.Fatalf("3-point grid %v", c.X)
	}
	if _, err := CaruanaGrid(1); !errors.Is(err, ErrConfig) {
		t.Fatalf("1-point grid: %v", err)
	}
}

func TestFlipLabels(t *testing.T) {
	labels := make([]int, 1000)
	for i := range labels {
		labels[i] = i % 10
	}
	orig := slices.Clone(labels)
	for _, frac := range []float64{0, 0.1, 0.333, 0.5, 1} {
		noisy, changed, err := FlipLabels(labels, 10, frac, pcg(5))
		if err != nil {
			t.Fatal(err)
		}
		if want := int(math.Round(frac * 1000)); len(changed) != want {
			t.Fatalf("frac %v: %d changed, want %d", frac, len(changed), want)
		}
		if !slices.IsSorted(changed) || len(slices.Compact(slices.Clone(changed))) != len(changed) {
			t.Fatal("changed indices not sorted and distinct")
		}
		isChanged := make([]bool, len(labels))
		for _, i := range changed {
			isChanged[i] = true
		}
		for i := range labels {
			if isChanged[i] == (noisy[i] == labels[i]) || noisy[i] < 0 || noisy[i] > 9 {
				t.Fatalf("frac %v: index %d: %d -> %d, reported changed %v", frac, i, labels[i], noisy[i], isChanged[i])
			}
		}
		again, _, _ := FlipLabels(labels, 10, frac, pcg(5))
		if !slices.Equal(noisy, again) {
			t.Fatal("same seed, different noise")
		}
	}
	if !slices.Equal(labels, orig) {
		t.Fatal("FlipLabels modified its input")
	}
	_, c1, _ := FlipLabels(labels, 10, 0.1, pcg(1))
	_, c2, _ := FlipLabels(labels, 10, 0.1, pcg(2))
	if slices.Equal(c1, c2) {
		t.Fatal("different seeds flip the same labels")
	}
	// New labels are uniform over the 9 other classes: 9,000 flips of
	// label 3, chi-square with 8 degrees of freedom, 0.1% critical value 26.12.
	threes := make([]int, 9000)
	for i := range threes {
		threes[i] = 3
	}
	noisy, _, _ := FlipLabels(threes, 10, 1, pcg(11))
	counts := classCounts(noisy, 10)
	if counts[3] != 0 {
		t.Fatal("a flipped label kept its class")
	}
	chi2 := 0.0
	for c, n := range counts {
		if c != 3 {
			chi2 += (float64(n) - 1000) * (float64(n) - 1000) / 1000
		}
	}
	if chi2 > 26.12 {
		t.Fatalf("new labels not uniform: counts %v, chi-square %.1f", counts, chi2)
	}
	for _, bad := range []struct {
		classes int
		frac    float64
	}{{1, 0.1}, {10, -0.1}, {10, 1.1}, {10, math.NaN()}} {
		if _, _, err := FlipLabels(labels, bad.classes, bad.frac, pcg(1)); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	if _, _, err := FlipLabels([]int{10}, 10, 0.5, pcg(1)); !errors.Is(err, ErrLabelRange) {
		t.Fatalf("label 10: %v", err)
	}
}

func TestBalancedSubset(t *testing.T) {
	m := loadSubset(t)
	idx, err := BalancedSubset(m.Train.Y, 10, 30, pcg(4))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(idx) || len(slices.Compact(slices.Clone(idx))) != 300 {
		t.Fatalf("%d indices, want 300 distinct sorted", len(idx))
	}
	if got := classCounts(pick(m.Train.Y, idx), 10); slices.Max(got) != 30 || slices.Min(got) != 30 {
		t.Fatalf("class counts %v, want 30 each", got)
	}
	again, _ := BalancedSubset(m.Train.Y, 10, 30, pcg(4))
	other, _ := BalancedSubset(m.Train.Y, 10, 30, pcg(5))
	if !slices.Equal(idx, again) || slices.Equal(idx, other) {
		t.Fatal("same seed must repeat, another seed must differ")
	}
	// Classes 5 and 8 have only 39 samples in the subset.
	if _, err := BalancedSubset(m.Train.Y, 10, 40, pcg(4)); !errors.Is(err, ErrConfig) {
		t.Fatalf("40 per class from 39: %v", err)
	}
	if _, err := BalancedSubset(m.Train.Y, 10, 0, pcg(4)); !errors.Is(err, ErrConfig) {
		t.Fatalf("0 per class: %v", err)
	}
}

func loadSubset(t *testing.T) *MNIST {
	t.Helper()
	m, err := LoadMNIST(t.Context(), MNISTOptions{Dir: subsetDir})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
