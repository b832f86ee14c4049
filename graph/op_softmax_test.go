package graph

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Tolerances for comparisons with the PyTorch fixtures in testdata/golden
// (made by tools/golden/make_golden.py in float64), measured by lpMaxRel.
const (
	lpTol64 = 1e-5
	lpTol32 = 1e-4
)

// lpMaxRel is the error metric of every fixture comparison in the op tests:
// max_i |got_i − want_i| / max(max_i |want_i|, 1e-8). It is +Inf if the
// lengths differ and NaN if any value is NaN or infinite.
func lpMaxRel(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, m float64
	for i := range want {
		if math.IsNaN(got[i]) || math.IsInf(got[i], 0) {
			return math.NaN()
		}
		d = math.Max(d, math.Abs(got[i]-want[i]))
		m = math.Max(m, math.Abs(want[i]))
	}
	return d / math.Max(m, 1e-8)
}

// lpDtypes are the dtypes every op test runs in, with their fixture tolerance.
var lpDtypes = []struct {
	dt  tensor.Dtype
	tol float64
}{{tensor.Float64, lpTol64}, {tensor.Float32, lpTol32}}

// lpFloats returns a tensor's values as float64.
func lpFloats(t testing.TB, v G.Value) []float64 {
	t.Helper()
	switch x := v.Data().(type) {
	case []float64:
		return append([]float64(nil), x...)
	case []float32:
		out := make([]float64, len(x))
		for i, f := range x {
			out[i] = float64(f)
		}
		return out
	case float64:
		return []float64{x}
	case float32:
		return []float64{float64(x)}
	}
	t.Fatalf("not a float value: %T", v.Data())
	return nil
}

// lpCast returns a copy of the float64 tensor d in dtype dt.
func lpCast(d *tensor.Dense, dt tensor.Dtype) *tensor.Dense {
	vals := d.Float64s()
	if dt == tensor.Float64 {
		return tensor.New(tensor.WithShape(d.Shape().Clone()...), tensor.WithBacking(append([]float64(nil), vals...)))
	}
	return tensor.New(tensor.WithShape(d.Shape().Clone()...), tensor.WithBacking(castSlice(tensor.Float32, vals)))
}

// lpRun builds build(inputs) in dtype dt on a TapeMachine, with the cost
// L = Σ y ⊙ gy (or L = y for a scalar y when gy is nil), runs it once and
// returns y and dL/d inputs[i] for every i with wrt[i] (nil for the others).
func lpRun(t testing.TB, dt tensor.Dtype, build gradBuilder, inputs []*tensor.Dense, wrt []bool, gy *tensor.Dense) ([]float64, [][]float64) {
	t.Helper()
	g := G.NewGraph()
	nodes := make([]*G.Node, len(inputs))
	var params []*G.Node
	for i, in := range inputs {
		v := lpCast(in, dt)
		nodes[i] = G.NewTensor(g, dt, v.Dims(), G.WithShape(v.Shape().Clone()...), G.WithName(fmt.Sprintf("in%d", i)), G.WithValue(v))
		if wrt[i] {
			params = append(params, nodes[i])
		}
	}
	y, err := build(g, nodes)
	if err != nil {
		t.Fatalf("build: %+v", err)
	}
	// Read y through a Read node: after the backward pass the tape machine
	// may have reused y's buffer (Sigmoid's and Tanh's gradients write over
	// their output), so y.Value() is not y any more.
	var yv G.Value
	G.Read(y, &yv)
	cost := y
	if gy != nil {
		v := lpCast(gy, dt)
		gn := G.NewTensor(g, dt, v.Dims(), G.WithShape(v.Shape().Clone()...), G.WithName("gy"), G.WithValue(v))
		prod, err := G.HadamardProd(y, gn)
		if err != nil {
			t.Fatalf("cost: %+v", err)
		}
		if cost, err = G.Sum(prod); err != nil {
			t.Fatalf("cost: %+v", err)
		}
	}
	if len(params) > 0 {
		if _, err := G.Grad(cost, params...); err != nil {
			t.Fatalf("grad: %+v", err)
		}
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("run: %+v", err)
	}
	grads := make([][]float64, len(inputs))
	for i, n := range nodes {
		if !wrt[i] {
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			t.Fatalf("grad of input %d: %+v", i, err)
		}
		grads[i] = lpFloats(t, gv)
	}
	return lpFloats(t, yv), grads
}

