package experiments

import (
	"context"
	"fmt"
	"math"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/ensemble"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "ensemble",
		Title: "Ensembles of MLPs against dropout: independent and bagged ensembles of K = 1…10, one dropout net (weight scaling, Monte-Carlo, exact 2^n average), and an ensemble of the same sub-networks without weight sharing",
		Claim: "An ensemble of independently trained networks (with or without bagging) has a lower test error than its members on average; " +
			"a dropout network's weight scaling performs close to the exact average of its 2^n sub-networks (test errors within half a point); " +
			"dropout does better than an ensemble of the same sub-networks trained without weight sharing.",
		Paper: "The lecture \"Regularization, batchnorm and dropout\" (ensembles; dropout as bagging with weight sharing); " +
			"Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov (2014), Dropout, JMLR 15, §4 and §7.5; " +
			"Warde-Farley, Goodfellow, Courville & Bengio (2014), An empirical analysis of dropout in piecewise linear networks, ICLR (exact geometric mean of small models; ensembles of masked networks without tied weights); Breiman (1996), Bagging predictors, Machine Learning 24",
		Run:   runEnsemble,
		Judge: judgeEnsemble,
	})
}

// judgeEnsemble decides the claim's three parts with the tolerance of the
// settings (the same in both modes): (1) the ensemble of all members below
// its members' mean error, independent and bagged; (2) weight scaling
// within approxGap of the exact geometric mean of the sub-networks; (3)
// the dropout net (weight scaling) below the ensemble of untied
// sub-networks (geometric mean).
func judgeEnsemble(m map[string]float64) (bool, string) {
	cfg := ensembleSettings(false)
	in := newJudgeInputs(m)
	k := in.get("members")
	indE, indM, bagE, bagM := in.get("independent_ensemble_err"), in.get("independent_member_err"), in.get("bagged_ensemble_err"), in.get("bagged_member_err")
	ws, geo := in.get("tiny_ws_err"), in.get("tiny_exact_geo_err")
	drop, untied := in.get("dropout_ws_err"), in.get("untied_geo_err")
	if text, bad := in.incomplete(); bad {
		return false, text
	}
	ensHeld := indE < indM && bagE < bagM
	approxHeld := math.Abs(ws-geo) <= cfg.approxGap
	wfHeld := drop < untied
	verdict := fmt.Sprintf("(1) %g independent members average %.2f%% test error, their ensemble %.2f%% (arithmetic mean; geometric %.2f%%); %g bagged members average %.2f%%, their ensemble %.2f%% (geometric %.2f%%): %s. "+
		"(2) Dropout on the first of two hidden layers of a tiny net: weight scaling %.2f%%, the exact geometric mean of all its sub-networks %.2f%%, their arithmetic mean %.2f%% (weight scaling within %.1f points of the geometric mean required): %s (with dropout right before the softmax layer the two are equal by construction: %.2f%% and %.2f%%). "+
		"(3) The dropout net %.2f%% with weight scaling (Monte-Carlo: %.2f%%) against %.2f%% for an ensemble of %g of its sub-networks trained without weight sharing (geometric mean; each alone %.2f%% on average): %s.",
		k, 100*indM, 100*indE, 100*m["independent_geo_err"], k, 100*bagM, 100*bagE, 100*m["bagged_geo_err"], dropoutHeld(ensHeld),
		100*ws, 100*geo, 100*m["tiny_exact_arith_err"], 100*cfg.approxGap, dropoutHeld(approxHeld), 100*m["tiny_softmax_ws_err"], 100*m["tiny_softmax_exact_geo_err"],
		100*drop, 100*m["dropout_mc_err"], 100*untied, k, 100*m["untied_member_err"], dropoutHeld(wfHeld))
	return ensHeld && approxHeld && wfHeld, verdict
}

// ensembleConfig is the size of an ensemble run.
type ensembleConfig struct {
	sizes         Sizes
	hidden        []int
	epochs        int
	dropoutEpochs int
	batch         int
	lr, momentum  float64
	members       int     // K of the largest ensemble
	retain        float64 // the dropout net's hidden retain probability p
	mcSamples     int
	tinyWidth     int // hidden units of the enumerated network
	tinyEpochs    int
	tinyTest      int     // test images of the enumeration (0: all)
	approxGap     float64 // weight scaling within this of the exact geometric mean
}

