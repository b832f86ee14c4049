//go:build !noasm && !purego

package vmath

import (
	"math"
	"testing"

	"github.com/gozoo/zoo/internal/cpufeat"
)

// TestVecLen: on a CPU with AVX2 the kernels of elem_amd64.s do the whole
// vectors (so that TestKernelsMatchGo tests them), 512 bits wide where
// AVX-512F is there and the noavx512 tag is not.
func TestVecLen(t *testing.T) {
	if !cpufeat.HasAVX2FMA() {
		t.Skip("no AVX2: the Go loops do every element")
	}
	want32, want64 := 96, 100
	if cpufeat.HasAVX512() && !disableAVX512 {
		want64 = 96
	}
	if got := vecLen[float32](100); got != want32 {
		t.Errorf("vecLen[float32](100) = %d, want %d", got, want32)
	}
	if got := vecLen[float64](100); got != want64 {
		t.Errorf("vecLen[float64](100) = %d, want %d", got, want64)
	}
	t.Logf("avx512 %v", avx512)
}

// TestSigmoidAVX512MatchesAVX2: the 16-lane sigmoid gives the bits of the
// 8-lane one (NaN payloads included) on every 4096th float32 bit pattern.
func TestSigmoidAVX512MatchesAVX2(t *testing.T) {
	if !cpufeat.HasAVX512() {
		t.Skip("no AVX-512F")
	}
	var x []float32
	for b := uint64(0); b < 1<<32; b += 1 << 12 {
		x = append(x, math.Float32frombits(uint32(b)))
	}
	y8, y16 := make([]float32, len(x)), make([]float32, len(x))
	sigmoidAVX2(&x[0], &y8[0], len(x))
	sigmoidAVX512(&x[0], &y16[0], len(x))
	for i := range x {
		if a, b := math.Float32bits(y16[i]), math.Float32bits(y8[i]); a != b {
			t.Fatalf("sigmoid(%#x): AVX-512 %#x, AVX2 %#x", math.Float32bits(x[i]), a, b)
		}
	}
}
