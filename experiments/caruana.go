package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "caruana",
		Title: "Polynomials of order 2-20 versus one-hidden-layer MLPs of 1-100 units on Caruana's noisy sine",
		Claim: "High-order polynomials fitted by least squares overfit wildly, while MLPs trained by gradient descent overfit little more with 100 hidden units than with the best width: " +
			"the overfitting ratio (worst test RMSE among models at least as large as the best one, divided by the best test RMSE) of the polynomials is at least 10 times that of the MLPs, for every hidden activation tried.",
		Paper: "Caruana, Lawrence & Giles (2001), Overfitting in neural nets: backpropagation, conjugate gradient, and early stopping, NIPS 13, Figures 1 and 2 (y = sin(x/3) + U(-0.25, 0.25), x = 0…20)",
		Run:   runCaruana,
		Judge: judgeCaruana,
	})
}

// caruanaActs are the hidden activations the judge looks for; a quick run
// trains only the first.
var caruanaActs = []string{"tanh", "sigmoid"}

// judgeCaruana holds the claim when the polynomials' overfitting ratio is
// at least the factor of the settings (10, in both modes) times that of the
// MLPs of every activation the metrics hold.
func judgeCaruana(m map[string]float64) (bool, string) {
	in := newJudgeInputs(m)
	polyRatio, factor := in.get("poly_overfit_ratio"), caruanaSettings(false).factor
	parts := []string{fmt.Sprintf("Polynomials: best order %.3g (test RMSE %.4f), worst at or above it order %.3g (%.4g): overfitting ratio %.4g.",
		in.get("poly_best_order"), in.get("poly_best_test_rmse"), in.get("poly_worst_order"), in.get("poly_worst_test_rmse"), polyRatio)}
	held, acts := true, 0
	for _, act := range caruanaActs {
		if !in.has(act + "_overfit_ratio") {
			continue
		}
		acts++
		r := in.get(act + "_overfit_ratio")
		ok := polyRatio >= factor*r
		held = held && ok
		parts = append(parts, fmt.Sprintf("%s MLPs: best width %.3g (mean test RMSE %.4f), worst at or above it width %.3g (%.4f): ratio %.3f; %.4g %s %g × %.3f.",
			act, in.get(act+"_best_width"), in.get(act+"_best_test_rmse"), in.get(act+"_worst_width"), in.get(act+"_worst_test_rmse"), r, polyRatio, yesNo(ok, "≥", "<"), factor, r))
	}
	if acts == 0 {
		in.get(caruanaActs[0] + "_overfit_ratio")
	}
	if v, bad := in.incomplete(); bad {
		return false, v
	}
	return held, strings.Join(parts, " ")
}

// caruanaConfig is the size of a caruana run.
type caruanaConfig struct {
	orders  []int     // polynomial orders
	widths  []int     // hidden units
	acts    []string  // hidden activations: "tanh", "sigmoid"
	seeds   int       // MLP initialisations per width, averaged
	steps   int       // full-batch Adam steps per MLP
	lr      float64   // Adam learning rate
	grid    int       // points of the noise-free test grid
	factor  float64   // the polynomials' overfitting ratio must be ≥ factor × the MLPs'
	showPol []int     // orders drawn in the fit figure
	showMLP []int     // widths drawn in the fit figure
	_       [0]func() // not comparable
}

func caruanaSettings(quick bool) caruanaConfig {
	c := caruanaConfig{
		orders: []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
		widths: []int{1, 2, 5, 10, 20, 50, 100},
		acts:   []string{"tanh", "sigmoid"},
		seeds:  3, steps: 5000, lr: 0.01, grid: 1000, factor: 10,
		showPol: []int{2, 6, 10, 16, 20},
		showMLP: []int{1, 5, 100},
	}
	if quick {
		c.acts = []string{"tanh"}
		c.seeds, c.steps = 1, 2000
	}
	return c
}

// Random streams of this experiment.
const (
	caruanaDataStream  = 300 // the noise of the training targets
	caruanaModelStream = 301 // initial weights (one seed per activation, width and repetition)
)

// caruanaFit is one fitted model's scores.
type caruanaFit struct {
	kind  string // "poly" or the activation
	size  int    // order or width
	rep   int    // MLP initialisation (0 for polynomials)
	train float64
	test  float64
	norm  float64   // polynomial: coefficient norm in the Legendre basis; MLP: final training MSE
	pred  []float64 // predictions on the test grid
}

