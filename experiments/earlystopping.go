package experiments

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "early-stopping",
		Title: "Early stopping: training, validation and test curves of an over-parameterised MLP on a small MNIST subset",
		Claim: "While the training error keeps falling, the validation error reaches a minimum and turns up; " +
			"the model early stopping keeps (best validation epoch, restored) has a test error no higher than the model at the end of the same run without early stopping.",
		Paper: "Prechelt (1998), Early stopping — but when?, in Neural Networks: Tricks of the Trade, LNCS 1524, Figures 1 and 2; " +
			"Goodfellow, Bengio & Courville (2016), Deep Learning, §7.8, Figure 7.3",
		Run:   runEarlyStopping,
		Judge: judgeEarlyStopping,
	})
}

type esConfig struct {
	sizes    Sizes
	hidden   []int
	epochs   int
	patience int
	batch    int
	lr       float64
	momentum float64
	monitor  string
	noise    float64 // label-noise fraction of the second condition
	proben   Sizes   // the third condition's split, 50/25/25 as in Proben1
	rise     float64 // relative rise of the validation loss that counts as "turns up"
	riseErr  float64 // rise of the validation error (absolute) that counts as "turns up"
}

func esSettings(quick bool) esConfig {
	c := esConfig{
		sizes: Sizes{Train: 1000, Val: 1000}, hidden: []int{800},
		epochs: 50, patience: 10, batch: 50, lr: 0.05, momentum: 0.9,
		monitor: "val_loss", noise: 0.2, rise: 0.05, riseErr: 0.01,
		proben: Sizes{Train: 1000, Val: 500, Test: 500},
	}
	if quick {
		c.sizes = Sizes{Train: 500, Val: 500, Test: 2000}
		c.proben = Sizes{Train: 500, Val: 250, Test: 250}
		c.hidden = []int{256}
		c.epochs, c.patience = 30, 5
	}
	return c
}

// Random streams of this experiment.
const (
	esModelStream = 200 // initial weights
	esFitStream   = 201 // batch order
	esNoiseStream = 202 // which labels are flipped
)

// esPoint is the model's scores after one epoch, all in evaluation mode.
type esPoint struct {
	train, val, test training.Metrics
}

// esSEP is Prechelt's squared error percentage on the three sets after one
// epoch.
type esSEP struct{ train, val, test float64 }

// esCondition is one labelling of the data, trained twice.
type esCondition struct {
	key, label string // "clean"/"noisy", for files and text
	noise      float64
	ntrain     int
	curve      []esPoint // run without early stopping, one point per epoch
	full, es   *training.History
	stopped    training.Metrics // test scores of the restored model
	best       int              // 0-based epoch kept
	minLoss    int              // epoch of the lowest validation loss (0-based)
	minErr     int              // epoch of the lowest validation error (0-based)
	accPick    int              // epoch early stopping on val_acc would keep (0-based)
	lossUp     bool             // validation loss rose after its minimum
	identical  bool             // the early-stopping run repeated the first run's epochs exactly
	sameTest   bool             // and its kept model scores as the first run did at that epoch

	// Prechelt's measure, for a condition with sep set: the squared error
	// percentage after every epoch of run 1.
	sep      bool
	sepCurve []esSEP
	sepMin   int     // epoch of the lowest validation SEP (0-based)
	sepKept  int     // epoch early stopping on the validation SEP keeps (0-based, replayed)
	sepGL    float64 // Prechelt's generalisation loss at the last epoch, 100·(E_va/E_opt − 1)
}

func (c *esCondition) last() esPoint { return c.curve[len(c.curve)-1] }

