package training

import (
	"fmt"
	"image/color"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/gozoo/zoo/internal/figure"
)

// WriteCurvesPNG draws the learning curves of h into a PNG file: train and
// validation loss (left, on a log scale when every value is positive, so
// that the last epochs are not flattened) and accuracy (right) against the
// epoch (1-based, integer ticks), with grids, the legends beside the plots,
// the best epoch marked by a dashed vertical line, and the epoch where early
// stopping fired by a dotted one.
func (h *History) WriteCurvesPNG(path, title string) (err error) {
	if len(h.Epochs) == 0 {
		return errors.New("training: no epochs to plot")
	}
	loss, err := h.curvePlot(title+" — loss", "cross-entropy", true,
		func(e EpochRecord) float64 { return e.TrainLoss }, func(e EpochRecord) float64 { return e.ValLoss })
	if err != nil {
		return err
	}
	acc, err := h.curvePlot(title+" — accuracy", "accuracy", false,
		func(e EpochRecord) float64 { return e.TrainAcc }, func(e EpochRecord) float64 { return e.ValAcc })
	if err != nil {
		return err
	}
	return errors.WithMessage(figure.SaveTiles(path, 12*vg.Inch, 4.5*vg.Inch, []*plot.Plot{loss, acc}), "training: curves")
}

func (h *History) curvePlot(title, ylabel string, logY bool, train, val func(EpochRecord) float64) (*plot.Plot, error) {
	p := figure.New(title, "epoch", ylabel)
	p.X.Tick.Marker = figure.IntegerTicks{}
	tr, va := make(plotter.XYs, len(h.Epochs)), make(plotter.XYs, len(h.Epochs))
	lo, hi := math.Inf(1), math.Inf(-1) // over the finite values

	for i, e := range h.Epochs {
		tr[i] = plotter.XY{X: float64(e.Epoch), Y: train(e)}
		va[i] = plotter.XY{X: float64(e.Epoch), Y: val(e)}
		for _, v := range []float64{train(e), val(e)} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if logY && lo > 0 && hi >= lo {
		figure.LogY(p)
		p.Y.Label.Text += " (log scale)"
	}
	for _, c := range []struct {
		name string
		xy   plotter.XYs
		col  color.Color
	}{{"train", tr, color.RGBA{R: 31, G: 119, B: 180, A: 255}}, {"validation", va, color.RGBA{R: 255, G: 127, B: 14, A: 255}}} {
		l, pts, err := plotter.NewLinePoints(c.xy)
		if err != nil {
			return nil, errors.Wrap(err, "training: curves")
		}
		l.Color, pts.Color = c.col, c.col
		p.Add(l, pts)
		p.Legend.Add(c.name, l, pts)
	}
	mark := func(epoch int, label string, dashes []vg.Length) error {
		x := float64(epoch + 1)
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: lo}, {X: x, Y: hi}})
		if err != nil {
			return errors.Wrap(err, "training: curves")
		}
		l.Dashes = dashes
		l.Color = color.Gray{Y: 90}
		p.Add(l)
		p.Legend.Add(label, l)
		return nil
	}
	if h.BestEpoch >= 0 {
		if err := mark(h.BestEpoch, fmt.Sprintf("best epoch %d", h.BestEpoch+1), []vg.Length{vg.Points(6), vg.Points(3)}); err != nil {
			return nil, err
		}
	}
	if h.Stopped == StopEarlyStopping {
		last := len(h.Epochs) - 1
		if err := mark(last, fmt.Sprintf("early stop (epoch %d)", h.Epochs[last].Epoch), []vg.Length{vg.Points(1), vg.Points(3)}); err != nil {
			return nil, err
		}
	}
	return p, nil
}