func runCaruana(ctx context.Context, env *Env) (*Result, error) {
	cfg := caruanaSettings(env.Quick())
	train, err := datasets.CaruanaSine(env.Rand(caruanaDataStream))
	if err != nil {
		return nil, errors.WithMessage(err, "experiments: caruana data")
	}
	grid, err := datasets.CaruanaGrid(cfg.grid)
	if err != nil {
		return nil, errors.WithMessage(err, "experiments: caruana grid")
	}

	var polys []*caruanaFit
	for _, d := range cfg.orders {
		f, err := caruanaPolyFit(train, grid, d)
		if err != nil {
			return nil, err
		}
		polys = append(polys, f)
		env.Logf("caruana: polynomial order %2d: train RMSE %.4f, test RMSE %.4g", d, f.train, f.test)
	}

	seeds := env.Rand(caruanaModelStream)
	mlps := map[string][][]*caruanaFit{} // activation → width index → repetitions
	for _, act := range cfg.acts {
		mlps[act] = make([][]*caruanaFit, len(cfg.widths))
		for wi, h := range cfg.widths {
			for r := 0; r < cfg.seeds; r++ {
				if err := ctx.Err(); err != nil {
					return nil, errors.Wrap(err, "experiments: caruana")
				}
				f, err := caruanaMLPFit(train, grid, act, h, cfg.steps, cfg.lr, seeds.Uint64())
				if err != nil {
					return nil, errors.WithMessagef(err, "%s MLP with %d units", act, h)
				}
				f.rep = r
				mlps[act][wi] = append(mlps[act][wi], f)
				env.Logf("caruana: %s MLP %3d units, init %d: train RMSE %.4f, test RMSE %.4f", act, h, r, f.train, f.test)
			}
		}
	}

	// The verdict.
	polyTest := make([]float64, len(polys))
	for i, f := range polys {
		polyTest[i] = f.test
	}
	polyRatio, polyBest, polyWorst := caruanaOverfit(polyTest)
	metrics := map[string]float64{
		"poly_overfit_ratio":   polyRatio,
		"poly_best_order":      float64(cfg.orders[polyBest]),
		"poly_best_test_rmse":  polyTest[polyBest],
		"poly_worst_order":     float64(cfg.orders[polyWorst]),
		"poly_worst_test_rmse": polyTest[polyWorst],
		"poly_order20_rmse":    polyTest[len(polyTest)-1],
	}
	mlpMeans := map[string][]float64{}
	for _, act := range cfg.acts {
		means := caruanaMeanTest(mlps[act])
		mlpMeans[act] = means
		r, best, worst := caruanaOverfit(means)
		metrics[act+"_overfit_ratio"] = r
		metrics[act+"_best_width"] = float64(cfg.widths[best])
		metrics[act+"_best_test_rmse"] = means[best]
		metrics[act+"_worst_width"] = float64(cfg.widths[worst])
		metrics[act+"_worst_test_rmse"] = means[worst]
		metrics[act+"_width100_test_rmse"] = means[len(means)-1]
	}
	held, verdict := judgeCaruana(metrics)

	if err := writeCaruanaFiles(env, cfg, train, grid, polys, mlps, mlpMeans); err != nil {
		return nil, err
	}
	if err := writeCaruanaSummary(env, cfg, held, verdict, polys, mlps, mlpMeans, polyRatio); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

// caruanaOverfit returns the overfitting ratio of test errors ordered by
// model size: with b the index of the smallest error, the largest error at
// index ≥ b divided by the error at b, and the two indices.
func caruanaOverfit(test []float64) (ratio float64, best, worst int) {
	for i, e := range test {
		if e < test[best] {
			best = i
		}
	}
	worst = best
	for i := best; i < len(test); i++ {
		if test[i] > test[worst] {
			worst = i
		}
	}
	return test[worst] / test[best], best, worst
}

func caruanaMeanTest(byWidth [][]*caruanaFit) []float64 {
	out := make([]float64, len(byWidth))
	for i, fs := range byWidth {
		for _, f := range fs {
			out[i] += f.test / float64(len(fs))
		}
	}
	return out
}

// caruanaScale maps x ∈ [0, 20] to [−1, 1], the input of both model families.
func caruanaScale(x float64) float64 { return (x - 10) / 10 }

// caruanaLegendre fills row with P_0(t) … P_d(t) by Bonnet's recursion
// (k+1)P_{k+1} = (2k+1) t P_k − k P_{k−1}.
func caruanaLegendre(t float64, row []float64) {
	row[0] = 1
	if len(row) > 1 {
		row[1] = t
	}
	for k := 1; k+1 < len(row); k++ {
		row[k+1] = ((2*float64(k)+1)*t*row[k] - float64(k)*row[k-1]) / float64(k+1)
	}
}

// caruanaPolyFit fits a polynomial of order d by least squares in the
// Legendre basis on the scaled input, solved through the SVD (minimum-norm
// solution, singular values below n·ε·σ_max treated as zero).
func caruanaPolyFit(train, grid datasets.Curve, d int) (*caruanaFit, error) {
	n := train.Len()
	a := mat.NewDense(n, d+1, nil)
	row := make([]float64, d+1)
	for i, x := range train.X {
		caruanaLegendre(caruanaScale(x), row)
		a.SetRow(i, row)
	}
	coef, err := caruanaLeastSquares(a, train.Y)
	if err != nil {
		return nil, errors.WithMessagef(err, "polynomial of order %d", d)
	}
	predict := func(x float64) float64 {
		caruanaLegendre(caruanaScale(x), row)
		s := 0.0
		for k, c := range coef {
			s += c * row[k]
		}
		return s
	}
	f := &caruanaFit{kind: "poly", size: d, pred: make([]float64, grid.Len())}
	for i, x := range train.X {
		e := predict(x) - train.Y[i]
		f.train += e * e / float64(n)
	}
	for i, x := range grid.X {
		f.pred[i] = predict(x)
		e := f.pred[i] - grid.Y[i]
		f.test += e * e / float64(grid.Len())
	}
	f.train, f.test = math.Sqrt(f.train), math.Sqrt(f.test)
	f.norm = math.Sqrt(caruanaDot(coef, coef))
	return f, nil
}

// caruanaLeastSquares returns the minimum-norm least-squares solution of
// a·c = y through the thin SVD of a.
func caruanaLeastSquares(a *mat.Dense, y []float64) ([]float64, error) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, errors.New("experiments: SVD did not converge")
	}
	r, c := a.Dims()
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := float64(max(r, c)) * 2.220446049250313e-16 * s[0]
	coef := make([]float64, c)
	for k, sk := range s {
		if sk <= tol {
			continue
		}
		uy := 0.0
		for i := 0; i < r; i++ {
			uy += u.At(i, k) * y[i]
		}
		for j := 0; j < c; j++ {
			coef[j] += v.At(j, k) * uy / sk
		}
	}
	return coef, nil
}