func runEarlyStopping(ctx context.Context, env *Env) (*Result, error) {
	cfg := esSettings(env.Quick())
	data, err := env.MNIST(ctx, cfg.sizes)
	if err != nil {
		return nil, err
	}
	modelSeed := env.Rand(esModelStream).Uint64()
	fitSeed := env.Rand(esFitStream).Uint64()

	noisy, err := withLabelNoise(data, cfg.noise, env.Rand(esNoiseStream))
	if err != nil {
		return nil, err
	}
	conds := []*esCondition{
		{key: "clean", label: "clean labels"},
		{key: "noisy", label: fmt.Sprintf("%.0f%% of training and validation labels flipped", 100*cfg.noise), noise: cfg.noise},
	}
	for i, c := range conds {
		d := data
		if i == 1 {
			d = noisy
		}
		if err := runESCondition(ctx, env, cfg, c, d, modelSeed, fitSeed); err != nil {
			return nil, errors.WithMessagef(err, "%s", c.label)
		}
	}
	if err := writeESFiles(env, cfg, conds); err != nil {
		return nil, err
	}
	// The setting closest to Prechelt's: clean labels, a 50/25/25 split,
	// the claim checked in his squared error percentage.
	pdata, err := env.MNIST(ctx, cfg.proben)
	if err != nil {
		return nil, err
	}
	pc := &esCondition{key: "prechelt", label: "clean labels, 50/25/25 split, Prechelt's squared error percentage", sep: true}
	if err := runESCondition(ctx, env, cfg, pc, pdata, modelSeed, fitSeed); err != nil {
		return nil, errors.WithMessagef(err, "%s", pc.label)
	}
	if err := writeESPrecheltFiles(env, cfg, pc); err != nil {
		return nil, err
	}

	// The headline verdict is the closest-to-Prechelt condition's; the
	// other two are reported beside it.
	metrics := esMetrics(cfg, conds, pc)
	held, verdict := judgeEarlyStopping(metrics)
	arch := "784-" + joinInts(cfg.hidden) + "-10"
	m, err := BuildMLP(cfg.hidden, models.Config{}, modelSeed)
	if err != nil {
		return nil, err
	}
	clean, nz := conds[0], conds[1]
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Prechelt's Figure 1 is the idealised picture: the training error falls monotonically while the validation error falls, reaches a minimum and rises again; the best time to stop is at that minimum. His Figure 2 shows a real validation curve, noisy and with several local minima, which is why a patience criterion decides when to stop. Prechelt's \"error\" is the training objective (squared error) on his noisy real-world benchmarks (Proben1). " +
			"Goodfellow et al.'s Figure 7.3 shows the same U shape for the negative log-likelihood of a maxout network on MNIST. " +
			"The counterparts here are loss_<labels>.png (cross-entropy, the training objective) and error_<labels>.png (classification error), for clean labels and for labels with symmetric noise.",
		Comparison: []Comparison{
			{"training objective", "keeps falling", fmt.Sprintf("clean: %.3g → %.3g; noisy: %.3g → %.3g (at the validation-loss minimum → last epoch)", clean.curve[clean.minLoss].train.Loss, clean.last().train.Loss, nz.curve[nz.minLoss].train.Loss, nz.last().train.Loss)},
			{"validation loss", "U-shaped: minimum, then rising", fmt.Sprintf("clean: min %.4f at epoch %d, %.4f at the end; noisy: min %.4f at epoch %d, %.4f at the end", clean.curve[clean.minLoss].val.Loss, clean.minLoss+1, clean.last().val.Loss, nz.curve[nz.minLoss].val.Loss, nz.minLoss+1, nz.last().val.Loss)},
			{"validation error", "rises after its minimum", fmt.Sprintf("clean: min %.2f%% at epoch %d, %.2f%% at the end; noisy: min %.2f%% at epoch %d, %.2f%% at the end", pct(clean.curve[clean.minErr].val), clean.minErr+1, pct(clean.last().val), pct(nz.curve[nz.minErr].val), nz.minErr+1, pct(nz.last().val))},
			{"Prechelt's measure, closest setting", "validation error (his squared error percentage) turns up while the training error falls; the stopped model tests no worse", precheltPart(metrics)},
			{"stopped vs trained to the end", "stopping at the validation minimum tests better", fmt.Sprintf("clean: test error %.2f%% (epoch %d) vs %.2f%%; noisy: %.2f%% (epoch %d) vs %.2f%%", pct(clean.stopped), clean.best+1, pct(clean.last().test), pct(nz.stopped), nz.best+1, pct(nz.last().test))},
		},
		Setup: []string{
			data.Source + ".",
			fmt.Sprintf("Two labellings of the same images: clean, and %.0f%% of the training and validation labels replaced by a different class drawn uniformly (datasets.FlipLabels; the test labels stay clean).", 100*cfg.noise),
			fmt.Sprintf("Model: the registry's ReLU MLP %s (%d parameters for %d training images), no regularization, float32, initial weights from seed %d.", arch, m.NumParams(), data.Train.Len(), modelSeed),
			fmt.Sprintf("Training: SGD with momentum %g, learning rate %g, batch %d, up to %d epochs, batch order from seed %d; the same for every run.", cfg.momentum, cfg.lr, cfg.batch, cfg.epochs, fitSeed),
			fmt.Sprintf("Run 1 (no early stopping): all %d epochs; after each epoch the model is scored in evaluation mode on the training, validation and test sets (curves.csv; the fit_train_* columns are training.Fit's running means over the epoch's batches). The test scores are only plotted and reported: nothing is chosen by them.", cfg.epochs),
			fmt.Sprintf("Run 2 (early stopping): the same model, data and seeds with training.EarlyStoppingConfig{Monitor: %q, Patience: %d} (Keras semantics), the best epoch's weights restored, then scored once on the test set (outcome.csv).", cfg.monitor, cfg.patience),
			fmt.Sprintf("\"Turns up\": the validation error at the last epoch is at least %.0f point above its minimum (the validation loss: at least %.0f%% above). For the clean and noisy conditions the claim is checked on the classification error; the cross-entropy is reported beside it.", 100*cfg.riseErr, 100*cfg.rise),
			fmt.Sprintf("Third condition, the setting closest to Prechelt's: clean labels split 50/25/25 as in his Proben1 runs (%d training and %d validation images from MNIST's training set, %d class-balanced test images from MNIST's test set, the held-out sample of the same task), the same over-sized %s MLP, seeds and SGD. %s", pdata.Train.Len(), pdata.Val.Len(), pdata.Test.Len(), arch, pdata.Source+"."),
			"Prechelt's error measure: the squared error percentage E = 100·(o_max − o_min)/(N·P)·Σ_p Σ_i (o_pi − t_pi)² over P examples and N = 10 outputs, here the softmax probabilities (o_max − o_min = 1) against one-hot targets, computed from the evaluation graph's probabilities after every epoch on the training, validation and test sets (prechelt_curves.csv). The network is trained on cross-entropy: training.Fit has no squared-error loss for classification (graph/nn's MeanSquaredError exists, but Fit's objective is fixed).",
			fmt.Sprintf("Early stopping in his measure: training's early-stopping rule (patience %d, restore best) replayed on the recorded validation SEP; the kept model's test SEP is run 1's at that epoch (valid because its early-stopping run repeats run 1's epochs bit for bit; see the notes). \"Turns up\": Prechelt's generalisation loss GL = 100·(E_va/E_opt − 1) at the last epoch is at least %.0f (E_opt the lowest validation SEP so far); the training SEP at the last epoch is below its value at the validation minimum; the stopped model's test SEP is no higher than the last epoch's. This condition's verdict is the experiment's verdict.", cfg.patience, 100*cfg.rise),
		},
		Tables: []MarkdownTable{esTable(cfg, conds), esSEPTable(cfg, pc)},
	}
	for _, c := range conds {
		sum.Figures = append(sum.Figures,
			Figure{"loss_" + c.key + ".png", fmt.Sprintf("%s: mean cross-entropy on the training, validation and test sets after each epoch of the run without early stopping (log axis). Vertical lines: the epoch early stopping kept and the epoch after which it stopped.", c.label)},
			Figure{"error_" + c.key + ".png", fmt.Sprintf("%s: classification error on the same sets and epochs.", c.label)})
	}
	sum.Figures = append(sum.Figures, Figure{"sep_prechelt.png", fmt.Sprintf("%s: squared error percentage on the training, validation and test sets after each epoch of the run without early stopping. Vertical lines: the epoch early stopping on the validation SEP keeps and the last epoch it needed.", pc.label)})
	for _, c := range conds {
		sum.Notes = append(sum.Notes,
			fmt.Sprintf("%s: the early-stopping run's epochs are %s the first run's, and its restored model's test scores %s the first run's at epoch %d.",
				c.label, yesNo(c.identical, "bit-for-bit equal to", "NOT equal to"), yesNo(c.sameTest, "equal", "do NOT equal"), c.best+1),
			fmt.Sprintf("%s: early stopping on val_acc with the same patience (replayed on the recorded curve) would have kept epoch %d, test error %.2f%%.",
				c.label, c.accPick+1, pct(c.curve[c.accPick].test)))
	}
	sum.Notes = append(sum.Notes, fmt.Sprintf("%s: the early-stopping run's epochs are %s run 1's.", pc.label, yesNo(pc.identical, "bit-for-bit equal to", "NOT equal to")))
	for _, c := range conds {
		if c.minErr > c.minLoss+cfg.patience {
			sum.Notes = append(sum.Notes, fmt.Sprintf("%s: the validation cross-entropy was lowest at epoch %d, the validation error only at epoch %d, more than the patience later, so stopping on the loss stops before the error has settled. The usual cause: once the training set is fitted the network keeps growing more confident, which raises the loss on the validation images it gets wrong without changing which ones those are.",
				c.label, c.minLoss+1, c.minErr+1))
		}
	}
	if env.Quick() {
		sum.Notes = append(sum.Notes, fmt.Sprintf("Quick mode: a %s MLP, %d training, %d validation and %d test images (the Prechelt condition: %d/%d/%d), %d epochs, patience %d; run without -quick for the full-size experiment.",
			arch, cfg.sizes.Train, cfg.sizes.Val, cfg.sizes.Test, cfg.proben.Train, cfg.proben.Val, cfg.proben.Test, cfg.epochs, cfg.patience))
	}
	if err := env.WriteSummary(sum); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

