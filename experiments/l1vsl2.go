package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "l1-vs-l2",
		Title: "L1 versus L2: first-layer weight histograms and sparsity of an MNIST MLP",
		Claim: "An L2 penalty shrinks the weights but makes (almost) none of them exactly zero; an L1 penalty, optimised with its proximal step, sets many of them (here: at least a quarter of the first layer) exactly to zero.",
		Paper: "Tibshirani (1996), Regression shrinkage and selection via the lasso, J. R. Statist. Soc. B 58(1), Figure 2; " +
			"for stochastic training, Tsuruoka, Tsujii & Ananiadou (2009), Stochastic gradient descent training for L1-regularized log-linear models with cumulative penalty, ACL-IJCNLP, §3",
		Run:   runL1VsL2,
		Judge: judgeL1L2,
	})
}

// judgeL1L2 holds the claim when, in layer 1, L2 lowers the mean |w| below
// the unpenalised model's and leaves fewer than maxZero of the weights
// exactly zero, and L1 zeroes at least minZero of them (thresholds of the
// settings, the same in both modes).
func judgeL1L2(m map[string]float64) (bool, string) {
	cfg := l1l2Settings(false)
	in := newJudgeInputs(m)
	l2Abs, noneAbs := in.get("l2_fc1_mean_abs"), in.get("none_fc1_mean_abs")
	l2Zero, l1Zero := in.get("l2_fc1_zero_frac"), in.get("l1_fc1_zero_frac")
	l2Lambda, l1Lambda := in.get("l2_lambda"), in.get("l1_lambda")
	if text, bad := in.incomplete(); bad {
		return false, text
	}
	l2Shrinks := l2Abs < noneAbs
	l2NoZeros := l2Zero < cfg.maxZero
	l1Zeros := l1Zero >= cfg.minZero
	verdict := fmt.Sprintf("Layer 1 under L2 (λ=%g): mean |w| %.4g against %.4g without a penalty (%s) and %.2f%% exact zeros (%s); under L1 by the proximal step (λ=%g): %.2f%% exact zeros (%s %.0f%%).",
		l2Lambda, l2Abs, noneAbs, yesNo(l2Shrinks, "shrunk", "not shrunk"),
		100*l2Zero, yesNo(l2NoZeros, fmt.Sprintf("below %g%%", 100*cfg.maxZero), fmt.Sprintf("%g%% or more", 100*cfg.maxZero)),
		l1Lambda, 100*l1Zero, yesNo(l1Zeros, "many: at least", "not many: below"), 100*cfg.minZero)
	return l2Shrinks && l2NoZeros && l1Zeros, verdict
}

// l1l2Config is the size of an l1-vs-l2 run.
type l1l2Config struct {
	sizes   Sizes
	hidden  []int
	epochs  int
	batch   int
	lr      float64
	l2, l1  []float64 // λ values tried, increasing
	budget  float64   // largest accepted drop of validation accuracy
	bins    int
	tol     float64 // "small" weight threshold of the report
	minZero float64 // L1's exact-zero fraction that counts as "many"
	maxZero float64 // L2's exact-zero fraction that still counts as "none"
}

func l1l2Settings(quick bool) l1l2Config {
	c := l1l2Config{
		sizes: Sizes{Train: 10000, Val: 5000}, hidden: []int{300}, epochs: 15, batch: 50, lr: 0.1,
		l2:     []float64{1e-4, 3e-4, 1e-3, 3e-3, 1e-2},
		l1:     []float64{1e-5, 3e-5, 1e-4, 3e-4, 1e-3},
		budget: 0.01, bins: 121, tol: 1e-4, minZero: 0.25, maxZero: 1e-3,
	}
	if quick {
		c.sizes = Sizes{Train: 2000, Val: 1000, Test: 2000}
		c.hidden = []int{100}
		c.epochs, c.batch, c.lr = 10, 20, 0.2
		c.l2 = []float64{1e-3}
		c.l1 = []float64{3e-4}
	}
	return c
}

