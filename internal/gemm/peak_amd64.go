//go:build !noasm && !purego

package gemm

// The peak loops: n iterations of peakChains independent vector fused
// multiply-adds (gen_kernel.go), the FMA throughput of one core that the
// GEMM benchmarks report their speed against.

func fmaPeakAVX2S(n int)
func fmaPeakAVX2D(n int)
func fmaPeakAVX512S(n int)
func fmaPeakAVX512D(n int)

// peakChains is the number of FMAs per iteration of the peak loops.
const peakChains = 12

func init() {
	avx2Float32.peak = &peakLoop{fmaPeakAVX2S, 2 * 8 * peakChains}
	avx2Float64.peak = &peakLoop{fmaPeakAVX2D, 2 * 4 * peakChains}
	avx512Float32.peak = &peakLoop{fmaPeakAVX512S, 2 * 16 * peakChains}
	avx512Float64.peak = &peakLoop{fmaPeakAVX512D, 2 * 8 * peakChains}
}
