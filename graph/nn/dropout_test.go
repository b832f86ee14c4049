package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
	"github.com/gozoo/zoo/internal/zootest"
)

// dropoutRun builds x → dropout → Σ(y⊙R) in mode, runs it once, and returns
// the output and the gradient with respect to x (nil in eval modes).
func dropoutRun(t *testing.T, dt tensor.Dtype, mode graph.Mode, rate float64, scaling DropoutScaling, seed uint64, x []float64) (y, gx []float64) {
	t.Helper()
	s, _ := graph.NewStore(dt)
	// A parameter multiplies x so the program has something to differentiate;
	// its value is 1, so d/dx is exactly the dropout gradient.
	one, err := s.NewParam(graph.ParamSpec{Name: "one", Shape: tensor.Shape{1, len(x)}, Init: graph.Ones}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDropout("drop", rate, scaling)
	if err != nil {
		t.Fatal(err)
	}
	b := graph.NewBuilder(s, mode, rand.New(rand.NewPCG(seed, 0)))
	xn, xt := b.Input("x", 1, len(x))
	copyFloat(xt, x)
	w, _ := b.Var(one)
	h := G.Must(G.HadamardProd(xn, w))
	out, err := d.Forward(b, h)
	if err != nil {
		t.Fatal(err)
	}
	var cost *G.Node
	if mode == graph.Train {
		cost = G.Must(G.Sum(out))
	}
	p, err := graph.Compile(b, cost)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	y = zootest.Floats(t, out.Value())
	if mode == graph.Train {
		g, err := p.Grad(0) // ∂/∂one = x ⊙ ∂y/∂h
		if err != nil {
			t.Fatal(err)
		}
		gx = zootest.Floats(t, g)
		for i := range gx {
			gx[i] /= x[i]
		}
	}
	return y, gx
}

func copyFloat(dst *tensor.Dense, src []float64) {
	switch d := dst.Data().(type) {
	case []float32:
		for i, v := range src {
			d[i] = float32(v)
		}
	case []float64:
		copy(d, src)
	}
}

func TestDropout(t *testing.T) {
	const n = 200_000
	x := make([]float64, n)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range x {
		x[i] = 0.5 + rng.Float64() // in [0.5, 1.5): never 0, so a zero output is a drop
	}
	for _, dt := range []tensor.Dtype{graph.Float32, graph.Float64} {
		for _, p := range []float64{0.2, 0.5} {
			t.Run(fmt.Sprintf("%v/p=%g", dt, p), func(t *testing.T) {
				y, gx := dropoutRun(t, dt, graph.Train, p, Inverted, 1, x)
				dropped := 0
				var sumX, sumY float64
				for i := range y {
					if y[i] == 0 {
						dropped++
					} else if math.Abs(y[i]-x[i]/(1-p)) > 1e-6*x[i]/(1-p) {
						t.Fatalf("kept unit %d: y=%v, want x/(1-p)=%v", i, y[i], x[i]/(1-p))
					}
					// The gradient is mask/(1−p): 0 where dropped, 1/(1−p) where kept.
					want := 0.0
					if y[i] != 0 {
						want = 1 / (1 - p)
					}
					if math.Abs(gx[i]-want) > 1e-5*want+1e-12 {
						t.Fatalf("unit %d: gradient %v, want %v", i, gx[i], want)
					}
					sumX += x[i]
					sumY += y[i]
				}
				// Binomial: the drop count has mean n·p and σ = √(n·p·(1−p)).
				sigma := math.Sqrt(n * p * (1 - p))
				if d := math.Abs(float64(dropped) - n*p); d > 4*sigma {
					t.Errorf("dropped %d of %d, expected %.0f ± 4·%.1f", dropped, n, n*p, sigma)
				}
				// E[y] = x: the sum of y differs from Σx by a sum of independent
				// terms x_i·(m_i/(1−p) − 1) with variance x_i²·p/(1−p).
				var v float64
				for _, xi := range x {
					v += xi * xi * p / (1 - p)
				}
				if d := math.Abs(sumY - sumX); d > 4*math.Sqrt(v) {
					t.Errorf("Σy = %.1f, Σx = %.1f: differ by more than 4σ = %.1f", sumY, sumX, 4*math.Sqrt(v))
				}
			})
		}
	}
}

func TestDropoutEvalModes(t *testing.T) {
	x := []float64{1, -2, 3, 0.5}
	y, _ := dropoutRun(t, graph.Float64, graph.Eval, 0.3, Inverted, 1, x)
	for i := range x {
		if y[i] != x[i] {
			t.Fatalf("inverted eval: y=%v, want identity %v", y, x)
		}
	}
	y, _ = dropoutRun(t, graph.Float64, graph.Eval, 0.3, WeightScaling, 1, x)
	for i := range x {
		if math.Abs(y[i]-0.7*x[i]) > 1e-15 {
			t.Fatalf("weight-scaling eval: y=%v, want 0.7·x", y)
		}
	}
	// Weight scaling does not scale in training: kept units pass unchanged.
	y, _ = dropoutRun(t, graph.Float64, graph.Train, 0.3, WeightScaling, 1, x)
	for i := range x {
		if y[i] != 0 && y[i] != x[i] {
			t.Fatalf("weight-scaling train: y=%v, want x or 0", y)
		}
	}
	// Monte-Carlo mode keeps sampling inverted masks at evaluation.
	big := make([]float64, 1000)
	for i := range big {
		big[i] = 1
	}
	y, _ = dropoutRun(t, graph.Float64, graph.MonteCarlo, 0.5, Inverted, 1, big)
	zeros := 0
	for _, v := range y {
		if v == 0 {
			zeros++
		} else if v != 2 {
			t.Fatalf("MC dropout kept unit = %v, want 2", v)
		}
	}
	if zeros < 400 || zeros > 600 {
		t.Fatalf("MC dropout dropped %d of 1000 at p=0.5", zeros)
	}
}

func TestDropoutSeeds(t *testing.T) {
	x := make([]float64, 1000)
	for i := range x {
		x[i] = 1
	}
	a, _ := dropoutRun(t, graph.Float32, graph.Train, 0.5, Inverted, 7, x)
	b, _ := dropoutRun(t, graph.Float32, graph.Train, 0.5, Inverted, 7, x)
	c, _ := dropoutRun(t, graph.Float32, graph.Train, 0.5, Inverted, 8, x)
	same, differ := true, false
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if !same {
		t.Error("same seed gave different masks")
	}
	if !differ {
		t.Error("different seeds gave the same mask")
	}
}

func TestDropoutConfig(t *testing.T) {
	for _, rate := range []float64{-0.1, 1, 1.5, math.NaN()} {
		if _, err := NewDropout("d", rate, Inverted); err == nil {
			t.Errorf("rate %v accepted", rate)
		}
	}
	d, _ := NewDropout("d", 0.5, Inverted)
	s, _ := graph.NewStore(graph.Float32)
	b := graph.NewBuilder(s, graph.Train, nil)
	x, _ := b.Input("x", 2, 3)
	if _, err := d.Forward(b, x); err == nil {
		t.Error("training dropout built without a random source")
	}
}

// TestDropoutMasksChangeEachRun: a new mask is drawn before every run.
func TestDropoutMasksChangeEachRun(t *testing.T) {
	s, _ := graph.NewStore(graph.Float64)
	d, _ := NewDropout("d", 0.5, Inverted)
	b := graph.NewBuilder(s, graph.MonteCarlo, rand.New(rand.NewPCG(1, 1)))
	x, xt := b.Input("x", 1, 64)
	if err := xt.Memset(1.0); err != nil {
		t.Fatal(err)
	}
	y, err := d.Forward(b, x)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var prev []float64
	for run := 0; run < 3; run++ {
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		cur := zootest.Floats(t, y.Value())
		if prev != nil {
			same := true
			for i := range cur {
				same = same && cur[i] == prev[i]
			}
			if same {
				t.Fatalf("run %d reused the previous mask", run)
			}
		}
		prev = cur
	}
}

// TestDropoutMaskStream pins the documented mask stream: element 2i is
// dropped when the low 32 bits of the i-th rng.Uint64 are below
// round(p·2³²), element 2i+1 when the high 32 bits are; an odd last element
// uses the low half of one more draw. Same seed, same mask, bit for bit.
func TestDropoutMaskStream(t *testing.T) {
	for _, n := range []int{1, 2, 7, 64} {
		for _, p := range []float64{0.2, 0.5} {
			t.Run(fmt.Sprintf("n=%d/p=%g", n, p), func(t *testing.T) {
				x := make([]float64, n)
				for i := range x {
					x[i] = 1
				}
				y, _ := dropoutRun(t, graph.Float64, graph.Train, p, Inverted, 11, x)
				ref := rand.New(rand.NewPCG(11, 0))
				thr := uint64(math.Round(p * 4294967296))
				var r uint64
				for i := range y {
					u := r >> 32
					if i%2 == 0 {
						r = ref.Uint64()
						u = r & 0xffffffff
					}
					want := 1 / (1 - p)
					if u < thr {
						want = 0
					}
					if y[i] != want {
						t.Fatalf("element %d: %v, want %v", i, y[i], want)
					}
				}
			})
		}
	}
	if got := ops.DropThreshold(0.5); got != 1<<31 {
		t.Errorf("ops.DropThreshold(0.5) = %d, want 2³¹", got)
	}
	if got := ops.DropThreshold(math.Nextafter(1, 0)); got != 1<<32 {
		t.Errorf("ops.DropThreshold(1−ε) = %d, want 2³² (every draw drops)", got)
	}
}
