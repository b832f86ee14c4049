package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Expected values come from ref, the textbook triple loop in float64 (for
// float32 inputs exact products; sums rounded at 2⁻⁵³), compared within
// the forward error bound of a length-k dot product (Higham, Accuracy and
// Stability of Numerical Algorithms, §3.1): |Ĉ − C| ≤ γ·(|alpha|·Σ_p|a||b|
// + |beta|·|c|) with γ = (k+3)·u, u the unit roundoff of T (the 3 covers
// the alpha, beta and final roundings). Tests with small integers, where
// every operation is exact, compare bit for bit.

// gemmCase is one product C = alpha·op(A)·op(B) + beta·C.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float64
	padA, padB     int // extra leading dimension beyond the minimum
	padC           int
}

func (g gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s_%dx%dx%d_a%g_b%g_ld+%d,%d,%d", t(g.transA), t(g.transB), g.m, g.n, g.k, g.alpha, g.beta, g.padA, g.padB, g.padC)
}

// operands holds the matrices of a case and the strides they are laid out
// with; sentinel fills the elements that are not part of a matrix.
type operands[T float] struct {
	a, b, c       []T
	lda, ldb, ldc int
}

const sentinel = -7777

// newOperands lays out random A, B, C for g. exact draws small integers
// (every product and sum of the tests is then exact in T), else uniform
// values in [−1, 1). With nanC, C holds NaN (for beta = 0 tests).
func newOperands[T float](g gemmCase, rng *rand.Rand, exact, nanC bool) operands[T] {
	rowsA, colsA := g.m, g.k
	if g.transA {
		rowsA, colsA = g.k, g.m
	}
	rowsB, colsB := g.k, g.n
	if g.transB {
		rowsB, colsB = g.n, g.k
	}
	o := operands[T]{lda: max(1, colsA+g.padA), ldb: max(1, colsB+g.padB), ldc: max(1, g.n+g.padC)}
	draw := func() T {
		if exact {
			return T(rng.IntN(7) - 3)
		}
		return T(rng.Float64()*2 - 1)
	}
	fill := func(rows, cols, ld int, nan bool) []T {
		s := make([]T, rows*ld+3) // 3 more: nothing past the end is touched
		for i := range s {
			s[i] = sentinel
		}
		for i := range rows {
			for j := range cols {
				if nan {
					s[i*ld+j] = T(math.NaN())
				} else {
					s[i*ld+j] = draw()
				}
			}
		}
		return s
	}
	o.a = fill(rowsA, colsA, o.lda, false)
	o.b = fill(rowsB, colsB, o.ldb, false)
	o.c = fill(g.m, g.n, o.ldc, nanC)
	return o
}

// ref returns the reference C and the error bound of each element.
func ref[T float](g gemmCase, o operands[T], u float64) (want, bound []float64) {
	// opA is op(A) (m×k) and opBt is op(B)ᵀ (n×k), dense, in float64.
	opA, opBt := make([]float64, g.m*g.k), make([]float64, g.n*g.k)
	for i := range g.m {
		for p := range g.k {
			if g.transA {
				opA[i*g.k+p] = float64(o.a[p*o.lda+i])
			} else {
				opA[i*g.k+p] = float64(o.a[i*o.lda+p])
			}
		}
	}
	for j := range g.n {
		for p := range g.k {
			if g.transB {
				opBt[j*g.k+p] = float64(o.b[j*o.ldb+p])
			} else {
				opBt[j*g.k+p] = float64(o.b[p*o.ldb+j])
			}
		}
	}
	want, bound = make([]float64, g.m*g.n), make([]float64, g.m*g.n)
	for i := range g.m {
		ai := opA[i*g.k : (i+1)*g.k]
		for j := range g.n {
			bj := opBt[j*g.k : (j+1)*g.k]
			var s, abs float64
			for p, av := range ai {
				s += av * bj[p]
				abs += math.Abs(av * bj[p])
			}
			c := 0.0
			if g.beta != 0 {
				c = g.beta * float64(o.c[i*o.ldc+j])
			}
			want[i*g.n+j] = g.alpha*s + c
			bound[i*g.n+j] = float64(g.k+3) * u * (math.Abs(g.alpha)*abs + math.Abs(c))
		}
	}
	return want, bound
}

