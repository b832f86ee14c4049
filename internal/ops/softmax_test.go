package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/zootest"
)

// Tolerances for comparisons with the PyTorch fixtures in testdata/golden
// (made by tools/golden/make_golden.py in float64), measured by maxRel.

// TestLpMaxRelFlags proves the fixture metric can fail.
func TestLpMaxRelFlags(t *testing.T) {
	want := []float64{1, -2, 4}
	cases := []struct {
		name string
		got  []float64
		bad  bool
	}{
		{"equal", []float64{1, -2, 4}, false},
		{"off by 1e-3", []float64{1, -2, 4.004}, true},
		{"nan", []float64{1, math.NaN(), 4}, true},
		{"inf", []float64{1, math.Inf(-1), 4}, true},
		{"short", []float64{1, -2}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := zootest.MaxRel(c.got, want)
			if bad := !(e <= zootest.Tol64); bad != c.bad {
				t.Errorf("maxRel = %g, flagged %v, want %v", e, bad, c.bad)
			}
		})
	}
}

// softmaxRef is the textbook softmax of one row in float64 around the
// row's maximum, the reference for the op tests.
func softmaxRef(row []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range row {
		s += math.Exp(v - m)
	}
	out := make([]float64, len(row))
	for j, v := range row {
		out[j] = math.Exp(v-m) / s
	}
	return out
}

// logSoftmaxRef is log softmax of one row in float64 without underflow:
// x − m − log Σ exp(x − m).
func logSoftmaxRef(row []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range row {
		s += math.Exp(v - m)
	}
	out := make([]float64, len(row))
	for j, v := range row {
		out[j] = v - m - math.Log(s)
	}
	return out
}

func TestSoftmaxRows(t *testing.T) {
	// The example where tensor v0.9.24's LogSoftMax gives [0 -1000 +Inf +Inf]:
	// each row is shifted by its own maximum, so both rows are exact.
	notes := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1000, 0, 0, -5}))
	wantLog := []float64{0, -1000, -math.Log1p(math.Exp(-5)), -5 - math.Log1p(math.Exp(-5))}
	large := zootest.LoadGolden(t, "layers", "softmax_ce_large", "logits")
	small := zootest.LoadGolden(t, "layers", "softmax_ce_small", "logits")
	cases := []struct {
		name string
		x    *tensor.Dense
	}{
		{"notes", notes},
		{"fixture small", small},
		{"fixture large", large},
		{"one column", tensor.New(tensor.WithShape(3, 1), tensor.WithBacking([]float64{5, -1e3, 0}))},
	}
	for _, c := range cases {
		n, k := c.x.Shape()[0], c.x.Shape()[1]
		var wantP, wantL []float64
		for i := 0; i < n; i++ {
			row := c.x.Float64s()[i*k : (i+1)*k]
			wantP = append(wantP, softmaxRef(row)...)
			wantL = append(wantL, logSoftmaxRef(row)...)
		}
		if c.name == "notes" {
			zootest.CheckClose(t, "notes reference", wantL, wantLog, 1e-15)
		}
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.DT), func(t *testing.T) {
				p, _ := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return Softmax(in[0]) },
					[]*tensor.Dense{c.x}, []bool{false}, nil)
				zootest.CheckClose(t, "softmax", p, wantP, d.Tol)
				l, _ := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return LogSoftmax(in[0]) },
					[]*tensor.Dense{c.x}, []bool{false}, nil)
				zootest.CheckClose(t, "log-softmax", l, wantL, d.Tol)
			})
		}
	}
}

// TestSoftmaxProbsFixture compares softmax with PyTorch's probs.
func TestSoftmaxProbsFixture(t *testing.T) {
	for _, name := range []string{"softmax_ce_small", "softmax_ce_large"} {
		x := zootest.LoadGolden(t, "layers", name, "logits")
		want := zootest.LoadGolden(t, "layers", name, "probs").Float64s()
		for _, d := range zootest.Dtypes {
			t.Run(fmt.Sprintf("%s/%v", name, d.DT), func(t *testing.T) {
				p, _ := zootest.Run(t, d.DT, func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return Softmax(in[0]) },
					[]*tensor.Dense{x}, []bool{false}, nil)
				t.Logf("max rel err %.3g", zootest.CheckClose(t, "probs", p, want, d.Tol))
			})
		}
	}
}

