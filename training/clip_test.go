package training

import (
	"math"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

func TestClipGlobalNorm(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			mk := func(v ...float64) *tensor.Dense {
				return asType(tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v)), dt)
			}
			// Global norm of (3) and (0, 4) is 5.
			a, b := mk(3), mk(0, 4)
			params := []Param{{Name: "a", Grad: a}, {Name: "b", Grad: b}}
			norm, err := ClipGlobalNorm(params, 10)
			if err != nil || norm != 5 {
				t.Fatalf("norm %v, %v; want 5", norm, err)
			}
			if toFloat64s(a)[0] != 3 || toFloat64s(b)[1] != 4 {
				t.Errorf("gradients below the limit changed: %v %v", a, b)
			}
			// max_norm 1: scale = 1/(5 + 1e-6).
			norm, err = ClipGlobalNorm(params, 1)
			if err != nil || norm != 5 {
				t.Fatalf("norm %v, %v; want 5", norm, err)
			}
			scale := 1 / (5 + 1e-6)
			tol := goldenTol[dt]
			if e := maxRelErr(append(toFloat64s(a), toFloat64s(b)...), []float64{3 * scale, 0, 4 * scale}, 1e-3); e > tol {
				t.Errorf("clipped to %v %v (error %g)", a, b, e)
			}
			if n, _ := ClipGlobalNorm(params, 100); math.Abs(n-5*scale) > tol {
				t.Errorf("norm after clipping %v, want %v", n, 5*scale)
			}
		})
	}
}

func TestClipNonFinite(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		g := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{bad, 1}))
		norm, err := ClipGlobalNorm([]Param{{Name: "g", Grad: g}}, 1)
		if err != nil || !(math.IsNaN(norm) || math.IsInf(norm, 1)) {
			t.Errorf("norm %v, %v", norm, err)
		}
		if g.Float64s()[1] != 1 {
			t.Errorf("gradients scaled despite a non-finite norm: %v", g.Float64s())
		}
	}
	if norm, err := ClipGlobalNorm(nil, 1); norm != 0 || err != nil {
		t.Errorf("no parameters: %v, %v", norm, err)
	}
}

func TestClipErrors(t *testing.T) {
	g := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 1}))
	for _, m := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if _, err := ClipGlobalNorm([]Param{{Name: "g", Grad: g}}, m); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("maxNorm %v: %v", m, err)
		}
	}
	tr := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 2, 3, 4}))
	if err := tr.T(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		g    *tensor.Dense
		want error
	}{
		{"nil", nil, ErrNilTensor},
		{"ints", tensor.New(tensor.WithShape(1), tensor.WithBacking([]int{1})), ErrUnsupportedDtype},
		{"transposed", tr, ErrNotContiguous},
	} {
		big := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{100}))
		_, err := ClipGlobalNorm([]Param{{Name: "big", Grad: big}, {Name: "x", Grad: tc.g}}, 1)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if big.Float64s()[0] != 100 {
			t.Errorf("%s: valid gradient scaled despite the error", tc.name)
		}
	}
}

func TestJSONFloat(t *testing.T) {
	for _, x := range []float64{0, math.Copysign(0, -1), 0.1, -1e300, 5e-324, math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN()} {
		b, err := jsonFloat(x).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var y jsonFloat
		if err := y.UnmarshalJSON(b); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if math.Float64bits(float64(y)) != math.Float64bits(x) && !(math.IsNaN(x) && math.IsNaN(float64(y))) {
			t.Errorf("%v → %s → %v", x, b, float64(y))
		}
	}
	var y jsonFloat
	for _, bad := range []string{`"inf"`, `"1.5"`, `true`, `{}`} {
		if err := y.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestStopReasons(t *testing.T) {
	for r, want := range map[StopReason]string{
		StopEarlyStopping: "early_stopping", StopMaxEpochs: "max_epochs", StopDiverged: "diverged", StopCancelled: "cancelled",
	} {
		if r.String() != want {
			t.Errorf("%v, want %s", r, want)
		}
	}
}
