package regularizers

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

func reportStore(t *testing.T, dt tensor.Dtype) *graph.Store {
	t.Helper()
	s, err := graph.NewStore(dt)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.NewParam(graph.ParamSpec{Name: "fc1/W", Shape: tensor.Shape{2, 3}}, nil)
	b, _ := s.NewParam(graph.ParamSpec{Name: "fc1/b", Role: graph.Bias, Shape: tensor.Shape{3}, Init: graph.Constant(7)}, nil)
	c, _ := s.NewParam(graph.ParamSpec{Name: "fc2/W", Shape: tensor.Shape{2, 2}}, nil)
	if a == nil || b == nil || c == nil {
		t.Fatal("declare")
	}
	set(t, a, []float64{0, 0, 0.0005, -0.5, 1, 2})
	// fc2/W stays all zero.
	return s
}

// TestReport checks counts and histograms worked out by hand with
// numpy.histogram's rules (equal bins over [min, max], the last bin closed);
// numpy 1.24.2 gives the same edges and counts for these values.
func TestReport(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			s := reportStore(t, dt)
			r, err := Report(s, 1e-3, 4, nil)
			if err != nil {
				t.Fatalf("%+v", err)
			}
			if len(r.Layers) != 2 || r.Layers[0].Name != "fc1/W" || r.Layers[1].Name != "fc2/W" {
				t.Fatalf("layers %+v", r.Layers)
			}
			fc1, fc2, all := r.Layers[0], r.Layers[1], r.Overall
			if !slices.Equal(fc1.Shape, []int{2, 3}) {
				t.Errorf("shape %v", fc1.Shape)
			}
			// fc1/W = [0 0 0.0005 -0.5 1 2]: 2 zeros, 3 below 1e-3.
			checkStats(t, "fc1/W", fc1.Stats, 6, 2, 3, (0.0005+0.5+1+2)/6, 2)
			// Width (2 − (−0.5))/4 = 0.625: [−.5,.125) holds −.5, 0, 0, .0005;
			// [.125,.75) nothing; [.75,1.375) holds 1; [1.375,2] holds 2.
			checkHist(t, "fc1/W", fc1.Histogram, []float64{-0.5, 0.125, 0.75, 1.375, 2}, []int{4, 0, 1, 1})
			// fc2/W is all zeros: numpy widens the range to [−0.5, 0.5].
			checkStats(t, "fc2/W", fc2.Stats, 4, 4, 4, 0, 0)
			checkHist(t, "fc2/W", fc2.Histogram, []float64{-0.5, -0.25, 0, 0.25, 0.5}, []int{0, 0, 4, 0})
			checkStats(t, "overall", all, 10, 6, 7, (0.0005+0.5+1+2)/10, 2)
			checkHist(t, "overall", all.Histogram, []float64{-0.5, 0.125, 0.75, 1.375, 2}, []int{8, 0, 1, 1})
			if math.Abs(all.ZeroFraction-0.6) > 1e-15 || math.Abs(all.BelowTolFraction-0.7) > 1e-15 {
				t.Errorf("fractions %g %g, want 0.6 0.7", all.ZeroFraction, all.BelowTolFraction)
			}
		})
	}
}

func checkStats(t *testing.T, what string, st Stats, count, zeros, below int, meanAbs, maxAbs float64) {
	t.Helper()
	if st.Count != count || st.Zeros != zeros || st.BelowTol != below || st.NonFinite != 0 {
		t.Errorf("%s: count %d zeros %d below %d nonfinite %d; want %d %d %d 0",
			what, st.Count, st.Zeros, st.BelowTol, st.NonFinite, count, zeros, below)
	}
	if !near(st.MeanAbs, meanAbs, 1e-7) || st.MaxAbs != maxAbs {
		t.Errorf("%s: mean |w| %g max %g; want %g %g", what, st.MeanAbs, st.MaxAbs, meanAbs, maxAbs)
	}
	if sum := sumInts(st.Histogram.Counts); sum != count-st.NonFinite {
		t.Errorf("%s: histogram holds %d values, want %d", what, sum, count-st.NonFinite)
	}
}

func sumInts(x []int) int {
	n := 0
	for _, v := range x {
		n += v
	}
	return n
}

func checkHist(t *testing.T, what string, h Histogram, edges []float64, counts []int) {
	t.Helper()
	if len(h.Edges) != len(edges) || !slices.Equal(h.Counts, counts) {
		t.Fatalf("%s: histogram %v %v, want %v %v", what, h.Edges, h.Counts, edges, counts)
	}
	for i := range edges {
		if !near(h.Edges[i], edges[i], 1e-15) {
			t.Errorf("%s: edge %d = %g, want %g", what, i, h.Edges[i], edges[i])
		}
	}
}

// TestHistogramEdgeValues checks values that fall on bin edges, the cases
// numpy's correction step exists for. Expected counts are numpy 1.24.2's
// (/usr/bin/python3 -c "import numpy as np; print(np.histogram(np.arange(9)/8, 8))"
// and the same with np.arange(11)/10, 10): with edges exact in binary each
// interior edge opens its bin and the maximum closes the last; with tenths,
// 0.3 and 0.7 lie just below their computed edges 3·0.1 and 7·0.1 and fall
// one bin lower.
func TestHistogramEdgeValues(t *testing.T) {
	eighths := []float64{0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1}
	h := histogram(eighths, 8)
	if want := []int{1, 1, 1, 1, 1, 1, 1, 2}; !slices.Equal(h.Counts, want) || !slices.Equal(h.Edges, eighths) {
		t.Errorf("eighths: %v %v, want %v %v", h.Edges, h.Counts, eighths, want)
	}
	h = histogram([]float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}, 10)
	if want := []int{1, 1, 2, 0, 1, 2, 1, 0, 1, 2}; !slices.Equal(h.Counts, want) {
		t.Errorf("tenths: counts %v, want %v", h.Counts, want)
	}
	if h = histogram(nil, 2); !slices.Equal(h.Edges, []float64{0, 0.5, 1}) || !slices.Equal(h.Counts, []int{0, 0}) {
		t.Errorf("empty: %v %v", h.Edges, h.Counts)
	}
}

func TestReportNonFiniteAndJSON(t *testing.T) {
	s := reportStore(t, graph.Float64)
	w := mustVar(t, s, "fc1/W").Value().Float64s()
	w[3], w[4] = math.NaN(), math.Inf(-1)
	r, err := Report(s, 0, 2, ByName("fc1/*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Layers) != 2 || r.Layers[1].Name != "fc1/b" {
		t.Fatalf("layers %+v", r.Layers)
	}
	st := r.Layers[0].Stats
	if st.NonFinite != 2 || st.BelowTol != 0 || st.MaxAbs != 2 || sumInts(st.Histogram.Counts) != 4 {
		t.Errorf("stats %+v", st)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"tol":0`, `"layers":[{"name":"fc1/W","shape":[2,3],"count":6,"zeros":2,"zero_fraction":`,
		`"below_tol":0`, `"below_tol_fraction":0`, `"non_finite":2`, `"mean_abs":`, `"max_abs":2`,
		`"histogram":{"edges":[0,1,2],"counts":[3,1]}`, `"overall":{"count":9,`} {
		if !strings.Contains(string(out), key) {
			t.Errorf("JSON lacks %s:\n%s", key, out)
		}
	}
	for _, c := range []struct {
		tol  float64
		bins int
	}{{-1, 2}, {math.NaN(), 2}, {0, 0}} {
		if _, err := Report(s, c.tol, c.bins, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("Report(tol %g, bins %d): %v, want ErrConfig", c.tol, c.bins, err)
		}
	}
}