// pct returns the classification error of m in percent.
func pct(m training.Metrics) float64 { return 100 * (1 - m.Accuracy) }

// withLabelNoise returns data with the fraction frac of the training and
// validation labels flipped; the test set is shared, unchanged.
func withLabelNoise(d *Data, frac float64, rng *rand.Rand) (*Data, error) {
	out := &Data{Test: d.Test, Source: d.Source}
	flip := func(ds *datasets.Dataset) (*datasets.Dataset, error) {
		y, _, err := datasets.FlipLabels(ds.Y, ds.NumClasses, frac, rng)
		if err != nil {
			return nil, errors.WithMessage(err, "experiments: label noise")
		}
		c := ds.Clone()
		c.Y = y
		return c, nil
	}
	var err error
	if out.Train, err = flip(d.Train); err != nil {
		return nil, err
	}
	if out.Val, err = flip(d.Val); err != nil {
		return nil, err
	}
	return out, nil
}

func runESCondition(ctx context.Context, env *Env, cfg esConfig, c *esCondition, data *Data, modelSeed, fitSeed uint64) error {
	fitConfig := func() (training.Config, error) {
		opt, err := training.NewSGD(training.SGDConfig{LR: cfg.lr, Momentum: cfg.momentum})
		return training.Config{Epochs: cfg.epochs, BatchSize: cfg.batch, Seed: fitSeed, Optimizer: opt}, err
	}

	c.ntrain = data.Train.Len()
	// Run 1: no early stopping, scored after every epoch.
	m, err := BuildMLP(cfg.hidden, models.Config{}, modelSeed)
	if err != nil {
		return err
	}
	full, err := fitConfig()
	if err != nil {
		return err
	}
	var evalErr error
	full.OnBatch = func(p training.Progress) {
		if p.Batch != p.Batches || evalErr != nil {
			return
		}
		// The validation scores come from Fit's own evaluation of the
		// same weights, right after this call.
		var pt esPoint
		if pt.train, evalErr = Evaluate(ctx, m, data.Train); evalErr != nil {
			return
		}
		if pt.test, evalErr = Evaluate(ctx, m, data.Test); evalErr != nil {
			return
		}
		c.curve = append(c.curve, pt)
		if c.sep {
			var e esSEP
			for _, s := range []struct {
				ds  *datasets.Dataset
				dst *float64
			}{{data.Train, &e.train}, {data.Val, &e.val}, {data.Test, &e.test}} {
				if *s.dst, evalErr = sepOf(ctx, m, s.ds); evalErr != nil {
					return
				}
			}
			c.sepCurve = append(c.sepCurve, e)
			env.Logf("early-stopping: %s: epoch %d: squared error percentage train %.3f val %.3f test %.3f", c.key, p.Epoch, e.train, e.val, e.test)
		}
		env.Logf("early-stopping: %s: epoch %d: train loss %.4f err %.2f%%, test loss %.4f err %.2f%%",
			c.key, p.Epoch, pt.train.Loss, pct(pt.train), pt.test.Loss, pct(pt.test))
	}
	full.Log = env.opts.Log
	env.Logf("early-stopping: %s: run without early stopping, %d epochs", c.label, cfg.epochs)
	c.full, err = training.Fit(ctx, m, data.Train, data.Val, full)
	if err == nil {
		err = evalErr
	}
	if err != nil {
		return errors.WithMessage(err, "run without early stopping")
	}
	if len(c.full.Epochs) != len(c.curve) {
		return errors.Errorf("experiments: %d epochs trained, %d scored", len(c.full.Epochs), len(c.curve))
	}
	for i, e := range c.full.Epochs {
		c.curve[i].val = training.Metrics{Loss: e.ValLoss, Accuracy: e.ValAcc, N: data.Val.Len()}
	}

	// Run 2: early stopping on the validation loss, best weights restored.
	m2, err := BuildMLP(cfg.hidden, models.Config{}, modelSeed)
	if err != nil {
		return err
	}
	es, err := fitConfig()
	if err != nil {
		return err
	}
	es.EarlyStopping = &training.EarlyStoppingConfig{Monitor: cfg.monitor, Patience: cfg.patience}
	env.Logf("early-stopping: %s: run with early stopping (monitor %s, patience %d, restore best)", c.label, cfg.monitor, cfg.patience)
	if c.es, err = training.Fit(ctx, m2, data.Train, data.Val, es); err != nil {
		return errors.WithMessage(err, "run with early stopping")
	}
	if c.stopped, err = Evaluate(ctx, m2, data.Test); err != nil {
		return err
	}
	c.best = c.es.BestEpoch
	if c.best < 0 || c.best >= len(c.curve) {
		return errors.Errorf("experiments: early stopping kept epoch %d of %d", c.best, len(c.curve))
	}

	// What the curves show.
	for i, pt := range c.curve {
		if pt.val.Loss < c.curve[c.minLoss].val.Loss {
			c.minLoss = i
		}
		if pt.val.Accuracy > c.curve[c.minErr].val.Accuracy {
			c.minErr = i
		}
	}
	last := c.last()
	n := len(c.curve) - 1
	c.lossUp = c.minLoss < n && last.val.Loss >= (1+cfg.rise)*c.curve[c.minLoss].val.Loss
	if c.accPick, err = replayEarlyStopping(c.curve, cfg.patience); err != nil {
		return err
	}
	c.identical = true
	for i, e := range c.es.Epochs {
		f := c.full.Epochs[i]
		if e.TrainLoss != f.TrainLoss || e.ValLoss != f.ValLoss || e.ValAcc != f.ValAcc {
			c.identical = false
		}
	}
	c.sameTest = c.stopped.Accuracy == c.curve[c.best].test.Accuracy && c.stopped.Loss == c.curve[c.best].test.Loss
	if c.sep {
		return c.judgeSEP(cfg)
	}
	return nil
}

