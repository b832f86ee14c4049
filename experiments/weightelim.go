package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "weight-elimination",
		Title: "Eliminating weights by sensitivity: Optimal Brain Damage, first-order Taylor, magnitude and random pruning of an MNIST MLP, before and after retraining",
		Claim: "Ranking weights by OBD's saliency ½·h_kk·w² removes more of them than ranking by magnitude before the test error rises (here: a larger fraction pruned, right after pruning, with the test error within half a point of the unpruned network's), and every criterion beats random deletion.",
		Paper: "LeCun, Denker & Solla (1990), Optimal brain damage, NIPS 2, Figure 2 (objective against the number of parameters deleted, OBD against magnitude-based deletion, and OBD's predicted against the actual objective); " +
			"Molchanov, Tyree, Karras, Aila & Kautz (2017), Pruning convolutional neural networks for resource efficient inference, ICLR (the first-order Taylor criterion, here applied to single weights)",
		Run:   runWeightElimination,
		Judge: judgeWeightElim,
	})
}

// judgeWeightElim reads, for each criterion, the largest fraction of the
// weights removed with the test error right after pruning within the
// tolerance of the settings (the same in both modes) of the unpruned
// network's (<criterion>_reach_pruned), and holds the claim when OBD's is
// larger than magnitude's and every criterion's larger than random's.
func judgeWeightElim(m map[string]float64) (bool, string) {
	cfg := weightElimSettings(false)
	in := newJudgeInputs(m)
	base, weights := in.get("unpruned_test_err"), in.get("weights")
	reach := map[regularizers.Criterion][2]float64{}
	for _, c := range regularizers.Criteria {
		reach[c] = [2]float64{in.get(c.String() + "_reach_pruned"), in.get(c.String() + "_reach_retrained")}
	}
	if text, bad := in.incomplete(); bad {
		return false, text
	}
	obdBeatsMag := reach[regularizers.OBD][0] > reach[regularizers.Magnitude][0]
	beatRandom := true
	for _, c := range []regularizers.Criterion{regularizers.OBD, regularizers.Taylor, regularizers.Magnitude} {
		beatRandom = beatRandom && reach[c][0] > reach[regularizers.Random][0]
	}
	held := obdBeatsMag && beatRandom
	verdict := fmt.Sprintf("Unpruned test error %.2f%%. Largest fraction of the %.0f weights removed with the test error at most %.2f%% (%.1f points above), right after pruning / after retraining: OBD %s / %s, Taylor %s / %s, magnitude %s / %s, random %s / %s. "+
		"OBD %s magnitude right after pruning; %s.",
		100*base, weights, 100*base+100*cfg.tol, 100*cfg.tol,
		pctText(reach[regularizers.OBD][0]), pctText(reach[regularizers.OBD][1]), pctText(reach[regularizers.Taylor][0]), pctText(reach[regularizers.Taylor][1]),
		pctText(reach[regularizers.Magnitude][0]), pctText(reach[regularizers.Magnitude][1]), pctText(reach[regularizers.Random][0]), pctText(reach[regularizers.Random][1]),
		yesNo(obdBeatsMag, "removes more weights than", "does not remove more weights than"),
		yesNo(beatRandom, "every criterion beats random deletion", "not every criterion beats random deletion"))
	return held, verdict
}

// weightElimConfig is the size of a weight-elimination run.
type weightElimConfig struct {
	sizes        Sizes
	hidden       []int
	epochs       int
	batch        int
	lr, momentum float64
	fractions    []float64 // fractions of the weights removed, increasing, starting at 0
	samples      int       // training images the saliencies and the training loss are computed on
	retrain      int       // epochs of retraining at each fraction
	retrainLR    float64
	tol          float64 // "the same error": within tol of the unpruned test error
}

func weightElimSettings(quick bool) weightElimConfig {
	c := weightElimConfig{
		sizes: Sizes{Train: 20000}, hidden: []int{300, 100}, epochs: 15, batch: 50, lr: 0.05, momentum: 0.9,
		fractions: []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99},
		samples:   2000, retrain: 2, retrainLR: 0.01, tol: 0.005,
	}
	if quick {
		c.sizes = Sizes{Train: 2000, Test: 1000}
		c.hidden, c.epochs = []int{64, 32}, 4
		c.fractions = []float64{0, 0.5, 0.8, 0.9, 0.99}
		c.samples, c.retrain = 200, 1
	}
	return c
}