// Random streams of this experiment (Env.Rand / seeds).
const (
	l1l2ModelStream = 100 // initial weights: the same for every run
	l1l2FitStream   = 101 // batch order: the same for every run
)

// l1l2Run is one trained model of the sweep.
type l1l2Run struct {
	kind    string // "none", "L2", "L1"
	lambda  float64
	hist    *training.History
	val     training.Metrics
	test    training.Metrics
	fc1     regularizers.Stats
	all     regularizers.Stats
	weights []float64 // fc1/W
	chosen  bool
}

func (r *l1l2Run) name() string {
	switch r.kind {
	case "L2":
		return fmt.Sprintf("L2 λ=%g", r.lambda)
	case "L1":
		return fmt.Sprintf("L1 (prox) λ=%g", r.lambda)
	}
	return "no penalty"
}

func runL1VsL2(ctx context.Context, env *Env) (*Result, error) {
	cfg := l1l2Settings(env.Quick())
	data, err := env.MNIST(ctx, cfg.sizes)
	if err != nil {
		return nil, err
	}
	modelSeed := env.Rand(l1l2ModelStream).Uint64()
	fitSeed := env.Rand(l1l2FitStream).Uint64()

	train := func(kind string, lambda float64) (*l1l2Run, error) {
		r := &l1l2Run{kind: kind, lambda: lambda}
		mcfg := models.Config{}
		var post []graph.PostStep
		switch kind {
		case "L2":
			mcfg.L2 = lambda
		case "L1":
			post = append(post, regularizers.ProxL1{Lambda: lambda})
		}
		m, err := BuildMLP(cfg.hidden, mcfg, modelSeed)
		if err != nil {
			return nil, err
		}
		opt, err := training.NewSGD(training.SGDConfig{LR: cfg.lr})
		if err != nil {
			return nil, err
		}
		env.Logf("l1-vs-l2: training with %s", r.name())
		r.hist, err = training.Fit(ctx, m, data.Train, data.Val, training.Config{
			Epochs: cfg.epochs, BatchSize: cfg.batch, Seed: fitSeed, Optimizer: opt,
			PostSteps: post,
		})
		if err != nil {
			return nil, errors.WithMessagef(err, "training with %s", r.name())
		}
		if r.val, err = Evaluate(ctx, m, data.Val); err != nil {
			return nil, err
		}
		if r.test, err = Evaluate(ctx, m, data.Test); err != nil {
			return nil, err
		}
		rep, err := regularizers.Report(m.Store(), cfg.tol, 1, nil)
		if err != nil {
			return nil, err
		}
		r.all = rep.Overall
		rep1, err := regularizers.Report(m.Store(), cfg.tol, 1, FirstLayer())
		if err != nil {
			return nil, err
		}
		r.fc1 = rep1.Layers[0].Stats
		w, _ := m.Store().Lookup("fc1/W")
		r.weights = w.Float64s()
		env.Logf("l1-vs-l2: %s: val acc %.4f, test acc %.4f, fc1 zeros %.4f, |w|<%g %.4f, mean |w| %.3g",
			r.name(), r.val.Accuracy, r.test.Accuracy, r.fc1.ZeroFraction, cfg.tol, r.fc1.BelowTolFraction, r.fc1.MeanAbs)
		return r, nil
	}

	base, err := train("none", 0)
	if err != nil {
		return nil, err
	}
	runs := []*l1l2Run{base}
	choose := func(kind string, lambdas []float64) (*l1l2Run, error) {
		var chosen, smallest *l1l2Run
		for _, l := range lambdas {
			r, err := train(kind, l)
			if err != nil {
				return nil, err
			}
			runs = append(runs, r)
			if smallest == nil {
				smallest = r
			}
			if base.val.Accuracy-r.val.Accuracy < cfg.budget {
				chosen = r // λ increase: the last one within budget is the largest
			}
		}
		if chosen == nil {
			chosen = smallest
		}
		chosen.chosen = true
		return chosen, nil
	}
	l2, err := choose("L2", cfg.l2)
	if err != nil {
		return nil, err
	}
	l1, err := choose("L1", cfg.l1)
	if err != nil {
		return nil, err
	}
	base.chosen = true

	if err := writeL1L2CSVs(env, cfg, runs, base, l2, l1); err != nil {
		return nil, err
	}
	figs, err := plotL1L2(env, cfg, runs, base, l2, l1)
	if err != nil {
		return nil, err
	}

	// The claim, from the metrics.
	metrics := map[string]float64{
		"none_test_acc": base.test.Accuracy, "l2_test_acc": l2.test.Accuracy, "l1_test_acc": l1.test.Accuracy,
		"l2_lambda": l2.lambda, "l1_lambda": l1.lambda,
		"none_fc1_zero_frac": base.fc1.ZeroFraction, "l2_fc1_zero_frac": l2.fc1.ZeroFraction, "l1_fc1_zero_frac": l1.fc1.ZeroFraction,
		"none_fc1_small_frac": base.fc1.BelowTolFraction, "l2_fc1_small_frac": l2.fc1.BelowTolFraction, "l1_fc1_small_frac": l1.fc1.BelowTolFraction,
		"none_fc1_mean_abs": base.fc1.MeanAbs, "l2_fc1_mean_abs": l2.fc1.MeanAbs, "l1_fc1_mean_abs": l1.fc1.MeanAbs,
	}
	held, verdict := judgeL1L2(metrics)

	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Tibshirani's Figure 2 draws, for two coefficients, the elliptical contours of the least-squares error around its minimum and the constraint regions |β1|+|β2| ≤ t (lasso, a diamond) and β1²+β2² ≤ t² (ridge, a disk): the contours first touch the diamond at a corner, where one coefficient is exactly zero, and the disk at a point where neither is. " +
			"Tsuruoka et al. show that plain SGD on the L1 subgradient leaves weights hovering near zero instead of at it, and that a clipping (proximal) step after each update produces exact zeros. " +
			fmt.Sprintf("Here the same contrast is measured on the %d first-layer weights of an MLP: histograms of the weights (histogram.png, log-count axis) and, over a sweep of λ, the fraction that is exactly zero (sparsity_vs_lambda.png, full mode).", len(base.weights)),
		Comparison: []Comparison{
			{"L2 (ridge)", "shrinks every coefficient, none exactly zero", fmt.Sprintf("mean |w| %.4g → %.4g; %.2f%% exact zeros, %.2f%% below %g", base.fc1.MeanAbs, l2.fc1.MeanAbs, 100*l2.fc1.ZeroFraction, 100*l2.fc1.BelowTolFraction, cfg.tol)},
			{"L1 (lasso)", "sets some coefficients exactly to zero", fmt.Sprintf("%.2f%% exact zeros, mean |w| %.4g", 100*l1.fc1.ZeroFraction, l1.fc1.MeanAbs)},
			{"no penalty", "least-squares solution, no zeros", fmt.Sprintf("%.2f%% exact zeros, mean |w| %.4g", 100*base.fc1.ZeroFraction, base.fc1.MeanAbs)},
		},
		Setup: []string{
			data.Source + ".",
			fmt.Sprintf("Model: the registry's ReLU MLP 784-%s-10 (PyTorch's default initialisation), float32, the same initial weights (seed %d) and batch order for every run.", joinInts(cfg.hidden), modelSeed),
			fmt.Sprintf("Training: plain SGD (no momentum), learning rate %g, batch %d, %d epochs; penalties on the weight matrices of both layers, not the biases.", cfg.lr, cfg.batch, cfg.epochs),
			"L2: the penalty λ·Σw² (no ½) added to the mean cross-entropy, so each step multiplies a weight by (1 − 2ηλ) besides the data gradient.",
			"L1: the proximal (soft-thresholding) step w ← sign(w)·max(|w| − ηλ, 0) after each SGD step (regularizers.ProxL1), i.e. proximal gradient descent on loss + λ·Σ|w|.",
			fmt.Sprintf("λ choice: for each penalty, the largest λ of %s whose validation accuracy is within %.0f point of the unpenalised model's (chosen on the validation split, not the test set; the test accuracies are reported).", lambdaList(cfg), 100*cfg.budget),
			fmt.Sprintf("Sparsity of layer 1 (fc1/W, %d weights): fraction exactly 0, fraction with |w| < %g, mean |w| (regularizers.Report).", len(base.weights), cfg.tol),
		},
		Tables:  []MarkdownTable{l1l2Table(runs, base, cfg)},
		Figures: figs,
	}
	var notes []string
	for _, r := range []*l1l2Run{l2, l1} {
		cost := base.test.Accuracy - r.test.Accuracy
		notes = append(notes, fmt.Sprintf("%s costs %.2f points of test accuracy against no penalty (%.2f%% vs %.2f%%): %s the 1-point budget.",
			r.name(), 100*cost, 100*r.test.Accuracy, 100*base.test.Accuracy, yesNo(cost < 0.01, "within", "outside")))
		if base.val.Accuracy-r.val.Accuracy >= cfg.budget {
			notes = append(notes, fmt.Sprintf("No λ of %s stayed within the validation budget; the smallest was used.", r.kind))
		}
	}
	if env.Quick() {
		notes = append(notes, "Quick mode: one λ per penalty (no sweep), small subsets and few epochs; run without -quick for the sweep and sparsity_vs_lambda.png.")
	}
	notes = append(notes, fmt.Sprintf("All weight matrices together (both layers): %.2f%% exact zeros with L1, %.2f%% with L2.", 100*l1.all.ZeroFraction, 100*l2.all.ZeroFraction))
	sum.Notes = notes
	if err := env.WriteSummary(sum); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