func caruanaDot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// caruanaMLPFit trains a 1-h-1 MLP with the given hidden activation on the
// mean squared error, full batch, with Adam for the given number of steps
// (float64, PyTorch's default initialisation from seed), and scores it.
func caruanaMLPFit(train, grid datasets.Curve, act string, h, steps int, lr float64, seed uint64) (*caruanaFit, error) {
	store, err := graph.NewStore(graph.Float64)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	fc1, err := nn.NewLinear(store, "fc1", 1, h, nn.LinearConfig{}, rng)
	if err != nil {
		return nil, err
	}
	fc2, err := nn.NewLinear(store, "fc2", h, 1, nn.LinearConfig{}, rng)
	if err != nil {
		return nil, err
	}
	var hidden *nn.Activation
	switch act {
	case "tanh":
		hidden = nn.Tanh("act1")
	case "sigmoid":
		hidden = nn.Sigmoid("act1")
	default:
		return nil, errors.Wrapf(ErrConfig, "experiments: caruana activation %q", act)
	}
	net := nn.NewSequential("mlp", fc1, hidden, fc2)
	n := train.Len()
	xs := make([]float64, n)
	for i, x := range train.X {
		xs[i] = caruanaScale(x)
	}
	ys := append([]float64(nil), train.Y...)
	reg, err := newCaruanaRegression(net, store, xs, ys, n, 1)
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	opt, err := training.NewAdam(training.AdamConfig{LR: lr})
	if err != nil {
		return nil, err
	}
	var last float64
	for s := 0; s < steps; s++ {
		if last, err = reg.Step(opt); err != nil {
			return nil, err
		}
	}
	// Score the training inputs and the grid in one evaluation pass.
	in := append([]float64(nil), xs...)
	for _, x := range grid.X {
		in = append(in, caruanaScale(x))
	}
	out, err := caruanaPredict(net, store, in, len(in), 1)
	if err != nil {
		return nil, err
	}
	f := &caruanaFit{kind: act, size: h, norm: last, pred: out[n:]}
	for i := range xs {
		e := out[i] - ys[i]
		f.train += e * e / float64(n)
	}
	for i := range grid.X {
		e := f.pred[i] - grid.Y[i]
		f.test += e * e / float64(grid.Len())
	}
	f.train, f.test = math.Sqrt(f.train), math.Sqrt(f.test)
	return f, nil
}