// judgeSEP checks the claim in Prechelt's squared error percentage.
func (c *esCondition) judgeSEP(cfg esConfig) error {
	if len(c.sepCurve) != len(c.curve) {
		return errors.Errorf("experiments: %d epochs trained, %d scored in squared error percentage", len(c.curve), len(c.sepCurve))
	}
	es, err := training.NewEarlyStopping(training.EarlyStoppingConfig{Monitor: "val_sep", Mode: training.ModeMin, Patience: cfg.patience})
	if err != nil {
		return err
	}
	for i, e := range c.sepCurve {
		if e.val < c.sepCurve[c.sepMin].val {
			c.sepMin = i
		}
		if _, stop := es.Update(i, e.val); stop {
			break
		}
	}
	c.sepKept = es.BestEpoch()
	n := len(c.sepCurve) - 1
	last := c.sepCurve[n]
	c.sepGL = 100 * (last.val/c.sepCurve[c.sepMin].val - 1)
	return nil
}

// sepOf scores m on ds in Prechelt's squared error percentage.
func sepOf(ctx context.Context, m training.Model, ds *datasets.Dataset) (float64, error) {
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: min(1000, ds.Len())})
	if err != nil {
		return 0, err
	}
	defer ev.Close()
	probs, err := ev.Probabilities(ctx, ds)
	if err != nil {
		return 0, err
	}
	return squaredErrorPercentage(probs, ds.Y, ds.NumClasses)
}

