//go:build openblas

package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/gemm"
)

// TestOpenBLASInstalled: with the openblas tag, the BLAS installed at init
// is FastBLAS on OpenBLAS, with GOMAXPROCS threads.
func TestOpenBLASInstalled(t *testing.T) {
	if _, ok := G.WhichBLAS().(graph.FastBLAS); !ok {
		t.Errorf("gorgonia uses %T, want graph.FastBLAS", G.WhichBLAS())
	}
	if _, ok := tensor.WhichBLAS().(graph.FastBLAS); !ok {
		t.Errorf("tensor uses %T, want graph.FastBLAS", tensor.WhichBLAS())
	}
	if name := graph.BLASName(); !strings.HasPrefix(name, "FastBLAS: OpenBLAS ") {
		t.Errorf("graph.BLASName() = %q, want FastBLAS: OpenBLAS ...", name)
	}
	if got, want := graph.OpenBLASThreads(), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("OpenBLAS has %d threads after init, want GOMAXPROCS = %d", got, want)
	}
	defer graph.UseFastBLAS()
	for _, tc := range []struct {
		use  G.BLAS
		want string
	}{{gonum.Implementation{}, "gonum"}, {countingBLAS{}, "graph_test.countingBLAS"}} {
		G.Use(tc.use)
		if got := graph.BLASName(); got != tc.want {
			t.Errorf("graph.BLASName() = %q with %T installed, want %q", got, tc.use, tc.want)
		}
	}
}

// TestOpenBLASThreads: SetOpenBLASThreads sets the count (0: GOMAXPROCS)
// and BLASName reports it; at a fixed thread count, repeated runs of a
// product large enough for OpenBLAS to split, and of a Linear and a Conv2D
// layer's outputs and gradients, give the same bits. (Between 1 and 2
// threads the bits differ here: OpenBLAS blocks a product differently.)
func TestOpenBLASThreads(t *testing.T) {
	defer graph.SetOpenBLASThreads(graph.OpenBLASThreads())
	for _, tc := range []struct{ set, want int }{{1, 1}, {2, 2}, {0, runtime.GOMAXPROCS(0)}} {
		graph.SetOpenBLASThreads(tc.set)
		if got := graph.OpenBLASThreads(); got != tc.want {
			t.Errorf("graph.SetOpenBLASThreads(%d): %d threads, want %d", tc.set, got, tc.want)
		}
		unit := "threads)"
		if tc.want == 1 {
			unit = "thread)"
		}
		if name := graph.BLASName(); !strings.HasSuffix(name, fmt.Sprintf("(%d %s", tc.want, unit)) {
			t.Errorf("graph.SetOpenBLASThreads(%d): graph.BLASName() = %q", tc.set, name)
		}
	}
	const m, n, k = 256, 384, 512
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			graph.SetOpenBLASThreads(threads)
			var first []float32
			for run := 0; run < 3; run++ {
				c := make([]float32, m*n)
				if err := graph.OpenBLASSgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n); err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("run %d: c[%d] = %v, %v in run 0", run, i, c[i], first[i])
					}
				}
			}
			l1 := runLinearConv(t, graph.Float32, 128, 300, 200)
			l2 := runLinearConv(t, graph.Float32, 128, 300, 200)
			for i := range l1 {
				for j := range l1[i] {
					if math.Float64bits(l1[i][j]) != math.Float64bits(l2[i][j]) {
						t.Fatalf("layer result %d[%d] = %v, then %v", i, j, l1[i][j], l2[i][j])
					}
				}
			}
		})
	}
}

// TestOpenBLASGemm compares openblasSgemm and openblasDgemm with the
// definition C = alpha·op(A)·op(B) + beta·C summed in float64, for every
// pair of transposes, padded leading dimensions and the edge cases (empty
// matrices, k = 0, alpha = 0, beta = 0 over a NaN-filled C, which must be
// overwritten as in gonum). The bound is the standard one for a sum of k
// products in T: (k+2)·ε_T·(|alpha|·Σ|a||b| + |beta|·|c|). Padding between
// rows of C must stay untouched.
func TestOpenBLASGemm(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testOpenBLASGemm(t, graph.OpenBLASSgemm, 0x1p-24) })
	t.Run("float64", func(t *testing.T) { testOpenBLASGemm(t, graph.OpenBLASDgemm, 0x1p-53) })
}

type gemmFunc[T float32 | float64] func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) error