// Random streams of this experiment.
const (
	weightElimModelStream   = 500 // initial weights
	weightElimFitStream     = 501 // batch order of training and retraining
	weightElimRandomStream  = 502 // the random criterion's scores
	weightElimRetrainStream = 503
)

// weightElimPoint is one (criterion, fraction) measurement.
type weightElimPoint struct {
	crit      regularizers.Criterion
	fraction  float64 // requested
	sparsity  float64 // achieved
	pruned    training.Metrics
	retrained training.Metrics
	// trainLoss is the mean cross-entropy on the scoring images right after
	// pruning; predicted is OBD's prediction of it, the unpruned loss plus
	// the pruned weights' saliencies (OBD only).
	trainLoss, predicted float64
}

func runWeightElimination(ctx context.Context, env *Env) (*Result, error) {
	cfg := weightElimSettings(env.Quick())
	data, err := env.MNIST(ctx, cfg.sizes)
	if err != nil {
		return nil, err
	}
	modelSeed := env.Rand(weightElimModelStream).Uint64()
	fitSeed := env.Rand(weightElimFitStream).Uint64()
	randomSeed := env.Rand(weightElimRandomStream).Uint64()
	retrainSeed := env.Rand(weightElimRetrainStream).Uint64()
	scoring, err := data.Train.Subset(seq(min(cfg.samples, data.Train.Len())))
	if err != nil {
		return nil, errors.WithMessage(err, "experiments: scoring subset")
	}

	base, err := BuildMLP(cfg.hidden, models.Config{}, modelSeed)
	if err != nil {
		return nil, err
	}
	opt, err := training.NewSGD(training.SGDConfig{LR: cfg.lr, Momentum: cfg.momentum})
	if err != nil {
		return nil, err
	}
	env.Logf("weight-elimination: training 784-%s-10 for %d epochs on %d images", joinInts(cfg.hidden), cfg.epochs, data.Train.Len())
	if _, err := training.Fit(ctx, base, data.Train, nil, training.Config{Epochs: cfg.epochs, BatchSize: cfg.batch, Seed: fitSeed, Optimizer: opt,
		Schedule: training.CosineAnnealingLR{TMax: cfg.epochs}}); err != nil {
		return nil, errors.WithMessage(err, "training the network")
	}
	baseTest, err := Evaluate(ctx, base, data.Test)
	if err != nil {
		return nil, err
	}
	baseTrain, err := Evaluate(ctx, base, scoring)
	if err != nil {
		return nil, err
	}
	trained := &training.Checkpoint{ModelName: base.Name(), Tensors: training.StoreTensors(base.Store())}
	env.Logf("weight-elimination: trained: test error %.2f%%, loss %.4f on the %d scoring images", pct(baseTest), baseTrain.Loss, scoring.Len())

	// fresh returns a copy of the trained network.
	fresh := func() (*models.Model, error) {
		m, err := BuildMLP(cfg.hidden, models.Config{}, modelSeed)
		if err != nil {
			return nil, err
		}
		return m, trained.Restore(m.Name(), training.StoreTensors(m.Store()))
	}
	var points []*weightElimPoint
	for _, crit := range regularizers.Criteria {
		m, err := fresh()
		if err != nil {
			return nil, err
		}
		scores, err := regularizers.Saliency(ctx, m, scoring, regularizers.SaliencyConfig{Criterion: crit, Seed: randomSeed})
		if err != nil {
			return nil, err
		}
		for _, f := range cfg.fractions {
			if m, err = fresh(); err != nil {
				return nil, err
			}
			mask, err := regularizers.PruneScores(m.Store(), scores, f, regularizers.Global)
			if err != nil {
				return nil, err
			}
			p := &weightElimPoint{crit: crit, fraction: f, sparsity: mask.Sparsity(), predicted: math.NaN()}
			if p.pruned, err = Evaluate(ctx, m, data.Test); err != nil {
				return nil, err
			}
			tl, err := Evaluate(ctx, m, scoring)
			if err != nil {
				return nil, err
			}
			p.trainLoss = tl.Loss
			if crit == regularizers.OBD {
				p.predicted = baseTrain.Loss + prunedSaliency(scores, mask)
			}
			if p.retrained, err = weightElimRetrain(ctx, cfg, m, mask, data.Train, data.Test, retrainSeed); err != nil {
				return nil, err
			}
			env.Logf("weight-elimination: %-9s %5.1f%% removed: test error %6.2f%% after pruning, %6.2f%% after %d epochs of retraining",
				crit, 100*p.sparsity, pct(p.pruned), pct(p.retrained), cfg.retrain)
			points = append(points, p)
		}
	}

	// The claim: the largest fraction at which each criterion keeps the
	// test error within tol of the unpruned network's.
	reach := func(crit regularizers.Criterion, retrained bool) float64 {
		best := 0.0
		for _, p := range points {
			m := p.pruned
			if retrained {
				m = p.retrained
			}
			if p.crit == crit && 1-m.Accuracy <= 1-baseTest.Accuracy+cfg.tol {
				best = math.Max(best, p.sparsity)
			}
		}
		return best
	}
	r := map[regularizers.Criterion][2]float64{}
	for _, c := range regularizers.Criteria {
		r[c] = [2]float64{reach(c, false), reach(c, true)}
	}
	metrics := map[string]float64{"unpruned_test_err": 1 - baseTest.Accuracy, "weights": float64(weightCount(base))}
	for _, c := range regularizers.Criteria {
		metrics[c.String()+"_reach_pruned"], metrics[c.String()+"_reach_retrained"] = r[c][0], r[c][1]
	}
	for _, p := range points {
		if p.fraction == 0.9 {
			metrics[p.crit.String()+"_err_at_90_pruned"] = 1 - p.pruned.Accuracy
			metrics[p.crit.String()+"_err_at_90_retrained"] = 1 - p.retrained.Accuracy
		}
	}
	held, verdict := judgeWeightElim(metrics)

	if err := writeWeightElimCSV(env, points, baseTrain.Loss); err != nil {
		return nil, err
	}
	figs, err := plotWeightElim(env, cfg, points, baseTest, baseTrain.Loss)
	if err != nil {
		return nil, err
	}
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "LeCun, Denker & Solla's abstract: \"By removing unimportant weights from a network, several improvements can be expected: better generalization, fewer training examples required, and improved speed of learning and/or classification. The basic idea is to use second-derivative information to make a tradeoff between network complexity and training set error.\" " +
			"Their Figure 2 (their handwritten-digit network, squared-error objective) draws the training objective against the number of parameters deleted without retraining: OBD's curve stays low while magnitude-based deletion's rises far earlier; a second panel compares OBD's predicted objective with the actual one, which agree for small deletions. " +
			"Molchanov et al.'s abstract: \"We propose a new criterion based on Taylor expansion that approximates the change in the cost function induced by pruning network parameters … The proposed criterion demonstrates superior performance compared to other criteria, e.g. the norm of kernel weights or feature map activation\" (for feature maps of large CNNs; here it ranks single weights).",
		Comparison: []Comparison{
			{"network", "a handwritten-digit network trained on squared error", fmt.Sprintf("784-%s-10 ReLU MLP, %d weights, cross-entropy, MNIST (%d training images)", joinInts(cfg.hidden), weightCount(base), data.Train.Len())},
			{"h_kk", "diagonal of the Hessian, back-propagated layer by layer with the Levenberg-Marquardt approximation", "the exact diagonal of the Gauss-Newton matrix of the cross-entropy (regularizers.GaussNewtonDiagonal), on " + fmt.Sprint(scoring.Len()) + " training images"},
			{"OBD against magnitude", "OBD deletes far more parameters at the same objective", fmt.Sprintf("at ≤ %.1f points of extra test error: OBD %s, magnitude %s of the weights", 100*cfg.tol, pctText(r[regularizers.OBD][0]), pctText(r[regularizers.Magnitude][0]))},
			{"predicted vs actual objective", "close for small deletions", weightElimPrediction(points)},
		},
		Setup: []string{
			data.Source + ".",
			fmt.Sprintf("Network: the registry's ReLU MLP 784-%s-10, float32, trained by SGD (momentum %g, lr %g on a cosine schedule, batch %d) for %d epochs; test error %.2f%%.", joinInts(cfg.hidden), cfg.momentum, cfg.lr, cfg.batch, cfg.epochs, pct(baseTest)),
			fmt.Sprintf("Criteria on the weight matrices (not the biases), ranked over all layers at once (global): OBD ½·h_kk·w², Taylor |w·∂L/∂w|, magnitude |w|, random U(0,1); h_kk and ∂L/∂w from the mean cross-entropy on the first %d training images, computed once on the trained network, so each criterion's pruned sets are nested.", scoring.Len()),
			fmt.Sprintf("Fractions removed: %s. After pruning: test error; then %d epoch(s) of retraining (SGD, momentum %g, lr %g) with the pruned weights held at zero after every step, and the test error again.", fracList(cfg.fractions), cfg.retrain, cfg.momentum, cfg.retrainLR),
		},
		Tables:  []MarkdownTable{weightElimTable(points, cfg)},
		Figures: figs,
		Notes: []string{
			fmt.Sprintf("The trained network fits the %d scoring images almost perfectly (mean cross-entropy %.3g): where p_y ≈ 1 the output Hessian diag(p) − ppᵀ ≈ 0, so the Gauss-Newton diagonal, and with it OBD's saliency, comes from the few images the network is unsure of. LeCun et al.'s squared-error network was not in that regime; the curvature OBD relies on is small and noisy here.", scoring.Len(), baseTrain.Loss),
			"The training loss the paper plots and the test error the criterion uses move together here; weight_elimination.csv has both.",
			"OBD assumes a minimum of the training loss (gradient zero); after a finite SGD run the gradient is not zero, which is what the Taylor criterion measures.",
		},
	}
	if env.Quick() {
		sum.Notes = append(sum.Notes, "Quick mode: a small network, 2,000 training images, five fractions and one epoch of retraining.")
	}
	if err := env.WriteSummary(sum); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

