package card

import (
	"fmt"
	"image/color"
	"io"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gozoo/zoo/internal/fileio"
)

// WriteMarkdown renders the card as Markdown. diagram, if not empty, is
// the reliability diagram's path relative to the Markdown file.
func (c *Card) WriteMarkdown(w io.Writer, diagram string) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	t := c.Test
	p("# Model card: `%s`\n\n%s.\n\n", c.Model, c.Description)
	p("| | |\n| --- | --- |\n")
	p("| test error (MNIST, %d images) | **%.2f%%** (%d errors), 95%% Wilson interval %.2f–%.2f%% |\n", t.N, t.Error, t.Errors, t.ErrorCI95[0], t.ErrorCI95[1])
	if c.Paper.Error != nil {
		p("| paper | %g%%: %s |\n", *c.Paper.Error, c.Paper.Reference)
	} else {
		p("| paper | no MNIST error reported: %s |\n", c.Paper.Reference)
	}
	p("| test loss | %.4f (mean cross-entropy) |\n", t.Loss)
	p("| calibration | ECE %.4f over %d bins; mean confidence %.4f vs accuracy %.4f |\n", c.Calibration.ECE, len(c.Calibration.Bins), c.Calibration.MeanConfidence, float64(t.Correct)/float64(max(1, t.N)))
	a := c.Architecture
	p("| parameters | %s trainable, %s buffers, %s %s (%s bytes in memory) |\n", commas(a.Parameters), commas(a.Buffers), a.Dtype, fmt.Sprint(a.InputShape), commas(a.Bytes))
	load := ""
	if c.Speed.LoadAverage != nil {
		load = fmt.Sprintf(", load average %.1f", *c.Speed.LoadAverage)
	}
	p("| evaluation speed | %.0f images/s (one pass over the test set, batch %d, GOMAXPROCS %d, %s, %s/%s%s) on the machine that made this card |\n", c.Speed.SamplesPerSecond, c.Speed.BatchSize, c.Speed.GOMAXPROCS, c.Speed.BLAS, c.Speed.GOOS, c.Speed.GOARCH, load)
	wt := c.Weights
	p("| weights | `%s`", wt.Source)
	if wt.SHA256 != "" {
		p(", %s bytes, sha256 `%s`", commas(int(wt.FileBytes)), wt.SHA256)
	}
	if wt.ZooCommit != "" {
		p(", trained by zoo commit `%s`", wt.ZooCommit)
	}
	p(" |\n\n")

	p("## Architecture\n\n%s; input shape %v. Configuration:\n\n```json\n%s\n```\n\n", c.Description, a.InputShape, compactJSON(a.Config))
	p("Layers with output shapes: `zoo summary %s`.\n\n", c.Model)

	tr := c.Training
	p("## Training\n\n")
	if tr.Command != "" {
		p("Command: `%s`. ", tr.Command)
	}
	p("%d epochs run. Recipe (from the %s):\n\n```json\n%s\n```\n\n", tr.Epochs, tr.RecipeFrom, compactJSON(tr.Recipe))

	d := c.Data
	p("## Data\n\n%s. %s training images fitted, %s held out for validation (%s).\n\n", d.Dataset, commas(d.Train), commas(d.Val), d.Split)

	p("## Test set\n\n| digit | images | accuracy |\n| --- | --- | --- |\n")
	for k, acc := range t.PerClassAccuracy {
		p("| %d | %d | %.2f%% |\n", k, t.PerClassCount[k], 100*acc)
	}
	p("\nConfusion matrix (rows: true digit, columns: predicted):\n\n|   |")
	for k := range t.Confusion {
		p(" %d |", k)
	}
	p("\n| --- |%s\n", strings.Repeat(" --- |", len(t.Confusion)))
	for k, row := range t.Confusion {
		p("| **%d** |", k)
		for j, v := range row {
			if j == k {
				p(" **%d** |", v)
			} else {
				p(" %d |", v)
			}
		}
		p("\n")
	}

	p("\n## Calibration\n\nExpected calibration error %.4f (%d equal-width bins of the top-class probability).\n\n", c.Calibration.ECE, len(c.Calibration.Bins))
	if diagram != "" {
		p("![reliability diagram](%s)\n\n", diagram)
	}
	p("| confidence | images | mean confidence | accuracy |\n| --- | --- | --- | --- |\n")
	for _, bin := range c.Calibration.Bins {
		if bin.Count == 0 {
			continue
		}
		p("| (%.3f, %.3f] | %d | %.4f | %.4f |\n", bin.Lo, bin.Hi, bin.Count, bin.Confidence, bin.Accuracy)
	}
	_, err := io.WriteString(w, b.String())
	return errors.Wrap(err, "card: markdown")
}

// WriteReliabilityPNG draws the reliability diagram: each non-empty bin's
// accuracy against its mean confidence, with the diagonal of perfect
// calibration.
func (c *Card) WriteReliabilityPNG(path string) (err error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s — reliability (ECE %.4f)", c.Model, c.Calibration.ECE)
	p.X.Label.Text = "confidence (top-class probability)"
	p.Y.Label.Text = "accuracy"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	var pts plotter.XYs
	for _, b := range c.Calibration.Bins {
		if b.Count > 0 {
			pts = append(pts, plotter.XY{X: b.Confidence, Y: b.Accuracy})
		}
	}
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return errors.Wrap(err, "card: reliability diagram")
	}
	diag.Color = color.Gray{Y: 150}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag)
	p.Legend.Add("perfect calibration", diag)
	if len(pts) > 0 {
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return errors.Wrap(err, "card: reliability diagram")
		}
		col := color.RGBA{R: 31, G: 119, B: 180, A: 255}
		l.Color, s.Color, s.Shape = col, col, draw.CircleGlyph{}
		p.Add(l, s)
		p.Legend.Add("bins (mean confidence, accuracy)", l, s)
	}
	p.Legend.Top, p.Legend.Left = false, false // bottom right, below the diagonal
	img := vgimg.New(5*vg.Inch, 5*vg.Inch)
	p.Draw(draw.New(img))
	return errors.WithMessage(fileio.Write(path, func(w io.Writer) error {
		_, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w)
		return errors.Wrap(err, "png")
	}), "card: reliability diagram")
}

// commas formats n with thousands separators: 1276810 → "1,276,810".
func commas(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