// caruanaRegression is a compiled full-batch regression training graph:
// a network's outputs against fixed targets under the mean squared error.
type caruanaRegression struct {
	prog *graph.Program
	loss *G.Node
}

// newCaruanaRegression compiles the training graph of net on the n×in
// inputs x and the n×(len(y)/n) targets y (row-major, float64 store).
func newCaruanaRegression(net *nn.Sequential, store *graph.Store, x, y []float64, n, in int) (*caruanaRegression, error) {
	b := graph.NewBuilder(store, graph.Train, nil)
	xn, xt := b.Input("x", n, in)
	yn, yt := b.Input("y", n, len(y)/n)
	copy(xt.Data().([]float64), x)
	copy(yt.Data().([]float64), y)
	out, err := net.Forward(b, xn)
	if err != nil {
		return nil, err
	}
	loss, err := nn.MeanSquaredError(out, yn)
	if err != nil {
		return nil, err
	}
	prog, err := graph.Compile(b, loss)
	if err != nil {
		return nil, err
	}
	return &caruanaRegression{prog: prog, loss: loss}, nil
}

// Step runs the graph and applies one optimizer step; it returns the loss
// before the step.
func (r *caruanaRegression) Step(opt training.Optimizer) (float64, error) {
	if err := r.prog.Run(); err != nil {
		return 0, err
	}
	vars := r.prog.Params()
	params := make([]training.Param, len(vars))
	for i, v := range vars {
		g, err := r.prog.Grad(i)
		if err != nil {
			return 0, err
		}
		params[i] = training.Param{Name: v.Name(), Value: v.Value(), Grad: g}
	}
	if err := opt.Step(params); err != nil {
		return 0, err
	}
	loss, ok := r.loss.Value().Data().(float64)
	if !ok {
		return 0, errors.Errorf("experiments: loss value is %T", r.loss.Value().Data())
	}
	return loss, nil
}

// Close releases the graph's machine.
func (r *caruanaRegression) Close() error { return r.prog.Close() }

// caruanaPredict runs net in evaluation mode on the n×in inputs x and
// returns its outputs, row-major.
func caruanaPredict(net *nn.Sequential, store *graph.Store, x []float64, n, in int) ([]float64, error) {
	b := graph.NewBuilder(store, graph.Eval, nil)
	xn, xt := b.Input("x", n, in)
	copy(xt.Data().([]float64), x)
	out, err := net.Forward(b, xn)
	if err != nil {
		return nil, err
	}
	prog, err := graph.Compile(b, nil)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	if err := prog.Run(); err != nil {
		return nil, err
	}
	vals, ok := out.Value().Data().([]float64)
	if !ok {
		return nil, errors.Errorf("experiments: output value is %T", out.Value().Data())
	}
	return append([]float64(nil), vals...), nil
}

