package regularizers

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// unitVectors returns each unit's incoming weight vector of v, read with
// Dense.At independently of the package's stride arithmetic: the columns
// W[:, j] of a 2-D (in, out) weight, the filters W[o] of a 4-D (O, C, kh, kw)
// one.
func unitVectors(t *testing.T, v *graph.Var) [][]float64 {
	t.Helper()
	sh := v.Shape()
	at := func(idx ...int) float64 {
		x, err := v.Value().At(idx...)
		if err != nil {
			t.Fatal(err)
		}
		switch x := x.(type) {
		case float32:
			return float64(x)
		case float64:
			return x
		}
		t.Fatalf("element %T", x)
		return 0
	}
	var out [][]float64
	switch len(sh) {
	case 2:
		for j := 0; j < sh[1]; j++ {
			var u []float64
			for i := 0; i < sh[0]; i++ {
				u = append(u, at(i, j))
			}
			out = append(out, u)
		}
	case 4:
		for o := 0; o < sh[0]; o++ {
			var u []float64
			for c := 0; c < sh[1]; c++ {
				for h := 0; h < sh[2]; h++ {
					for w := 0; w < sh[3]; w++ {
						u = append(u, at(o, c, h, w))
					}
				}
			}
			out = append(out, u)
		}
	default:
		t.Fatalf("%s: rank %d", v.Name(), len(sh))
	}
	return out
}

func norm(u []float64) float64 {
	var s float64
	for _, x := range u {
		s += x * x
	}
	return math.Sqrt(s)
}

// checkProjection checks one vector after a norm projection onto the ball of
// radius c: unchanged bit for bit if it was within c, otherwise scaled by
// c/‖before‖ with its norm now at most c + 1e-6. It reports whether the
// vector was rescaled.
func checkProjection(t *testing.T, what string, before, after []float64, c, rel float64) bool {
	t.Helper()
	nb := norm(before)
	if nb <= c {
		for i := range before {
			if math.Float64bits(before[i]) != math.Float64bits(after[i]) {
				t.Errorf("%s: norm %g ≤ %g but element %d changed %g → %g", what, nb, c, i, before[i], after[i])
			}
		}
		return false
	}
	if na := norm(after); na > c+1e-6 || na < c-1e-5 {
		t.Errorf("%s: norm %g → %g, want c = %g", what, nb, na, c)
	}
	for i := range before {
		if want := before[i] * c / nb; !near(after[i], want, rel) {
			t.Errorf("%s[%d]: %g, want %g·%g/%g = %g", what, i, after[i], before[i], c, nb, want)
		}
	}
	return true
}

func TestMaxNorm(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			s := model(t, dt)
			before := map[string][][]float64{}
			var all []float64
			for _, name := range weights {
				before[name] = unitVectors(t, mustVar(t, s, name))
				for _, u := range before[name] {
					all = append(all, norm(u))
				}
			}
			// The median unit norm, so that some units exceed c and some do not.
			slices.Sort(all)
			c := all[len(all)/2]
			snap := snapshot(s)
			m := MaxNorm{C: c}
			if err := m.AfterStep(s, 0.1); err != nil {
				t.Fatalf("%+v", err)
			}
			var scaled, kept int
			for _, name := range weights {
				v := mustVar(t, s, name)
				after := unitVectors(t, v)
				norms, err := UnitNorms(v)
				if err != nil {
					t.Fatal(err)
				}
				for u := range after {
					if checkProjection(t, name, before[name][u], after[u], c, 10*tolFor(dt)) {
						scaled++
					} else {
						kept++
					}
					if !near(norms[u], norm(after[u]), 1e-12) {
						t.Errorf("UnitNorms(%s)[%d] = %g, want %g", name, u, norms[u], norm(after[u]))
					}
				}
			}
			if scaled == 0 || kept == 0 {
				t.Fatalf("test needs both cases: %d units rescaled, %d kept", scaled, kept)
			}
			for _, name := range []string{"conv1/b", "bn1/gamma", "bn1/beta", "bn1/running_mean", "fc1/b"} {
				if slices.Contains(changed(s, snap), name) {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
}

func TestMaxNormDefault(t *testing.T) {
	s := model(t, graph.Float64)
	w := mustVar(t, s, "fc1/W")
	vals := w.Float64s()
	for i := range vals {
		vals[i] *= 10 // every column norm is now ≈ 22 > 3
	}
	set(t, w, vals)
	if err := (MaxNorm{Select: ByName("fc1/W")}).Apply(s); err != nil {
		t.Fatal(err)
	}
	for j, u := range unitVectors(t, w) {
		if n := norm(u); math.Abs(n-DefaultMaxNorm) > 1e-12 {
			t.Errorf("column %d norm %g, want the default %g", j, n, DefaultMaxNorm)
		}
	}
	if got := (MaxNorm{}).String(); got != "MaxNorm(c=3, weights)" {
		t.Errorf("String() = %q", got)
	}
}

func TestMaxNormErrors(t *testing.T) {
	cases := []struct {
		name string
		m    MaxNorm
		want error
		msg  string
	}{
		{"negative", MaxNorm{C: -1}, ErrConfig, "-1"},
		{"NaN", MaxNorm{C: math.NaN()}, ErrConfig, "NaN"},
		{"rank 1", MaxNorm{C: 1, Select: AllParams()}, ErrShape, "conv1/b"},
		{"none", MaxNorm{C: 1, Select: Layers("fc3")}, ErrNoneSelected, "fc3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := model(t, graph.Float32)
			snap := snapshot(s)
			err := c.m.Apply(s)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, c.want, c.msg)
			}
			if got := changed(s, snap); len(got) > 0 {
				t.Errorf("failed Apply changed %v", got)
			}
		})
	}
}