// unitRoundoff returns 2⁻²⁴ for float32 and 2⁻⁵³ for float64; for
// float64 the bound doubles, as the reference itself rounds at 2⁻⁵³.
func unitRoundoff[T float]() float64 {
	var z T
	if _, ok := any(z).(float32); ok {
		return 0x1p-24
	}
	return 2 * 0x1p-53
}

// checkCase runs g with arch ar on workers goroutines and compares C with
// the reference (exactly if exact) and the sentinels with themselves.
func checkCase[T float](t *testing.T, ar *arch[T], workers int, g gemmCase, rng *rand.Rand, exact bool) {
	t.Helper()
	nanC := g.beta == 0
	o := newOperands[T](g, rng, exact, nanC)
	want, bound := ref(g, o, unitRoundoff[T]())
	a0, b0 := append([]T(nil), o.a...), append([]T(nil), o.b...)
	c0 := append([]T(nil), o.c...)
	run(ar, workers, g.transA, g.transB, g.m, g.n, g.k, T(g.alpha), o.a, o.lda, o.b, o.ldb, T(g.beta), o.c, o.ldc)
	for i := range o.a {
		if math.Float64bits(float64(o.a[i])) != math.Float64bits(float64(a0[i])) {
			t.Fatalf("%v: a[%d] changed", g, i)
		}
	}
	for i := range o.b {
		if o.b[i] != b0[i] {
			t.Fatalf("%v: b[%d] changed", g, i)
		}
	}
	bad := 0
	for idx := range o.c {
		i, j := idx/o.ldc, idx%o.ldc
		if i >= g.m || j >= g.n {
			if o.c[idx] != c0[idx] {
				t.Fatalf("%v: c[%d] (outside C) changed to %v", g, idx, o.c[idx])
			}
			continue
		}
		got, w := float64(o.c[idx]), want[i*g.n+j]
		ok := got == w
		if !exact {
			ok = math.Abs(got-w) <= bound[i*g.n+j]
		}
		if !ok {
			if bad++; bad <= 3 {
				t.Errorf("%v (%s): C[%d,%d] = %v, want %v ± %.3g", g, ar.name, i, j, got, w, bound[i*g.n+j])
			}
		}
	}
	if bad > 3 {
		t.Errorf("%v: %d wrong elements in all", g, bad)
	}
}

var edgeSizes = []int{1, 2, 3, 5, 7, 15, 17, 31, 33, 63, 65, 127, 129}

// edgeCases returns every (m, n, k) of edgeSizes, cycling through the
// transpose combinations, the (alpha, beta) pairs and the padding so that
// each size meets each of them.
func edgeCases() []gemmCase {
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.5, 2}, {2, -0.5}, {0, 2}, {1, 0.5}, {-0.5, 0}}
	var cs []gemmCase
	i := 0
	for _, m := range edgeSizes {
		for _, n := range edgeSizes {
			for _, k := range edgeSizes {
				cs = append(cs, gemmCase{transA: i&1 != 0, transB: i&2 != 0, m: m, n: n, k: k,
					alpha: ab[i%len(ab)][0], beta: ab[i%len(ab)][1], padA: i % 3, padB: (i / 3) % 2, padC: (i / 2) % 3})
				i++
			}
		}
	}
	return cs
}