// weightElimRetrain retrains m with mask applied after every step and
// returns its test metrics.
func weightElimRetrain(ctx context.Context, cfg weightElimConfig, m *models.Model, mask *regularizers.Mask, train, test *datasets.Dataset, seed uint64) (training.Metrics, error) {
	if cfg.retrain == 0 {
		return Evaluate(ctx, m, test)
	}
	opt, err := training.NewSGD(training.SGDConfig{LR: cfg.retrainLR, Momentum: cfg.momentum})
	if err != nil {
		return training.Metrics{}, err
	}
	if _, err := training.Fit(ctx, m, train, nil, training.Config{Epochs: cfg.retrain, BatchSize: cfg.batch, Seed: seed, Optimizer: opt,
		PostSteps: []graph.PostStep{mask}}); err != nil {
		return training.Metrics{}, errors.WithMessage(err, "retraining")
	}
	return Evaluate(ctx, m, test)
}

// prunedSaliency sums the scores of the weights mask prunes, counting a
// weight that was already zero (score −1) as 0.
func prunedSaliency(sc *regularizers.Scores, mask *regularizers.Mask) float64 {
	var s float64
	for i, name := range sc.Names {
		keep, ok := mask.Kept(name)
		if !ok {
			continue
		}
		for k, kp := range keep {
			if !kp && sc.Values[i][k] > 0 {
				s += sc.Values[i][k]
			}
		}
	}
	return s
}

