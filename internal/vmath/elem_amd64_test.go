//go:build !noasm && !purego

package vmath

import (
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
