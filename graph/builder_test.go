package graph

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestStoreOrderAndNames(t *testing.T) {
	s, err := NewStore(Float32)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	mustParam := func(name string, role Role, shape ...int) {
		if _, err := s.NewParam(ParamSpec{Name: name, Role: role, Shape: shape, Fan: Fan{In: 3}, Init: HeNormal}, rng); err != nil {
			t.Fatal(err)
		}
	}
	mustParam("fc1/W", Weight, 3, 4)
	mustParam("fc1/b", Bias, 4)
	if _, err := s.NewBuffer("bn1/running_var", tensor.Shape{4}, 1); err != nil {
		t.Fatal(err)
	}
	mustParam("bn1/gamma", Scale, 4)
	var names []string
	for _, v := range s.Vars() {
		names = append(names, v.Name()+":"+v.Kind().String())
	}
	want := []string{"fc1/W:parameter", "fc1/b:parameter", "bn1/running_var:buffer", "bn1/gamma:parameter"}
	if len(names) != len(want) {
		t.Fatalf("vars %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("vars %v, want %v", names, want)
		}
	}
	if len(s.Params()) != 3 || len(s.Buffers()) != 1 || s.NumParams() != 12+4+4 {
		t.Fatalf("params %d buffers %d numParams %d", len(s.Params()), len(s.Buffers()), s.NumParams())
	}
	if _, err := s.NewBuffer("fc1/W", tensor.Shape{1}, 0); err == nil {
		t.Fatal("duplicate name accepted")
	}
	for _, bad := range []string{"", "/a", "a/", "a//b"} {
		if _, err := s.NewBuffer(bad, tensor.Shape{1}, 0); err == nil {
			t.Errorf("bad name %q accepted", bad)
		}
	}
	if _, err := s.NewBuffer("zero", tensor.Shape{0, 3}, 0); err == nil {
		t.Error("empty shape accepted")
	}
	if _, err := NewStore(tensor.Int); err == nil {
		t.Error("int store accepted")
	}
}

func TestInitIsSeeded(t *testing.T) {
	draw := func(seed uint64) []float32 {
		s, _ := NewStore(Float32)
		v, err := s.NewParam(ParamSpec{Name: "W", Shape: tensor.Shape{50, 20}, Fan: Fan{In: 50, Out: 20}, Init: GlorotUniform}, rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return v.Value().Float32s()
	}
	a, b, c := draw(1), draw(1), draw(2)
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != c[i]
	}
	if !same || !diff {
		t.Fatalf("same seed same values: %v; different seed different values: %v", same, diff)
	}
	// Glorot bound √(6/70) ≈ 0.2928.
	for _, v := range a {
		if v < -0.2928 || v > 0.2928 {
			t.Fatalf("value %v outside the Glorot bound", v)
		}
	}
}

// TestSharedParametersSeenByEvalGraph shows that the train and eval graphs bind
// to the same tensor: an in-place update made for the training graph changes
// what the evaluation graph computes, without any copy.
func TestSharedParametersSeenByEvalGraph(t *testing.T) {
	s, _ := NewStore(Float64)
	w, err := s.NewParam(ParamSpec{Name: "W", Shape: tensor.Shape{2, 2}, Init: Constant(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	build := func(mode Mode) (*Builder, *G.Node, *tensor.Dense) {
		b := NewBuilder(s, mode, nil)
		x, xt := b.Input("x", 1, 2)
		wn, err := b.Var(w)
		if err != nil {
			t.Fatal(err)
		}
		return b, G.Must(G.Mul(x, wn)), xt
	}
	tb, _, _ := build(Train)
	eb, ey, ex := build(Eval)
	copy(ex.Float64s(), []float64{1, 2})
	prog, err := Compile(eb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	run := func() []float64 {
		if err := prog.Run(); err != nil {
			t.Fatal(err)
		}
		return append([]float64(nil), ey.Value().Data().([]float64)...)
	}
	if got := run(); got[0] != 3 || got[1] != 3 {
		t.Fatalf("before update: %v, want [3 3]", got)
	}
	// An optimizer updates the training graph's parameter tensor in place.
	_, tn := tb.Params()
	tw := tn[0].Value().(*tensor.Dense)
	if tw != w.Value() {
		t.Fatal("training graph's node is not bound to the store's tensor")
	}
	tw.Float64s()[0] = 10 // W = [[10 1] [1 1]]
	if got := run(); got[0] != 12 || got[1] != 3 {
		t.Fatalf("after update: %v, want [12 3]", got)
	}
}