// blockingCases cross the cache blocks: k around kc (256), m around mc,
// n around nc, and k = 0 (C = beta·C).
func blockingCases() []gemmCase {
	var cs []gemmCase
	for i, s := range [][3]int{
		{4, 5, 255}, {7, 17, 256}, {13, 33, 257}, {6, 16, 513}, {3, 9, 600},
		{143, 17, 9}, {144, 16, 20}, {145, 31, 40}, {289, 7, 3},
		{5, 2047, 3}, {7, 2048, 5}, {2, 2049, 17}, {3, 1025, 260},
		{9, 10, 0}, {0, 5, 5}, {5, 0, 5},
	} {
		for tr := range 4 {
			cs = append(cs, gemmCase{transA: tr&1 != 0, transB: tr&2 != 0, m: s[0], n: s[1], k: s[2],
				alpha: []float64{1, -0.5}[i%2], beta: []float64{0, 1, 2}[(i+tr)%3], padA: tr, padB: 1, padC: 2})
		}
	}
	return cs
}

// mlpCases are the products of a 784-800-800-10 MLP at batch 128: the
// forward x·W (NN), the input gradient dy·Wᵀ (NT) and the weight gradient
// xᵀ·dy (TN), and one TT.
func mlpCases() []gemmCase {
	return []gemmCase{
		{m: 128, n: 800, k: 784, alpha: 1},
		{m: 128, n: 800, k: 800, alpha: 1},
		{m: 128, n: 10, k: 800, alpha: 1},
		{transB: true, m: 128, n: 784, k: 800, alpha: 1},
		{transB: true, m: 128, n: 800, k: 10, alpha: 1},
		{transA: true, m: 784, n: 800, k: 128, alpha: 1},
		{transA: true, m: 800, n: 10, k: 128, alpha: 1, beta: 1},
		{transA: true, transB: true, m: 100, n: 120, k: 300, alpha: 2, beta: -0.5},
	}
}

func testArchs[T float](t *testing.T, archs []*arch[T]) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ar := range archs {
		t.Run(ar.name, func(t *testing.T) {
			t.Run("edge", func(t *testing.T) {
				// Every case on the default kernel, every fourth on the others.
				for i, g := range edgeCases() {
					if ar == archs[0] || i%4 == 0 {
						checkCase(t, ar, 1, g, rng, false)
					}
				}
			})
			t.Run("edge-exact", func(t *testing.T) {
				for i, g := range edgeCases() {
					if i%5 == 0 {
						checkCase(t, ar, 2, g, rng, true)
					}
				}
			})
			t.Run("blocking", func(t *testing.T) {
				for _, g := range blockingCases() {
					checkCase(t, ar, 1, g, rng, false)
					checkCase(t, ar, 3, g, rng, true)
				}
			})
			t.Run("mlp", func(t *testing.T) {
				if testing.Short() && ar != archs[0] {
					t.Skip("short: MLP shapes on the default kernel only")
				}
				for _, g := range mlpCases() {
					checkCase(t, ar, 2, g, rng, false)
				}
			})
		})
	}
}

func TestGemmFloat32(t *testing.T) { testArchs(t, archs32) }
func TestGemmFloat64(t *testing.T) { testArchs(t, archs64) }

// TestGemmRandom draws shapes, transposes, scalars and strides at random.
func TestGemmRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	scalars := []float64{0, 1, -1, -0.5, 2, 0.25}
	for i := range 150 {
		g := gemmCase{transA: rng.IntN(2) == 1, transB: rng.IntN(2) == 1,
			m: 1 + rng.IntN(70), n: 1 + rng.IntN(70), k: rng.IntN(300),
			alpha: scalars[rng.IntN(len(scalars))], beta: scalars[rng.IntN(len(scalars))],
			padA: rng.IntN(4), padB: rng.IntN(4), padC: rng.IntN(4)}
		workers := 1 + rng.IntN(4)
		if i%2 == 0 {
			checkCase(t, archs32[i/2%len(archs32)], workers, g, rng, false)
		} else {
			checkCase(t, archs64[i/2%len(archs64)], workers, g, rng, false)
		}
	}
}
