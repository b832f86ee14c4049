package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
)

func TestFastBLASInstalled(t *testing.T) {
	if _, ok := G.WhichBLAS().(graph.FastBLAS); !ok {
		t.Errorf("gorgonia uses %T, want graph.FastBLAS", G.WhichBLAS())
	}
	if _, ok := tensor.WhichBLAS().(graph.FastBLAS); !ok {
		t.Errorf("tensor uses %T, want graph.FastBLAS", tensor.WhichBLAS())
	}
}

// countingBLAS is FastBLAS counting its matrix products by transposes.
type countingBLAS struct {
	graph.FastBLAS
	mu    *sync.Mutex
	calls map[string]int
}

func (c countingBLAS) count(prefix string, tA, tB blas.Transpose) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[fmt.Sprintf("%s%c%c", prefix, tA, tB)]++
}

func (c countingBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cc []float32, ldc int) {
	c.count("S", tA, tB)
	c.FastBLAS.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

func (c countingBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, cc []float64, ldc int) {
	c.count("D", tA, tB)
	c.FastBLAS.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cc, ldc)
}

// runLinearConv builds a Linear layer and a Conv2D layer whose inputs are
// parameters, so that the program computes y = x·W, its gradients dW = xᵀ·dy
// and dx = dy·Wᵀ, and the convolution's three products; the cost is
// Σy² + Σz² (so dy = 2y). It runs the program once with the BLAS installed
// and returns the layer outputs and all gradients, in a fixed order.
func runLinearConv(t *testing.T, dt tensor.Dtype, batch, in, out int) [][]float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	s, err := graph.NewStore(dt)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	xv, err := s.NewParam(graph.ParamSpec{Name: "x", Shape: tensor.Shape{batch, in}, Init: graph.Uniform(1)}, rng)
	must(err)
	iv, err := s.NewParam(graph.ParamSpec{Name: "img", Shape: tensor.Shape{3, 2, 6, 5}, Init: graph.Uniform(1)}, rng)
	must(err)
	l, err := nn.NewLinear(s, "fc", in, out, nn.LinearConfig{}, rng)
	must(err)
	c, err := nn.NewConv2D(s, "conv", 2, 4, [2]int{3, 3}, nn.Conv2DConfig{Padding: [2]int{1, 1}}, rng)
	must(err)
	b := graph.NewBuilder(s, graph.Train, rng)
	x, err := b.Var(xv)
	must(err)
	img, err := b.Var(iv)
	must(err)
	y, err := l.Forward(b, x)
	must(err)
	z, err := c.Forward(b, img)
	must(err)
	cost := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Square(y)))), G.Must(G.Sum(G.Must(G.Square(z))))))
	p, err := graph.Compile(b, cost)
	must(err)
	defer p.Close()
	must(p.Run())
	f64 := func(v any) []float64 {
		d := v.(*tensor.Dense)
		var r []float64
		switch s := d.Data().(type) {
		case []float32:
			for _, x := range s {
				r = append(r, float64(x))
			}
		case []float64:
			r = append(r, s...)
		}
		return r
	}
	res := [][]float64{f64(y.Value()), f64(z.Value())}
	for i := range p.Params() {
		g, err := p.Grad(i)
		must(err)
		res = append(res, f64(g))
	}
	return res
}

// TestFastBLASRoutesProducts checks that Linear's product and both of its
// gradients, and the convolution, reach the installed BLAS's Sgemm/Dgemm.
func TestFastBLASRoutesProducts(t *testing.T) {
	defer graph.UseFastBLAS()
	for _, dt := range []tensor.Dtype{graph.Float32, graph.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			cb := countingBLAS{mu: new(sync.Mutex), calls: map[string]int{}}
			G.Use(cb)
			runLinearConv(t, dt, 5, 7, 3)
			prefix := "S"
			if dt == graph.Float64 {
				prefix = "D"
			}
			// Linear: y = x·W (NN), dx = dy·Wᵀ (NT), dW = xᵀ·dy (TN);
			// conv: W·col (NN), Wᵀ·gy (TN), gy·colᵀ (NT).
			for _, tr := range []string{"NN", "NT", "TN"} {
				if cb.calls[prefix+tr] == 0 {
					t.Errorf("no %s%s product reached the BLAS; calls: %v", prefix, tr, cb.calls)
				}
			}
		})
	}
}