func yesNo(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, "-")
}

func lambdaList(cfg l1l2Config) string {
	f := func(ls []float64) string {
		s := make([]string, len(ls))
		for i, l := range ls {
			s[i] = fmt.Sprint(l)
		}
		return "{" + strings.Join(s, ", ") + "}"
	}
	return "L2 " + f(cfg.l2) + " and L1 " + f(cfg.l1)
}

func l1l2Table(runs []*l1l2Run, base *l1l2Run, cfg l1l2Config) MarkdownTable {
	t := MarkdownTable{
		Caption: "Every trained model (chosen ones marked ✓). Accuracies on the validation split and the test set; sparsity of the first layer's weights.",
		Header:  []string{"run", "chosen", "val acc", "test acc", "Δ test vs none", "exact zeros", fmt.Sprintf("|w| < %g", cfg.tol), "mean |w|"},
	}
	for _, r := range runs {
		mark := ""
		if r.chosen {
			mark = "✓"
		}
		t.Rows = append(t.Rows, []string{
			r.name(), mark,
			fmt.Sprintf("%.2f%%", 100*r.val.Accuracy), fmt.Sprintf("%.2f%%", 100*r.test.Accuracy),
			fmt.Sprintf("%+.2f", 100*(r.test.Accuracy-base.test.Accuracy)),
			fmt.Sprintf("%.2f%%", 100*r.fc1.ZeroFraction), fmt.Sprintf("%.2f%%", 100*r.fc1.BelowTolFraction),
			fmt.Sprintf("%.4g", r.fc1.MeanAbs),
		})
	}
	return t
}

