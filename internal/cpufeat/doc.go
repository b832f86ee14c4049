// Package cpufeat reports the vector instruction sets that the CPU and the
// operating system support, for the assembly kernels of internal/gemm and
// internal/vmath: CPUID for the CPU, XGETBV (XCR0) for the register state
// the operating system saves on a context switch.
package cpufeat
