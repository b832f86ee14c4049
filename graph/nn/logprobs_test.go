package nn

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// TestLogProbs checks the row-wise log-softmax against its formula,
// log p_j = x_j − log Σ_i exp(x_i), in float64 from float32 logits, and
// that AppendLogProbs gives the same values in the storage it is given.
func TestLogProbs(t *testing.T) {
	x := []float32{1, 2, 3, -1000, 0, 1000, 0.5, 0.5, 0.5}
	logits := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(x))
	got, err := LogProbs(logits, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d values for 2 rows of 3, want 6", len(got))
	}
	for r := 0; r < 2; r++ {
		row := x[r*3 : r*3+3]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		for j, v := range row {
			want := float64(v) - m - math.Log(s)
			if d := math.Abs(got[r*3+j] - want); d > 1e-12 {
				t.Errorf("row %d, class %d: %v, want %v", r, j, got[r*3+j], want)
			}
		}
	}
	buf := make([]float64, 0, 16)
	again, err := AppendLogProbs(buf, logits, 2)
	if err != nil {
		t.Fatal(err)
	}
	if &again[0] != &buf[:1][0] {
		t.Error("AppendLogProbs did not write into the buffer it was given")
	}
	for i := range got {
		if again[i] != got[i] {
			t.Errorf("value %d: %v, LogProbs gave %v", i, again[i], got[i])
		}
	}
	if _, err := AppendLogProbs(nil, logits, 4); err == nil {
		t.Error("4 rows of a 3-row tensor: no error")
	}
}

// BenchmarkAppendLogProbs1000x10: the log-probabilities of an evaluation
// batch of 1000 images of 10 classes.
func BenchmarkAppendLogProbs1000x10(b *testing.B) {
	x := make([]float32, 10000)
	for i := range x {
		x[i] = float32(i%17) - 8
	}
	t := tensor.New(tensor.WithShape(1000, 10), tensor.WithBacking(x))
	var buf []float64
	for range b.N {
		buf, _ = AppendLogProbs(buf, t, 1000)
	}
}