func ensembleSettings(quick bool) ensembleConfig {
	c := ensembleConfig{
		sizes: Sizes{Train: 10000}, hidden: []int{256, 256}, epochs: 20, dropoutEpochs: 40, batch: 100, lr: 0.05, momentum: 0.9,
		members: 10, retain: 0.5, mcSamples: 50,
		tinyWidth: 12, tinyEpochs: 20, approxGap: 0.005,
	}
	if quick {
		c.sizes = Sizes{Train: 2000, Test: 1000}
		c.hidden, c.epochs, c.dropoutEpochs, c.members = []int{32, 32}, 3, 6, 3
		c.mcSamples, c.tinyWidth, c.tinyEpochs, c.tinyTest = 10, 8, 3, 500
	}
	return c
}

// Random streams of this experiment.
const (
	ensembleSeedStream   = 600 // base seed of the ensembles
	ensembleDropStream   = 601 // the dropout nets' weights and batch order
	ensembleMaskStream   = 602 // the sub-networks' masks
	ensembleMCStream     = 603 // Monte-Carlo masks at test time
	ensembleSubnetStream = 604 // base seed of the sub-network ensemble
)

// ensembleCurve is the test error of the first k members, k = 1…K.
type ensembleCurve struct {
	name         string
	combine      ensemble.Combine
	err, loss    []float64 // by k−1
	disagreement []float64
	memberErr    []float64 // each member's own test error
}

func (c *ensembleCurve) meanMemberErr() float64 {
	var s float64
	for _, e := range c.memberErr {
		s += e
	}
	return s / float64(len(c.memberErr))
}