func writeL1L2CSVs(env *Env, cfg l1l2Config, runs []*l1l2Run, base, l2, l1 *l1l2Run) error {
	rt := NewTable("run", "penalty", "lambda", "chosen", "epochs", "val_acc", "val_loss", "test_acc", "test_loss",
		"fc1_count", "fc1_zero_frac", "fc1_below_tol_frac", "tol", "fc1_mean_abs", "fc1_max_abs", "all_weights_zero_frac")
	ht := NewTable("run", "penalty", "lambda", "epoch", "train_loss", "train_acc", "penalty_term", "val_loss", "val_acc")
	for _, r := range runs {
		if err := rt.Add(r.name(), r.kind, r.lambda, r.chosen, len(r.hist.Epochs), r.val.Accuracy, r.val.Loss, r.test.Accuracy, r.test.Loss,
			r.fc1.Count, r.fc1.ZeroFraction, r.fc1.BelowTolFraction, cfg.tol, r.fc1.MeanAbs, r.fc1.MaxAbs, r.all.ZeroFraction); err != nil {
			return err
		}
		for _, e := range r.hist.Epochs {
			if err := ht.Add(r.name(), r.kind, r.lambda, e.Epoch, e.TrainLoss, e.TrainAcc, e.Penalty, e.ValLoss, e.ValAcc); err != nil {
				return err
			}
		}
	}
	if err := env.WriteCSV("runs.csv", rt); err != nil {
		return err
	}
	if err := env.WriteCSV("history.csv", ht); err != nil {
		return err
	}
	// Histograms of the chosen models over shared edges.
	m := MaxAbs(base.weights, l2.weights, l1.weights)
	edges := LinearEdges(-m, m, cfg.bins)
	hs := [][]int{Counts(base.weights, edges), Counts(l2.weights, edges), Counts(l1.weights, edges)}
	hist := NewTable("bin_left", "bin_right", "none", "l2", "l1")
	for b := 0; b < cfg.bins; b++ {
		if err := hist.Add(edges[b], edges[b+1], hs[0][b], hs[1][b], hs[2][b]); err != nil {
			return err
		}
	}
	if err := env.WriteCSV("histogram.csv", hist); err != nil {
		return err
	}
	// Histograms of log10|w| (exact zeros counted apart).
	ledges := LinearEdges(-8, 0, 80)
	lt := NewTable("log10_abs_left", "log10_abs_right", "none", "l2", "l1")
	lcs := make([][]int, 3)
	for i, r := range []*l1l2Run{base, l2, l1} {
		lcs[i] = Counts(log10Abs(r.weights), ledges)
	}
	for b := 0; b+1 < len(ledges); b++ {
		if err := lt.Add(ledges[b], ledges[b+1], lcs[0][b], lcs[1][b], lcs[2][b]); err != nil {
			return err
		}
	}
	if err := lt.Add("exact_zero", "exact_zero", base.fc1.Zeros, l2.fc1.Zeros, l1.fc1.Zeros); err != nil {
		return err
	}
	return env.WriteCSV("log_abs_histogram.csv", lt)
}