func writeCaruanaFiles(env *Env, cfg caruanaConfig, train, grid datasets.Curve, polys []*caruanaFit, mlps map[string][][]*caruanaFit, means map[string][]float64) error {
	dt := NewTable("x", "y")
	for i := range train.X {
		if err := dt.Add(train.X[i], train.Y[i]); err != nil {
			return err
		}
	}
	pt := NewTable("order", "train_rmse", "test_rmse", "coef_norm")
	for _, f := range polys {
		if err := pt.Add(f.size, f.train, f.test, f.norm); err != nil {
			return err
		}
	}
	mt := NewTable("activation", "width", "init", "train_rmse", "test_rmse", "final_train_mse")
	for _, act := range cfg.acts {
		for _, fs := range mlps[act] {
			for _, f := range fs {
				if err := mt.Add(act, f.size, f.rep, f.train, f.test, f.norm); err != nil {
					return err
				}
			}
		}
	}
	// The fitted curves on the test grid (first initialisation for MLPs).
	header := []string{"x", "y_true"}
	var cols [][]float64
	for _, d := range cfg.showPol {
		header = append(header, fmt.Sprintf("poly_%d", d))
		cols = append(cols, caruanaFind(polys, d).pred)
	}
	for _, act := range cfg.acts {
		for _, h := range cfg.showMLP {
			header = append(header, fmt.Sprintf("%s_%d", act, h))
			cols = append(cols, caruanaFindMLP(cfg, mlps[act], h).pred)
		}
	}
	ft := NewTable(header...)
	for i := range grid.X {
		row := []any{grid.X[i], grid.Y[i]}
		for _, c := range cols {
			row = append(row, c[i])
		}
		if err := ft.Add(row...); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		t    *Table
	}{{"data.csv", dt}, {"poly.csv", pt}, {"mlp.csv", mt}, {"fits.csv", ft}} {
		if err := env.WriteCSV(f.name, f.t); err != nil {
			return err
		}
	}

	// Fits.
	truth := Series{Name: "sin(x/3) (noise-free)", X: grid.X, Y: grid.Y, Dashed: true}
	polySeries := []Series{truth}
	for _, d := range cfg.showPol {
		polySeries = append(polySeries, Series{Name: fmt.Sprintf("polynomial, order %d", d), X: grid.X, Y: caruanaFind(polys, d).pred})
	}
	if err := caruanaFitPlot(env, "fits_poly.png", "Least-squares polynomial fits to 21 noisy points of sin(x/3)", polySeries, train); err != nil {
		return err
	}
	for _, act := range cfg.acts {
		s := []Series{truth}
		for _, h := range cfg.showMLP {
			s = append(s, Series{Name: fmt.Sprintf("%s MLP, %d hidden units", act, h), X: grid.X, Y: caruanaFindMLP(cfg, mlps[act], h).pred})
		}
		title := fmt.Sprintf("1-h-1 %s MLP fits (Adam, %d full-batch steps) to 21 noisy points of sin(x/3)", act, cfg.steps)
		if err := caruanaFitPlot(env, "fits_mlp_"+act+".png", title, s, train); err != nil {
			return err
		}
	}

	// Errors against model size.
	orders := make([]float64, len(polys))
	var trainR, testR []float64
	for i, f := range polys {
		orders[i] = float64(f.size)
		trainR, testR = append(trainR, max(f.train, 1e-3)), append(testR, f.test)
	}
	p, err := LinePlot(LineSpec{
		Title: "Polynomial fits: RMSE against order", XLabel: "polynomial order", YLabel: "RMSE (log scale)", LogY: true,
		Series: []Series{
			{Name: "test (noise-free grid)", X: orders, Y: testR, Points: true},
			{Name: "training (21 noisy points, floored at 1e-3)", X: orders, Y: trainR, Points: true, Dashed: true},
		},
	})
	if err != nil {
		return err
	}
	if err := env.SavePlot("rmse_vs_order.png", p); err != nil {
		return err
	}
	widths := make([]float64, len(cfg.widths))
	for i, h := range cfg.widths {
		widths[i] = float64(h)
	}
	var series []Series
	for _, act := range cfg.acts {
		tr := make([]float64, len(cfg.widths))
		for i, fs := range mlps[act] {
			for _, f := range fs {
				tr[i] += f.train / float64(len(fs))
			}
		}
		series = append(series,
			Series{Name: act + " MLP, test (noise-free grid)", X: widths, Y: means[act], Points: true},
			Series{Name: act + " MLP, training", X: widths, Y: tr, Points: true, Dashed: true})
	}
	p, err = LinePlot(LineSpec{
		Title:  fmt.Sprintf("MLP fits: RMSE against hidden units (mean of %d initialisations)", cfg.seeds),
		XLabel: "hidden units (log scale)", YLabel: "RMSE", LogX: true,
		Series: series,
	})
	if err != nil {
		return err
	}
	return env.SavePlot("rmse_vs_width.png", p)
}

