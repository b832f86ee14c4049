// Package figure holds the conventions zoo's PNG figures share: a grid,
// integer ticks on axes that count steps or epochs, 1-2-5 ticks on log
// axes, and the legend in a column beside the data area, where it cannot
// cover a curve.
package figure

import (
	"io"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gozoo/zoo/internal/fileio"
)

// New returns a plot with a title, axis labels and a grid.
func New(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	return p
}

// IntegerTicks marks only whole numbers, at steps of 1, 2 or 5 times a
// power of ten chosen to give at most about eight labelled ticks: the
// ticks of an axis of epochs or training steps.
type IntegerTicks struct{}

var _ plot.Ticker = IntegerTicks{}

// Ticks implements plot.Ticker.
func (IntegerTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi >= lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	step := 1.0
	for k := 0; (hi-lo)/step > 8 && k < 40; k++ {
		step *= []float64{2, 2.5, 2}[k%3] // 1, 2, 5, 10, 20, 50, ...
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// LogTicks marks 1, 2 and 5 times each power of ten inside the range (with
// unlabelled minor ticks at the other integers), so that a log axis spanning
// less than a decade, a loss from 0.3 to 2.3 say, still has labels.
type LogTicks struct{}

var _ plot.Ticker = LogTicks{}

// Ticks implements plot.Ticker.
func (LogTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) {
		return nil
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// LogY puts p's y axis on a log scale with LogTicks.
func LogY(p *plot.Plot) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = LogTicks{}
}

// LogX puts p's x axis on a log scale with LogTicks.
func LogX(p *plot.Plot) {
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = LogTicks{}
}

// Draw draws p on c with its legend outside the data area, so that no
// curve is ever hidden behind it: in a column at the right of c, or, when
// that column would take more than a third of the width, in a band below.
func Draw(c draw.Canvas, p *plot.Plot) {
	plotC, legC, ok := layout(c, p)
	if !ok {
		p.Draw(c)
		return
	}
	saved := p.Legend
	p.Legend = plot.NewLegend()
	defer func() { p.Legend = saved }()
	p.Draw(plotC)
	leg := saved
	leg.Top, leg.Left = true, true
	leg.Draw(legC)
}

// layout splits c into the plot's canvas and the legend's: a column at the
// right (its top aligned below the title) or a band at the bottom; ok is
// false without a legend.
func layout(c draw.Canvas, p *plot.Plot) (plotC, legC draw.Canvas, ok bool) {
	leg := p.Legend
	leg.Top, leg.Left = true, true
	r := leg.Rectangle(c)
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	if w <= 0 {
		return c, draw.Canvas{}, false
	}
	pad := 3 * vg.Millimeter
	width, height := c.Max.X-c.Min.X, c.Max.Y-c.Min.Y
	if w+2*pad <= width/3 {
		w += 2 * pad
		top := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
		return draw.Crop(c, 0, -w, 0, 0), draw.Crop(c, width-w+pad, 0, 0, -top), true
	}
	h += pad
	return draw.Crop(c, 0, 0, h, 0), draw.Crop(c, pad, 0, 0, -(height - h)), true
}

// SavePNG draws p (legend beside it) into a PNG file of the given size.
func SavePNG(path string, w, h vg.Length, p *plot.Plot) error {
	return SaveTiles(path, w, h, []*plot.Plot{p})
}

// SaveTiles draws plots side by side into one PNG file, each with its
// legend beside it.
func SaveTiles(path string, w, h vg.Length, plots []*plot.Plot) (err error) {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	pad := 2 * vg.Millimeter
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: 2 * pad, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad}
	for i, p := range plots {
		Draw(tiles.At(dc, i, 0), p)
	}
	return errors.WithMessage(fileio.Write(path, func(w io.Writer) error {
		_, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w)
		return errors.Wrap(err, "png")
	}), "figure")
}
