package experiments

import (
	"math"
	"testing"
)

func TestSquaredErrorPercentage(t *testing.T) {
	// Two examples, three classes, labels 0 and 1. By hand:
	// (0.7−1)² + 0.2² + 0.1² = 0.14 and 0.3² + (0.3−1)² + 0.4² = 0.74;
	// E = 100·1/(3·2)·0.88 = 14.666…
	probs := []float64{0.7, 0.2, 0.1, 0.3, 0.3, 0.4}
	got, err := squaredErrorPercentage(probs, []int{0, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := 100 * 0.88 / 6; math.Abs(got-want) > 1e-12 {
		t.Errorf("squaredErrorPercentage = %v, want %v", got, want)
	}
	// A perfect one-hot output scores 0; the uniform output 1/k scores
	// 100·(k−1)/k² (k = 10: 9).
	if got, _ := squaredErrorPercentage([]float64{0, 1, 0}, []int{1}, 3); got != 0 {
		t.Errorf("perfect output: %v, want 0", got)
	}
	uniform := make([]float64, 10)
	for i := range uniform {
		uniform[i] = 0.1
	}
	if got, _ := squaredErrorPercentage(uniform, []int{4}, 10); math.Abs(got-9) > 1e-12 {
		t.Errorf("uniform output: %v, want 9", got)
	}
	for _, bad := range []struct {
		probs []float64
		y     []int
		k     int
	}{{probs[:5], []int{0, 1}, 3}, {probs, []int{0, 3}, 3}, {nil, nil, 3}} {
		if _, err := squaredErrorPercentage(bad.probs, bad.y, bad.k); err == nil {
			t.Errorf("squaredErrorPercentage(%v, %v, %d): no error", bad.probs, bad.y, bad.k)
		}
	}
}