// TestFastBLASMatchesGonum compares a Linear and a Conv2D forward and
// backward pass on FastBLAS with the same on gonum's BLAS; the two round
// differently, so they agree to a few units of the last place of T.
func TestFastBLASMatchesGonum(t *testing.T) {
	defer graph.UseFastBLAS()
	for _, tc := range []struct {
		dt  tensor.Dtype
		tol float64
	}{{graph.Float32, 2e-6}, {graph.Float64, 1e-14}} {
		t.Run(tc.dt.String(), func(t *testing.T) {
			G.Use(gonum.Implementation{})
			want := runLinearConv(t, tc.dt, 33, 70, 21)
			graph.UseFastBLAS()
			got := runLinearConv(t, tc.dt, 33, 70, 21)
			for i := range want {
				scale := 0.0
				for _, v := range want[i] {
					scale = max(scale, math.Abs(v))
				}
				for j := range want[i] {
					if d := math.Abs(got[i][j] - want[i][j]); d > tc.tol*scale || math.IsNaN(got[i][j]) {
						t.Fatalf("result %d[%d]: %v with graph.FastBLAS, %v with gonum (|Δ| %.3g > %.3g)", i, j, got[i][j], want[i][j], d, tc.tol*scale)
					}
				}
			}
		})
	}
}

// TestFastBLASDeterministic runs a Linear layer big enough for the
// product to be split between goroutines at GOMAXPROCS 1, 2 and 8: the
// outputs and gradients must be the same bits.
func TestFastBLASDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first [][]float64
	for _, procs := range []int{1, 2, 8} {
		runtime.GOMAXPROCS(procs)
		got := runLinearConv(t, graph.Float32, 128, 300, 200)
		if first == nil {
			first = got
			continue
		}
		for i := range got {
			for j := range got[i] {
				if math.Float64bits(got[i][j]) != math.Float64bits(first[i][j]) {
					t.Fatalf("GOMAXPROCS %d: result %d[%d] = %v, %v at GOMAXPROCS 1", procs, i, j, got[i][j], first[i][j])
				}
			}
		}
	}
}

// TestFastBLASRejectsLikeGonum: arguments that gonum's BLAS rejects make
// FastBLAS panic with gonum's message (BLAS routines panic by contract).
func TestFastBLASRejectsLikeGonum(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 4)
	for _, tc := range []struct {
		name string
		call func(G.BLAS)
	}{
		{"lda", func(bl G.BLAS) { bl.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) }},
		{"short c", func(bl G.BLAS) { bl.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, c[:3], 2) }},
		{"negative k", func(bl G.BLAS) { bl.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, -1, 1, a, 3, b, 2, 0, c, 2) }},
		{"transpose", func(bl G.BLAS) { bl.Sgemm(blas.Transpose('x'), blas.NoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2) }},
		{"dgemm ldc", func(bl G.BLAS) {
			bl.Dgemm(blas.NoTrans, blas.NoTrans, 2, 2, 1, 1, make([]float64, 2), 1, make([]float64, 2), 2, 0, make([]float64, 4), 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			catch := func(bl G.BLAS) (r any) {
				defer func() { r = recover() }()
				tc.call(bl)
				return nil
			}
			want, got := catch(gonum.Implementation{}), catch(graph.FastBLAS{})
			if want == nil || got != want {
				t.Errorf("graph.FastBLAS panics with %v, gonum with %v", got, want)
			}
		})
	}
}

// Package graph installs FastBLAS when it is initialised; every matrix
// product of Gorgonia and of zoo's convolution goes through it.
func ExampleUseFastBLAS() {
	fmt.Printf("%T\n", G.WhichBLAS())
	G.Use(gonum.Implementation{}) // back to gonum's pure-Go BLAS
	fmt.Printf("%T\n", G.WhichBLAS())
	graph.UseFastBLAS()
	fmt.Printf("%T\n", G.WhichBLAS())
	// Output:
	// graph.FastBLAS
	// gonum.Implementation
	// graph.FastBLAS
}