func TestFrobeniusNorm(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			s := model(t, dt)
			before := map[string][]float64{}
			for _, name := range weights {
				before[name] = mustVar(t, s, name).Float64s()
			}
			// conv1/W and fc1/W share the default bound, halfway between
			// their norms, so one is rescaled and one is not; fc10/W has an
			// override below its norm.
			nc, nf := norm(before["conv1/W"]), norm(before["fc1/W"])
			f := FrobeniusNorm{C: (nc + nf) / 2, Overrides: map[string]float64{"fc10/W": 0.5 * norm(before["fc10/W"])}}
			snap := snapshot(s)
			if err := f.AfterStep(s, 0.1); err != nil {
				t.Fatalf("%+v", err)
			}
			var scaled []string
			for _, name := range weights {
				c := f.C
				if o, ok := f.Overrides[name]; ok {
					c = o
				}
				if checkProjection(t, name, before[name], mustVar(t, s, name).Float64s(), c, 10*tolFor(dt)) {
					scaled = append(scaled, name)
				}
			}
			if len(scaled) != 2 || !slices.Contains(scaled, "fc10/W") {
				t.Errorf("rescaled %v, want fc10/W and the larger of conv1/W, fc1/W", scaled)
			}
			for _, name := range changed(s, snap) {
				if !slices.Contains(weights, name) {
					t.Errorf("%s changed", name)
				}
			}
			norms, err := FrobeniusNorms(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range weights {
				if want := norm(mustVar(t, s, name).Float64s()); !near(norms[name], want, 1e-12) {
					t.Errorf("FrobeniusNorms[%s] = %g, want %g", name, norms[name], want)
				}
			}
		})
	}
}

func TestFrobeniusNormErrors(t *testing.T) {
	cases := []struct {
		name string
		f    FrobeniusNorm
		want error
		msg  string
	}{
		{"negative", FrobeniusNorm{C: -3}, ErrConfig, "-3"},
		{"zero override", FrobeniusNorm{Overrides: map[string]float64{"fc1/W": 0}}, ErrConfig, `0 for "fc1/W"`},
		{"unknown override", FrobeniusNorm{C: 1, Overrides: map[string]float64{"fc2/W": 1}}, ErrUnknownVar, "fc2/W"},
		{"unselected override", FrobeniusNorm{C: 1, Overrides: map[string]float64{"fc1/b": 1}}, ErrUnknownVar, "fc1/b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := model(t, graph.Float32)
			snap := snapshot(s)
			err := c.f.Apply(s)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, c.want, c.msg)
			}
			if got := changed(s, snap); len(got) > 0 {
				t.Errorf("failed Apply changed %v", got)
			}
		})
	}
	// The zero value constrains nothing.
	s := model(t, graph.Float32)
	snap := snapshot(s)
	if err := (FrobeniusNorm{}).Apply(s); err != nil || len(changed(s, snap)) > 0 {
		t.Errorf("zero FrobeniusNorm: err %v, changed %v", err, changed(s, snap))
	}
}
