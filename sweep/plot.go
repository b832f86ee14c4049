package sweep

import (
	"encoding/json"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// PlotAxes draws metric against each swept axis into dir/AXIS.png (the
// path with every character other than letters, digits, '-', '_' and '.'
// replaced by '_') and returns the files' paths. Each finished run is a
// point; a line joins the means over the runs at each axis value (over
// seeds and over the other axes). A numeric axis is a numeric x axis,
// logarithmic when its values are positive and span at least a factor of
// 10; any other axis has one labelled position per value, in plan order.
func PlotAxes(t *Table, metric, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrap(err, "sweep: plots")
	}
	var files []string
	for k, axis := range t.Axes {
		path := filepath.Join(dir, fileName.ReplaceAllString(axis, "_")+".png")
		if err := plotAxis(t, k, metric, path); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

var fileName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// plotAxis draws one axis.
func plotAxis(t *Table, k int, metric, path string) error {
	axis := t.Axes[k]
	// Distinct values in plan order, numeric if every one is a number.
	var keys []string
	xs := map[string]float64{}
	numeric := true
	for _, r := range t.Rows {
		key := string(r.Values[k])
		if _, seen := xs[key]; seen {
			continue
		}
		var f float64
		if json.Unmarshal(r.Values[k], &f) != nil {
			numeric = false
		}
		xs[key] = f
		keys = append(keys, key)
	}
	logX := false
	if numeric {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range xs {
			lo, hi = min(lo, x), max(hi, x)
		}
		logX = lo > 0 && hi/lo >= 10
		sort.Slice(keys, func(i, j int) bool { return xs[keys[i]] < xs[keys[j]] })
	} else {
		for i, key := range keys {
			xs[key] = float64(i)
		}
	}
	var pts plotter.XYs
	sums := map[string][2]float64{}
	for _, r := range t.Rows {
		v, ok := r.Metrics[metric]
		if !r.Done || !ok || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			continue
		}
		key := string(r.Values[k])
		pts = append(pts, plotter.XY{X: xs[key], Y: float64(v)})
		s := sums[key]
		sums[key] = [2]float64{s[0] + float64(v), s[1] + 1}
	}
	var means plotter.XYs
	for _, key := range keys {
		if s := sums[key]; s[1] > 0 {
			means = append(means, plotter.XY{X: xs[key], Y: s[0] / s[1]})
		}
	}
	p := plot.New()
	p.Title.Text = t.Name + ": " + metric + " against " + axis
	p.X.Label.Text = axis
	p.Y.Label.Text = metric
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if !numeric {
		labels := make([]string, len(keys))
		for i, key := range keys {
			labels[i] = key
			var s string
			if json.Unmarshal([]byte(key), &s) == nil {
				labels[i] = s
			}
		}
		p.NominalX(labels...)
	}
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return errors.Wrap(err, "sweep: plot")
		}
		sc.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
		p.Add(sc)
		p.Legend.Add("run", sc)
		l, err := plotter.NewLine(means)
		if err != nil {
			return errors.Wrap(err, "sweep: plot")
		}
		l.Color = color.RGBA{R: 255, G: 127, B: 14, A: 255}
		p.Add(l)
		p.Legend.Add("mean", l)
	}
	return errors.Wrap(p.Save(6*vg.Inch, 4*vg.Inch, path), "sweep: plot")
}
