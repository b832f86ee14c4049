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