// caruanaFitPlot draws fitted curves over the training points, the y axis
// cut to [−3.5, 2] (high-order polynomials leave it between the points).
func caruanaFitPlot(env *Env, name, title string, series []Series, train datasets.Curve) error {
	p, err := LinePlot(LineSpec{Title: title, XLabel: "x", YLabel: "y (axis cut to [-3.5, 2])", Series: series})
	if err != nil {
		return err
	}
	xys := make(plotter.XYs, train.Len())
	for i := range train.X {
		xys[i] = plotter.XY{X: train.X[i], Y: train.Y[i]}
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return errors.Wrap(err, "experiments: scatter")
	}
	sc.Shape = draw.CircleGlyph{}
	sc.Radius = vg.Points(3)
	p.Add(sc)
	p.Legend.Add("training points sin(x/3) + U(-0.25, 0.25)", sc)
	p.Y.Min, p.Y.Max = -3.5, 2
	return env.SavePlot(name, p)
}

func caruanaFind(fs []*caruanaFit, size int) *caruanaFit {
	for _, f := range fs {
		if f.size == size {
			return f
		}
	}
	return nil
}

func caruanaFindMLP(cfg caruanaConfig, byWidth [][]*caruanaFit, h int) *caruanaFit {
	for i, w := range cfg.widths {
		if w == h {
			return byWidth[i][0]
		}
	}
	return nil
}