func TestSoftmaxGradFD(t *testing.T) {
	for _, c := range []struct {
		name  string
		build zootest.Builder
	}{
		{"softmax", func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return Softmax(in[0]) }},
		{"log-softmax", func(_ *graph.Builder, in []*G.Node) (*G.Node, error) { return LogSoftmax(in[0]) }},
		{"softmax then in-place ops", func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
			// softmax's backward pass reads its output y, which Tanh and
			// Square must not have overwritten by then.
			p, err := Softmax(in[0])
			if err != nil {
				return nil, err
			}
			th, err := G.Tanh(p)
			if err != nil {
				return nil, err
			}
			return G.Square(th)
		}},
		{"both on one input", func(_ *graph.Builder, in []*G.Node) (*G.Node, error) {
			// Distinct ops: if they hashed together this would be 2·softmax or 2·log-softmax.
			p, err := Softmax(in[0])
			if err != nil {
				return nil, err
			}
			l, err := LogSoftmax(in[0])
			if err != nil {
				return nil, err
			}
			return G.Add(p, l)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := zootest.RandDense(11, 4, 5)
			// Spread rows far apart: a shared maximum would underflow rows 1–3.
			for j := 0; j < 5; j++ {
				x.Float64s()[5+j] += 50
				x.Float64s()[10+j] -= 40
			}
			zootest.CheckGrad(t, c.build, []*tensor.Dense{x}, nil)
		})
	}
}

func TestSoftmaxDistinctNodes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	p, err := Softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LogSoftmax(x)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	if p == l {
		t.Error("softmax and log-Softmax of one input are the same node")
	}
	if p != p2 {
		t.Error("softmax twice on one input should be deduplicated to one node")
	}
}