func runEnsemble(ctx context.Context, env *Env) (*Result, error) {
	cfg := ensembleSettings(env.Quick())
	data, err := env.MNIST(ctx, cfg.sizes)
	if err != nil {
		return nil, err
	}
	baseSeed := env.Rand(ensembleSeedStream).Uint64()
	dropSeed := env.Rand(ensembleDropStream).Uint64()
	mcSeed := env.Rand(ensembleMCStream).Uint64()
	subnetSeed := env.Rand(ensembleSubnetStream).Uint64()
	recipe := func(epochs int) (training.Config, error) {
		opt, err := training.NewSGD(training.SGDConfig{LR: cfg.lr, Momentum: cfg.momentum})
		return training.Config{Epochs: epochs, BatchSize: cfg.batch, Optimizer: opt, Schedule: training.CosineAnnealingLR{TMax: epochs}}, err
	}
	mlp := func(hidden []int) ensemble.Builder {
		return func(_ int, seed uint64) (training.Model, training.Config, error) {
			m, err := BuildMLP(hidden, models.Config{}, seed)
			if err != nil {
				return nil, training.Config{}, err
			}
			tc, err := recipe(cfg.epochs)
			return m, tc, err
		}
	}

	// Part 1: independent and bagged ensembles of K members.
	var curves []*ensembleCurve
	for _, method := range []ensemble.Method{ensemble.Independent, ensemble.Bagging} {
		env.Logf("ensemble: training %d %s members 784-%s-10 for %d epochs on %d images", cfg.members, method, joinInts(cfg.hidden), cfg.epochs, data.Train.Len())
		ms, err := ensemble.Train(ctx, mlp(cfg.hidden), data.Train, nil, ensemble.Config{Members: cfg.members, Method: method, Seed: baseSeed})
		if err != nil {
			return nil, err
		}
		for _, c := range []ensemble.Combine{ensemble.Arithmetic, ensemble.Geometric} {
			curve, err := ensembleCurveOf(ctx, fmt.Sprintf("%s, %s mean", method, c), ms, data.Test, c)
			if err != nil {
				return nil, err
			}
			curves = append(curves, curve)
		}
	}

	// Part 2: one dropout net of the same architecture.
	drop, err := BuildMLP(cfg.hidden, models.Config{HiddenDropout: dropoutRate(cfg.retain)}, dropSeed)
	if err != nil {
		return nil, err
	}
	tc, err := recipe(cfg.dropoutEpochs)
	if err != nil {
		return nil, err
	}
	tc.Seed = dropSeed
	env.Logf("ensemble: training the dropout net (hidden retain p = %g) for %d epochs", cfg.retain, cfg.dropoutEpochs)
	if _, err := training.Fit(ctx, drop, data.Train, nil, tc); err != nil {
		return nil, errors.WithMessage(err, "training the dropout net")
	}
	dropWS, err := Evaluate(ctx, drop, data.Test)
	if err != nil {
		return nil, err
	}
	ev, err := training.NewEvaluator(drop, training.EvalOptions{MCSamples: cfg.mcSamples, Seed: mcSeed, BatchSize: min(1000, data.Test.Len())})
	if err != nil {
		return nil, err
	}
	dropMC, err := ev.Evaluate(ctx, data.Test, false)
	if cerr := ev.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}

	// Part 3: the same sub-networks without weight sharing: K networks
	// 784-k1-k2-10, k_l the units a dropout mask keeps in layer l, each
	// trained on its own without dropout.
	maskRng := env.Rand(ensembleMaskStream)
	widths := make([][]int, cfg.members)
	for i := range widths {
		for _, h := range cfg.hidden {
			k := 0
			for range h {
				if maskRng.Float64() < cfg.retain {
					k++
				}
			}
			widths[i] = append(widths[i], max(k, 1))
		}
	}
	subBuild := func(i int, seed uint64) (training.Model, training.Config, error) {
		return mlp(widths[i])(i, seed)
	}
	env.Logf("ensemble: training %d untied sub-networks", cfg.members)
	subs, err := ensemble.Train(ctx, subBuild, data.Train, nil, ensemble.Config{Members: cfg.members, Seed: subnetSeed})
	if err != nil {
		return nil, err
	}
	for _, c := range []ensemble.Combine{ensemble.Geometric, ensemble.Arithmetic} {
		curve, err := ensembleCurveOf(ctx, fmt.Sprintf("untied sub-networks, %s mean", c), subs, data.Test, c)
		if err != nil {
			return nil, err
		}
		curves = append(curves, curve)
	}

	// Part 4: a network small enough to average all 2^n sub-networks exactly.
	tinyTest := data.Test
	if cfg.tinyTest > 0 && cfg.tinyTest < tinyTest.Len() {
		if tinyTest, err = data.Test.Subset(seq(cfg.tinyTest)); err != nil {
			return nil, err
		}
	}
	// Two architectures: dropout right before the softmax layer, where the
	// weight-scaled net equals the geometric mean exactly (Baldi & Sadowski
	// 2013), and with a ReLU layer after the dropped units, where it does not.
	var exacts []*dropEnsTiny
	for _, deep := range []bool{false, true} {
		tn, err := newDropEnsTinyNet(cfg.tinyWidth, deep, dropoutRate(cfg.retain), dropSeed)
		if err != nil {
			return nil, err
		}
		ttc, err := recipe(cfg.tinyEpochs)
		if err != nil {
			return nil, err
		}
		ttc.Seed = dropSeed
		env.Logf("ensemble: training %s for %d epochs and averaging its %d sub-networks", tn.name, cfg.tinyEpochs, 1<<cfg.tinyWidth)
		if _, err := training.Fit(ctx, tn, data.Train, nil, ttc); err != nil {
			return nil, errors.WithMessage(err, "training the tiny dropout net")
		}
		ex, err := dropEnsEnumerate(ctx, tn, tinyTest)
		if err != nil {
			return nil, err
		}
		exacts = append(exacts, ex)
	}
	shallow, exact := exacts[0], exacts[1]
	tinyEns, err := ensemble.Train(ctx, func(i int, seed uint64) (training.Model, training.Config, error) {
		m, err := BuildMLP([]int{cfg.tinyWidth, cfg.tinyWidth}, models.Config{}, seed)
		if err != nil {
			return nil, training.Config{}, err
		}
		tc, err := recipe(cfg.tinyEpochs)
		return m, tc, err
	}, data.Train, nil, ensemble.Config{Members: cfg.members, Seed: baseSeed})
	if err != nil {
		return nil, err
	}
	tinyRep, err := ensemble.Evaluate(ctx, ensembleModels(tinyEns), tinyTest, ensemble.Arithmetic, training.EvalOptions{BatchSize: min(1000, tinyTest.Len())})
	if err != nil {
		return nil, err
	}

	// The claims.
	indep, bag := curves[0], curves[2]
	K := cfg.members
	untiedGeo := curves[4]
	metrics := map[string]float64{
		"members":                  float64(K),
		"independent_ensemble_err": indep.err[K-1], "independent_member_err": indep.meanMemberErr(),
		"bagged_ensemble_err": bag.err[K-1], "bagged_member_err": bag.meanMemberErr(),
		"independent_geo_err": curves[1].err[K-1], "bagged_geo_err": curves[3].err[K-1],
		"dropout_ws_err": dropoutErr(dropWS), "dropout_mc_err": dropoutErr(dropMC),
		"untied_geo_err": untiedGeo.err[K-1], "untied_member_err": untiedGeo.meanMemberErr(),
		"tiny_exact_geo_err": exact.errGeo, "tiny_exact_arith_err": exact.errArith, "tiny_ws_err": exact.errWS,
		"tiny_independent_ensemble_err": 1 - tinyRep.Accuracy,
		"tiny_softmax_exact_geo_err":    shallow.errGeo, "tiny_softmax_ws_err": shallow.errWS,
		"independent_disagreement": indep.disagreement[K-1], "bagged_disagreement": bag.disagreement[K-1],
	}
	held, verdict := judgeEnsemble(metrics)

	if err := writeEnsembleCSVs(env, curves, dropWS, dropMC, exacts, tinyRep, widths); err != nil {
		return nil, err
	}
	figs, err := plotEnsemble(env, cfg, curves, dropWS, dropMC)
	if err != nil {
		return nil, err
	}
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "The lecture: \"Assume you have unlimited computational power. Train an ensemble of deep nets and average their predictions. Ensemble predictions … are known to generalize better than the individual models … However, for deep nets this would come at a high computational cost.\" Dropout is then presented as bagging with weight sharing, performing \"closely to exact model averaging over all 2^n models … and much better if no weight sharing is done in the exact model\" (Srivastava et al. 2014; Warde-Farley et al. 2014). " +
			"Warde-Farley et al.'s abstract: \"We investigate the quality of the test time weight-scaling inference procedure by evaluating the geometric average exactly in small models, as well as compare the performance of the geometric mean to the arithmetic mean more commonly employed by ensemble techniques. We explore the effect of tied weights on the ensemble interpretation by training ensembles of masked networks without tied weights.\" Their finding (paraphrased, not quoted): weight scaling is close to the exact geometric mean, and dropout beats the ensemble of untied masked networks.",
		Comparison: []Comparison{
			{"ensemble vs its members", "better than the individual models", fmt.Sprintf("independent: %.2f%% vs %.2f%%; bagged: %.2f%% vs %.2f%% (K = %d)", 100*indep.err[K-1], 100*indep.meanMemberErr(), 100*bag.err[K-1], 100*bag.meanMemberErr(), K)},
			{"weight scaling vs exact 2^n average", "close", fmt.Sprintf("%.2f%% vs %.2f%% (geometric), %.2f%% (arithmetic); %.2f%% of test images predicted alike", 100*exact.errWS, 100*exact.errGeo, 100*exact.errArith, 100*exact.agreeGeoWS)},
			{"dropout vs untied sub-networks", "dropout better", fmt.Sprintf("%.2f%% vs %.2f%%", dropoutPct(dropWS), 100*untiedGeo.err[K-1])},
		},
		Setup: []string{
			data.Source + ".",
			fmt.Sprintf("Members: the registry's ReLU MLP 784-%s-10, float32, trained by SGD (momentum %g, lr %g on a cosine schedule, batch %d) for %d epochs; member i has seed base+i (weights and batch order); bagged members train on a bootstrap resample of the %d images (package ensemble).", joinInts(cfg.hidden), cfg.momentum, cfg.lr, cfg.batch, cfg.epochs, data.Train.Len()),
			fmt.Sprintf("Ensembles of the first k members, k = 1…%d, by the arithmetic mean of the probabilities and by their normalised geometric mean; disagreement is the fraction of test images two members classify differently, averaged over pairs.", K),
			fmt.Sprintf("Dropout net: the same architecture with inverted dropout on both hidden layers (retain p = %g), the same recipe for %d epochs (dropout trains slower); evaluated with weight scaling (the deterministic net) and by Monte-Carlo averaging of %d sampled nets.", cfg.retain, cfg.dropoutEpochs, cfg.mcSamples),
			fmt.Sprintf("Untied sub-networks: for each of %d members a dropout mask is drawn for each hidden layer; the units it keeps form a smaller MLP (widths %s), trained alone by the members' recipe without dropout, with no weights shared.", K, widthList(widths)),
			fmt.Sprintf("Exact ensemble: %s trained by the same recipe with dropout for %d epochs; for each of %d test images all %d masks are enumerated (as in the dropout-ensemble experiment) and their predictions averaged geometrically and arithmetically, weighted by each mask's probability. The claim is judged on %s; %s is reported beside it. For comparison, %d independent 784-%d-%d-10 nets without dropout: ensemble %.2f%%, members %.2f%% on average.", exact.name+" and "+shallow.name, cfg.tinyEpochs, tinyTest.Len(), 1<<cfg.tinyWidth, exact.name, shallow.name, K, cfg.tinyWidth, cfg.tinyWidth, 100*(1-tinyRep.Accuracy), 100*(1-meanOf(tinyRep.MemberAccuracies))),
		},
		Tables:  []MarkdownTable{ensembleTable(curves, K, dropWS, dropMC)},
		Figures: figs,
	}
	if env.Quick() {
		sum.Notes = append(sum.Notes, "Quick mode: 784-32-32-10, 2,000 training images, 3 members, a few epochs and an 8-unit enumerated network.")
	}
	if err := env.WriteSummary(sum); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

