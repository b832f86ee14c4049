package gemm

import (
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"
)

// bitsEqual reports whether x and y hold the same bits (float32 values
// are compared as float32: converting a signalling NaN to float64 would
// quiet it).
func bitsEqual[T float](x, y []T) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if bitsOf(x[i]) != bitsOf(y[i]) {
			return false
		}
	}
	return true
}

// bitsOf returns the bits of x in its own type.
func bitsOf[T float](x T) uint64 {
	if f, ok := any(x).(float32); ok {
		return uint64(math.Float32bits(f))
	}
	return math.Float64bits(float64(x))
}

// TestDeterministic runs the same products at GOMAXPROCS 1, 2 and 8, on
// 1 to 8 workers and with other cache blockings, and requires the same
// bits every time.
func TestDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	// Above minParallelFlops, so that the workers split C: the first by
	// columns with B read in place, the second by rows with B packed once.
	cases := []gemmCase{
		{m: 128, n: 400, k: 700, alpha: 1},
		{m: 200, n: 300, k: 600, alpha: 1, padC: 2},
		{transB: true, m: 150, n: 500, k: 290, alpha: 1, beta: 1},
		{transA: true, m: 260, n: 300, k: 256, alpha: -0.5, beta: 2, padA: 3, padC: 1},
		{transA: true, transB: true, m: 301, n: 167, k: 555, alpha: 1, beta: 0},
	}
	for _, g := range cases {
		if 2*g.m*g.n*g.k < minParallelFlops {
			t.Fatalf("%v is below minParallelFlops: no worker would split it", g)
		}
	}
	t.Run("float32", func(t *testing.T) { testDeterministic(t, archs32, cases) })
	t.Run("float64", func(t *testing.T) { testDeterministic(t, archs64, cases) })
}

func testDeterministic[T float](t *testing.T, archs []*arch[T], cases []gemmCase) {
	for _, ar := range archs {
		// Odd blockings: depth and block sizes that are not powers of
		// two and cut every product into many blocks.
		small := *ar
		small.kc, small.mc, small.nc = 37, 2*ar.mr, 3*ar.nr
		for _, g := range cases {
			o := newOperands[T](g, rand.New(rand.NewPCG(5, 6)), false, false)
			var first []T
			for _, procs := range []int{1, 2, 8} {
				runtime.GOMAXPROCS(procs)
				for _, workers := range []int{1, 2, 3, 8, runtime.GOMAXPROCS(0)} {
					for _, a := range []*arch[T]{ar, &small} {
						c := append([]T(nil), o.c...)
						run(a, workers, g.transA, g.transB, g.m, g.n, g.k, T(g.alpha), o.a, o.lda, o.b, o.ldb, T(g.beta), c, o.ldc)
						if first == nil {
							first = c
						} else if !bitsEqual(first, c) {
							t.Fatalf("%s %v: GOMAXPROCS %d, %d workers, kc %d: bits differ from the first run", ar.name, g, procs, workers, a.kc)
						}
					}
				}
			}
		}
	}
}

// TestFMAChain checks the documented sequence of operations bit for bit:
// on the assembly kernels c = fma(alpha·a[i,p], b[p,j], c) for p in order
// (in float32 the fused result is rounded once, with math/big), on the Go
// kernel c = c + round(alpha·a·b).
func TestFMAChain(t *testing.T) {
	cases := []gemmCase{
		{m: 13, n: 35, k: 300, alpha: 1, beta: 0},
		{transA: true, transB: true, m: 7, n: 19, k: 40, alpha: -0.5, beta: 2, padA: 1, padC: 2},
		{transB: true, m: 5, n: 3, k: 600, alpha: 2, beta: 1},
	}
	t.Run("float32", func(t *testing.T) {
		for _, ar := range archs32 {
			fused := ar.name != "go 4x4"
			testChain(t, ar, cases, func(x, y, acc float32) float32 {
				if !fused {
					return acc + x*y
				}
				const prec = 400 // exact for any float32 operands
				p := new(big.Float).SetPrec(prec).SetFloat64(float64(x))
				p.Mul(p, new(big.Float).SetPrec(prec).SetFloat64(float64(y)))
				p.Add(p, new(big.Float).SetPrec(prec).SetFloat64(float64(acc)))
				f, _ := p.Float32()
				return f
			})
		}
	})
	t.Run("float64", func(t *testing.T) {
		for _, ar := range archs64 {
			fused := ar.name != "go 4x4"
			testChain(t, ar, cases, func(x, y, acc float64) float64 {
				if !fused {
					return acc + float64(x*y)
				}
				return math.FMA(x, y, acc)
			})
		}
	})
}