func weightCount(m *models.Model) int {
	n := 0
	vars, _ := regularizers.Select(m.Store(), nil)
	for _, v := range vars {
		n += v.Shape().TotalSize()
	}
	return n
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func pctText(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func fracList(fs []float64) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%g%%", 100*f))
	}
	return strings.Join(parts, ", ")
}

func weightElimPrediction(points []*weightElimPoint) string {
	var parts []string
	for _, p := range points {
		if p.crit == regularizers.OBD && p.fraction > 0 && (p.fraction == 0.5 || p.fraction == 0.8 || p.fraction == 0.9 || p.fraction == 0.99) {
			parts = append(parts, fmt.Sprintf("%g%%: predicted %.3g, actual %.3g", 100*p.fraction, p.predicted, p.trainLoss))
		}
	}
	return "training loss " + strings.Join(parts, "; ")
}

func writeWeightElimCSV(env *Env, points []*weightElimPoint, baseLoss float64) error {
	t := NewTable("criterion", "fraction", "sparsity", "test_err_pruned", "test_loss_pruned", "test_err_retrained", "test_loss_retrained", "train_loss_pruned", "obd_predicted_train_loss")
	for _, p := range points {
		if err := t.Add(p.crit.String(), p.fraction, p.sparsity, 1-p.pruned.Accuracy, p.pruned.Loss, 1-p.retrained.Accuracy, p.retrained.Loss, p.trainLoss, p.predicted); err != nil {
			return err
		}
	}
	return env.WriteCSV("weight_elimination.csv", t)
}

