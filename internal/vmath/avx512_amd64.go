//go:build !noasm && !purego && !noavx512

package vmath

// disableAVX512 is set by the noavx512 build tag, which keeps the AVX2
// loops on a CPU with AVX-512 (for tests of that path).
const disableAVX512 = false
