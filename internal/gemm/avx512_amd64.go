//go:build !noasm && !purego && !noavx512

package gemm

// disableAVX512 is set by the noavx512 build tag, which keeps the AVX2
// kernels on a CPU with AVX-512 (for tests of that path).
const disableAVX512 = false
