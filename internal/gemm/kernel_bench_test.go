package gemm

import "testing"

// BenchmarkKernel times each micro-kernel alone on packed panels that
// stay in L1 (kc = 256), the ceiling of the blocked product.
func BenchmarkKernel(b *testing.B) {
	for _, ar := range archs32 {
		b.Run("float32/"+ar.name, func(b *testing.B) { benchKernel(b, ar) })
	}
	for _, ar := range archs64 {
		b.Run("float64/"+ar.name, func(b *testing.B) { benchKernel(b, ar) })
	}
}

func benchKernel[T float](b *testing.B, ar *arch[T]) {
	const k = 256
	a, bp, c := make([]T, ar.mr*k), make([]T, ar.nr*k), make([]T, ar.mr*ar.nr)
	for i := range a {
		a[i] = T(i%7) / 8
	}
	for i := range bp {
		bp[i] = T(i%5) / 8
	}
	b.ResetTimer()
	for range b.N {
		ar.kernel(k, a, bp, c, ar.nr, true)
	}
	b.ReportMetric(2*float64(ar.mr*ar.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	benchSink = c
}