func TestSoftmaxBadInput(t *testing.T) {
	g := G.NewGraph()
	cases := []struct {
		name string
		x    *G.Node
	}{
		{"vector", G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v"))},
		{"rank 3", G.NewTensor(g, tensor.Float64, 3, G.WithShape(2, 3, 4), G.WithName("t3"))},
		{"int", G.NewMatrix(g, tensor.Int, G.WithShape(2, 3), G.WithName("i"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Softmax(c.x); err == nil {
				t.Error("softmax: no error")
			}
			if _, err := LogSoftmax(c.x); err == nil {
				t.Error("log-softmax: no error")
			}
		})
	}
}

// benchSink keeps benchmark results alive.
var benchSink G.Value

// benchForwardBackward times one forward and backward pass of build on
// seeded N(0,1) inputs of the given shapes in dtype dt, with the gradient of
// L = Σ y ⊙ R (or of y itself if it is a scalar) with respect to every input
// except those given as fixed data in labels (input index → values), which
// are not differentiated.
func benchForwardBackward(b *testing.B, dt tensor.Dtype, build zootest.Builder, shapes [][]int, labels map[int][]float64) {
	s, err := graph.NewStore(dt)
	if err != nil {
		b.Fatal(err)
	}
	bld := graph.NewBuilder(s, graph.Train, nil)
	nodes := make([]*G.Node, len(shapes))
	for i, sh := range shapes {
		name := fmt.Sprintf("in%d", i)
		vals := zootest.RandDense(uint64(100+i), sh...).Float64s()
		var v *graph.Var
		if l, isLabel := labels[i]; isLabel {
			v, err = s.NewBuffer(name, tensor.Shape(sh), 0)
			vals = l
		} else {
			v, err = s.NewParam(graph.ParamSpec{Name: name, Shape: tensor.Shape(sh), Init: graph.Zeros}, nil)
		}
		if err == nil {
			err = v.SetFloat64s(vals)
		}
		if err == nil {
			nodes[i], err = bld.Var(v)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	y, err := build(bld, nodes)
	if err != nil {
		b.Fatal(err)
	}
	cost := y
	if !y.Shape().IsScalar() {
		rn, _ := bld.Constant("R", y.Shape().Clone(), zootest.RandDense(7, y.Shape()...).Float64s())
		if cost, err = G.Sum(G.Must(G.HadamardProd(y, rn))); err != nil {
			b.Fatal(err)
		}
	}
	p, err := graph.Compile(bld, cost)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	benchSink = cost.Value()
}

// TestSoftmaxUnderLog checks that Gorgonia's stabiliser, which rewrites
// Log(SoftMax(z)) by turning its own SoftMax node into a LogSoftMax, leaves
// zoo's softmax alone: p stays a probability vector and Log(p) its log.
func TestSoftmaxUnderLog(t *testing.T) {
	x := zootest.RandDense(61, 3, 4)
	var wantP, wantL []float64
	for i := 0; i < 3; i++ {
		row := x.Float64s()[i*4 : (i+1)*4]
		wantP = append(wantP, softmaxRef(row)...)
		wantL = append(wantL, logSoftmaxRef(row)...)
	}
	b := zootest.NewGraph(t, tensor.Float64)
	g := b.Graph()
	xn := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("x"), G.WithValue(x))
	p, err := Softmax(xn)
	if err != nil {
		t.Fatal(err)
	}
	l, err := G.Log(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := zootest.RunGraph(t, b); err != nil {
		t.Fatal(err)
	}
	zootest.CheckClose(t, "softmax", zootest.Floats(t, p.Value()), wantP, 1e-15)
	zootest.CheckClose(t, "log softmax", zootest.Floats(t, l.Value()), wantL, 1e-14)
}

// TestLogSumExpsSameBits: the chunked, vectorised log-sum-exp of
// LogSoftmaxRows and the cross-entropy gives the bits of logSumExp row by
// row, for rows shorter and longer than a chunk, rows that straddle
// chunks, and rows holding ±Inf, NaN and extreme values.
func TestLogSumExpsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{1, 3, 10, 7, 1000, 1025, 2100} {
		rows := 3*lseChunk/k + 5
		x := make([]float64, rows*k)
		for i := range x {
			x[i] = rng.NormFloat64() * 20
		}
		odd := []float64{math.Inf(1), math.Inf(-1), math.NaN(), 1e308, -1e308, 750, -750}
		for i, v := range odd {
			x[(i*7%rows)*k+i%k] = v
		}
		for j := range k { // a row of -Inf only
			x[(rows-2)*k+j] = math.Inf(-1)
		}
		y := make([]float64, len(x))
		LogSoftmaxRows(x, y, k)
		labels := make([]float64, rows)
		var want float64
		for r := range rows {
			row := x[r*k : (r+1)*k]
			lse := logSumExp(row)
			for j, v := range row {
				w := v - lse
				if math.Float64bits(y[r*k+j]) != math.Float64bits(w) && !(w != w && y[r*k+j] != y[r*k+j]) {
					t.Fatalf("k %d, row %d, col %d: %v, want %v", k, r, j, y[r*k+j], w)
				}
			}
			labels[r] = float64(r % k)
			want += lse - row[r%k]
		}
		got, err := cELoss(x, labels, k)
		if err != nil {
			t.Fatal(err)
		}
		if w := want / float64(rows); math.Float64bits(got) != math.Float64bits(w) && !(w != w && got != got) {
			t.Fatalf("k %d: cross-entropy %v, want %v", k, got, w)
		}
	}
}

// TestLogSumExpsAllocateNothing: the log-sum-exp's blocks stay on the stack
// (an indirect call that let them escape cost 16 KB of garbage per call and
// 70 MB more resident memory in `zoo train`).
func TestLogSumExpsAllocateNothing(t *testing.T) {
	x := make([]float32, 1000*10)
	labels := make([]float32, 1000)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	y := make([]float32, len(x))
	if n := testing.AllocsPerRun(10, func() { LogSoftmaxRows(x, y, 10) }); n != 0 {
		t.Errorf("LogSoftmaxRows: %v allocations per call", n)
	}
	if n := testing.AllocsPerRun(10, func() { _, _ = cELoss(x, labels, 10) }); n != 0 {
		t.Errorf("cross-entropy loss: %v allocations per call", n)
	}
}
