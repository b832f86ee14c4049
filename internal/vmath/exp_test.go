package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns the distance in units in the last place between the
// float32 got and the float64 want rounded to float32.
func ulps(got float32, want float64) int64 {
	w := float32(want)
	a, b := int64(math.Float32bits(got)), int64(math.Float32bits(w))
	if got < 0 {
		a = -(a &^ (1 << 31))
	}
	if w < 0 {
		b = -(b &^ (1 << 31))
	}
	if a > b {
		return a - b
	}
	return b - a
}

// TestExp32Accuracy: within 2 ulp of math.Exp (correctly rounded to
// float32 within float64's error) wherever e^x is a normal float32; the
// special cases as documented.
func TestExp32Accuracy(t *testing.T) {
	worst := int64(0)
	for b := uint32(0); b < 1<<32-1<<20; b += 1 << 12 {
		x := math.Float32frombits(b)
		want := math.Exp(float64(x))
		if x != x || want < math.SmallestNonzeroFloat32*(1<<23) || want > math.MaxFloat32 {
			continue
		}
		if u := ulps(Exp32(x), want); u > worst {
			worst = u
			if u > 2 {
				t.Fatalf("Exp32(%v) = %v, math.Exp %v: %d ulp", x, Exp32(x), want, u)
			}
		}
	}
	t.Logf("worst error %d ulp", worst)
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {float32(math.Inf(1)), float32(math.Inf(1))}, {float32(math.Inf(-1)), 0},
		{88.8, float32(math.Inf(1))}, {-104, 0}, {1, float32(math.E)},
	} {
		if got := Exp32(c.x); got != c.want {
			t.Errorf("Exp32(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := Exp32(float32(math.NaN())); got == got {
		t.Errorf("Exp32(NaN) = %v", got)
	}
}

// TestSigmoid32Accuracy: within 4 ulp of 1/(1 + e^−x) in float64 (2 from
// Exp32, one rounding each for the sum and the quotient) where the result
// is normal, and the bits of 1/(1 + Exp32(−x)) wherever Exp32(−x) is
// finite (the scaled form rounds alike).
func TestSigmoid32Accuracy(t *testing.T) {
	worst := int64(0)
	for b := uint32(0); b < 1<<32-1<<20; b += 1 << 12 {
		x := math.Float32frombits(b)
		want := 1 / (1 + math.Exp(-float64(x)))
		if x != x || want < math.SmallestNonzeroFloat32*(1<<23) {
			continue
		}
		if e := Exp32(-x); e <= math.MaxFloat32 && Sigmoid32(x) != 1/(1+e) {
			t.Fatalf("Sigmoid32(%v) = %v, 1/(1 + Exp32(−x)) = %v", x, Sigmoid32(x), 1/(1+e))
		}
		if u := ulps(Sigmoid32(x), want); u > worst {
			worst = u
			if u > 4 {
				t.Fatalf("Sigmoid32(%v) = %v, want %v: %d ulp", x, Sigmoid32(x), want, u)
			}
		}
	}
	t.Logf("worst error %d ulp", worst)
}

// TestSigmoidSliceBits: the vectorised SigmoidSlice32 gives the bits of
// the scalar Sigmoid32 for every kind of input, at every length (the
// vector blocks and the scalar tail).
func TestSigmoidSliceBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88.72283935546875, -88.72283935546875, 88.8, -88.8, 133.08424377441406, -133.08424377441406, 133.1, -133.1,
		103.97207641601562, -103.97207641601562, 104, -104, 150, -150, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 0.5, -0.5, 1e-8, -1e-8}
	x := append([]float32(nil), special...)
	for range 1 << 16 {
		x = append(x, float32(rng.NormFloat64()*30))
	}
	for b := uint32(0); b < 1<<32-1<<20; b += 1 << 14 {
		x = append(x, math.Float32frombits(b))
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 32, 47, 48, 65, len(x)} {
		y := make([]float32, n+1)
		y[n] = 42
		SigmoidSlice32(x[:n], y)
		for i, v := range x[:n] {
			want := Sigmoid32(v)
			if math.Float32bits(y[i]) != math.Float32bits(want) && !(y[i] != y[i] && want != want) {
				t.Fatalf("n %d: SigmoidSlice32(%v) = %v (%#x), Sigmoid32 %v (%#x)", n, v, y[i], math.Float32bits(y[i]), want, math.Float32bits(want))
			}
		}
		if y[n] != 42 {
			t.Fatalf("n %d: wrote past the end", n)
		}
	}
}