// squaredErrorPercentage returns Prechelt's squared error percentage
//
//	E = 100 · (o_max − o_min)/(N·P) · Σ_p Σ_i (o_pi − t_pi)²
//
// of P examples' class probabilities probs (P rows of N = k values, back to
// back) against one-hot targets t for the labels y. The outputs are
// probabilities, so o_max − o_min = 1. (Prechelt, "Early stopping — but
// when?", 1998, and his Proben1 rules: the measure is independent of the
// number of outputs and examples and of the output range.)
func squaredErrorPercentage(probs []float64, y []int, k int) (float64, error) {
	if k <= 0 || len(y) == 0 || len(probs) != len(y)*k {
		return 0, errors.Wrapf(ErrConfig, "experiments: squared error percentage of %d probabilities for %d labels of %d classes", len(probs), len(y), k)
	}
	sum := 0.0
	for p, label := range y {
		if label < 0 || label >= k {
			return 0, errors.Wrapf(ErrConfig, "experiments: label %d outside 0…%d", label, k-1)
		}
		for i, o := range probs[p*k : (p+1)*k] {
			t := 0.0
			if i == label {
				t = 1
			}
			sum += (o - t) * (o - t)
		}
	}
	return 100 * sum / float64(k*len(y)), nil
}

// replayEarlyStopping runs training's early-stopping state machine on the
// recorded validation accuracies and returns the epoch it would keep.
func replayEarlyStopping(curve []esPoint, patience int) (int, error) {
	es, err := training.NewEarlyStopping(training.EarlyStoppingConfig{Monitor: "val_acc", Patience: patience})
	if err != nil {
		return 0, err
	}
	for i, pt := range curve {
		if _, stop := es.Update(i, pt.val.Accuracy); stop {
			break
		}
	}
	return es.BestEpoch(), nil
}

// esMetrics returns the key numbers of the three conditions, prefixed by
// the condition's key, with every input of judgeEarlyStopping.
func esMetrics(cfg esConfig, conds []*esCondition, pc *esCondition) map[string]float64 {
	metrics := map[string]float64{"epochs": float64(cfg.epochs), "required_val_err_rise": cfg.riseErr, "required_gl": 100 * cfg.rise}
	for _, c := range conds {
		p, last, atMin := c.key+"_", c.last(), c.curve[c.minErr]
		metrics[p+"kept_epoch"] = float64(c.best + 1)
		metrics[p+"stopped_after_epoch"] = float64(len(c.es.Epochs))
		metrics[p+"val_loss_min_epoch"] = float64(c.minLoss + 1)
		metrics[p+"val_err_min_epoch"] = float64(c.minErr + 1)
		metrics[p+"val_err_min"] = 1 - atMin.val.Accuracy
		metrics[p+"val_err_last"] = 1 - last.val.Accuracy
		metrics[p+"val_err_rise"] = atMin.val.Accuracy - last.val.Accuracy
		metrics[p+"train_loss_drop"] = atMin.train.Loss - last.train.Loss
		metrics[p+"train_acc_gain"] = last.train.Accuracy - atMin.train.Accuracy
		metrics[p+"test_err_stopped"] = 1 - c.stopped.Accuracy
		metrics[p+"test_err_last"] = 1 - last.test.Accuracy
		metrics[p+"test_loss_stopped"] = c.stopped.Loss
		metrics[p+"test_loss_last"] = last.test.Loss
	}
	n := len(pc.sepCurve) - 1
	first, last, lo, kept := pc.sepCurve[0], pc.sepCurve[n], pc.sepCurve[pc.sepMin], pc.sepCurve[pc.sepKept]
	metrics["prechelt_epochs"] = float64(n + 1)
	metrics["prechelt_val_sep_first"] = first.val
	metrics["prechelt_val_sep_min"] = lo.val
	metrics["prechelt_val_sep_min_epoch"] = float64(pc.sepMin + 1)
	metrics["prechelt_val_sep_last"] = last.val
	metrics["prechelt_gl_last"] = pc.sepGL
	metrics["prechelt_train_sep_at_val_min"] = lo.train
	metrics["prechelt_train_sep_last"] = last.train
	metrics["prechelt_kept_epoch"] = float64(pc.sepKept + 1)
	metrics["prechelt_test_sep_stopped"] = kept.test
	metrics["prechelt_test_sep_last"] = last.test
	metrics["prechelt_test_err_stopped"] = 1 - pc.curve[pc.sepKept].test.Accuracy
	metrics["prechelt_test_err_last"] = 1 - pc.last().test.Accuracy
	return metrics
}

