package experiments

import (
	"image/color"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/gozoo/zoo/internal/figure"
)

// Series is one named curve of a [LinePlot].
type Series struct {
	// Name is the legend entry.
	Name string
	// X and Y are the points, of equal length.
	X, Y []float64
	// Dashed draws a dashed line.
	Dashed bool
	// Points marks each point with a glyph.
	Points bool
}

// Marker is a vertical line across a plot at X, named in the legend.
type Marker struct {
	Name string
	X    float64
}

// LineSpec describes a line plot. Title, XLabel and YLabel are required.
type LineSpec struct {
	Title, XLabel, YLabel string
	// LogX and LogY put an axis on a log scale; the values on it must then
	// be positive.
	LogX, LogY bool
	// Series are the curves, drawn in order with distinct colours.
	Series []Series
	// Markers are vertical lines, drawn in black and greys with distinct
	// dash patterns.
	Markers []Marker
}

var palette = plotutil.DarkColors

func seriesColor(i int) color.Color { return palette[i%len(palette)] }

func newPlot(title, xlabel, ylabel string) (*plot.Plot, error) {
	if title == "" || xlabel == "" || ylabel == "" {
		return nil, errors.Wrapf(ErrConfig, "experiments: plot %q needs a title and both axis labels", title)
	}
	return figure.New(title, xlabel, ylabel), nil
}

// LinePlot draws the series of spec into a new plot with a title, labelled
// axes, a grid and a legend ([Env.SavePlot] draws it beside the data). An x
// axis whose values are all whole numbers (epochs, steps, orders) gets
// integer ticks.
func LinePlot(spec LineSpec) (*plot.Plot, error) {
	p, err := newPlot(spec.Title, spec.XLabel, spec.YLabel)
	if err != nil {
		return nil, err
	}
	if len(spec.Series) == 0 {
		return nil, errors.Wrapf(ErrConfig, "experiments: plot %q has no series", spec.Title)
	}
	if spec.LogX {
		figure.LogX(p)
	}
	if spec.LogY {
		figure.LogY(p)
	}
	if !spec.LogX && wholeXs(spec.Series) {
		p.X.Tick.Marker = figure.IntegerTicks{}
	}
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for i, s := range spec.Series {
		if len(s.X) != len(s.Y) || len(s.X) == 0 {
			return nil, errors.Wrapf(ErrConfig, "experiments: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		xys := make(plotter.XYs, len(s.X))
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if (spec.LogX && !(x > 0)) || (spec.LogY && !(y > 0)) || math.IsNaN(x) || math.IsNaN(y) {
				return nil, errors.Wrapf(ErrConfig, "experiments: series %q point (%g, %g) cannot be drawn on this scale", s.Name, x, y)
			}
			xys[j] = plotter.XY{X: x, Y: y}
			ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, errors.Wrap(err, "experiments: plot line")
		}
		l.Color = seriesColor(i)
		l.Width = vg.Points(1.5)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		p.Add(l)
		if s.Points {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, errors.Wrap(err, "experiments: plot points")
			}
			sc.Color = l.Color
			sc.Shape = plotutil.Shape(i)
			p.Add(sc)
			p.Legend.Add(s.Name, l, sc)
		} else {
			p.Legend.Add(s.Name, l)
		}
	}
	for i, m := range spec.Markers {
		l, err := plotter.NewLine(plotter.XYs{{X: m.X, Y: ylo}, {X: m.X, Y: yhi}})
		if err != nil {
			return nil, errors.Wrap(err, "experiments: plot marker")
		}
		l.Color = color.Gray{Y: uint8(60 * (i % 3))}
		l.Width = vg.Points(1)
		l.Dashes = []vg.Length{vg.Points(float64(2 + 3*(i%3))), vg.Points(2)}
		p.Add(l)
		p.Legend.Add(m.Name, l)
	}
	return p, nil
}

// wholeXs reports whether every x of every series is a whole number.
func wholeXs(series []Series) bool {
	for _, s := range series {
		for _, x := range s.X {
			if x != math.Trunc(x) || math.IsInf(x, 0) {
				return false
			}
		}
	}
	return true
}

// HistSeries is one named histogram of a [HistogramPlot]: counts per bin
// of the spec's edges.
type HistSeries struct {
	Name   string
	Counts []int
}

// HistSpec describes overlaid histograms over shared bin edges, drawn as
// step outlines so that every series stays visible.
type HistSpec struct {
	Title, XLabel, YLabel string
	// Edges are the len(Counts)+1 bin edges in increasing order.
	Edges []float64
	// Series are the histograms, drawn in order with distinct colours.
	Series []HistSeries
	// LogY puts the counts on a log scale; empty bins are then drawn at
	// the bottom of the axis (½), below the smallest non-empty count.
	LogY bool
}

// HistogramPlot draws the histograms of spec into a new plot with a title,
// labelled axes and a legend.
func HistogramPlot(spec HistSpec) (*plot.Plot, error) {
	p, err := newPlot(spec.Title, spec.XLabel, spec.YLabel)
	if err != nil {
		return nil, err
	}
	nb := len(spec.Edges) - 1
	if nb < 1 || len(spec.Series) == 0 {
		return nil, errors.Wrapf(ErrConfig, "experiments: histogram %q needs edges and series", spec.Title)
	}
	const floor = 0.5
	if spec.LogY {
		figure.LogY(p)
		p.Y.Min = floor
	}
	for i, s := range spec.Series {
		if len(s.Counts) != nb {
			return nil, errors.Wrapf(ErrConfig, "experiments: histogram series %q has %d counts for %d bins", s.Name, len(s.Counts), nb)
		}
		// A step outline: for each bin, its left and right edge at its count.
		xys := make(plotter.XYs, 0, 2*nb+2)
		y := func(c int) float64 {
			if spec.LogY && c == 0 {
				return floor
			}
			return float64(c)
		}
		base := y(0)
		xys = append(xys, plotter.XY{X: spec.Edges[0], Y: base})
		for b, c := range s.Counts {
			xys = append(xys, plotter.XY{X: spec.Edges[b], Y: y(c)}, plotter.XY{X: spec.Edges[b+1], Y: y(c)})
		}
		xys = append(xys, plotter.XY{X: spec.Edges[nb], Y: base})
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, errors.Wrap(err, "experiments: histogram line")
		}
		l.Color = seriesColor(i)
		l.Width = vg.Points(1.5)
		if i > 0 {
			l.Dashes = []vg.Length{vg.Points(float64(2 + 2*i)), vg.Points(2)}
		}
		p.Add(l)
		p.Legend.Add(s.Name, l)
	}
	return p, nil
}

// Figure size of [Env.SavePlot].
const (
	figWidth  = 18 * vg.Centimeter
	figHeight = 12 * vg.Centimeter
)

// SavePlot saves p as the PNG file name (such as "histogram.png") in the
// output directory, its legend beside the data area.
func (e *Env) SavePlot(name string, p *plot.Plot) error {
	if err := figure.SavePNG(e.Path(name), figWidth, figHeight, p); err != nil {
		return errors.Wrap(err, "experiments: saving "+name)
	}
	e.wrote(name)
	return nil
}