// ensembleCurveOf scores the ensembles of the first k members, k = 1…K.
func ensembleCurveOf(ctx context.Context, name string, ms []*ensemble.Member, test *datasets.Dataset, c ensemble.Combine) (*ensembleCurve, error) {
	probs, err := ensemble.MemberProbs(ctx, ensembleModels(ms), test, training.EvalOptions{BatchSize: min(1000, test.Len())})
	if err != nil {
		return nil, err
	}
	curve := &ensembleCurve{name: name, combine: c}
	for k := 1; k <= len(probs); k++ {
		rep, err := ensemble.Score(probs[:k], test.Y, c)
		if err != nil {
			return nil, err
		}
		curve.err = append(curve.err, 1-rep.Accuracy)
		curve.loss = append(curve.loss, rep.Loss)
		curve.disagreement = append(curve.disagreement, rep.Disagreement)
		if k == len(probs) {
			for _, a := range rep.MemberAccuracies {
				curve.memberErr = append(curve.memberErr, 1-a)
			}
		}
	}
	return curve, nil
}

func ensembleModels(ms []*ensemble.Member) []training.Model {
	out := make([]training.Model, len(ms))
	for i, m := range ms {
		out[i] = m.Model
	}
	return out
}

func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func widthList(ws [][]int) string {
	out := ""
	for i, w := range ws {
		if i > 0 {
			out += ", "
		}
		out += joinInts(w)
	}
	return out
}

