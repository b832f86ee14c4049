package gemm

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Benchmarks of the products zoo's models run, against gonum's pure-Go
// BLAS, in GFLOP/s (2·m·n·k per product) and, with an assembly kernel, in
// percent of the measured FMA peak of its instruction set (%peak: of one
// core, see BenchmarkPeak; above 100 on two cores). Run single-threaded
// and on two cores with
//
//	go test -run '^$' -bench . -cpu 1,2 ./internal/gemm
//
// The MLP shapes are a 784-800-800-10 MLP at batch 128: forward x·W (NN),
// input gradient dy·Wᵀ (NT), weight gradient xᵀ·dy (TN). The conv shapes
// are the per-image im2col products of graph's conv op (W·col forward NN,
// Wᵀ·gy for the input gradient TN, gy·colᵀ for the weight gradient NT,
// accumulated with beta 1) in lenet5 and convnet-bn.

// benchShape is one product; names carry the op(A)op(B) and m×n×k.
type benchShape struct {
	name           string
	transA, transB bool
	m, n, k        int
	beta           float64
}

var benchShapes = []benchShape{
	{"mlp-fwd-NN-128x800x784", false, false, 128, 800, 784, 0},
	{"mlp-fwd-NN-128x800x800", false, false, 128, 800, 800, 0},
	{"mlp-fwd-NN-128x10x800", false, false, 128, 10, 800, 0},
	{"mlp-dx-NT-128x784x800", false, true, 128, 784, 800, 0},
	{"mlp-dW-TN-784x800x128", true, false, 784, 800, 128, 0},
	{"mlp-dW-TN-800x800x128", true, false, 800, 800, 128, 0},
	{"lenet-c2-fwd-NN-16x100x150", false, false, 16, 100, 150, 0},
	{"convnet-c2-fwd-NN-32x784x288", false, false, 32, 784, 288, 0},
	{"convnet-c2-dx-TN-288x784x32", true, false, 288, 784, 32, 0},
	{"convnet-c2-dW-NT-32x288x784", false, true, 32, 288, 784, 1},
	{"convnet-c4-fwd-NN-64x196x576", false, false, 64, 196, 576, 0},
	{"convnet-c4-dx-TN-576x196x64", true, false, 576, 196, 64, 0},
	{"convnet-c4-dW-NT-64x576x196", false, true, 64, 576, 196, 1},
	{"square-NN-512", false, false, 512, 512, 512, 0},
	{"mlpbn-eval-NN-1000x100x784", false, false, 1000, 100, 784, 0},
	{"mlpbn-eval-NN-1000x100x100", false, false, 1000, 100, 100, 0},
	{"mlp-eval-NN-1000x800x784", false, false, 1000, 800, 784, 0},
	{"eval-out-NN-1000x10x100", false, false, 1000, 10, 100, 0},
	{"eval-out-NN-1000x10x800", false, false, 1000, 10, 800, 0},
}

// benchSink keeps results alive.
var benchSink any

// gemmFunc is a Sgemm or Dgemm with BLAS arguments.
type gemmFunc[T float] func(tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

func benchGemm[T float](b *testing.B, s benchShape, f gemmFunc[T]) {
	rng := rand.New(rand.NewPCG(1, 1))
	rand := func(n int) []T {
		x := make([]T, n)
		for i := range x {
			x[i] = T(rng.Float64()*2 - 1)
		}
		return x
	}
	a, bm, c := rand(s.m*s.k), rand(s.k*s.n), rand(s.m*s.n)
	lda, ldb := s.k, s.n
	tA, tB := blas.NoTrans, blas.NoTrans
	if s.transA {
		lda, tA = s.m, blas.Trans
	}
	if s.transB {
		ldb, tB = s.k, blas.Trans
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f(tA, tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, T(s.beta), c, s.n)
	}
	gflops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(gflops, "GFLOP/s")
	benchSink = c
	if pl := peakOf[T](); pl != nil {
		b.ReportMetric(100*gflops/measuredPeak(pl), "%peak")
	}
}

// peakOf returns the peak loop of the kernel Sgemm or Dgemm uses for T.
func peakOf[T float]() *peakLoop {
	var x T
	if _, ok := any(x).(float32); ok {
		return archs32[0].peak
	}
	return archs64[0].peak
}

// zooS and zooD adapt Sgemm and Dgemm to the BLAS signature.
func zooS(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := Sgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); err != nil {
		panic(err)
	}
}

func zooD(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if err := Dgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); err != nil {
		panic(err)
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name+"/gonum", func(b *testing.B) { benchGemm(b, s, gonum.Implementation{}.Sgemm) })
		b.Run(s.name+"/zoo", func(b *testing.B) { benchGemm(b, s, zooS) })
	}
}

func BenchmarkDgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name+"/gonum", func(b *testing.B) { benchGemm(b, s, gonum.Implementation{}.Dgemm) })
		b.Run(s.name+"/zoo", func(b *testing.B) { benchGemm(b, s, zooD) })
	}
}