// lpCheckClose fails the test if lpMaxRel(got, want) exceeds tol and logs the error.
func lpCheckClose(t testing.TB, what string, got, want []float64, tol float64) float64 {
	t.Helper()
	e := lpMaxRel(got, want)
	if !(e <= tol) {
		t.Errorf("%s: max relative error %.3g > %g\ngot  %v\nwant %v", what, e, tol, got, want)
	}
	return e
}

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
			e := lpMaxRel(c.got, want)
			if bad := !(e <= lpTol64); bad != c.bad {
				t.Errorf("lpMaxRel = %g, flagged %v, want %v", e, bad, c.bad)
			}
		})
	}
}

// lpSoftmaxRef is the textbook softmax of one row in float64 around the
// row's maximum, the reference for the op tests.
func lpSoftmaxRef(row []float64) []float64 {
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

// lpLogSoftmaxRef is log softmax of one row in float64 without underflow:
// x − m − log Σ exp(x − m).
func lpLogSoftmaxRef(row []float64) []float64 {
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
	// The NOTES example where tensor's LogSoftMax gives [0 -1000 +Inf +Inf]:
	// each row is shifted by its own maximum, so both rows are exact.
	notes := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1000, 0, 0, -5}))
	wantLog := []float64{0, -1000, -math.Log1p(math.Exp(-5)), -5 - math.Log1p(math.Exp(-5))}
	large := loadGolden(t, "layers", "softmax_ce_large", "logits")
	small := loadGolden(t, "layers", "softmax_ce_small", "logits")
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
			wantP = append(wantP, lpSoftmaxRef(row)...)
			wantL = append(wantL, lpLogSoftmaxRef(row)...)
		}
		if c.name == "notes" {
			lpCheckClose(t, "notes reference", wantL, wantLog, 1e-15)
		}
		for _, d := range lpDtypes {
			t.Run(fmt.Sprintf("%s/%v", c.name, d.dt), func(t *testing.T) {
				p, _ := lpRun(t, d.dt, func(_ *G.ExprGraph, in []*G.Node) (*G.Node, error) { return softmax(in[0]) },
					[]*tensor.Dense{c.x}, []bool{false}, nil)
				lpCheckClose(t, "softmax", p, wantP, d.tol)
				l, _ := lpRun(t, d.dt, func(_ *G.ExprGraph, in []*G.Node) (*G.Node, error) { return logSoftmax(in[0]) },
					[]*tensor.Dense{c.x}, []bool{false}, nil)
				lpCheckClose(t, "log-softmax", l, wantL, d.tol)
			})
		}
	}
}

// TestSoftmaxProbsFixture compares softmax with PyTorch's probs.
func TestSoftmaxProbsFixture(t *testing.T) {
	for _, name := range []string{"softmax_ce_small", "softmax_ce_large"} {
		x := loadGolden(t, "layers", name, "logits")
		want := loadGolden(t, "layers", name, "probs").Float64s()
		for _, d := range lpDtypes {
			t.Run(fmt.Sprintf("%s/%v", name, d.dt), func(t *testing.T) {
				p, _ := lpRun(t, d.dt, func(_ *G.ExprGraph, in []*G.Node) (*G.Node, error) { return softmax(in[0]) },
					[]*tensor.Dense{x}, []bool{false}, nil)
				t.Logf("max rel err %.3g", lpCheckClose(t, "probs", p, want, d.tol))
			})
		}
	}
}

