//go:build !noasm && !purego

package gemm

import (
	"testing"

	"github.com/gozoo/zoo/internal/cpufeat"
)

// TestKernelChoice: the kernel in use is the widest the CPU and the
// operating system support (AVX2 on an AVX-512 CPU with -tags noavx512).
func TestKernelChoice(t *testing.T) {
	s, d := Kernel()
	switch {
	case cpufeat.HasAVX512() && !disableAVX512:
		if s != avx512Float32.name || d != avx512Float64.name {
			t.Errorf("AVX-512 CPU: kernels %q, %q", s, d)
		}
	case cpufeat.HasAVX2FMA():
		if s != avx2Float32.name || d != avx2Float64.name {
			t.Errorf("AVX2 CPU: kernels %q, %q", s, d)
		}
	default:
		if s != "go 4x4" || d != "go 4x4" {
			t.Errorf("no AVX2: kernels %q, %q", s, d)
		}
	}
	t.Logf("kernels: %s, %s", s, d)
}

// TestPackColsAVXSMatchesGo: the assembly transposes pack every panel
// width and column count (whole groups of 8 in assembly, the rest and the
// zero padding in Go) exactly as the Go loop does.
func TestPackColsAVXSMatchesGo(t *testing.T) {
	for _, nr := range []int{8, 16, 32} {
		for nn := 1; nn <= nr; nn++ {
			for _, kb := range []int{1, 7, 8, 9, 16, 37} {
				ld := kb + 3
				src := make([]float32, nn*ld)
				for i := range src {
					src[i] = float32(i%97) - 40.5
				}
				want := make([]float32, kb*nr)
				got := make([]float32, kb*nr)
				for i := range got {
					want[i], got[i] = -1, -1
				}
				packCols(want, src, ld, kb, nn, nr, 1)
				packColsAVXS(got, src, ld, kb, nn, nr)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("nr %d, nn %d, kb %d: element %d (depth %d, column %d) = %v, want %v", nr, nn, kb, i, i/nr, i%nr, got[i], want[i])
					}
				}
			}
		}
	}
}
