package experiments

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "epoch-double-descent",
		Title: "Epoch-wise double descent: test error against epoch for small, medium and large MLPs on MNIST with 20% label noise",
		Claim: "Trained without early stopping on labels with 20% noise, the largest model's test error falls to a minimum, rises while it fits the noisy labels, and then falls again (epoch-wise double descent: after its first local minimum the smoothed test error rises by more than δ and later falls by more than δ from that rise's peak); " +
			"early stopping on the noisy validation loss keeps an epoch before the rise, for every model whose test error rose.",
		Paper: "Nakkiran, Kaplun, Bansal, Yang, Barak & Sutskever (2019), Deep double descent: where bigger models and more data hurt, arXiv:1912.02292, Figures 2, 9 and 10 (epoch-wise double descent, 20% label noise)",
		Run:   runEpochDD,
		Judge: judgeEpochDD,
	})
}

// eddConfig is the size of an epoch-double-descent run.
type eddConfig struct {
	sizes    Sizes
	noise    float64
	widths   []int    // hidden units of the small, medium and large MLP
	names    []string // "small", "medium", "large"
	epochs   int
	batch    int
	lr       float64
	patience int
	smooth   int     // centred moving-average window of the test error, odd
	delta    float64 // rise and second fall of the smoothed test error (absolute)
}

func eddSettings(quick bool) eddConfig {
	c := eddConfig{
		sizes: Sizes{Train: 2000, Val: 500, Test: 1000}, noise: 0.2,
		widths: []int{16, 128, 1024}, names: []string{"small", "medium", "large"},
		epochs: 150, batch: 128, lr: 3e-4, patience: 10, smooth: 5, delta: 0.01,
	}
	if quick {
		c.sizes = Sizes{Train: 600, Val: 300, Test: 600}
		c.widths = []int{16, 64, 256}
		c.epochs, c.batch, c.patience, c.smooth = 30, 50, 5, 3
	}
	return c
}

// Random streams of this experiment.
const (
	eddModelStream = 500 // initial weights
	eddFitStream   = 501 // batch order
	eddNoiseStream = 502 // which labels are flipped
)

// eddModel is one model size: its curve without early stopping and the
// early-stopping run.
type eddModel struct {
	name   string
	width  int
	params int
	hist   *training.History
	test   []training.Metrics // after every epoch of the run without early stopping
	smooth []float64          // smoothed test error
	es     *training.History
	esTest training.Metrics // test scores of the restored model

	dd eddShape
}

// eddShape is what the hysteresis scan found in a smoothed test-error
// curve; epochs are 0-based, −1 when not found.
type eddShape struct {
	firstMin int // the first local minimum: the lowest point before the rise
	rise     int // first epoch more than δ above it
	peak     int // the highest point after the rise, before the second fall
	fall     int // first epoch more than δ below that peak
}

func (s eddShape) rose() bool   { return s.rise >= 0 }
func (s eddShape) second() bool { return s.fall >= 0 }

// eddScan finds descent, ascent and second descent in e with hysteresis δ:
// it follows the running minimum until a value exceeds it by more than δ
// (the rise), then the running maximum until a value falls more than δ
// below it (the second descent).
func eddScan(e []float64, delta float64) eddShape {
	s := eddShape{firstMin: 0, rise: -1, peak: -1, fall: -1}
	for t := range e {
		if e[t] < e[s.firstMin] {
			s.firstMin = t
		}
		if e[t] > e[s.firstMin]+delta {
			s.rise = t
			break
		}
	}
	if s.rise < 0 {
		return s
	}
	s.peak = s.rise
	for t := s.rise; t < len(e); t++ {
		if e[t] > e[s.peak] {
			s.peak = t
		}
		if e[t] < e[s.peak]-delta {
			s.fall = t
			break
		}
	}
	return s
}

// eddSmooth returns the centred moving average of e over w points (fewer
// at the ends).
func eddSmooth(e []float64, w int) []float64 {
	out := make([]float64, len(e))
	h := w / 2
	for t := range e {
		lo, hi := max(0, t-h), min(len(e)-1, t+h)
		s := 0.0
		for i := lo; i <= hi; i++ {
			s += e[i]
		}
		out[t] = s / float64(hi-lo+1)
	}
	return out
}

