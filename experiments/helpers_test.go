package experiments

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	tab := NewTable("name", "n", "x", "ok", "seed")
	if err := tab.Add("a,b", 3, 0.1, true, uint64(7)); err != nil {
		t.Fatal(err)
	}
	if err := tab.Add("c", -1, math.Inf(1), false, uint64(0)); err != nil {
		t.Fatal(err)
	}
	if err := tab.Add("d", 1, math.NaN(), false, uint64(0)); err != nil {
		t.Fatal(err)
	}
	b, err := tab.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// 0.1 is written as the shortest decimal that reads back as 0.1.
	want := "name,n,x,ok,seed\n\"a,b\",3,0.1,true,7\nc,-1,+Inf,false,0\nd,1,NaN,false,0\n"
	if string(b) != want {
		t.Errorf("csv:\n%s\nwant:\n%s", b, want)
	}
	for _, bad := range [][]any{{"a", 1, 2.0, true}, {"a", 1, float32(2), true, uint64(0)}} {
		if err := tab.Add(bad...); !errors.Is(err, ErrConfig) {
			t.Errorf("Add(%v): %v, want ErrConfig", bad, err)
		}
	}
}

func TestCounts(t *testing.T) {
	edges := LinearEdges(-1, 1, 4) // -1 -0.5 0 0.5 1
	if want := []float64{-1, -0.5, 0, 0.5, 1}; !slices.Equal(edges, want) {
		t.Fatalf("edges %v, want %v", edges, want)
	}
	// Half-open bins [a, b) except the last, which includes 1; values
	// outside and NaN are not counted (numpy.histogram's convention).
	vals := []float64{-1, -0.75, -0.5, -1e-9, 0, 0.25, 0.5, 0.99, 1, 1.5, -2, math.NaN()}
	got := Counts(vals, edges)
	if want := []int{2, 2, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if m := MaxAbs([]float64{0.5, -3}, []float64{2}); m != 3 {
		t.Errorf("MaxAbs = %v, want 3", m)
	}
}

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(Experiment{Name: "test"}, Options{Out: dir})
	line := LineSpec{Title: "t", XLabel: "x", YLabel: "y", LogY: true,
		Series:  []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 10, 100}, Points: true}, {Name: "b", X: []float64{1, 3}, Y: []float64{5, 5}, Dashed: true}},
		Markers: []Marker{{Name: "m", X: 2}}}
	p, err := LinePlot(line)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.SavePlot("line.png", p); err != nil {
		t.Fatal(err)
	}
	hist := HistSpec{Title: "h", XLabel: "x", YLabel: "count", Edges: []float64{0, 1, 2}, LogY: true,
		Series: []HistSeries{{Name: "a", Counts: []int{0, 3}}}}
	if p, err = HistogramPlot(hist); err != nil {
		t.Fatal(err)
	}
	if err := env.SavePlot("hist.png", p); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(env.Files(), ","); got != "line.png,hist.png" {
		t.Errorf("files %s", got)
	}

	noTitle, logZero, ragged, wrongBins := line, line, line, hist
	noTitle.Title = ""
	logZero.Series = []Series{{Name: "z", X: []float64{1}, Y: []float64{0}}}
	ragged.Series = []Series{{Name: "r", X: []float64{1, 2}, Y: []float64{1}}}
	wrongBins.Series = []HistSeries{{Name: "w", Counts: []int{1}}}
	bad := []struct {
		name string
		plot func() error
	}{
		{"no title", func() error { _, err := LinePlot(noTitle); return err }},
		{"zero on a log axis", func() error { _, err := LinePlot(logZero); return err }},
		{"ragged series", func() error { _, err := LinePlot(ragged); return err }},
		{"counts for the wrong number of bins", func() error { _, err := HistogramPlot(wrongBins); return err }},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if err := b.plot(); !errors.Is(err, ErrConfig) {
				t.Errorf("%v, want ErrConfig", err)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(Experiment{Name: "x", Title: "T", Claim: "C holds.", Paper: "P (2000), Figure 1"}, Options{Out: dir, Quick: true, Seed: 3})
	s := &Summary{Held: false, Verdict: "because 1 < 2.", Setup: []string{"s1"},
		Tables:     []MarkdownTable{{Caption: "cap", Header: []string{"a", "b|c"}, Rows: [][]string{{"1", "2"}}}},
		Figures:    []Figure{{File: "f.png", Caption: "fig"}},
		Comparison: []Comparison{{Aspect: "shape", Paper: "U", Run: "U"}}, Notes: []string{"n1"}}
	if err := env.WriteSummary(s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# T\n", "C holds.", "P (2000), Figure 1", "the claim DID NOT HOLD.** because 1 < 2.",
		"| a | b\\|c |\n|---|---|\n| 1 | 2 |", "![f.png](f.png)", "| shape | U | U |", "- n1", "go run ./cmd/zoo experiment x --quick --seed 3 --out " + dir} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, b)
		}
	}
	md := s.Markdown(1500*time.Millisecond, "cmd")
	if !strings.Contains(string(md), "1.5 s") {
		t.Errorf("no timing in:\n%s", md)
	}
}