// judgeEarlyStopping decides the claim in the setting closest to
// Prechelt's (see judgePrechelt); the clean and noisy conditions, judged in
// classification error by judgeESCondition, are reported beside it.
func judgeEarlyStopping(m map[string]float64) (bool, string) {
	in := newJudgeInputs(m)
	held, text := judgePrechelt(in)
	var parts []string
	for _, key := range []string{"clean", "noisy"} {
		_, t := judgeESCondition(in, key)
		parts = append(parts, t)
	}
	if text, bad := in.incomplete(); bad {
		return false, text
	}
	return held, text + " Reported beside it, not part of the verdict (classification error): " + strings.Join(parts, " ")
}

// precheltPart is the Prechelt condition's part of the verdict.
func precheltPart(m map[string]float64) string {
	_, text := judgePrechelt(newJudgeInputs(m))
	return text
}

// judgePrechelt holds the claim in Prechelt's squared error percentage
// (SEP) when his generalisation loss at the last epoch,
// GL = 100·(E_va/E_opt − 1), is at least required_gl (the validation error
// turned up), the training SEP at the last epoch is below its value at the
// validation minimum, and the model early stopping on the validation SEP
// keeps has a test SEP no higher than the last epoch's.
func judgePrechelt(in *judgeInputs) (bool, string) {
	gl, need := in.get("prechelt_gl_last"), in.get("required_gl")
	trMin, trLast := in.get("prechelt_train_sep_at_val_min"), in.get("prechelt_train_sep_last")
	stopped, last := in.get("prechelt_test_sep_stopped"), in.get("prechelt_test_sep_last")
	m := in.m
	turnsUp := gl >= need
	trainFalls := trLast < trMin
	noWorse := stopped <= last
	ok := turnsUp && trainFalls && noWorse
	return ok, fmt.Sprintf("With clean labels, a 50/25/25 split and Prechelt's squared error percentage (SEP): validation SEP %.3f after epoch 1, lowest %.3f at epoch %.3g, %.3f at epoch %.3g (GL %.1f, %s); training SEP %.3f → %.3f (%s). "+
		"Early stopping on the validation SEP keeps epoch %.3g: test SEP %.3f against %.3f at the last epoch (%s); in classification error %.2f%% against %.2f%%. Claim %s.",
		m["prechelt_val_sep_first"], m["prechelt_val_sep_min"], m["prechelt_val_sep_min_epoch"], m["prechelt_val_sep_last"], m["prechelt_epochs"], gl,
		yesNo(turnsUp, fmt.Sprintf("turned up: GL ≥ %.0f", need), fmt.Sprintf("did not turn up: GL < %.0f", need)),
		trMin, trLast, yesNo(trainFalls, "still falling", "not falling"),
		m["prechelt_kept_epoch"], stopped, last, yesNo(noWorse, yesNo(stopped < last, "better", "equal"), "worse"),
		100*m["prechelt_test_err_stopped"], 100*m["prechelt_test_err_last"], yesNo(ok, "held", "did not hold"))
}