func writeEnsembleCSVs(env *Env, curves []*ensembleCurve, ws, mc training.Metrics, exacts []*dropEnsTiny, tiny *ensemble.Report, widths [][]int) error {
	t := NewTable("ensemble", "combine", "k", "test_err", "test_loss", "disagreement", "member_k_test_err")
	for _, c := range curves {
		for k := range c.err {
			if err := t.Add(c.name, c.combine.String(), k+1, c.err[k], c.loss[k], c.disagreement[k], c.memberErr[k]); err != nil {
				return err
			}
		}
	}
	if err := env.WriteCSV("ensemble_vs_k.csv", t); err != nil {
		return err
	}
	d := NewTable("model", "test_err", "test_loss")
	for _, r := range []struct {
		name string
		err  float64
		loss float64
	}{
		{"dropout net, weight scaling", dropoutErr(ws), ws.Loss},
		{"dropout net, Monte-Carlo", dropoutErr(mc), mc.Loss},
		{"tiny nets without dropout, independent ensemble", 1 - tiny.Accuracy, tiny.Loss},
	} {
		if err := d.Add(r.name, r.err, r.loss); err != nil {
			return err
		}
	}
	for _, ex := range exacts {
		for _, r := range []struct {
			what string
			err  float64
		}{{"weight scaling", ex.errWS}, {"exact geometric mean", ex.errGeo}, {"exact arithmetic mean", ex.errArith}} {
			if err := d.Add(ex.name+", "+r.what, r.err, math.NaN()); err != nil {
				return err
			}
		}
	}
	if err := env.WriteCSV("dropout.csv", d); err != nil {
		return err
	}
	w := NewTable("member", "layer", "width")
	for i, ws := range widths {
		for l, k := range ws {
			if err := w.Add(i, l+1, k); err != nil {
				return err
			}
		}
	}
	return env.WriteCSV("subnetwork_widths.csv", w)
}

