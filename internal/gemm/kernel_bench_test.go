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

// BenchmarkPackA times the packing of op(A) = A alone, as the product of
// mlp-bn's first layer at batch 1000 packs it (1000×784 float32 in blocks
// of mc rows and depth kc), with the arch's packA and with the Go loop.
func BenchmarkPackA(b *testing.B) {
	archs := []*arch[float32]{withoutExtras(archs32[0])}
	if archs32[0].packA != nil {
		archs = append(archs, archs32[0])
	}
	for _, a := range archs {
		name := "go"
		if a.packA != nil {
			name = "asm"
		}
		b.Run(name, func(b *testing.B) {
			m, k := 1000, 784
			p := problem[float32]{ar: a, m: m, n: 100, k: k, alpha: 1, a: make([]float32, m*k), lda: k, kc: depth(k, a.kc)}
			for i := range p.a {
				p.a[i] = float32(i%13) / 7
			}
			dst := make([]float32, roundUp(a.mc, a.mr)*p.kc)
			b.SetBytes(int64(m * k * 4))
			for range b.N {
				for pc := 0; pc < k; pc += p.kc {
					for ic := 0; ic < m; ic += a.mc {
						p.packA(dst, min(a.mc, m-ic), min(p.kc, k-pc), ic, pc)
					}
				}
			}
		})
	}
}
