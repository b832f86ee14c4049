// Package zootest provides the helpers zoo's tests share: gradient checks by
// central finite differences and fixture runs, both on the executor that
// ships ([graph.Compile]), PyTorch fixtures from testdata/golden, and small
// numeric utilities. It is imported by tests only.
package zootest

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
)

// FDStep is the central-difference step. In float64 the truncation error is
// O(h²) ≈ 1e-12 and the round-off O(ε/h) ≈ 1e-10, both far below FDTol.
const FDStep = 1e-6

// FDTol is the largest relative error allowed between a symbolic gradient a
// and its central-difference estimate n: ‖a−n‖₂ / max(‖a‖₂, ‖n‖₂).
const FDTol = 1e-6

// Tolerances for comparisons with the PyTorch fixtures in testdata/golden
// (made by tools/golden/make_golden.py in float64), measured by [MaxRel].
const (
	Tol64 = 1e-5
	Tol32 = 1e-4
)

// Dtypes are the dtypes fixture tests run in, with their tolerance.
var Dtypes = []struct {
	DT  tensor.Dtype
	Tol float64
}{{tensor.Float64, Tol64}, {tensor.Float32, Tol32}}

// Builder builds the function under test in b from its input nodes. It may
// return a node of any shape.
type Builder func(b *graph.Builder, in []*G.Node) (*G.Node, error)