func runEpochDD(ctx context.Context, env *Env) (*Result, error) {
	cfg := eddSettings(env.Quick())
	clean, err := env.MNIST(ctx, cfg.sizes)
	if err != nil {
		return nil, err
	}
	data, err := withLabelNoise(clean, cfg.noise, env.Rand(eddNoiseStream))
	if err != nil {
		return nil, err
	}
	modelSeed := env.Rand(eddModelStream).Uint64()
	fitSeed := env.Rand(eddFitStream).Uint64()

	var ms []*eddModel
	for i, h := range cfg.widths {
		m := &eddModel{name: cfg.names[i], width: h}
		if err := runEDDModel(ctx, env, cfg, m, data, modelSeed, fitSeed); err != nil {
			return nil, errors.WithMessagef(err, "%s MLP", m.name)
		}
		ms = append(ms, m)
	}

	var parts []string
	for _, m := range ms {
		parts = append(parts, eddDescribe(cfg, m))
	}
	metrics := map[string]float64{"epochs": float64(cfg.epochs)}
	for _, m := range ms {
		metrics[m.name+"_es_epochs_before_rise"] = eddEpochsBeforeRise(cfg, m)
	}
	large := ms[len(ms)-1]
	metrics[large.name+"_second_fall_margin"] = eddFallMargin(large.smooth, large.dd, cfg.delta)
	held, verdict := judgeEpochDD(metrics)

	if err := writeEDDFiles(env, cfg, ms); err != nil {
		return nil, err
	}
	if err := writeEDDSummary(env, cfg, held, verdict+" "+strings.Join(parts, " "), ms, clean.Source); err != nil {
		return nil, err
	}
	for _, m := range ms {
		p := m.name + "_"
		ep := func(t int) float64 {
			if t < 0 {
				return -1
			}
			return float64(t + 1)
		}
		metrics[p+"width"] = float64(m.width)
		metrics[p+"first_min_epoch"] = ep(m.dd.firstMin)
		metrics[p+"rise_epoch"] = ep(m.dd.rise)
		metrics[p+"peak_epoch"] = ep(m.dd.peak)
		metrics[p+"second_fall_epoch"] = ep(m.dd.fall)
		metrics[p+"es_kept_epoch"] = float64(m.es.BestEpoch + 1)
		metrics[p+"es_stopped_after_epoch"] = float64(len(m.es.Epochs))
		metrics[p+"es_test_err"] = 1 - m.esTest.Accuracy
		metrics[p+"last_test_err"] = 1 - m.test[len(m.test)-1].Accuracy
		metrics[p+"min_test_err"] = m.smooth[m.dd.firstMin]
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

// eddEpochsBeforeRise is the number of epochs from the one early stopping
// kept to the rise of the test error, both 1-based; a curve without a rise
// counts as rising at epoch epochs+1. Positive: stopped before the rise.
func eddEpochsBeforeRise(cfg eddConfig, m *eddModel) float64 {
	rise := cfg.epochs + 1
	if m.dd.rose() {
		rise = m.dd.rise + 1
	}
	return float64(rise - (m.es.BestEpoch + 1))
}

// eddFallMargin is how far the smoothed test error e fell below its running
// maximum since the rise minus delta, at the point where it fell most:
// positive exactly when eddScan found a second descent; −delta without a
// rise.
func eddFallMargin(e []float64, s eddShape, delta float64) float64 {
	if !s.rose() {
		return -delta
	}
	best, peak := math.Inf(-1), s.rise
	for t := s.rise; t < len(e); t++ {
		if e[t] > e[peak] {
			peak = t
		}
		best = math.Max(best, (e[peak]-delta)-e[t])
	}
	return best
}

// judgeEpochDD holds the claim when the large model's test error descends a
// second time (large_second_fall_margin > 0) and early stopping kept an
// epoch before the rise for every model (<model>_es_epochs_before_rise > 0).
func judgeEpochDD(m map[string]float64) (bool, string) {
	in := newJudgeInputs(m)
	names := eddSettings(false).names
	large := names[len(names)-1]
	margin := in.get(large + "_second_fall_margin")
	esOK := true
	var before []string
	for _, n := range names {
		b := in.get(n + "_es_epochs_before_rise")
		esOK = esOK && b > 0
		before = append(before, fmt.Sprintf("%s %.3g", n, b))
	}
	if text, bad := in.incomplete(); bad {
		return false, text
	}
	second := margin > 0
	verdict := fmt.Sprintf("Second descent for the large model: %s (the smoothed test error fell %.2f points below its post-rise peak less the hysteresis; a second descent needs more than 0); early stopping before every rise: %s (epochs from the kept epoch to the rise, a curve without a rise counting as rising after the last epoch: %s).",
		yesNo(second, "yes", "no"), 100*margin, yesNo(esOK, "yes", "no"), strings.Join(before, ", "))
	return second && esOK, verdict
}

// eddDescribe states what one model's curve showed, in 1-based epochs.
func eddDescribe(cfg eddConfig, m *eddModel) string {
	s := m.smooth
	d := m.dd
	out := fmt.Sprintf("%s (%d units): smoothed test error minimum %.2f%% at epoch %d", m.name, m.width, 100*s[d.firstMin], d.firstMin+1)
	switch {
	case !d.rose():
		out += fmt.Sprintf(", no rise of more than %.0f point after it", 100*cfg.delta)
	case !d.second():
		out += fmt.Sprintf(", rise past +%.0f point at epoch %d to a maximum of %.2f%% at epoch %d, no second fall of more than %.0f point (last %.2f%%)",
			100*cfg.delta, d.rise+1, 100*s[d.peak], d.peak+1, 100*cfg.delta, 100*s[len(s)-1])
	default:
		out += fmt.Sprintf(", rise past +%.0f point at epoch %d to %.2f%% at epoch %d, second fall past −%.0f point at epoch %d (last %.2f%%)",
			100*cfg.delta, d.rise+1, 100*s[d.peak], d.peak+1, 100*cfg.delta, d.fall+1, 100*s[len(s)-1])
	}
	out += fmt.Sprintf("; early stopping kept epoch %d (stopped after %d, test error %.2f%%)", m.es.BestEpoch+1, len(m.es.Epochs), pct(m.esTest))
	out += "."
	return out
}

func runEDDModel(ctx context.Context, env *Env, cfg eddConfig, e *eddModel, data *Data, modelSeed, fitSeed uint64) error {
	fitConfig := func() (training.Config, error) {
		opt, err := training.NewAdam(training.AdamConfig{LR: cfg.lr})
		return training.Config{Epochs: cfg.epochs, BatchSize: cfg.batch, Seed: fitSeed, Optimizer: opt}, err
	}
	m, err := BuildMLP([]int{e.width}, models.Config{}, modelSeed)
	if err != nil {
		return err
	}
	e.params = m.NumParams()
	full, err := fitConfig()
	if err != nil {
		return err
	}
	var evalErr error
	full.OnBatch = func(p training.Progress) {
		if p.Batch != p.Batches || evalErr != nil {
			return
		}
		var t training.Metrics
		if t, evalErr = Evaluate(ctx, m, data.Test); evalErr != nil {
			return
		}
		e.test = append(e.test, t)
		if p.Epoch%10 == 0 {
			env.Logf("epoch-double-descent: %s: epoch %d: test error %.2f%%", e.name, p.Epoch, pct(t))
		}
	}
	env.Logf("epoch-double-descent: %s MLP (%d units): %d epochs without early stopping", e.name, e.width, cfg.epochs)
	e.hist, err = training.Fit(ctx, m, data.Train, data.Val, full)
	if err == nil {
		err = evalErr
	}
	if err != nil {
		return errors.WithMessage(err, "run without early stopping")
	}
	if len(e.test) != len(e.hist.Epochs) {
		return errors.Errorf("experiments: %d epochs trained, %d scored", len(e.hist.Epochs), len(e.test))
	}
	errs := make([]float64, len(e.test))
	for i, t := range e.test {
		errs[i] = 1 - t.Accuracy
	}
	e.smooth = eddSmooth(errs, cfg.smooth)
	e.dd = eddScan(e.smooth, cfg.delta)

	m2, err := BuildMLP([]int{e.width}, models.Config{}, modelSeed)
	if err != nil {
		return err
	}
	es, err := fitConfig()
	if err != nil {
		return err
	}
	es.EarlyStopping = &training.EarlyStoppingConfig{Monitor: "val_loss", Patience: cfg.patience}
	env.Logf("epoch-double-descent: %s MLP: run with early stopping (val_loss, patience %d)", e.name, cfg.patience)
	if e.es, err = training.Fit(ctx, m2, data.Train, data.Val, es); err != nil {
		return errors.WithMessage(err, "run with early stopping")
	}
	if e.esTest, err = Evaluate(ctx, m2, data.Test); err != nil {
		return err
	}
	return nil
}

func writeEDDFiles(env *Env, cfg eddConfig, ms []*eddModel) error {
	ct := NewTable("model", "width", "epoch", "fit_train_loss", "fit_train_err", "val_loss", "val_err", "test_loss", "test_err", "test_err_smoothed")
	et := NewTable("model", "width", "epoch", "fit_train_loss", "fit_train_err", "val_loss", "val_err")
	ot := NewTable("model", "width", "params", "first_min_epoch", "rise_epoch", "peak_epoch", "second_fall_epoch", "es_kept_epoch", "es_stopped_after", "es_test_err", "last_test_err")
	ep := func(t int) int {
		if t < 0 {
			return -1
		}
		return t + 1
	}
	for _, m := range ms {
		for i, r := range m.hist.Epochs {
			t := m.test[i]
			if err := ct.Add(m.name, m.width, i+1, r.TrainLoss, 1-r.TrainAcc, r.ValLoss, 1-r.ValAcc, t.Loss, 1-t.Accuracy, m.smooth[i]); err != nil {
				return err
			}
		}
		for i, r := range m.es.Epochs {
			if err := et.Add(m.name, m.width, i+1, r.TrainLoss, 1-r.TrainAcc, r.ValLoss, 1-r.ValAcc); err != nil {
				return err
			}
		}
		if err := ot.Add(m.name, m.width, m.params, ep(m.dd.firstMin), ep(m.dd.rise), ep(m.dd.peak), ep(m.dd.fall),
			m.es.BestEpoch+1, len(m.es.Epochs), 1-m.esTest.Accuracy, 1-m.test[len(m.test)-1].Accuracy); err != nil {
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

	// All models' test error in one figure.
	var all []Series
	for _, m := range ms {
		x := make([]float64, len(m.test))
		y := make([]float64, len(m.test))
		for i := range m.test {
			x[i], y[i] = float64(i+1), 100*m.smooth[i]
		}
		all = append(all, Series{Name: fmt.Sprintf("%s: 784-%d-10 (smoothed over %d epochs)", m.name, m.width, cfg.smooth), X: x, Y: y})
	}
	p, err := LinePlot(LineSpec{
		Title:  fmt.Sprintf("Test error against epoch, %d training images with %.0f%% label noise, no early stopping", cfg.sizes.Train, 100*cfg.noise),
		XLabel: "epoch", YLabel: "test error (%), clean labels", Series: all,
	})
	if err != nil {
		return err
	}
	if err := env.SavePlot("test_error.png", p); err != nil {
		return err
	}
	// One figure per model: training, validation and test error, the
	// shape found and the early-stopping point.
	for _, m := range ms {
		n := len(m.test)
		x := make([]float64, n)
		var tr, va, te, sm []float64
		for i, r := range m.hist.Epochs {
			x[i] = float64(i + 1)
			tr, va = append(tr, 100*(1-r.TrainAcc)), append(va, 100*(1-r.ValAcc))
			te, sm = append(te, pct(m.test[i])), append(sm, 100*m.smooth[i])
		}
		marks := []Marker{{Name: fmt.Sprintf("early stopping keeps epoch %d", m.es.BestEpoch+1), X: float64(m.es.BestEpoch + 1)}}
		if m.dd.rose() {
			marks = append(marks, Marker{Name: fmt.Sprintf("test error %.0f point above its minimum (epoch %d)", 100*cfg.delta, m.dd.rise+1), X: float64(m.dd.rise + 1)})
		}
		if m.dd.second() {
			marks = append(marks, Marker{Name: fmt.Sprintf("second descent %.0f point below the peak (epoch %d)", 100*cfg.delta, m.dd.fall+1), X: float64(m.dd.fall + 1)})
		}
		p, err := LinePlot(LineSpec{
			Title:  fmt.Sprintf("%s MLP 784-%d-10, %d images, %.0f%% label noise, Adam lr %g", m.name, m.width, cfg.sizes.Train, 100*cfg.noise, cfg.lr),
			XLabel: "epoch", YLabel: "error (%)",
			Series: []Series{
				{Name: "training (noisy labels, running mean over the epoch)", X: x, Y: tr, Dashed: true},
				{Name: "validation (noisy labels)", X: x, Y: va},
				{Name: "test (clean labels)", X: x, Y: te},
				{Name: fmt.Sprintf("test, smoothed over %d epochs", cfg.smooth), X: x, Y: sm, Dashed: true},
			},
			Markers: marks,
		})
		if err != nil {
			return err
		}
		p.Y.Min, p.Y.Max = 0, 100 // room for the legend above the curves
		if err := env.SavePlot("curves_"+m.name+".png", p); err != nil {
			return err
		}
	}
	return nil
}

func writeEDDSummary(env *Env, cfg eddConfig, held bool, verdict string, ms []*eddModel, source string) error {
	ep := func(t int) string {
		if t < 0 {
			return "—"
		}
		return fmt.Sprint(t + 1)
	}
	tab := MarkdownTable{Caption: "Per model (epochs 1-based; test errors smoothed as described):",
		Header: []string{"model", "parameters", "min test error (epoch)", "rise (epoch)", "peak (epoch)", "second fall (epoch)", "last test error", "early stopping: kept / stopped after", "test error of the kept model"}}
	for _, m := range ms {
		s := m.smooth
		peak := "—"
		if m.dd.peak >= 0 {
			peak = fmt.Sprintf("%.2f%% (%d)", 100*s[m.dd.peak], m.dd.peak+1)
		}
		tab.Rows = append(tab.Rows, []string{fmt.Sprintf("%s 784-%d-10", m.name, m.width), fmt.Sprint(m.params),
			fmt.Sprintf("%.2f%% (%d)", 100*s[m.dd.firstMin], m.dd.firstMin+1), ep(m.dd.rise), peak, ep(m.dd.fall),
			fmt.Sprintf("%.2f%%", pct(m.test[len(m.test)-1])), fmt.Sprintf("%d / %d", m.es.BestEpoch+1, len(m.es.Epochs)), fmt.Sprintf("%.2f%%", pct(m.esTest))})
	}
	large := ms[len(ms)-1]
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Nakkiran et al.'s Figures 2, 9 and 10 plot test error against epochs (log axis, up to 4k epochs) for ResNet18s and CNNs of several widths on CIFAR-10/100 with 10–20% label noise, trained with Adam and no early stopping: small models descend once; medium models descend and then rise (the classical U); large models descend, rise around the epoch at which they begin to fit the noisy labels, and descend again, ending below the first minimum in some settings. " +
			"The counterparts here are test_error.png (all models) and curves_<model>.png (one model with its early-stopping point).",
		Comparison: []Comparison{
			{"small model", "one descent", eddDescribe(cfg, ms[0])},
			{"medium model", "descent then rise (U)", eddDescribe(cfg, ms[1])},
			{"large model", "descent, rise, second descent", eddDescribe(cfg, large)},
		},
		Setup: []string{
			source + ".",
			fmt.Sprintf("%.0f%% of the training and validation labels flipped to another class (datasets.FlipLabels); test labels clean. The validation split is held out from MNIST's training set with the same noise, as a practitioner would have it.", 100*cfg.noise),
			fmt.Sprintf("Models: the registry's ReLU MLP 784-h-10 with h = %v (%s), float32, no regularization, the same initialisation seed; Adam (learning rate %g), batch %d, %d epochs without early stopping; the test error is measured after every epoch in evaluation mode (curves.csv).", cfg.widths, strings.Join(cfg.names, ", "), cfg.lr, cfg.batch, cfg.epochs),
			fmt.Sprintf("Early stopping: the same model and seeds with training.EarlyStoppingConfig{Monitor: \"val_loss\", Patience: %d}, best weights restored and scored on the test set (early_stopping_run.csv, outcome.csv).", cfg.patience),
			fmt.Sprintf("Criterion: the test error is smoothed by a centred moving average over %d epochs. Scanning forward, the first local minimum is the lowest point before the first epoch at which the smoothed error exceeds it by more than δ = %.0f point (the rise); the second descent is the first later epoch at which it is more than δ below the highest point since the rise. The claim holds if the large model shows a second descent and, for every model whose error rose, early stopping's kept epoch precedes the rise.", cfg.smooth, 100*cfg.delta),
		},
		Tables: []MarkdownTable{tab},
		Figures: []Figure{
			{File: "test_error.png", Caption: "Smoothed test error against epoch for the three models."},
		},
		Notes: []string{
			"Nakkiran et al. see epoch-wise double descent with ResNets and CNNs over thousands of epochs; for small MLPs on MNIST over a few hundred epochs it is not expected to be strong, and the verdict reports what this run measured.",
		},
	}
	for _, m := range ms {
		sum.Figures = append(sum.Figures, Figure{File: "curves_" + m.name + ".png", Caption: fmt.Sprintf("%s MLP: training, validation and test error per epoch, with the epoch early stopping kept and the rise and second descent found.", m.name)})
	}
	if env.Quick() {
		sum.Notes = append(sum.Notes, fmt.Sprintf("Quick mode: %d training, %d validation and %d test images, widths %v, %d epochs, patience %d; run without -quick for the full experiment.",
			cfg.sizes.Train, cfg.sizes.Val, cfg.sizes.Test, cfg.widths, cfg.epochs, cfg.patience))
	}
	return env.WriteSummary(sum)
}
