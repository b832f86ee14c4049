package experiments

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "batchnorm",
		Title: "Batch normalization: a 3×100 sigmoid MLP on MNIST with and without BatchNorm, test accuracy and one hidden unit's input distribution over training",
		Claim: "With BatchNorm the network trains faster and reaches a higher test accuracy; the distribution of a last-hidden-layer sigmoid's input stays stable over training while without BatchNorm it drifts; " +
			"and BatchNorm tolerates learning rates (5× and 30×) at which the network without it trains worse or diverges.",
		Paper: "Ioffe & Szegedy (2015), Batch normalization: accelerating deep network training by reducing internal covariate shift, ICML, §4.1 and Figure 1",
		Run:   runBatchNorm,
		Judge: judgeBatchNorm,
	})
}

// bnCriteria evaluates the claim's four parts on the metrics: BatchNorm
// reaches fast_acc in fewer steps (a threshold never reached counts as the
// first evaluation after the run), ends with a higher test accuracy, has a
// smaller drift of the traced unit and of the layer's median unit, and
// ends at least as accurate at every multiple of the learning rate.
func bnCriteria(m map[string]float64) (faster, higher, stable, tolerant bool) {
	faster = m["steps_to_fast_bn"] < m["steps_to_fast_base"]
	higher = m["final_acc_bn"] > m["final_acc_base"]
	stable = m["drift_unit_bn"] < m["drift_unit_base"] && m["drift_units_median_bn"] < m["drift_units_median_base"]
	tolerant = true
	for _, mult := range bnSettings(false).mults {
		tolerant = tolerant && m[fmt.Sprintf("final_acc_bn_x%g", mult)] >= m[fmt.Sprintf("final_acc_base_x%g", mult)]
	}
	return faster, higher, stable, tolerant
}

// judgeBatchNorm holds the claim when all four parts of bnCriteria hold.
func judgeBatchNorm(m map[string]float64) (bool, string) {
	cfg := bnSettings(false)
	in := newJudgeInputs(m)
	for _, k := range []string{"steps", "fast_acc", "steps_to_fast_bn", "steps_to_fast_base", "final_acc_bn", "final_acc_base",
		"drift_unit_bn", "drift_unit_base", "drift_units_median_bn", "drift_units_median_base"} {
		in.get(k)
	}
	for _, mult := range cfg.mults {
		in.get(fmt.Sprintf("final_acc_bn_x%g", mult))
		in.get(fmt.Sprintf("final_acc_base_x%g", mult))
	}
	if v, bad := in.incomplete(); bad {
		return false, v
	}
	faster, higher, stable, tolerant := bnCriteria(m)
	held := faster && higher && stable && tolerant
	verdict := fmt.Sprintf("At lr %g: steps to %.0f%% test accuracy %s with BatchNorm vs %s without (%s); final accuracy %.2f%% vs %.2f%% (%s); "+
		"drift of unit %d's input %.3g vs %.3g, median drift over the layer's %d units %.3g vs %.3g (%s). ",
		cfg.lr, 100*m["fast_acc"], bnStepsOf(m, "steps_to_fast_bn"), bnStepsOf(m, "steps_to_fast_base"), yesNo(faster, "faster", "not faster"),
		100*m["final_acc_bn"], 100*m["final_acc_base"], yesNo(higher, "higher", "not higher"),
		cfg.unit, m["drift_unit_bn"], m["drift_unit_base"], cfg.hidden[len(cfg.hidden)-1], m["drift_units_median_bn"], m["drift_units_median_base"], yesNo(stable, "more stable", "not more stable"))
	var hi []string
	for _, mult := range cfg.mults {
		hi = append(hi, fmt.Sprintf("at %g× (lr %g) %.2f%% with BatchNorm vs %.2f%%%s without", mult, cfg.lr*mult,
			100*m[fmt.Sprintf("final_acc_bn_x%g", mult)], 100*m[fmt.Sprintf("final_acc_base_x%g", mult)],
			yesNo(m[fmt.Sprintf("diverged_base_x%g", mult)] >= 0.5, " (diverged)", "")))
	}
	verdict += fmt.Sprintf("Final accuracy %s (%s). Claim %s.", strings.Join(hi, ", "), yesNo(tolerant, "BatchNorm ≥ baseline at every rate", "BatchNorm below the baseline at some rate"), yesNo(held, "held", "did not hold"))
	return held, verdict
}

