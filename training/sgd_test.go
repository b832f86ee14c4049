package training

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSGDUpdateMatchesGeneralLoop: the vectorised kernels that sgdUpdate
// runs without momentum and with momentum after the first step give the
// bits of sgdGeneral's loop (PyTorch's order of operations), with and
// without weight decay, on every
// length 0…200 and a large one, for inputs with ±0, ±Inf, NaN and
// subnormals. A NaN made from two NaNs carries the payload of whichever
// operand the compiled code puts first, which the Go compiler chooses per
// function (internal/vmath's tests check its payloads against its own Go
// loops), so NaNs compare equal here whatever their payloads.
func TestSGDUpdateMatchesGeneralLoop(t *testing.T) {
	t.Run("float32", testSGDUpdateMatchesGeneralLoop[float32])
	t.Run("float64", testSGDUpdateMatchesGeneralLoop[float64])
}

func testSGDUpdateMatchesGeneralLoop[T float](t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, -1e-310, 1e-40, -1e-45, math.MaxFloat32, 1e300}
	val := func() T {
		if r.IntN(4) == 0 {
			return T(special[r.IntN(len(special))])
		}
		return T(r.NormFloat64())
	}
	same := func(a, b T) bool {
		return a == b && math.Signbit(float64(a)) == math.Signbit(float64(b)) || a != a && b != b
	}
	for _, c := range []sgdCoef{
		{lr: 0.05, momentum: 0.9, dampening: 0.1},
		{lr: 0.05, momentum: 0.9, dampening: 0.1, wd: 1e-4},
		{lr: 0.05},
		{lr: 0.05, wd: 1e-4},
	} {
		for n := 0; n <= 201; n++ {
			if n == 201 {
				n = 100003
			}
			w, g, b := make([]T, n), make([]T, n), make([]T, n)
			for i := range w {
				w[i], g[i], b[i] = val(), val(), val()
			}
			w2, b2 := append([]T(nil), w...), append([]T(nil), b...)
			sgdUpdate(c, w, g, b)
			sgdGeneral(c, w2, g, b2)
			for i := range w {
				if !same(w[i], w2[i]) || !same(b[i], b2[i]) {
					t.Fatalf("%+v, n %d, element %d: w %v b %v, general loop w %v b %v", c, n, i, w[i], b[i], w2[i], b2[i])
				}
			}
		}
	}
}