// TestExpSliceBits: ExpSlice gives math.Exp's bits for every kind of input
// (the vector range, its edges, overflow, subnormal results, ±0, ±Inf,
// NaN) at every length, in place too.
func TestExpSliceBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []float64{0, math.Copysign(0, -1), 1, -1, 700, -700, math.Nextafter(700, 800), math.Nextafter(-700, -800),
		709.78, 709.8, -708.4, -708.3, -720, -745.2, -746, 1e-300, -1e-300, math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64, 0.5 * math.Ln2, -0.5 * math.Ln2}
	x := append([]float64(nil), special...)
	for range 1 << 16 {
		x = append(x, rng.NormFloat64()*30)
	}
	for range 1 << 16 {
		x = append(x, rng.Float64()*1400-700)
	}
	for range 1 << 12 {
		x = append(x, -rng.Float64()*20) // log-softmax's range
	}
	for range 1 << 12 {
		x = append(x, math.Float64frombits(rng.Uint64()))
	}
	x = appendLoneSpecials(x, special, rng, -5)
	checkSliceBits(t, "ExpSlice", ExpSlice, math.Exp, x)
}

// appendLoneSpecials appends, for each lane of a block of 8, each special
// value alone in a block of values drawn from [lo, lo+10).
func appendLoneSpecials(x, special []float64, rng *rand.Rand, lo float64) []float64 {
	for lane := range 8 {
		for _, s := range special {
			blk := make([]float64, 8)
			for i := range blk {
				blk[i] = lo + rng.Float64()*10
			}
			blk[lane] = s
			x = append(x, blk...)
		}
	}
	return x
}

// checkSliceBits requires f(x[:n], y) and f in place to give ref's bits
// (any NaN for a NaN) at lengths around the blocks of 8 and len(x), without
// writing past y[n-1].
func checkSliceBits(t *testing.T, name string, f func(x, y []float64), ref func(float64) float64, x []float64) {
	t.Helper()
	check := func(n int, y []float64) {
		t.Helper()
		for i, v := range x[:n] {
			want := ref(v)
			if math.Float64bits(y[i]) != math.Float64bits(want) && !(y[i] != y[i] && want != want) {
				t.Fatalf("n %d: %s(%v) = %v (%#x), want %v (%#x)", n, name, v, y[i], math.Float64bits(y[i]), want, math.Float64bits(want))
			}
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 24, 63, 64, 65, len(x)} {
		y := make([]float64, n+1)
		y[n] = 42
		f(x[:n], y)
		check(n, y)
		if y[n] != 42 {
			t.Fatalf("n %d: wrote past the end", n)
		}
		z := append([]float64(nil), x[:n]...)
		f(z, z)
		check(n, z)
	}
}

func BenchmarkExpSlice(b *testing.B) {
	x, y := make([]float64, 10000), make([]float64, 10000)
	for i := range x {
		x[i] = -float64(i%2000) / 100
	}
	b.Run("vmath", func(b *testing.B) {
		for range b.N {
			ExpSlice(x, y)
		}
		b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
	})
	b.Run("math.Exp", func(b *testing.B) {
		for range b.N {
			for i, v := range x {
				y[i] = math.Exp(v)
			}
		}
		b.ReportMetric(float64(len(x))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
	})
}

// TestLogSliceBits: LogSlice gives math.Log's bits for every kind of input
// (normal values on both sides of √2/2 in the mantissa, 1, powers of two,
// subnormals, ±0, negatives, ±Inf, NaN) at every length, in place too.
func TestLogSliceBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float64{1, 2, 0.5, math.Sqrt2 / 2, math.Nextafter(math.Sqrt2/2, 1), math.Nextafter(math.Sqrt2/2, 0), math.Sqrt2,
		0, math.Copysign(0, -1), -1, math.SmallestNonzeroFloat64, 0x1p-1022, math.Nextafter(0x1p-1022, 0), math.MaxFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), 10, 1e-300, 1e300}
	x := append([]float64(nil), special...)
	for range 1 << 16 {
		x = append(x, math.Exp(rng.NormFloat64()*50))
	}
	for range 1 << 12 {
		x = append(x, 1+rng.Float64()*20) // log-sum-exp's range
	}
	for range 1 << 12 {
		x = append(x, math.Float64frombits(rng.Uint64()))
	}
	x = appendLoneSpecials(x, special, rng, 0)
	checkSliceBits(t, "LogSlice", LogSlice, math.Log, x)
}
