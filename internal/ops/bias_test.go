package ops

import (
	"math/rand/v2"
	"testing"
)

// TestAddBiasRows: y[n, c] = x[n, c] + b[c], bit for bit, for narrow rows
// (added in blocks of whole rows against b repeated) and wide ones, row
// counts that leave rows after the last block, and the float32 and
// float64 kernels.
func TestAddBiasRows(t *testing.T) {
	testAddBiasRows[float32](t)
	testAddBiasRows[float64](t)
}

func testAddBiasRows[T float32 | float64](t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []int{1, 2, 3, 7, 10, 16, 33, 63, 64, 100} {
		for _, rows := range []int{0, 1, 5, 31, 32, 33, 65, 1000} {
			x, b := make([]T, rows*c), make([]T, c)
			for i := range x {
				x[i] = T(rng.NormFloat64())
			}
			for i := range b {
				b[i] = T(rng.NormFloat64())
			}
			y := make([]T, len(x)+1)
			y[len(x)] = 42
			addBias(y[:len(x)], x, b, 1)
			for i, v := range x {
				if w := v + b[i%c]; y[i] != w {
					t.Fatalf("C %d, N %d, element %d: %v, want %v", c, rows, i, y[i], w)
				}
			}
			if y[len(x)] != 42 {
				t.Fatalf("C %d, N %d: wrote past the end", c, rows)
			}
		}
	}
}
