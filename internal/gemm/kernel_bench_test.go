package gemm

import "testing"

// BenchmarkKernel times the micro-kernel alone on packed panels that stay
// in L1 (kc = 256), the ceiling of the blocked product.
func BenchmarkKernel(b *testing.B) {
	b.Run("float32", func(b *testing.B) { benchKernel(b, archs32[0]) })
	b.Run("float64", func(b *testing.B) { benchKernel(b, archs64[0]) })
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