// inputStore declares inputs[i] (cast to dt) as parameter "in<i>" when
// wrt[i], else as buffer "in<i>", and returns the store and the variables.
func inputStore(t testing.TB, dt tensor.Dtype, inputs []*tensor.Dense, wrt []bool) (*graph.Store, []*graph.Var) {
	t.Helper()
	s, err := graph.NewStore(dt)
	if err != nil {
		t.Fatal(err)
	}
	vars := make([]*graph.Var, len(inputs))
	for i, in := range inputs {
		name := fmt.Sprintf("in%d", i)
		var v *graph.Var
		if wrt[i] {
			v, err = s.NewParam(graph.ParamSpec{Name: name, Shape: in.Shape().Clone(), Init: graph.Zeros}, nil)
		} else {
			v, err = s.NewBuffer(name, in.Shape().Clone(), 0)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SetFloat64s(in.Float64s()); err != nil {
			t.Fatal(err)
		}
		vars[i] = v
	}
	return s, vars
}

func allTrue(n int) []bool {
	w := make([]bool, n)
	for i := range w {
		w[i] = true
	}
	return w
}

// CheckGrad compares the symbolic gradient of L = Σ out ⊙ R (R a fixed
// random tensor, so that every output element matters; L = out for a scalar
// out) with central finite differences, with respect to every input i whose
// wrt[i] is true (all of them if wrt is nil). Inputs must be float64. The
// graph runs on zoo's executor in training mode.
func CheckGrad(t testing.TB, build Builder, inputs []*tensor.Dense, wrt []bool) {
	t.Helper()
	if wrt == nil {
		wrt = allTrue(len(inputs))
	}
	s, vars := inputStore(t, tensor.Float64, inputs, wrt)
	CheckStoreGrad(t, s, func(b *graph.Builder) (*G.Node, error) {
		nodes := make([]*G.Node, len(vars))
		for i, v := range vars {
			var err error
			if nodes[i], err = b.Var(v); err != nil {
				return nil, err
			}
		}
		return build(b, nodes)
	})
	// The finite differences perturbed the store's tensors and put them
	// back; hand the values back to the caller's tensors unchanged.
}

// CheckStoreGrad is [CheckGrad] with respect to every parameter of the
// float64 store s that the graph built by build uses.
func CheckStoreGrad(t testing.TB, s *graph.Store, build func(b *graph.Builder) (*G.Node, error)) {
	t.Helper()
	b := graph.NewBuilder(s, graph.Train, nil)
	out, err := build(b)
	if err != nil {
		t.Fatalf("build: %+v", err)
	}
	cost := out
	if !out.Shape().IsScalar() && out.Shape().TotalSize() != 1 {
		rng := rand.New(rand.NewPCG(99, 1))
		r := make([]float64, out.Shape().TotalSize())
		for i := range r {
			r[i] = rng.NormFloat64()
		}
		rn, _ := b.Constant("R", out.Shape().Clone(), r)
		if cost, err = G.Sum(G.Must(G.HadamardProd(out, rn))); err != nil {
			t.Fatalf("cost: %+v", err)
		}
	}
	p, err := graph.Compile(b, cost)
	if err != nil {
		t.Fatalf("compile: %+v", err)
	}
	defer p.Close()
	eval := func() float64 {
		if err := p.Run(); err != nil {
			t.Fatalf("run: %+v", err)
		}
		return Floats(t, cost.Value())[0]
	}
	eval()
	params := p.Params()
	analytic := make([][]float64, len(params))
	for i := range params {
		g, err := p.Grad(i)
		if err != nil {
			t.Fatal(err)
		}
		analytic[i] = Floats(t, g)
	}
	for i, v := range params {
		data := v.Value().Float64s()
		numeric := make([]float64, len(data))
		for j := range data {
			orig := data[j]
			data[j] = orig + FDStep
			fp := eval()
			data[j] = orig - FDStep
			fm := eval()
			data[j] = orig
			numeric[j] = (fp - fm) / (2 * FDStep)
		}
		if rel := RelErr(analytic[i], numeric); rel > FDTol || math.IsNaN(rel) {
			t.Errorf("%s: relative gradient error %.3g > %g\nsymbolic %v\nnumeric  %v", v.Name(), rel, FDTol, analytic[i], numeric)
		}
	}
}

// Run builds build(inputs) in dtype dt with the cost L = Σ y ⊙ gy (or L = y
// for a scalar y when gy is nil), runs it once on zoo's executor in
// training mode and returns y and dL/d inputs[i] for every i with wrt[i]
// (nil for the others).
func Run(t testing.TB, dt tensor.Dtype, build Builder, inputs []*tensor.Dense, wrt []bool, gy *tensor.Dense) ([]float64, [][]float64) {
	t.Helper()
	shapes := make([]tensor.Shape, len(inputs))
	for i, in := range inputs {
		shapes[i] = in.Shape()
	}
	var gyShape tensor.Shape
	if gy != nil {
		gyShape = gy.Shape()
	}
	return NewHarness(t, dt, build, shapes, wrt, gyShape).Run(t, inputs, gy)
}

// Harness is [Run] compiled once for many runs: a graph over inputs of
// fixed shapes with the cost L = Σ y ⊙ gy, on zoo's executor in training
// mode. Each [Harness.Run] sets the inputs and gy and runs the program.
type Harness struct {
	p     *graph.Program
	vars  []*graph.Var
	wrt   []bool
	y     *G.Node
	gy    *tensor.Dense
	index map[*graph.Var]int
}

// NewHarness builds build over inputs of the given shapes in dtype dt
// (input i a parameter when wrt[i], all of them when wrt is nil) with the
// cost L = Σ y ⊙ gy for a gy of shape gyShape (L = y for a scalar y when
// gyShape is nil) and compiles it; the program is closed when the test ends.
func NewHarness(t testing.TB, dt tensor.Dtype, build Builder, shapes []tensor.Shape, wrt []bool, gyShape tensor.Shape) *Harness {
	t.Helper()
	if wrt == nil {
		wrt = allTrue(len(shapes))
	}
	zeros := make([]*tensor.Dense, len(shapes))
	for i, sh := range shapes {
		zeros[i] = tensor.New(tensor.WithShape(sh.Clone()...), tensor.Of(tensor.Float64))
	}
	s, vars := inputStore(t, dt, zeros, wrt)
	b := graph.NewBuilder(s, graph.Train, nil)
	nodes := make([]*G.Node, len(vars))
	for i, v := range vars {
		var err error
		if nodes[i], err = b.Var(v); err != nil {
			t.Fatal(err)
		}
	}
	y, err := build(b, nodes)
	if err != nil {
		t.Fatalf("build: %+v", err)
	}
	h := &Harness{vars: vars, wrt: wrt, y: y, index: map[*graph.Var]int{}}
	cost := y
	if gyShape != nil {
		var gn *G.Node
		gn, h.gy = b.Constant("gy", gyShape.Clone(), make([]float64, gyShape.TotalSize()))
		if cost, err = G.Sum(G.Must(G.HadamardProd(y, gn))); err != nil {
			t.Fatalf("cost: %+v", err)
		}
	}
	anyWRT := false
	for _, w := range wrt {
		anyWRT = anyWRT || w
	}
	if !anyWRT {
		cost = nil
	}
	if h.p, err = graph.Compile(b, cost); err != nil {
		t.Fatalf("compile: %+v", err)
	}
	t.Cleanup(func() { h.p.Close() })
	for i, v := range h.p.Params() {
		h.index[v] = i
	}
	for i, v := range vars {
		if _, ok := h.index[v]; wrt[i] && !ok {
			t.Fatalf("input %d does not reach the cost", i)
		}
	}
	return h
}

// Run sets the inputs (float64 values cast to the harness's dtype) and gy
// (nil if the harness has none), runs the program once and returns y and
// dL/d inputs[i] for every i with wrt[i] (nil for the others).
func (h *Harness) Run(t testing.TB, inputs []*tensor.Dense, gy *tensor.Dense) ([]float64, [][]float64) {
	t.Helper()
	if len(inputs) != len(h.vars) {
		t.Fatalf("harness: %d inputs, want %d", len(inputs), len(h.vars))
	}
	for i, in := range inputs {
		if err := h.vars[i].SetFloat64s(in.Float64s()); err != nil {
			t.Fatal(err)
		}
	}
	if (gy == nil) != (h.gy == nil) {
		t.Fatalf("harness: gy given %t, harness has one %t", gy != nil, h.gy != nil)
	}
	if gy != nil {
		switch d := h.gy.Data().(type) {
		case []float32:
			for i, v := range gy.Float64s() {
				d[i] = float32(v)
			}
		case []float64:
			copy(d, gy.Float64s())
		}
	}
	if err := h.p.Run(); err != nil {
		t.Fatalf("run: %+v", err)
	}
	grads := make([][]float64, len(h.vars))
	for i, v := range h.vars {
		if !h.wrt[i] {
			continue
		}
		g, err := h.p.Grad(h.index[v])
		if err != nil {
			t.Fatal(err)
		}
		grads[i] = Floats(t, g)
	}
	return Floats(t, h.y.Value()), grads
}

// Program returns the harness's compiled program, for benchmarks that set
// the inputs once with [Harness.Run] and then time Program().Run().
func (h *Harness) Program() *graph.Program { return h.p }

// NewGraph returns a builder over an empty store of dtype dt, for tests
// that make nodes by hand in its graph (b.Graph()) and run them with
// [RunGraph].
func NewGraph(t testing.TB, dt tensor.Dtype) *graph.Builder {
	t.Helper()
	s, err := graph.NewStore(dt)
	if err != nil {
		t.Fatal(err)
	}
	return graph.NewBuilder(s, graph.Train, nil)
}

// RunGraph compiles b's graph without gradients and runs it once on zoo's
// executor, returning the run's error; read node values afterwards.
func RunGraph(t testing.TB, b *graph.Builder) error {
	t.Helper()
	p, err := graph.Compile(b, nil)
	if err != nil {
		t.Fatalf("compile: %+v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p.Run()
}

// RelErr returns ‖a−b‖₂ / max(‖a‖₂, ‖b‖₂), or ‖a−b‖₂ when both are zero.
func RelErr(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	den := math.Sqrt(math.Max(na, nb))
	if den == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d) / den
}

// MaxRel is the error metric of every fixture comparison:
// max_i |got_i − want_i| / max(max_i |want_i|, 1e-8). It is +Inf if the
// lengths differ and NaN if any value is NaN or infinite.
func MaxRel(got, want []float64) float64 {
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

// CheckClose fails the test if MaxRel(got, want) exceeds tol and returns the error.
func CheckClose(t testing.TB, what string, got, want []float64, tol float64) float64 {
	t.Helper()
	e := MaxRel(got, want)
	if !(e <= tol) {
		t.Errorf("%s: max relative error %.3g > %g\ngot  %v\nwant %v", what, e, tol, got, want)
	}
	return e
}

// Floats returns a value's elements as float64.
func Floats(t testing.TB, v G.Value) []float64 {
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

// Cast returns a copy of the float64 tensor d in dtype dt.
func Cast(d *tensor.Dense, dt tensor.Dtype) *tensor.Dense {
	return tensor.New(tensor.WithShape(d.Shape().Clone()...), tensor.WithBacking(CastSlice(dt, d.Float64s())))
}

// CastSlice converts vals to a new []float32 for tensor.Float32, or copies
// them for tensor.Float64.
func CastSlice(dt tensor.Dtype, vals []float64) any {
	if dt == tensor.Float32 {
		out := make([]float32, len(vals))
		for i, v := range vals {
			out[i] = float32(v)
		}
		return out
	}
	return append([]float64(nil), vals...)
}

// RandDense returns a float64 tensor of N(0,1) values from a seeded source.
func RandDense(seed uint64, shape ...int) *tensor.Dense {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, tensor.Shape(shape).TotalSize())
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// goldenDir is where tools/golden/make_golden.py writes the PyTorch fixtures.
func goldenDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "golden")
}

// LoadGolden reads testdata/golden/<group>/<case>/<array>.npy, a float64
// array written by tools/golden/make_golden.py, and fails the test if it is
// missing.
func LoadGolden(t testing.TB, group, name, array string) *tensor.Dense {
	t.Helper()
	path := filepath.Join(goldenDir(), group, name, array+".npy")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	defer f.Close()
	d := new(tensor.Dense)
	if err := d.ReadNpy(f); err != nil {
		t.Fatalf("golden fixture %s: %v", path, err)
	}
	return d
}

// LoadMeta reads testdata/golden/<group>/<case>/meta.json.
func LoadMeta(t testing.TB, group, name string) map[string]any {
	t.Helper()
	path := filepath.Join(goldenDir(), group, name, "meta.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden meta: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("golden meta %s: %v", path, err)
	}
	return m
}

// Param declares a parameter of s named name holding d's values.
func Param(t testing.TB, s *graph.Store, name string, d *tensor.Dense) *graph.Var {
	t.Helper()
	v, err := s.NewParam(graph.ParamSpec{Name: name, Shape: d.Shape().Clone(), Init: graph.Zeros}, nil)
	if err == nil {
		err = v.SetFloat64s(d.Float64s())
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Forward returns a builder function for [CheckStoreGrad] that applies f to
// the node of x.
func Forward(x *graph.Var, f func(b *graph.Builder, x *G.Node) (*G.Node, error)) func(b *graph.Builder) (*G.Node, error) {
	return func(b *graph.Builder) (*G.Node, error) {
		n, err := b.Var(x)
		if err != nil {
			return nil, err
		}
		return f(b, n)
	}
}
