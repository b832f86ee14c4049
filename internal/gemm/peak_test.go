package gemm

import (
	"sync"
	"testing"
	"time"
)

// BenchmarkPeak measures the FMA throughput of one core for the
// instruction set and element type of each kernel the CPU supports: a loop
// of independent vector FMAs and nothing else, in GFLOP/s (an FMA counts
// 2). The GEMM benchmarks report their speed as a fraction of it.
//
//	go test -run '^$' -bench Peak -cpu 1 ./internal/gemm
func BenchmarkPeak(b *testing.B) {
	for _, ar := range archs32 {
		if ar.peak != nil {
			b.Run("float32/"+ar.name, func(b *testing.B) { benchPeak(b, ar.peak) })
		}
	}
	for _, ar := range archs64 {
		if ar.peak != nil {
			b.Run("float64/"+ar.name, func(b *testing.B) { benchPeak(b, ar.peak) })
		}
	}
}

// peakIters is the number of loop iterations per benchmark operation.
const peakIters = 1 << 16

func benchPeak(b *testing.B, pl *peakLoop) {
	for range b.N {
		pl.run(peakIters)
	}
	b.ReportMetric(float64(pl.flops)*peakIters*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

var (
	peakMu   sync.Mutex
	peakSeen = map[*peakLoop]float64{}
)

// measuredPeak returns the GFLOP/s of pl: the best of 20 runs of about a
// millisecond each, measured once per test binary.
func measuredPeak(pl *peakLoop) float64 {
	peakMu.Lock()
	defer peakMu.Unlock()
	if g, ok := peakSeen[pl]; ok {
		return g
	}
	best := 0.0
	for range 20 {
		start := time.Now()
		pl.run(peakIters)
		if g := float64(pl.flops) * peakIters / time.Since(start).Seconds() / 1e9; g > best {
			best = g
		}
	}
	peakSeen[pl] = best
	return best
}