type bnConfig struct {
	sizes     Sizes
	hidden    []int
	batch     int
	lr        float64   // base learning rate of both models
	mults     []float64 // multiples of lr for the high-rate runs
	epochs    int       // epochs of the base-rate runs
	hiEpochs  int       // epochs of the high-rate runs
	evalEvery int       // steps between evaluations
	evalBatch int       // compiled batch of the probe graph (divides sizes.Test)
	unit      int       // the traced unit of the last hidden layer
	fast      float64   // accuracy that "trains faster" is timed to
	target    float64   // accuracy of the steps-to criterion
	warm      int       // drift is measured over evaluations at steps ≥ warm
}

func bnSettings(quick bool) bnConfig {
	c := bnConfig{
		sizes: Sizes{Test: 10000}, hidden: []int{100, 100, 100}, batch: 60, lr: 0.5,
		mults: []float64{5, 30}, epochs: 20, hiEpochs: 5, evalEvery: 200, evalBatch: 2000,
		unit: 0, fast: 0.95, target: 0.97, warm: 200,
	}
	if quick {
		c.sizes = Sizes{Train: 6000, Test: 1000}
		c.evalBatch = 1000
		c.epochs, c.hiEpochs, c.evalEvery, c.warm = 5, 3, 25, 50
		c.fast = 0.85 // 95% is out of reach in 500 steps on 6000 images
	}
	return c
}

// Random streams of this experiment.
const (
	bnModelStream = 300 // initial weights (the same for every run)
	bnFitStream   = 301 // batch order (the same for every run)
)

// bnPoint is one evaluation on the test subset, at a training step.
type bnPoint struct {
	step       int
	loss, acc  float64
	p15, p50   float64 // of the traced unit's input over the test images
	p85        float64
	unitMedian []float64 // median input of every unit of the last hidden layer
	unitSpread []float64 // its 85th minus 15th percentile
}

// bnRun is one model trained at one learning rate.
type bnRun struct {
	bn          bool
	mult, lr    float64
	steps       int // steps trained
	diverged    bool
	points      []bnPoint
	stepsFast   int     // first evaluated step with accuracy ≥ cfg.fast (-1: never)
	stepsTarget int     // the same for cfg.target
	drift       float64 // the traced unit's drift
	driftUnits  float64 // the median over the layer's units of their drift
	unitDrifts  []float64
}

func (r *bnRun) model() string {
	if r.bn {
		return "mlp-bn"
	}
	return "mlp-sigmoid"
}

func (r *bnRun) label() string {
	return fmt.Sprintf("%s, lr %g", map[bool]string{true: "BatchNorm", false: "no BatchNorm"}[r.bn], r.lr)
}

func (r *bnRun) last() bnPoint { return r.points[len(r.points)-1] }