func testOpenBLASGemm[T float32 | float64](t *testing.T, f gemmFunc[T], eps float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	const pad = 3
	for _, sz := range [][3]int{{0, 3, 2}, {3, 0, 2}, {3, 4, 0}, {1, 1, 1}, {7, 5, 3}, {33, 21, 70}, {130, 67, 257}} {
		for _, ab := range [][2]float64{{1, 0}, {0.5, 2}, {0, -0.5}, {-1.5, 1}} {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				m, n, k := sz[0], sz[1], sz[2]
				alpha, beta := ab[0], ab[1]
				name := fmt.Sprintf("%dx%dx%d/alpha=%v,beta=%v/trans=%v,%v", m, n, k, alpha, beta, tr[0], tr[1])
				t.Run(name, func(t *testing.T) {
					rowsA, colsA := m, k
					if tr[0] {
						rowsA, colsA = k, m
					}
					rowsB, colsB := k, n
					if tr[1] {
						rowsB, colsB = n, k
					}
					lda, ldb, ldc := colsA+pad, colsB+pad, n+pad
					a, b := randSlice[T](rng, rowsA*lda), randSlice[T](rng, rowsB*ldb)
					c := randSlice[T](rng, m*ldc)
					if beta == 0 {
						for i := range c {
							c[i] = T(math.NaN())
						}
					}
					const sentinel = 12345
					for i := 0; i < m; i++ {
						for j := n; j < ldc; j++ {
							c[i*ldc+j] = sentinel
						}
					}
					c0 := append([]T(nil), c...)
					if err := f(tr[0], tr[1], m, n, k, T(alpha), a, lda, b, ldb, T(beta), c, ldc); err != nil {
						t.Fatal(err)
					}
					at := func(i, p int) float64 {
						if tr[0] {
							return float64(a[p*lda+i])
						}
						return float64(a[i*lda+p])
					}
					bt := func(p, j int) float64 {
						if tr[1] {
							return float64(b[j*ldb+p])
						}
						return float64(b[p*ldb+j])
					}
					for i := 0; i < m; i++ {
						for j := 0; j < ldc; j++ {
							got := float64(c[i*ldc+j])
							if j >= n {
								if got != sentinel {
									t.Fatalf("padding c[%d][%d] changed to %v", i, j, got)
								}
								continue
							}
							var sum, abs float64
							for p := 0; p < k; p++ {
								sum += at(i, p) * bt(p, j)
								abs += math.Abs(at(i, p) * bt(p, j))
							}
							want, bound := alpha*sum, math.Abs(alpha)*abs
							if beta != 0 {
								want += beta * float64(c0[i*ldc+j])
								bound += math.Abs(beta * float64(c0[i*ldc+j]))
							}
							if d := math.Abs(got - want); !(d <= float64(k+2)*eps*bound) {
								t.Fatalf("c[%d][%d] = %v, want %v (|Δ| %.3g > %.3g)", i, j, got, want, d, float64(k+2)*eps*bound)
							}
						}
					}
				})
			}
		}
	}
}

// TestOpenBLASGemmRejects: the arguments that gonum's Sgemm rejects give
// internal/gemm's error and leave C unchanged, so that OpenBLAS never reads
// past a slice (FastBLAS then lets gonum panic with its message, which
// TestFastBLASRejectsLikeGonum checks in this build too).
func TestOpenBLASGemmRejects(t *testing.T) {
	a, b := make([]float32, 6), make([]float32, 6)
	for _, tc := range []struct {
		name              string
		transA            bool
		m, n, k, lda, ldb int
		lenC, ldc         int
		want              error
	}{
		{"negative m", false, -1, 2, 3, 3, 2, 4, 2, gemm.ErrDim},
		{"negative k", false, 2, 2, -1, 3, 2, 4, 2, gemm.ErrDim},
		{"lda", false, 2, 2, 3, 2, 2, 4, 2, gemm.ErrLd},
		{"lda transposed", true, 2, 2, 3, 1, 2, 4, 2, gemm.ErrLd},
		{"ldc", false, 2, 2, 3, 3, 2, 4, 1, gemm.ErrLd},
		{"short a", false, 3, 2, 3, 3, 2, 6, 2, gemm.ErrShort},
		{"short c", false, 2, 2, 3, 3, 2, 3, 2, gemm.ErrShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := make([]float32, tc.lenC)
			for i := range c {
				c[i] = 7
			}
			err := graph.OpenBLASSgemm(tc.transA, false, tc.m, tc.n, tc.k, 1, a, tc.lda, b, tc.ldb, 0, c, tc.ldc)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			for i, v := range c {
				if v != 7 {
					t.Fatalf("c[%d] changed to %v", i, v)
				}
			}
		})
	}
}

// randSlice returns n values uniform in [-1, 1).
func randSlice[T float32 | float64](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(2*rng.Float64() - 1)
	}
	return s
}

// In a build with the openblas tag, FastBLAS's matrix products are
// OpenBLAS's, on as many threads as GOMAXPROCS until told otherwise.
func ExampleSetOpenBLASThreads() {
	defer graph.SetOpenBLASThreads(graph.OpenBLASThreads())
	graph.SetOpenBLASThreads(1)
	fmt.Println(graph.OpenBLASThreads())
	fmt.Println(strings.HasPrefix(graph.BLASName(), "FastBLAS: OpenBLAS"))
	// Output:
	// 1
	// true
}