// log10Abs returns log10|w| of the non-zero weights.
func log10Abs(ws []float64) []float64 {
	out := make([]float64, 0, len(ws))
	for _, w := range ws {
		if w != 0 {
			out = append(out, math.Log10(math.Abs(w)))
		}
	}
	return out
}

func plotL1L2(env *Env, cfg l1l2Config, runs []*l1l2Run, base, l2, l1 *l1l2Run) ([]Figure, error) {
	var figs []Figure
	chosen := []*l1l2Run{base, l2, l1}
	label := func(r *l1l2Run) string {
		return fmt.Sprintf("%s: %.1f%% exact zeros, test acc %.2f%%", r.name(), 100*r.fc1.ZeroFraction, 100*r.test.Accuracy)
	}
	m := MaxAbs(base.weights, l2.weights, l1.weights)
	edges := LinearEdges(-m, m, cfg.bins)
	hs := HistSpec{
		Title:  "First-layer weights of a 784-" + joinInts(cfg.hidden) + "-10 MLP after training",
		XLabel: "weight value w (fc1/W)", YLabel: "number of weights (log scale)",
		Edges: edges, LogY: true,
	}
	for _, r := range chosen {
		hs.Series = append(hs.Series, HistSeries{Name: label(r), Counts: Counts(r.weights, edges)})
	}
	p, err := HistogramPlot(hs)
	if err != nil {
		return nil, err
	}
	if err := env.SavePlot("histogram.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"histogram.png", fmt.Sprintf("Histograms of the %d first-layer weights (%d equal bins over ±%.3g, log count axis). The L1 model's exact zeros all fall in the central bin.", len(base.weights), cfg.bins, m)})

	ledges := LinearEdges(-8, 0, 80)
	ls := HistSpec{
		Title:  "Magnitudes of the non-zero first-layer weights",
		XLabel: "log10 |w| (exact zeros are not drawn; see the legend)", YLabel: "number of weights (log scale)",
		Edges: ledges, LogY: true,
	}
	for _, r := range chosen {
		ls.Series = append(ls.Series, HistSeries{Name: fmt.Sprintf("%s: %d exact zeros", r.name(), r.fc1.Zeros), Counts: Counts(log10Abs(r.weights), ledges)})
	}
	if p, err = HistogramPlot(ls); err != nil {
		return nil, err
	}
	p.Legend.Left = true
	if err := env.SavePlot("log_abs_histogram.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"log_abs_histogram.png", "Histograms of log10|w| for the non-zero first-layer weights (80 bins from 10⁻⁸ to 1, log count axis); the exact zeros cannot be drawn on this axis and are counted in the legend."})

	if env.Quick() {
		return figs, nil
	}
	// Sparsity and accuracy against λ.
	var l1x, l1z, l1s, l2x, l2z, l2s, l1acc, l2acc, l1test, l2test []float64
	for _, r := range runs {
		switch r.kind {
		case "L1":
			l1x, l1z, l1s = append(l1x, r.lambda), append(l1z, r.fc1.ZeroFraction), append(l1s, r.fc1.BelowTolFraction)
			l1acc, l1test = append(l1acc, 100*r.val.Accuracy), append(l1test, 100*r.test.Accuracy)
		case "L2":
			l2x, l2z, l2s = append(l2x, r.lambda), append(l2z, r.fc1.ZeroFraction), append(l2s, r.fc1.BelowTolFraction)
			l2acc, l2test = append(l2acc, 100*r.val.Accuracy), append(l2test, 100*r.test.Accuracy)
		}
	}
	p, err = LinePlot(LineSpec{
		Title: "Sparsity of the first layer against the penalty strength", XLabel: "λ (log scale)", YLabel: "fraction of first-layer weights",
		LogX: true,
		Series: []Series{
			{Name: "L1 (prox): exactly 0", X: l1x, Y: l1z, Points: true},
			{Name: fmt.Sprintf("L1 (prox): |w| < %g", cfg.tol), X: l1x, Y: l1s, Points: true, Dashed: true},
			{Name: "L2: exactly 0", X: l2x, Y: l2z, Points: true},
			{Name: fmt.Sprintf("L2: |w| < %g", cfg.tol), X: l2x, Y: l2s, Points: true, Dashed: true},
		},
	})
	if err != nil {
		return nil, err
	}
	if err := env.SavePlot("sparsity_vs_lambda.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"sparsity_vs_lambda.png", "Fraction of the first-layer weights that are exactly zero (solid) and below the tolerance (dashed) for each λ of the sweep."})
	lo := math.Min(l1x[0], l2x[0])
	hi := math.Max(l1x[len(l1x)-1], l2x[len(l2x)-1])
	p, err = LinePlot(LineSpec{
		Title: "Accuracy against the penalty strength", XLabel: "λ (log scale)", YLabel: "accuracy (%)",
		LogX: true,
		Series: []Series{
			{Name: "L1 (prox): validation", X: l1x, Y: l1acc, Points: true},
			{Name: "L1 (prox): test", X: l1x, Y: l1test, Points: true, Dashed: true},
			{Name: "L2: validation", X: l2x, Y: l2acc, Points: true},
			{Name: "L2: test", X: l2x, Y: l2test, Points: true, Dashed: true},
			{Name: "no penalty: validation", X: []float64{lo, hi}, Y: []float64{100 * base.val.Accuracy, 100 * base.val.Accuracy}},
			{Name: "no penalty: test", X: []float64{lo, hi}, Y: []float64{100 * base.test.Accuracy, 100 * base.test.Accuracy}, Dashed: true},
		},
	})
	if err != nil {
		return nil, err
	}
	if err := env.SavePlot("accuracy_vs_lambda.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"accuracy_vs_lambda.png", fmt.Sprintf("Validation and test accuracy for each λ; the chosen λ is the largest within %.0f point of the unpenalised model on the validation split.", 100*cfg.budget)})
	return figs, nil
}