func plotEnsemble(env *Env, cfg ensembleConfig, curves []*ensembleCurve, ws, mc training.Metrics) ([]Figure, error) {
	K := cfg.members
	var series []Series
	for _, c := range curves {
		s := Series{Name: c.name, Points: true, Dashed: c.combine == ensemble.Geometric}
		for k, e := range c.err {
			s.X = append(s.X, float64(k+1))
			s.Y = append(s.Y, 100*e)
		}
		series = append(series, s)
	}
	for _, h := range []struct {
		name string
		m    training.Metrics
	}{{"dropout net, weight scaling", ws}, {fmt.Sprintf("dropout net, MC (%d)", cfg.mcSamples), mc}} {
		series = append(series, Series{Name: h.name, X: []float64{1, float64(K)}, Y: []float64{dropoutPct(h.m), dropoutPct(h.m)}, Dashed: true})
	}
	p, err := LinePlot(LineSpec{Title: "Test error of an ensemble of k members", XLabel: "k (members)", YLabel: "test error (%)", Series: series})
	if err != nil {
		return nil, err
	}
	if err := env.SavePlot("ensemble_vs_k.png", p); err != nil {
		return nil, err
	}
	var dis []Series
	for _, c := range curves {
		if c.combine != ensemble.Arithmetic {
			continue
		}
		s := Series{Name: c.name, Points: true}
		for k := 1; k < len(c.disagreement); k++ {
			s.X = append(s.X, float64(k+1))
			s.Y = append(s.Y, c.disagreement[k])
		}
		dis = append(dis, s)
	}
	p, err = LinePlot(LineSpec{Title: "Disagreement between members", XLabel: "k (members)", YLabel: "fraction of test images, mean over pairs", Series: dis})
	if err != nil {
		return nil, err
	}
	if err := env.SavePlot("disagreement.png", p); err != nil {
		return nil, err
	}
	return []Figure{
		{File: "ensemble_vs_k.png", Caption: "Test error of the ensemble of the first k members (solid: arithmetic mean of the probabilities, dashed: normalised geometric mean), with the dropout net of the same architecture as horizontal lines."},
		{File: "disagreement.png", Caption: "How often two members classify a test image differently, averaged over the pairs among the first k members."},
	}, nil
}

func ensembleTable(curves []*ensembleCurve, K int, ws, mc training.Metrics) MarkdownTable {
	rows := [][]string{}
	for _, c := range curves {
		rows = append(rows, []string{c.name, fmt.Sprintf("%.2f%%", 100*c.err[0]), fmt.Sprintf("%.2f%%", 100*c.err[K-1]),
			fmt.Sprintf("%.2f%%", 100*c.meanMemberErr()), fmt.Sprintf("%.3f", c.disagreement[K-1])})
	}
	rows = append(rows, []string{"dropout net, weight scaling", "", fmt.Sprintf("%.2f%%", dropoutPct(ws)), "", ""},
		[]string{"dropout net, Monte-Carlo", "", fmt.Sprintf("%.2f%%", dropoutPct(mc)), "", ""})
	return MarkdownTable{
		Caption: fmt.Sprintf("Test error of one member (k = 1) and of the ensemble of K = %d, the members' mean error, and their disagreement.", K),
		Header:  []string{"model", "k = 1", fmt.Sprintf("K = %d", K), "members' mean", "disagreement"},
		Rows:    rows,
	}
}