func runBatchNorm(ctx context.Context, env *Env) (*Result, error) {
	cfg := bnSettings(env.Quick())
	data, err := env.MNIST(ctx, cfg.sizes)
	if err != nil {
		return nil, err
	}
	if data.Test.Len()%cfg.evalBatch != 0 || data.Train.Len()%cfg.batch != 0 {
		return nil, errors.Wrapf(ErrConfig, "experiments: batchnorm: %d test images in batches of %d, %d training images in batches of %d", data.Test.Len(), cfg.evalBatch, data.Train.Len(), cfg.batch)
	}
	modelSeed := env.Rand(bnModelStream).Uint64()
	fitSeed := env.Rand(bnFitStream).Uint64()

	var runs []*bnRun
	for _, mult := range append([]float64{1}, cfg.mults...) {
		for _, bn := range []bool{false, true} {
			r := &bnRun{bn: bn, mult: mult, lr: cfg.lr * mult}
			epochs := cfg.epochs
			if mult != 1 {
				epochs = cfg.hiEpochs
			}
			if err := trainBNRun(ctx, env, cfg, r, data, epochs, modelSeed, fitSeed); err != nil {
				return nil, errors.WithMessagef(err, "%s", r.label())
			}
			runs = append(runs, r)
		}
	}
	base, bn := runs[0], runs[1]

	// The criteria's inputs; a threshold never reached counts as the first
	// evaluation after the end of the run.
	never := max(base.steps, bn.steps) + cfg.evalEvery
	reached := func(s int) float64 {
		if s < 0 {
			return float64(never)
		}
		return float64(s)
	}
	half := bn.stepsTarget >= 0 && (base.stepsTarget < 0 && 2*bn.stepsTarget <= base.steps || base.stepsTarget >= 0 && 2*bn.stepsTarget <= base.stepsTarget)
	metrics := map[string]float64{
		"fast_acc": cfg.fast, "steps_to_fast_bn": reached(bn.stepsFast), "steps_to_fast_base": reached(base.stepsFast),
		"steps_to_97_bn": reached(bn.stepsTarget), "steps_to_97_base": reached(base.stepsTarget),
		"bn_half_the_steps_to_97": bnB2F(half),
		"final_acc_bn":            bn.last().acc, "final_acc_base": base.last().acc,
		"drift_unit_bn": bn.drift, "drift_unit_base": base.drift,
		"drift_units_median_bn": bn.driftUnits, "drift_units_median_base": base.driftUnits,
		"steps": float64(base.steps),
	}
	for i := 2; i < len(runs); i += 2 {
		b, n := runs[i], runs[i+1]
		metrics[fmt.Sprintf("final_acc_bn_x%g", b.mult)] = n.last().acc
		metrics[fmt.Sprintf("final_acc_base_x%g", b.mult)] = b.last().acc
		metrics[fmt.Sprintf("diverged_bn_x%g", b.mult)] = bnB2F(n.diverged)
		metrics[fmt.Sprintf("diverged_base_x%g", b.mult)] = bnB2F(b.diverged)
	}
	held, verdict := judgeBatchNorm(metrics)
	faster, higher, stable, tolerant := bnCriteria(metrics)

	if err := writeBNFiles(env, cfg, runs); err != nil {
		return nil, err
	}
	sum := bnSummary(env, cfg, data, runs, modelSeed, fitSeed, held, verdict, faster, higher, stable, tolerant, half)
	if err := env.WriteSummary(sum); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

func bnB2F(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// bnStepsOf formats the steps-to-accuracy metric key: a value beyond the
// metric "steps" is the count of a threshold never reached.
func bnStepsOf(m map[string]float64, key string) string {
	if v, steps := m[key], m["steps"]; v > steps {
		return fmt.Sprintf("never (counted as %.0f)", v)
	}
	return fmt.Sprintf("%.0f", m[key])
}

// bnSteps formats a steps-to-accuracy count; -1 means never.
func bnSteps(s int) string {
	if s < 0 {
		return "never"
	}
	return fmt.Sprint(s)
}

// bnProbe is an evaluation graph of an MLP that outputs the logits and the
// input of every sigmoid of the last hidden layer (the output of its
// BatchNorm, or of its Linear layer without one). It shares the model's
// parameter tensors, so it sees every training step.
type bnProbe struct {
	prog        *graph.Program
	x           *tensor.Dense
	logits, pre *G.Node
	batch       int
}

func newBNProbe(m *models.Model, batch int, bn bool, last int) (*bnProbe, error) {
	b := graph.NewBuilder(m.Store(), graph.Eval, nil)
	x, xt := b.Input("x", append([]int{batch}, m.InputShape()...)...)
	logits, trace, err := m.Net().Trace(b, x)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("fc%d", last)
	if bn {
		name = fmt.Sprintf("norm%d", last)
	}
	p := &bnProbe{x: xt, batch: batch}
	var pre *G.Node
	for _, t := range trace {
		if t.Layer.Name() == name {
			pre = t.Out
		}
	}
	if pre == nil {
		return nil, errors.Wrapf(ErrConfig, "experiments: batchnorm: the model has no layer %s", name)
	}
	p.logits, p.pre = logits, pre
	if p.prog, err = graph.Compile(b, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// evaluate scores the model on ds (a multiple of the probe's batch) and
// returns the percentiles of the traced unit's input and every unit's
// median and 15–85 spread.
func (p *bnProbe) evaluate(ds *datasets.Dataset, unit int) (bnPoint, error) {
	feat := ds.Features()
	var pt bnPoint
	var pre [][]float64 // per unit, per image
	correct := 0
	for start := 0; start < ds.Len(); start += p.batch {
		copyF32(p.x, ds.X[start*feat:(start+p.batch)*feat])
		if err := p.prog.Run(); err != nil {
			return pt, err
		}
		ld, ok := p.logits.Value().(*tensor.Dense)
		if !ok {
			return pt, errors.Errorf("experiments: batchnorm: logits of type %T", p.logits.Value())
		}
		lp, err := nn.LogProbs(ld, p.batch)
		if err != nil {
			return pt, err
		}
		k := ds.NumClasses
		for i := range p.batch {
			row := lp[i*k : (i+1)*k]
			y := ds.Y[start+i]
			pt.loss -= row[y]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			if best == y {
				correct++
			}
		}
		vals := bnFloats(p.pre.Value())
		units := len(vals) / p.batch
		if pre == nil {
			pre = make([][]float64, units)
		}
		for i := range p.batch {
			for u := range units {
				pre[u] = append(pre[u], vals[i*units+u])
			}
		}
	}
	pt.loss /= float64(ds.Len())
	pt.acc = float64(correct) / float64(ds.Len())
	for u, v := range pre {
		sort.Float64s(v)
		lo, med, hi := bnPercentile(v, 0.15), bnPercentile(v, 0.5), bnPercentile(v, 0.85)
		pt.unitMedian = append(pt.unitMedian, med)
		pt.unitSpread = append(pt.unitSpread, hi-lo)
		if u == unit {
			pt.p15, pt.p50, pt.p85 = lo, med, hi
		}
	}
	return pt, nil
}

func copyF32(dst *tensor.Dense, src []float32) {
	switch d := dst.Data().(type) {
	case []float32:
		copy(d, src)
	case []float64:
		for i, v := range src {
			d[i] = float64(v)
		}
	}
}

func bnFloats(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return d
	}
	return nil
}

// bnPercentile returns the q-quantile of sorted values by linear
// interpolation between the closest ranks (numpy's default): the value at
// position q·(n−1).
func bnPercentile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := q * float64(n-1)
	i := int(math.Floor(pos))
	if i >= n-1 {
		return sorted[n-1]
	}
	f := pos - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}

// bnDrift is the range (max − min) of medians over the points from index
// from on, divided by the last point's spread: how far the centre of a
// unit's input distribution moved, in units of its final width. NaN values
// make the drift +Inf (a diverged run drifted without bound).
func bnDrift(medians []float64, finalSpread float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, m := range medians {
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return math.Inf(1)
		}
		lo, hi = math.Min(lo, m), math.Max(hi, m)
	}
	if !(finalSpread > 0) {
		return math.Inf(1)
	}
	return (hi - lo) / finalSpread
}

// bnStepsTo returns the first evaluated step whose accuracy reaches acc, or
// -1.
func bnStepsTo(points []bnPoint, acc float64) int {
	for _, p := range points {
		if p.acc >= acc {
			return p.step
		}
	}
	return -1
}

func trainBNRun(ctx context.Context, env *Env, cfg bnConfig, r *bnRun, data *Data, epochs int, modelSeed, fitSeed uint64) error {
	mc := models.Config{Activation: "sigmoid"}
	if r.bn {
		mc.Norm = "batch"
	}
	m, err := BuildMLP(cfg.hidden, mc, modelSeed)
	if err != nil {
		return err
	}
	probe, err := newBNProbe(m, cfg.evalBatch, r.bn, len(cfg.hidden))
	if err != nil {
		return err
	}
	defer probe.prog.Close()
	eval := func(step int) error {
		pt, err := probe.evaluate(data.Test, cfg.unit)
		if err != nil {
			return err
		}
		pt.step = step
		r.points = append(r.points, pt)
		return nil
	}
	if err := eval(0); err != nil {
		return err
	}
	opt, err := training.NewSGD(training.SGDConfig{LR: r.lr})
	if err != nil {
		return err
	}
	var evalErr error
	fc := training.Config{Epochs: epochs, BatchSize: cfg.batch, Seed: fitSeed, Optimizer: opt, DropLast: true}
	fc.OnBatch = func(p training.Progress) {
		r.steps = (p.Epoch-1)*p.Batches + p.Batch
		if r.steps%cfg.evalEvery != 0 || evalErr != nil {
			return
		}
		evalErr = eval(r.steps)
		if evalErr == nil && r.steps%(10*cfg.evalEvery) == 0 {
			pt := r.last()
			env.Logf("batchnorm: %s: step %d: test loss %.4f, accuracy %.2f%%, unit %d input p15/50/85 %.3f/%.3f/%.3f",
				r.label(), r.steps, pt.loss, 100*pt.acc, cfg.unit, pt.p15, pt.p50, pt.p85)
		}
	}
	env.Logf("batchnorm: %s: %d epochs of %d steps", r.label(), epochs, data.Train.Len()/cfg.batch)
	_, err = training.Fit(ctx, m, data.Train, nil, fc)
	if errors.Is(err, training.ErrDiverged) {
		// The run ends here; its last point is the model at divergence.
		r.diverged = true
		env.Logf("batchnorm: %s: diverged at step %d", r.label(), r.steps+1)
		r.steps++
		if err = eval(r.steps); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if evalErr != nil {
		return evalErr
	}
	if r.last().step != r.steps {
		if err := eval(r.steps); err != nil {
			return err
		}
	}
	r.stepsFast = bnStepsTo(r.points, cfg.fast)
	r.stepsTarget = bnStepsTo(r.points, cfg.target)
	// Drift over the evaluations from step cfg.warm on: BatchNorm's running
	// statistics start at mean 0 / variance 1 and need some steps to track
	// the batches (momentum 0.1), and both models are measured alike.
	first := 0
	for first < len(r.points)-1 && r.points[first].step < cfg.warm {
		first++
	}
	fin := r.last()
	units := len(fin.unitMedian)
	r.unitDrifts = make([]float64, units)
	for u := range units {
		med := make([]float64, 0, len(r.points)-first)
		for _, p := range r.points[first:] {
			med = append(med, p.unitMedian[u])
		}
		r.unitDrifts[u] = bnDrift(med, fin.unitSpread[u])
	}
	r.drift = r.unitDrifts[cfg.unit]
	sorted := append([]float64(nil), r.unitDrifts...)
	sort.Float64s(sorted)
	r.driftUnits = bnPercentile(sorted, 0.5)
	env.Logf("batchnorm: %s: final accuracy %.2f%%, steps to %.0f%% %s, to %.0f%% %s, drift %.3g (median over units %.3g)",
		r.label(), 100*fin.acc, 100*cfg.fast, bnSteps(r.stepsFast), 100*cfg.target, bnSteps(r.stepsTarget), r.drift, r.driftUnits)
	return nil
}

func writeBNFiles(env *Env, cfg bnConfig, runs []*bnRun) error {
	ct := NewTable("model", "lr", "lr_multiple", "step", "test_loss", "test_acc", "unit_input_p15", "unit_input_p50", "unit_input_p85")
	rt := NewTable("model", "lr", "lr_multiple", "steps", "diverged", "final_test_acc", "final_test_loss",
		fmt.Sprintf("steps_to_%g", cfg.fast), fmt.Sprintf("steps_to_%g", cfg.target), "unit_drift", "median_unit_drift")
	for _, r := range runs {
		for _, p := range r.points {
			if err := ct.Add(r.model(), r.lr, r.mult, p.step, p.loss, p.acc, p.p15, p.p50, p.p85); err != nil {
				return err
			}
		}
		fin := r.last()
		if err := rt.Add(r.model(), r.lr, r.mult, r.steps, r.diverged, fin.acc, fin.loss, r.stepsFast, r.stepsTarget, r.drift, r.driftUnits); err != nil {
			return err
		}
	}
	ut := NewTable("unit", "drift_mlp_sigmoid", "drift_mlp_bn", "final_median_mlp_sigmoid", "final_median_mlp_bn", "final_p85_minus_p15_mlp_sigmoid", "final_p85_minus_p15_mlp_bn")
	base, bn := runs[0], runs[1]
	for u := range base.unitDrifts {
		if err := ut.Add(u, base.unitDrifts[u], bn.unitDrifts[u], base.last().unitMedian[u], bn.last().unitMedian[u], base.last().unitSpread[u], bn.last().unitSpread[u]); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		t    *Table
	}{{"curves.csv", ct}, {"runs.csv", rt}, {"units.csv", ut}} {
		if err := env.WriteCSV(f.name, f.t); err != nil {
			return err
		}
	}

	arch := "784-" + joinInts(cfg.hidden) + "-10 sigmoid MLP"
	accSeries := func(r *bnRun, dashed bool) Series {
		s := Series{Name: r.label(), Dashed: dashed}
		for _, p := range r.points {
			s.X, s.Y = append(s.X, float64(p.step)), append(s.Y, p.acc)
		}
		return s
	}
	p, err := LinePlot(LineSpec{
		Title:  fmt.Sprintf("Test accuracy, %s, batch %d, SGD lr %g", arch, cfg.batch, cfg.lr),
		XLabel: "training step", YLabel: "test accuracy",
		Series: []Series{accSeries(base, true), accSeries(bn, false)},
	})
	if err != nil {
		return err
	}
	if err := env.SavePlot("accuracy.png", p); err != nil {
		return err
	}
	var all []Series
	for _, r := range runs {
		all = append(all, accSeries(r, !r.bn))
	}
	if p, err = LinePlot(LineSpec{
		Title:  fmt.Sprintf("Test accuracy at %g, %g× and %g× the learning rate", cfg.lr, cfg.mults[0], cfg.mults[1]),
		XLabel: "training step", YLabel: "test accuracy",
		Series: all,
	}); err != nil {
		return err
	}
	if err := env.SavePlot("learning_rates.png", p); err != nil {
		return err
	}
	for _, r := range runs[:2] {
		var s [3]Series
		for i, name := range []string{"15th percentile", "50th percentile", "85th percentile"} {
			s[i] = Series{Name: name, Dashed: i != 1}
		}
		for _, pt := range r.points {
			for i, v := range []float64{pt.p15, pt.p50, pt.p85} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				s[i].X, s[i].Y = append(s[i].X, float64(pt.step)), append(s[i].Y, v)
			}
		}
		if len(s[0].X) == 0 {
			continue
		}
		layer := "Linear output"
		if r.bn {
			layer = "BatchNorm output"
		}
		if p, err = LinePlot(LineSpec{
			Title:  fmt.Sprintf("%s: input of sigmoid unit %d of hidden layer %d over the test images", r.label(), cfg.unit, len(cfg.hidden)),
			XLabel: "training step", YLabel: "sigmoid input (" + layer + ")",
			Series: s[:],
		}); err != nil {
			return err
		}
		if err := env.SavePlot("input_"+r.model()+".png", p); err != nil {
			return err
		}
	}
	return nil
}

func bnSummary(env *Env, cfg bnConfig, data *Data, runs []*bnRun, modelSeed, fitSeed uint64, held bool, verdict string, faster, higher, stable, tolerant, half bool) *Summary {
	base, bn := runs[0], runs[1]
	arch := "784-" + joinInts(cfg.hidden) + "-10"
	t := MarkdownTable{
		Caption: fmt.Sprintf("Every run (test accuracy on %d test images; steps counted in batches of %d).", data.Test.Len(), cfg.batch),
		Header:  []string{"model", "lr", "steps", "final test accuracy", fmt.Sprintf("steps to %.0f%%", 100*cfg.fast), fmt.Sprintf("steps to %.0f%%", 100*cfg.target), fmt.Sprintf("drift, unit %d", cfg.unit), "median drift over units"},
	}
	for _, r := range runs {
		steps := fmt.Sprint(r.steps)
		if r.diverged {
			steps += " (diverged)"
		}
		t.Rows = append(t.Rows, []string{r.model(), fmt.Sprintf("%g (%g×)", r.lr, r.mult), steps, fmt.Sprintf("%.2f%%", 100*r.last().acc),
			bnSteps(r.stepsFast), bnSteps(r.stepsTarget), fmt.Sprintf("%.3g", r.drift), fmt.Sprintf("%.3g", r.driftUnits)})
	}
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Ioffe & Szegedy's Figure 1(a) plots the MNIST test accuracy of a 784-100-100-100-10 sigmoid network against the training step (50,000 steps of 60 examples) with and without BatchNorm: with it the accuracy rises faster and ends higher. " +
			"Figures 1(b) and 1(c) show the 15th, 50th and 85th percentiles of one typical last-hidden-layer sigmoid's input over training: without BatchNorm the distribution's mean and variance change markedly over training; with BatchNorm it is more stable. " +
			"The high learning rates (5× and 30×) come from the paper's ImageNet experiments (§4.2, BN-x5 and BN-x30), not from the MNIST figure; here they are tried on the same MNIST network. " +
			"The counterparts here are accuracy.png, input_mlp-sigmoid.png, input_mlp-bn.png and learning_rates.png.",
		Comparison: []Comparison{
			{"training speed", "BatchNorm reaches a given accuracy in fewer steps", fmt.Sprintf("steps to %.0f%%: %s with, %s without; to %.0f%%: %s with, %s without", 100*cfg.fast, bnSteps(bn.stepsFast), bnSteps(base.stepsFast), 100*cfg.target, bnSteps(bn.stepsTarget), bnSteps(base.stepsTarget))},
			{"final accuracy", "higher with BatchNorm (its curve ends above the baseline's)", fmt.Sprintf("%.2f%% with, %.2f%% without after %d steps", 100*bn.last().acc, 100*base.last().acc, base.steps)},
			{"sigmoid input distribution", "stable with BatchNorm, drifting without", fmt.Sprintf("unit %d: median moved by %.3g (with) vs %.3g (without) final 15–85 widths; median over the %d units: %.3g vs %.3g", cfg.unit, bn.drift, base.drift, len(bn.unitDrifts), bn.driftUnits, base.driftUnits)},
		},
		Setup: []string{
			data.Source + ".",
			fmt.Sprintf("Models: the registry's mlp-sigmoid (%s, sigmoid hidden units, biases) and mlp-bn (the same with BatchNorm between each hidden Linear layer, which then has no bias, and its sigmoid; PyTorch's defaults: momentum 0.1, ε 1e-5, learnable γ and β), float32, initial weights from seed %d.", arch, modelSeed),
			fmt.Sprintf("Training: plain SGD (no momentum, no weight decay) at learning rate %g for both models, batch %d, %d epochs of %d steps (%d steps); batch order from seed %d, the same for every run. Then both models at %g× and %g× that rate (lr %g and %g) for %d epochs.", cfg.lr, cfg.batch, cfg.epochs, data.Train.Len()/cfg.batch, base.steps, fitSeed, cfg.mults[0], cfg.mults[1], cfg.lr*cfg.mults[0], cfg.lr*cfg.mults[1], cfg.hiEpochs),
			fmt.Sprintf("Every %d steps (and at step 0) the model is evaluated on the fixed test subset in an evaluation graph that shares its weights (BatchNorm uses its running statistics): test loss and accuracy, and the input of every sigmoid of hidden layer %d over the test images — the output of BatchNorm with it, of the Linear layer without. The percentiles interpolate linearly between ranks (numpy's default).", cfg.evalEvery, len(cfg.hidden)),
			fmt.Sprintf("Criteria. Faster: BatchNorm reaches %.0f%% test accuracy at an earlier evaluated step than the baseline (or the baseline never does). Higher: BatchNorm's final test accuracy is above the baseline's. Stable: the drift of a unit's input — the range (max − min) of its median over the evaluations from step %d on, divided by its final 85th−15th percentile width — is smaller with BatchNorm, both for unit %d and for the median over the layer's %d units (the first %d steps are left out because BatchNorm's running statistics start at mean 0, variance 1 and take tens of steps to track the batches). Tolerant: at each higher rate BatchNorm's final test accuracy is at least the baseline's (a diverged run scores what its weights give at divergence). The claim holds when all four do.",
				100*cfg.fast, cfg.warm, cfg.unit, len(bn.unitDrifts), cfg.warm),
		},
		Tables: []MarkdownTable{t},
		Figures: []Figure{
			{"accuracy.png", fmt.Sprintf("Test accuracy against training step at lr %g, with and without BatchNorm (the paper's Figure 1a).", cfg.lr)},
			{"input_mlp-sigmoid.png", fmt.Sprintf("Without BatchNorm: 15th, 50th and 85th percentiles over the test images of the input of sigmoid unit %d of hidden layer %d (the paper's Figure 1b).", cfg.unit, len(cfg.hidden))},
			{"input_mlp-bn.png", "With BatchNorm: the same for the BatchNorm output that feeds that sigmoid (the paper's Figure 1c)."},
			{"learning_rates.png", fmt.Sprintf("Test accuracy at %g, %g× and %g× the rate; dashed: without BatchNorm.", cfg.lr, cfg.mults[0], cfg.mults[1])},
		},
		Notes: []string{
			fmt.Sprintf("Criteria outcome: faster %v, higher %v, stable %v, tolerant %v.", faster, higher, stable, tolerant),
			fmt.Sprintf("Issue criterion (mlp-bn reaches %.0f%% test accuracy in at most half the steps mlp-sigmoid needs at the same learning rate, %g): mlp-bn %s steps, mlp-sigmoid %s steps (of %d trained; resolution %d steps) — %s.",
				100*cfg.target, cfg.lr, bnSteps(bn.stepsTarget), bnSteps(base.stepsTarget), base.steps, cfg.evalEvery, yesNo(half, "met", "not met")),
		},
	}
	if env.Quick() {
		sum.Notes = append(sum.Notes, fmt.Sprintf("Quick mode: %d training and %d test images, %d epochs (%d steps) at the base rate and %d at the higher rates, evaluated every %d steps; 97%% is out of reach at this size. Run without -quick for the full experiment (all 60,000 training images, the full test set).",
			data.Train.Len(), data.Test.Len(), cfg.epochs, base.steps, cfg.hiEpochs, cfg.evalEvery))
	}
	return sum
}