func plotWeightElim(env *Env, cfg weightElimConfig, points []*weightElimPoint, base training.Metrics, baseLoss float64) ([]Figure, error) {
	var figs []Figure
	for _, retrained := range []bool{false, true} {
		var series []Series
		for _, c := range regularizers.Criteria {
			s := Series{Name: c.String(), Points: true}
			for _, p := range points {
				if p.crit != c {
					continue
				}
				m := p.pruned
				if retrained {
					m = p.retrained
				}
				s.X = append(s.X, 100*p.sparsity)
				s.Y = append(s.Y, math.Max(100*(1-m.Accuracy), 0.01))
			}
			series = append(series, s)
		}
		name, title := "test_error_pruned.png", "Test error right after pruning"
		if retrained {
			name, title = "test_error_retrained.png", fmt.Sprintf("Test error after %d epochs of retraining", cfg.retrain)
		}
		series = append(series, Series{Name: "unpruned", X: []float64{0, 100 * cfg.fractions[len(cfg.fractions)-1]}, Y: []float64{pct(base), pct(base)}, Dashed: true})
		p, err := LinePlot(LineSpec{Title: title, XLabel: "weights removed (%)", YLabel: "test error (%)", LogY: true, Series: series})
		if err != nil {
			return nil, err
		}
		if err := env.SavePlot(name, p); err != nil {
			return nil, err
		}
		figs = append(figs, Figure{File: name, Caption: title + " against the fraction of weights removed, per criterion (log scale; the dashed line is the unpruned network)."})
	}
	pred := Series{Name: "OBD prediction: L0 + Σ pruned s_k", Points: true, Dashed: true}
	for _, p := range points {
		if p.crit == regularizers.OBD {
			pred.X = append(pred.X, 100*p.sparsity)
			pred.Y = append(pred.Y, p.predicted)
		}
	}
	var series []Series
	for _, c := range regularizers.Criteria {
		s := Series{Name: c.String(), Points: true}
		for _, p := range points {
			if p.crit == c {
				s.X = append(s.X, 100*p.sparsity)
				s.Y = append(s.Y, p.trainLoss)
			}
		}
		series = append(series, s)
	}
	series = append(series, pred)
	p, err := LinePlot(LineSpec{Title: "Training loss right after pruning (LeCun et al. 1990, Fig. 2)", XLabel: "weights removed (%)", YLabel: "mean cross-entropy on the scoring images", LogY: true, Series: series})
	if err != nil {
		return nil, err
	}
	if err := env.SavePlot("train_loss_pruned.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{File: "train_loss_pruned.png", Caption: fmt.Sprintf("The training objective (mean cross-entropy on the scoring images; %.4f unpruned) right after pruning, and OBD's prediction of it, the unpruned loss plus the saliencies of the weights removed.", baseLoss)})
	return figs, nil
}

func weightElimTable(points []*weightElimPoint, cfg weightElimConfig) MarkdownTable {
	header := []string{"removed"}
	for _, c := range regularizers.Criteria {
		header = append(header, c.String()+" pruned", c.String()+" retrained")
	}
	var rows [][]string
	for _, f := range cfg.fractions {
		row := []string{fmt.Sprintf("%g%%", 100*f)}
		for _, c := range regularizers.Criteria {
			for _, p := range points {
				if p.crit == c && p.fraction == f {
					row = append(row, fmt.Sprintf("%.2f%%", pct(p.pruned)), fmt.Sprintf("%.2f%%", pct(p.retrained)))
				}
			}
		}
		rows = append(rows, row)
	}
	return MarkdownTable{Caption: "Test error right after pruning and after retraining, by criterion and fraction of weights removed.", Header: header, Rows: rows}
}