// judgeESCondition judges the condition key ("clean" or "noisy") in
// classification error: the validation error rose by at least
// required_val_err_rise from its minimum to the last epoch (val_err_rise; 0
// when the minimum is the last epoch), the training loss fell and the
// training accuracy did not fall over the same epochs, and the
// early-stopped model's test error is no higher than the last epoch's.
func judgeESCondition(in *judgeInputs, key string) (bool, string) {
	m := in.m
	rise := in.get("required_val_err_rise")
	p := key + "_"
	valRise, lossDrop, accGain := in.get(p+"val_err_rise"), in.get(p+"train_loss_drop"), in.get(p+"train_acc_gain")
	stopped, last := in.get(p+"test_err_stopped"), in.get(p+"test_err_last")
	turnsUp := valRise >= rise-1e-9 // rounding of accuracy differences
	trainFalls := lossDrop > 0 && accGain >= 0
	noWorse := stopped <= last
	ok := turnsUp && trainFalls && noWorse
	return ok, fmt.Sprintf("With %s labels: validation error lowest %.2f%% at epoch %.3g, %.2f%% at the last epoch (%s); from there the training loss fell by %.3g and the training error by %.2f points (%s); "+
		"early stopping kept epoch %.3g: test error %.2f%% against %.2f%% at the last epoch without it (%s). Claim %s.",
		key, 100*m[p+"val_err_min"], m[p+"val_err_min_epoch"], 100*m[p+"val_err_last"], yesNo(turnsUp, fmt.Sprintf("turned up by ≥ %.0f point", 100*rise), fmt.Sprintf("did not turn up by %.0f point", 100*rise)),
		lossDrop, 100*accGain, yesNo(trainFalls, "still falling", "not falling"),
		m[p+"kept_epoch"], 100*stopped, 100*last, yesNo(noWorse, yesNo(stopped < last, "better", "equal"), "worse"), yesNo(ok, "held", "did not hold"))
}

func esTable(cfg esConfig, conds []*esCondition) MarkdownTable {
	t := MarkdownTable{
		Caption: "Outcome on the (clean) test set.",
		Header:  []string{"labels", "run", "epochs run", "model kept", "test error", "test loss", "val loss of kept model"},
	}
	for _, c := range conds {
		last := c.last()
		t.Rows = append(t.Rows,
			[]string{c.label, "no early stopping", fmt.Sprint(len(c.curve)), fmt.Sprintf("epoch %d (last)", len(c.curve)), fmt.Sprintf("%.2f%%", pct(last.test)), fmt.Sprintf("%.4f", last.test.Loss), fmt.Sprintf("%.4f", last.val.Loss)},
			[]string{c.label, fmt.Sprintf("early stopping (patience %d)", cfg.patience), fmt.Sprint(len(c.es.Epochs)), fmt.Sprintf("epoch %d (best val loss)", c.best+1), fmt.Sprintf("%.2f%%", pct(c.stopped)), fmt.Sprintf("%.4f", c.stopped.Loss), fmt.Sprintf("%.4f", c.es.Epochs[c.best].ValLoss)})
	}
	return t
}

func writeESFiles(env *Env, cfg esConfig, conds []*esCondition) error {
	ct := NewTable("labels", "label_noise", "epoch", "train_loss", "train_err", "val_loss", "val_err", "test_loss", "test_err", "fit_train_loss", "fit_train_err")
	et := NewTable("labels", "label_noise", "epoch", "fit_train_loss", "fit_train_err", "val_loss", "val_err")
	ot := NewTable("labels", "label_noise", "run", "epochs_run", "kept_epoch", "test_loss", "test_err", "val_loss", "val_err")
	for _, c := range conds {
		for i, pt := range c.curve {
			e := c.full.Epochs[i]
			if err := ct.Add(c.key, c.noise, i+1, pt.train.Loss, 1-pt.train.Accuracy, pt.val.Loss, 1-pt.val.Accuracy, pt.test.Loss, 1-pt.test.Accuracy, e.TrainLoss, 1-e.TrainAcc); err != nil {
				return err
			}
		}
		for _, e := range c.es.Epochs {
			if err := et.Add(c.key, c.noise, e.Epoch, e.TrainLoss, 1-e.TrainAcc, e.ValLoss, 1-e.ValAcc); err != nil {
				return err
			}
		}
		last := c.last()
		if err := ot.Add(c.key, c.noise, "no early stopping", len(c.curve), len(c.curve), last.test.Loss, 1-last.test.Accuracy, last.val.Loss, 1-last.val.Accuracy); err != nil {
			return err
		}
		kept := c.es.Epochs[c.best]
		if err := ot.Add(c.key, c.noise, "early stopping", len(c.es.Epochs), c.best+1, c.stopped.Loss, 1-c.stopped.Accuracy, kept.ValLoss, 1-kept.ValAcc); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		t    *Table
	}{{"curves.csv", ct}, {"early_stopping_run.csv", et}, {"outcome.csv", ot}} {
		if err := env.WriteCSV(f.name, f.t); err != nil {
			return err
		}
	}
	arch := "784-" + joinInts(cfg.hidden) + "-10"
	for _, c := range conds {
		epochs := make([]float64, len(c.curve))
		var trLoss, vaLoss, teLoss, trErr, vaErr, teErr []float64
		for i, pt := range c.curve {
			epochs[i] = float64(i + 1)
			trLoss, vaLoss, teLoss = append(trLoss, max(pt.train.Loss, 1e-12)), append(vaLoss, pt.val.Loss), append(teLoss, pt.test.Loss)
			trErr, vaErr, teErr = append(trErr, pct(pt.train)), append(vaErr, pct(pt.val)), append(teErr, pct(pt.test))
		}
		markers := []Marker{
			{Name: fmt.Sprintf("kept by early stopping (epoch %d)", c.best+1), X: float64(c.best + 1)},
			{Name: fmt.Sprintf("early stopping stops (epoch %d)", len(c.es.Epochs)), X: float64(len(c.es.Epochs))},
		}
		n := fmt.Sprintf("%d training images, %s", c.ntrain, c.label)
		p, err := LinePlot(LineSpec{
			Title:  fmt.Sprintf("Cross-entropy, %s MLP, %s", arch, n),
			XLabel: "epoch", YLabel: "mean cross-entropy (log scale)", LogY: true,
			Series: []Series{
				{Name: "training set", X: epochs, Y: trLoss},
				{Name: "validation set", X: epochs, Y: vaLoss},
				{Name: "test set (clean labels)", X: epochs, Y: teLoss, Dashed: true},
			},
			Markers: markers,
		})
		if err != nil {
			return err
		}
		if err := env.SavePlot("loss_"+c.key+".png", p); err != nil {
			return err
		}
		p, err = LinePlot(LineSpec{
			Title:  fmt.Sprintf("Classification error, %s MLP, %s", arch, n),
			XLabel: "epoch", YLabel: "error (%)",
			Series: []Series{
				{Name: "training set", X: epochs, Y: trErr},
				{Name: "validation set", X: epochs, Y: vaErr},
				{Name: "test set (clean labels)", X: epochs, Y: teErr, Dashed: true},
			},
			Markers: markers,
		})
		if err != nil {
			return err
		}
		if err := env.SavePlot("error_"+c.key+".png", p); err != nil {
			return err
		}
	}
	return nil
}

