package figure

import (
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func values(ts []plot.Tick, labelled bool) []float64 {
	var out []float64
	for _, t := range ts {
		if !labelled || t.Label != "" {
			out = append(out, t.Value)
		}
	}
	return out
}

// The expected ticks follow from the 1-2-5 rule: a range of 12 epochs needs
// a step of 2 to stay at most 8 ticks, 1..300 a step of 50.
func TestIntegerTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []float64
	}{
		{1, 5, []float64{1, 2, 3, 4, 5}},
		{0.6, 12.4, []float64{2, 4, 6, 8, 10, 12}},
		{1, 300, []float64{50, 100, 150, 200, 250, 300}},
		{1, 1, []float64{1}},
		{0.2, 0.8, nil}, // no whole number inside
	}
	for _, tt := range tests {
		got := values(IntegerTicks{}.Ticks(tt.lo, tt.hi), true)
		if !slices.Equal(got, tt.want) {
			t.Errorf("IntegerTicks(%v, %v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	got := values(LogTicks{}.Ticks(0.03, 2.5), true)
	want := []float64{0.05, 0.1, 0.2, 0.5, 1, 2}
	if len(got) != len(want) {
		t.Fatalf("labelled %v, want %v", got, want)
	}
	for i := range got {
		if d := got[i]/want[i] - 1; d > 1e-12 || d < -1e-12 {
			t.Fatalf("labelled %v, want %v", got, want)
		}
	}
	if n := len(LogTicks{}.Ticks(1, 10)); n != 10 {
		t.Errorf("1..10: %d ticks, want 10 (1 to 9 and 10)", n)
	}
	if ts := (LogTicks{}).Ticks(-1, 10); ts != nil {
		t.Error("a non-positive range must give no ticks")
	}
}

// TestLegendBeside: the legend's column starts right of the data area, so
// no curve can run under it, and SaveTiles writes a PNG of the asked size.
func TestLegendBeside(t *testing.T) {
	p := New("t", "epoch", "loss")
	l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 0.5}, {X: 3, Y: 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)
	p.Legend.Add("validation", l)
	p.X.Tick.Marker = IntegerTicks{}
	LogY(p)
	c := draw.New(vgimg.New(6*vg.Inch, 3*vg.Inch))
	plotC, legC, ok := layout(c, p)
	if !ok {
		t.Fatal("no legend column")
	}
	data := p.DataCanvas(plotC)
	if data.Max.X > legC.Min.X || legC.Max.X > c.Max.X {
		t.Fatalf("data area ends at x=%v, legend column spans %v..%v of %v", data.Max.X, legC.Min.X, legC.Max.X, c.Max.X)
	}
	// A legend wider than a third of the figure goes into a band below.
	wide := New("t", "x", "y")
	wide.Add(l)
	wide.Legend.Add("a legend entry far too long to stand beside a small plot without squeezing it", l)
	plotC, legC, ok = layout(c, wide)
	if data := wide.DataCanvas(plotC); !ok || data.Min.Y < legC.Max.Y || legC.Min.Y < c.Min.Y {
		t.Fatalf("wide legend: data area from y=%v, legend band %v..%v (ok %v)", data.Min.Y, legC.Min.Y, legC.Max.Y, ok)
	}
	path := filepath.Join(t.TempDir(), "f.png")
	if err := SaveTiles(path, 6*vg.Inch, 3*vg.Inch, []*plot.Plot{p, p}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 6*vgimg.DefaultDPI || cfg.Height != 3*vgimg.DefaultDPI {
		t.Errorf("PNG %d×%d, want %d×%d", cfg.Width, cfg.Height, 6*vgimg.DefaultDPI, 3*vgimg.DefaultDPI)
	}
	if p.Legend.Top {
		t.Error("Draw must leave the plot's legend as it was")
	}
}