func writeCaruanaSummary(env *Env, cfg caruanaConfig, held bool, verdict string, polys []*caruanaFit, mlps map[string][][]*caruanaFit, means map[string][]float64, polyRatio float64) error {
	pt := MarkdownTable{Caption: "Polynomials (least squares, Legendre basis on x scaled to [-1, 1], SVD solve):", Header: []string{"order", "training RMSE", "test RMSE", "‖coefficients‖"}}
	for _, f := range polys {
		pt.Rows = append(pt.Rows, []string{fmt.Sprint(f.size), fmt.Sprintf("%.4f", f.train), fmt.Sprintf("%.4g", f.test), fmt.Sprintf("%.4g", f.norm)})
	}
	mt := MarkdownTable{Caption: fmt.Sprintf("MLPs (mean over %d initialisations; min–max of the test RMSE in brackets):", cfg.seeds), Header: []string{"hidden units"}}
	for _, act := range cfg.acts {
		mt.Header = append(mt.Header, act+" training RMSE", act+" test RMSE")
	}
	for i, h := range cfg.widths {
		row := []string{fmt.Sprint(h)}
		for _, act := range cfg.acts {
			tr, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			for _, f := range mlps[act][i] {
				tr += f.train / float64(len(mlps[act][i]))
				lo, hi = math.Min(lo, f.test), math.Max(hi, f.test)
			}
			row = append(row, fmt.Sprintf("%.4f", tr), fmt.Sprintf("%.4f [%.4f–%.4f]", means[act][i], lo, hi))
		}
		mt.Rows = append(mt.Rows, row)
	}
	bestPoly := polys[0]
	for _, f := range polys {
		if f.test < bestPoly.test {
			bestPoly = f
		}
	}
	last := polys[len(polys)-1]
	var mlpRun []string
	for _, act := range cfg.acts {
		r, best, _ := caruanaOverfit(means[act])
		mlpRun = append(mlpRun, fmt.Sprintf("%s: best %d units (%.4f), 100 units %.4f, ratio %.3f", act, cfg.widths[best], means[act][best], means[act][len(means[act])-1], r))
	}
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Caruana et al.'s Figure 1 fits polynomials of order 2, 6, 10 and 16 (left) and MLPs with 1, 10 and 100 hidden units trained by backpropagation (right) to the same 21 noisy points of y = sin(x/3) + ν, ν ~ U(−0.25, 0.25), x = 0…20. " +
			"The high-order polynomials oscillate wildly between the points and at the ends, while the 10- and 100-unit nets give smooth, almost identical curves close to sin(x/3). Their Figure 2 makes the same point with test error against model size. " +
			"The counterparts here are fits_poly.png, fits_mlp_<activation>.png, rmse_vs_order.png and rmse_vs_width.png.",
		Comparison: []Comparison{
			{"polynomials", "order 2 underfits, orders ≈ 6 fit well, orders ≥ 10 oscillate between the points", fmt.Sprintf("best order %d (test RMSE %.4f); order %d test RMSE %.4g (training RMSE %.2g); overfitting ratio %.4g", bestPoly.size, bestPoly.test, last.size, last.test, last.train, polyRatio)},
			{"MLPs", "1 unit underfits; 10 and 100 units both fit well, 100 barely worse", strings.Join(mlpRun, "; ")},
		},
		Setup: []string{
			"Training set: datasets.CaruanaSine, x = 0, 1, …, 20 and y = sin(x/3) + u, u ~ U(−0.25, 0.25), drawn once from the run's seed (data.csv). Test set: the noise-free curve sin(x/3) on datasets.CaruanaGrid, " + fmt.Sprint(cfg.grid) + " evenly spaced points from 0 to 20 (ends included). Error: root-mean-square error (RMSE).",
			"Both model families see x scaled to t = (x − 10)/10 ∈ [−1, 1].",
			fmt.Sprintf("Polynomials of order %d to %d: least squares in the Legendre basis P_0(t)…P_d(t), solved through gonum's thin SVD (minimum-norm solution, singular values below max(n, d+1)·ε·σ_max dropped). Order 20 has 21 coefficients and interpolates the 21 points.", cfg.orders[0], cfg.orders[len(cfg.orders)-1]),
			fmt.Sprintf("MLPs 1-h-1 with h ∈ %v hidden units (%s) and a linear output, float64, PyTorch's default initialisation U(±1/√fan_in), %d initialisations per width from the run's seed; trained on the mean squared error over all 21 points (full batch) with Adam, learning rate %g, for %d steps; no early stopping, no weight penalty. The training loop is written in this experiment (nn.MeanSquaredError, graph.Compile, training.Adam), since training.Fit is classification-only.", cfg.widths, strings.Join(cfg.acts, " and "), cfg.seeds, cfg.lr, cfg.steps),
			fmt.Sprintf("Criterion. For test errors e_1 … e_m ordered by model size (order or width; for MLPs the mean over the initialisations), let b be the size with the smallest error; the overfitting ratio is max_{k ≥ b} e_k / e_b (1 when no larger model is worse). The claim holds when the polynomials' ratio is at least %g times the MLPs' ratio, for every activation.", cfg.factor),
		},
		Tables: []MarkdownTable{pt, mt},
		Figures: []Figure{
			{File: "fits_poly.png", Caption: "The 21 training points, the noise-free curve and polynomial fits of several orders (axis cut to [−3.5, 2])."},
		},
	}
	for _, act := range cfg.acts {
		sum.Figures = append(sum.Figures, Figure{File: "fits_mlp_" + act + ".png", Caption: fmt.Sprintf("The same points with %s MLP fits of %v hidden units (first initialisation).", act, cfg.showMLP)})
	}
	sum.Figures = append(sum.Figures,
		Figure{File: "rmse_vs_order.png", Caption: "Polynomials: training and test RMSE against order."},
		Figure{File: "rmse_vs_width.png", Caption: "MLPs: training and test RMSE against hidden units (mean over the initialisations)."})
	sum.Notes = append(sum.Notes,
		"Caruana et al. trained with backpropagation (and conjugate gradient) for a fixed budget; here Adam for a fixed number of full-batch steps. How far a large MLP overfits depends on that budget: the smooth-fit result is a property of gradient training from small weights, not of the function class (a 100-unit net can interpolate 21 points).",
		"The overfitting ratio looks only at models larger than the best one, so the 1-unit net's underfitting and order 2's do not count as overfitting.")
	if env.Quick() {
		sum.Notes = append(sum.Notes, fmt.Sprintf("Quick mode: %s only, %d initialisation per width, %d Adam steps; run without -quick for both activations, %d initialisations and %d steps.",
			cfg.acts[0], cfg.seeds, cfg.steps, caruanaSettings(false).seeds, caruanaSettings(false).steps))
	}
	return env.WriteSummary(sum)
}