func esSEPTable(cfg esConfig, c *esCondition) MarkdownTable {
	n := len(c.sepCurve) - 1
	row := func(run string, t int) []string {
		e := c.sepCurve[t]
		return []string{run, fmt.Sprintf("epoch %d", t+1), fmt.Sprintf("%.3f", e.train), fmt.Sprintf("%.3f", e.val), fmt.Sprintf("%.3f", e.test), fmt.Sprintf("%.2f%%", pct(c.curve[t].test))}
	}
	return MarkdownTable{
		Caption: fmt.Sprintf("%s: squared error percentage (SEP) of the model kept by early stopping on the validation SEP and of the model at the end.", c.label),
		Header:  []string{"run", "model", "training SEP", "validation SEP", "test SEP", "test error"},
		Rows: [][]string{
			row(fmt.Sprintf("early stopping on validation SEP (patience %d)", cfg.patience), c.sepKept),
			row("no early stopping", n),
		},
	}
}

func writeESPrecheltFiles(env *Env, cfg esConfig, c *esCondition) error {
	ct := NewTable("epoch", "train_sep", "val_sep", "test_sep", "train_loss", "train_err", "val_loss", "val_err", "test_loss", "test_err")
	epochs := make([]float64, len(c.sepCurve))
	var tr, va, te []float64
	for i, e := range c.sepCurve {
		pt := c.curve[i]
		if err := ct.Add(i+1, e.train, e.val, e.test, pt.train.Loss, 1-pt.train.Accuracy, pt.val.Loss, 1-pt.val.Accuracy, pt.test.Loss, 1-pt.test.Accuracy); err != nil {
			return err
		}
		epochs[i] = float64(i + 1)
		tr, va, te = append(tr, max(e.train, 1e-12)), append(va, e.val), append(te, e.test)
	}
	n := len(c.sepCurve) - 1
	ot := NewTable("run", "kept_epoch", "train_sep", "val_sep", "test_sep", "test_err")
	for _, r := range []struct {
		run string
		t   int
	}{{"early stopping on val_sep", c.sepKept}, {"no early stopping", n}} {
		e := c.sepCurve[r.t]
		if err := ot.Add(r.run, r.t+1, e.train, e.val, e.test, 1-c.curve[r.t].test.Accuracy); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		t    *Table
	}{{"prechelt_curves.csv", ct}, {"prechelt_outcome.csv", ot}} {
		if err := env.WriteCSV(f.name, f.t); err != nil {
			return err
		}
	}
	p, err := LinePlot(LineSpec{
		Title:  fmt.Sprintf("Squared error percentage, %s MLP, %d training images, clean labels", "784-"+joinInts(cfg.hidden)+"-10", c.ntrain),
		XLabel: "epoch", YLabel: "squared error percentage (log scale)", LogY: true,
		Series: []Series{
			{Name: "training set", X: epochs, Y: tr},
			{Name: "validation set", X: epochs, Y: va},
			{Name: "test set", X: epochs, Y: te, Dashed: true},
		},
		Markers: []Marker{{Name: fmt.Sprintf("kept by early stopping on validation SEP (epoch %d)", c.sepKept+1), X: float64(c.sepKept + 1)}},
	})
	if err != nil {
		return err
	}
	return env.SavePlot("sep_prechelt.png", p)
}