func TestSoftmaxGradFD(t *testing.T) {
	for _, c := range []struct {
		name  string
		build gradBuilder
	}{
		{"softmax", func(_ *G.ExprGraph, in []*G.Node) (*G.Node, error) { return softmax(in[0]) }},
		{"log-softmax", func(_ *G.ExprGraph, in []*G.Node) (*G.Node, error) { return logSoftmax(in[0]) }},
		{"softmax then in-place ops", func(_ *G.ExprGraph, in []*G.Node) (*G.Node, error) {
			// softmax's backward pass reads its output y, which Tanh and
			// Square must not have overwritten by then.
			p, err := softmax(in[0])
			if err != nil {
				return nil, err
			}
			th, err := G.Tanh(p)
			if err != nil {
				return nil, err
			}
			return G.Square(th)
		}},
		{"both on one input", func(_ *G.ExprGraph, in []*G.Node) (*G.Node, error) {
			// Distinct ops: if they hashed together this would be 2·softmax or 2·log-softmax.
			p, err := softmax(in[0])
			if err != nil {
				return nil, err
			}
			l, err := logSoftmax(in[0])
			if err != nil {
				return nil, err
			}
			return G.Add(p, l)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := randDense(11, 4, 5)
			// Spread rows far apart: a shared maximum would underflow rows 1–3.
			for j := 0; j < 5; j++ {
				x.Float64s()[5+j] += 50
				x.Float64s()[10+j] -= 40
			}
			checkGrad(t, c.build, []*tensor.Dense{x}, nil)
		})
	}
}

func TestSoftmaxDistinctNodes(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	p, err := softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	l, err := logSoftmax(x)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	if p == l {
		t.Error("softmax and log-softmax of one input are the same node")
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
			if _, err := softmax(c.x); err == nil {
				t.Error("softmax: no error")
			}
			if _, err := logSoftmax(c.x); err == nil {
				t.Error("log-softmax: no error")
			}
		})
	}
}

// lpBenchSink keeps benchmark results alive.
var lpBenchSink G.Value

// lpBenchForwardBackward times one forward and backward pass of build on
// seeded N(0,1) inputs of the given shapes in dtype dt, with the gradient of
// L = Σ y ⊙ R (or of y itself if it is a scalar) with respect to every input
// except those given as fixed data in labels (input index → values), which
// are not differentiated.
func lpBenchForwardBackward(b *testing.B, dt tensor.Dtype, build gradBuilder, shapes [][]int, labels map[int][]float64) {
	g := G.NewGraph()
	nodes := make([]*G.Node, len(shapes))
	var params []*G.Node
	for i, s := range shapes {
		l, isLabel := labels[i]
		v := lpCast(randDense(uint64(100+i), s...), dt)
		if isLabel {
			v = lpCast(tensor.New(tensor.WithShape(s...), tensor.WithBacking(l)), dt)
		}
		nodes[i] = G.NewTensor(g, dt, len(s), G.WithShape(s...), G.WithName(fmt.Sprintf("in%d", i)), G.WithValue(v))
		if !isLabel {
			params = append(params, nodes[i])
		}
	}
	y, err := build(g, nodes)
	if err != nil {
		b.Fatal(err)
	}
	cost := y
	if !y.Shape().IsScalar() {
		r := lpCast(randDense(7, y.Shape()...), dt)
		rn := G.NewTensor(g, dt, y.Dims(), G.WithShape(y.Shape().Clone()...), G.WithName("R"), G.WithValue(r))
		if cost, err = G.Sum(G.Must(G.HadamardProd(y, rn))); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := G.Grad(cost, params...); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	lpBenchSink = cost.Value()
}

// TestSoftmaxUnderLog checks that Gorgonia's stabiliser, which rewrites
// Log(SoftMax(z)) by turning its own SoftMax node into a LogSoftMax, leaves
// zoo's softmax alone: p stays a probability vector and Log(p) its log.
func TestSoftmaxUnderLog(t *testing.T) {
	x := randDense(61, 3, 4)
	var wantP, wantL []float64
	for i := 0; i < 3; i++ {
		row := x.Float64s()[i*4 : (i+1)*4]
		wantP = append(wantP, lpSoftmaxRef(row)...)
		wantL = append(wantL, lpLogSoftmaxRef(row)...)
	}
	g := G.NewGraph()
	xn := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("x"), G.WithValue(x))
	p, err := softmax(xn)
	if err != nil {
		t.Fatal(err)
	}
	l, err := G.Log(p)
	if err != nil {
		t.Fatal(err)
	}
	var pv, lv G.Value
	G.Read(p, &pv)
	G.Read(l, &lv)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	lpCheckClose(t, "softmax", lpFloats(t, pv), wantP, 1e-15)
	lpCheckClose(t, "log softmax", lpFloats(t, lv), wantL, 1e-14)
}