func testChain[T float](t *testing.T, ar *arch[T], cases []gemmCase, madd func(x, y, acc T) T) {
	for _, g := range cases {
		o := newOperands[T](g, rand.New(rand.NewPCG(7, 8)), false, false)
		want := append([]T(nil), o.c...)
		alpha, beta := T(g.alpha), T(g.beta)
		for i := range g.m {
			for j := range g.n {
				acc := want[i*o.ldc+j]
				if beta == 0 {
					acc = 0
				} else if beta != 1 {
					acc *= beta
				}
				for p := range g.k {
					ia, ib := i*o.lda+p, p*o.ldb+j
					if g.transA {
						ia = p*o.lda + i
					}
					if g.transB {
						ib = j*o.ldb + p
					}
					av, bv := o.a[ia], o.b[ib]
					acc = madd(alpha*av, bv, acc)
				}
				want[i*o.ldc+j] = acc
			}
		}
		run(ar, 2, g.transA, g.transB, g.m, g.n, g.k, alpha, o.a, o.lda, o.b, o.ldb, beta, o.c, o.ldc)
		if !bitsEqual(want, o.c) {
			t.Errorf("%s %v: C differs from the sequence of the package documentation", ar.name, g)
		}
	}
}

// TestKernelsAgree runs random products, shapes chosen to cut tiles of
// every kernel at their edges (m up to 3 tiles of 12 rows, n up to 3 of
// 32 columns, k across several blocks), on every fused-multiply-add
// kernel this CPU has (AVX-512 and AVX2), and requires the same bits from
// all of them: each element is the same chain of FMAs whatever the tile.
func TestKernelsAgree(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testKernelsAgree(t, archs32) })
	t.Run("float64", func(t *testing.T) { testKernelsAgree(t, archs64) })
}

func testKernelsAgree[T float](t *testing.T, archs []*arch[T]) {
	var fused []*arch[T]
	for _, ar := range archs {
		if ar.name != "go 4x4" {
			fused = append(fused, ar)
		}
	}
	if len(fused) < 2 {
		t.Skipf("%d fused kernel(s) on this CPU and build: nothing to compare", len(fused))
	}
	rng := rand.New(rand.NewPCG(9, 10))
	scalars := []float64{0, 1, -1, -0.5, 2}
	for range 120 {
		g := gemmCase{transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
			m: 1 + rng.IntN(37), n: 1 + rng.IntN(97), k: rng.IntN(700),
			alpha: scalars[rng.IntN(len(scalars))], beta: scalars[rng.IntN(len(scalars))],
			padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3)}
		o := newOperands[T](g, rng, false, false)
		var first []T
		for _, ar := range fused {
			c := append([]T(nil), o.c...)
			run(ar, 1+rng.IntN(3), g.transA, g.transB, g.m, g.n, g.k, T(g.alpha), o.a, o.lda, o.b, o.ldb, T(g.beta), c, o.ldc)
			if first == nil {
				first = c
			} else if !bitsEqual(first, c) {
				t.Fatalf("%v: %s and %s differ", g, fused[0].name, ar.name)
			}
		}
	}
}
