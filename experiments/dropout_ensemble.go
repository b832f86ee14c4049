package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "dropout-ensemble",
		Title: "Dropout as an ensemble: Monte-Carlo model averaging against weight scaling, sparse hidden activations, and the exact geometric mean of a tiny network",
		Claim: "Averaging the predictions of k sampled dropout networks approaches the deterministic weight-scaled network as k grows and matches it at some k ≤ 100 (about 50 in the paper), a single sampled network being clearly worse; " +
			"dropout makes the first hidden layer's activations sparser (more of them near zero, a lower mean activation); " +
			"the weight-scaling inference rule is a good approximation of the geometric mean of all 2^n dropout subnetworks, evaluated exactly in small rectifier networks (tested here with thresholds of this reproduction, not numbers from the paper: the two agree on at least 98% of the test images and their test errors differ by at most 0.5 point), and equals it when dropout acts only on the inputs of the softmax layer.",
		Paper: "Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov (2014), Dropout: a simple way to prevent neural networks from overfitting, JMLR 15, Figure 11 (§7.5, Monte-Carlo model averaging vs weight scaling) and Figure 8 (§7.1, effect on features and sparsity); " +
			"Warde-Farley, Goodfellow, Courville & Bengio (2014), An empirical analysis of dropout in piecewise linear networks, ICLR, §3 (exact geometric mean of all subnetworks vs weight scaling); Baldi & Sadowski (2013), Understanding dropout, NIPS (the normalised geometric mean of a softmax layer)",
		Run:   runDropoutEnsemble,
		Judge: judgeDropoutEnsemble,
	})
}

// dropEnsParts is the claim's four parts decided from the metrics: MC
// averaging matches weight scaling, sparser activations, exact equality
// with dropout before the softmax, and the approximation in the deeper net.
type dropEnsParts struct {
	parts [4]bool
	text  string
}

func (p dropEnsParts) held() bool { return p.parts[0] && p.parts[1] && p.parts[2] && p.parts[3] }

// dropEnsJudgement decides the parts with the thresholds of the settings
// (the same in both modes): (1) the MC test error of the smallest k within
// margin of weight scaling, with k = 1 worse than that; (2) more
// activations near zero and a lower mean activation with dropout; (3)
// geometric mean and weight scaling agreeing on every test image with max
// KL below 1e-9 with dropout before the softmax; (4) agreeing on at least
// agreeMin of the images with test errors at most errGap apart in the
// deeper net.
func dropEnsJudgement(m map[string]float64) dropEnsParts {
	cfg := dropEnsSettings(false)
	in := newJudgeInputs(m)
	ks, mc := in.series("mc_k", "_test_err")
	ws := in.get("ws_test_err")
	nzD, nzN, meanD, meanN := in.get("act_near_zero_dropout"), in.get("act_near_zero_no_dropout"), in.get("act_mean_dropout"), in.get("act_mean_no_dropout")
	exAgree, exMaxKL := in.get("tiny_softmax_agree_geo_ws"), in.get("tiny_softmax_max_kl_geo_ws")
	apAgree, apGeo, apWS := in.get("tiny_deep_agree_geo_ws"), in.get("tiny_deep_err_geo"), in.get("tiny_deep_err_ws")
	width := in.get("tiny_width")
	if text, bad := in.incomplete(); bad {
		return dropEnsParts{text: text}
	}
	matchK := 0.0
	for i, e := range mc {
		if matchK == 0 && e <= ws+cfg.margin {
			matchK = ks[i]
		}
	}
	singleW := mc[0] > ws+cfg.margin
	var p dropEnsParts
	p.parts[0] = matchK > 0 && singleW
	p.parts[1] = nzD > nzN && meanD < meanN
	p.parts[2] = exAgree == 1 && exMaxKL < 1e-9
	p.parts[3] = apAgree >= cfg.agreeMin && math.Abs(apGeo-apWS) <= cfg.errGap
	kText := "no k tried"
	if matchK > 0 {
		kText = fmt.Sprintf("k=%g", matchK)
	}
	p.text = fmt.Sprintf("(1) MC averaging (inverted dropout): test error %.2f%% at k=%g, %.2f%% at k=%g, against %.2f%% for the weight-scaled network; the mean error first comes within %.2g points at %s; a single sample is %s: %s. "+
		"(2) First hidden layer on the test images: %.1f%% of the activations ≤ %g with dropout against %.1f%% without, mean activation %.3f against %.3f: %s. "+
		"(3) Exact ensembles of all 2^%g masks: dropout before the softmax: geometric mean and weight scaling agree on %.2f%% of the test images, max KL %.2g (exact equality expected: %s); dropout on the first of two hidden layers: agree on %.2f%% (at least %.0f%% required), mean KL %.3g; test errors geometric / arithmetic / weight scaling %.2f%% / %.2f%% / %.2f%% (geometric and weight scaling at most %.1f points apart required): %s.",
		100*mc[0], ks[0], 100*mc[len(mc)-1], ks[len(ks)-1], 100*ws, 100*cfg.margin, kText,
		yesNo(singleW, "clearly worse", "not clearly worse"), dropoutHeld(p.parts[0]),
		100*nzD, cfg.zeroTol, 100*nzN, meanD, meanN, dropoutHeld(p.parts[1]),
		width, 100*exAgree, exMaxKL, dropoutHeld(p.parts[2]),
		100*apAgree, 100*cfg.agreeMin, m["tiny_deep_kl_geo_ws"], 100*apGeo, 100*m["tiny_deep_err_arith"], 100*apWS, 100*cfg.errGap, dropoutHeld(p.parts[3]))
	return p
}

// judgeDropoutEnsemble holds the claim when all four parts hold.
func judgeDropoutEnsemble(m map[string]float64) (bool, string) {
	p := dropEnsJudgement(m)
	return p.held(), p.text
}

// dropEnsConfig is the size of a dropout-ensemble run.
type dropEnsConfig struct {
	train, test  int
	hidden       []int // MC network
	epochs       int
	batch        int
	lr, momentum float64
	inputP       float64 // retain probabilities of the MC network
	hiddenP      float64
	ks           []int   // MC sample counts, increasing; the largest is the number of passes kept
	repeats      int     // random subsets of the passes per k
	margin       float64 // MC "matches" weight scaling within this error difference
	actHidden    []int   // the activation classifiers
	actEpochs    int
	zeroTol      float64 // activations ≤ zeroTol count as near zero
	actBins      int
	tinyWidth    int // hidden units of the enumerated networks
	tinyEpochs   int
	tinyTest     int     // test images of the enumeration (0: all of the test subset)
	tinyMC       int     // MC passes through the graph, to check the arithmetic mean
	agreeMin     float64 // geometric mean and weight scaling agree on at least this fraction
	errGap       float64 // and their test errors differ by at most this much
}

func dropEnsSettings(quick bool) dropEnsConfig {
	c := dropEnsConfig{
		train: 10000, test: 0, hidden: []int{256, 256}, epochs: 30, batch: 50, lr: 0.02, momentum: 0.9,
		inputP: 0.8, hiddenP: 0.5,
		ks: []int{1, 2, 5, 10, 20, 50, 100}, repeats: 10, margin: 0.001,
		actHidden: []int{256}, actEpochs: 20, zeroTol: 0.01, actBins: 60,
		tinyWidth: 12, tinyEpochs: 20, tinyTest: 0, tinyMC: 200, agreeMin: 0.98, errGap: 0.005,
	}
	if quick {
		c.train, c.test, c.hidden, c.epochs = 2000, 2000, []int{64, 64}, 5
		c.ks, c.repeats = []int{1, 2, 5, 10, 20}, 5
		c.actHidden, c.actEpochs = []int{64}, 5
		c.tinyWidth, c.tinyEpochs, c.tinyTest, c.tinyMC = 10, 5, 500, 50
	}
	return c
}

// Random streams of this experiment.
const (
	dropEnsModelStream  = 400 // initial weights
	dropEnsFitStream    = 401 // batch order and training masks
	dropEnsMCStream     = 402 // Monte-Carlo masks at test time
	dropEnsSubsetStream = 403 // which passes each k averages
)

// dropEnsMC is the Monte-Carlo curve of one trained model.
type dropEnsMC struct {
	label   string
	det     training.Metrics // deterministic (weight-scaled) evaluation
	ks      []int
	mean    []float64 // test error over the repeats, per k
	std     []float64
	lo, hi  []float64
	first   []float64 // the running average of the first k passes
	matchK  int       // smallest k whose mean error is within the margin of det (0: none)
	singleW bool      // k = 1 is worse than det by more than the margin
}

func runDropoutEnsemble(ctx context.Context, env *Env) (*Result, error) {
	cfg := dropEnsSettings(env.Quick())
	data, err := env.MNIST(ctx, Sizes{Train: cfg.train, Test: cfg.test})
	if err != nil {
		return nil, err
	}
	modelSeed := env.Rand(dropEnsModelStream).Uint64()
	fitSeed := env.Rand(dropEnsFitStream).Uint64()
	mcSeed := env.Rand(dropEnsMCStream).Uint64()

	fit := func(m training.Model, epochs int, what string) error {
		opt, err := training.NewSGD(training.SGDConfig{LR: cfg.lr, Momentum: cfg.momentum})
		if err != nil {
			return err
		}
		env.Logf("dropout-ensemble: training %s for %d epochs on %d images", what, epochs, data.Train.Len())
		_, err = training.Fit(ctx, m, data.Train, nil, training.Config{Epochs: epochs, BatchSize: cfg.batch, Seed: fitSeed, Optimizer: opt})
		return errors.WithMessagef(err, "training %s", what)
	}

	// Part 1: Monte-Carlo averaging against weight scaling, for inverted
	// dropout (zoo's default) and for Srivastava's weight-scaling convention.
	var mcs []*dropEnsMC
	for _, ws := range []bool{false, true} {
		label := "inverted dropout"
		if ws {
			label = "weight-scaling dropout"
		}
		m, err := BuildMLP(cfg.hidden, models.Config{InputDropout: dropoutRate(cfg.inputP), HiddenDropout: dropoutRate(cfg.hiddenP), WeightScalingDropout: ws}, modelSeed)
		if err != nil {
			return nil, err
		}
		if err := fit(m, cfg.epochs, label); err != nil {
			return nil, err
		}
		mc, err := dropEnsMonteCarlo(ctx, env, cfg, m, data.Test, mcSeed, label)
		if err != nil {
			return nil, err
		}
		mcs = append(mcs, mc)
	}

	// Part 2: hidden activations with and without dropout.
	var acts []*dropEnsActs
	for _, p := range []float64{1, cfg.hiddenP} {
		m, err := BuildMLP(cfg.actHidden, models.Config{HiddenDropout: dropoutRate(p)}, modelSeed)
		if err != nil {
			return nil, err
		}
		a := &dropEnsActs{hiddenP: p}
		if err := fit(m, cfg.actEpochs, a.label()); err != nil {
			return nil, err
		}
		if a.values, err = dropEnsActivations(ctx, m, "act1", data.Test); err != nil {
			return nil, err
		}
		if a.test, err = Evaluate(ctx, m, data.Test); err != nil {
			return nil, err
		}
		a.summarise(cfg.actHidden[0], cfg.zeroTol)
		env.Logf("dropout-ensemble: %s: %.1f%% of activations ≤ %g, mean activation %.3f, test error %.2f%%", a.label(), 100*a.nearZero, cfg.zeroTol, a.mean, dropoutPct(a.test))
		acts = append(acts, a)
	}

	// Part 3: the exact ensemble of every dropout mask of tiny networks.
	tinyTest := data.Test
	if cfg.tinyTest > 0 && cfg.tinyTest < tinyTest.Len() {
		idx := make([]int, cfg.tinyTest)
		for i := range idx {
			idx[i] = i
		}
		if tinyTest, err = data.Test.Subset(idx); err != nil {
			return nil, errors.WithMessage(err, "experiments: subset")
		}
	}
	var tinies []*dropEnsTiny
	for i, deep := range []bool{false, true} {
		tn, err := newDropEnsTinyNet(cfg.tinyWidth, deep, dropoutRate(cfg.hiddenP), modelSeed)
		if err != nil {
			return nil, err
		}
		if err := fit(tn, cfg.tinyEpochs, tn.name); err != nil {
			return nil, err
		}
		t, err := dropEnsEnumerate(ctx, tn, tinyTest)
		if err != nil {
			return nil, err
		}
		if t.graphEval, err = Evaluate(ctx, tn, tinyTest); err != nil {
			return nil, err
		}
		// The arithmetic mean once more, by Monte-Carlo through the graph's
		// own stochastic forward pass: a check of the enumeration.
		ev, err := training.NewEvaluator(tn, training.EvalOptions{MCSamples: cfg.tinyMC, Seed: mcSeed})
		if err != nil {
			return nil, err
		}
		t.mcGraph, err = ev.Evaluate(ctx, tinyTest, false)
		if cerr := ev.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		env.Logf("dropout-ensemble: %s: errors geometric %.2f%%, arithmetic %.2f%%, weight scaling %.2f%% (graph %.2f%%); agreement %.4f, mean KL %.3g",
			tn.name, 100*t.errGeo, 100*t.errArith, 100*t.errWS, dropoutPct(t.graphEval), t.agreeGeoWS, t.klGeoWS)
		// The trained weights, for tools/dropout_ensemble_check.py, which
		// enumerates the masks again from this file.
		if err := dropEnsSaveTiny(env, tn, cfg, dropEnsTinyFiles[i], t, tinyTest.Len(), modelSeed, fitSeed); err != nil {
			return nil, err
		}
		tinies = append(tinies, t)
	}

	// The claims, decided from the metrics.
	inv := mcs[0]
	metrics := map[string]float64{
		"ws_test_err": dropoutErr(inv.det), "mc_k1_test_err": inv.mean[0], "mc_kmax_test_err": inv.mean[len(inv.ks)-1], "mc_match_k": float64(inv.matchK),
		"wsconv_ws_test_err": dropoutErr(mcs[1].det), "wsconv_mc_kmax_test_err": mcs[1].mean[len(mcs[1].ks)-1], "wsconv_mc_match_k": float64(mcs[1].matchK),
		"act_near_zero_no_dropout": acts[0].nearZero, "act_near_zero_dropout": acts[1].nearZero,
		"act_mean_no_dropout": acts[0].mean, "act_mean_dropout": acts[1].mean,
		"tiny_width": float64(cfg.tinyWidth),
	}
	for i, k := range inv.ks {
		metrics[fmt.Sprintf("mc_k%d_test_err", k)] = inv.mean[i]
	}
	for i, t := range tinies {
		key := []string{"tiny_softmax_", "tiny_deep_"}[i]
		metrics[key+"err_geo"], metrics[key+"err_arith"], metrics[key+"err_ws"] = t.errGeo, t.errArith, t.errWS
		metrics[key+"agree_geo_ws"], metrics[key+"kl_geo_ws"], metrics[key+"max_kl_geo_ws"] = t.agreeGeoWS, t.klGeoWS, t.maxKLGeoWS
	}
	parts := dropEnsJudgement(metrics)
	held, verdict := parts.held(), parts.text

	if err := writeDropEnsCSVs(env, cfg, mcs, acts, tinies); err != nil {
		return nil, err
	}
	figs, err := plotDropEns(env, cfg, mcs, acts, tinies)
	if err != nil {
		return nil, err
	}
	if err := writeDropEnsSummary(env, cfg, data, modelSeed, fitSeed, mcSeed, held, verdict, mcs, acts, tinies, tinyTest.Len(), figs,
		parts.parts); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

func dropEnsKText(k int) string {
	if k == 0 {
		return "no k tried"
	}
	return fmt.Sprintf("k=%d", k)
}

// dropEnsMonteCarlo keeps the class probabilities of max(ks) stochastic
// passes over ds and scores, for each k, the average of k of them: the
// first k passes, and cfg.repeats random subsets of k passes.
func dropEnsMonteCarlo(ctx context.Context, env *Env, cfg dropEnsConfig, m training.Model, ds *datasets.Dataset, mcSeed uint64, label string) (*dropEnsMC, error) {
	mc := &dropEnsMC{label: label, ks: cfg.ks}
	var err error
	if mc.det, err = Evaluate(ctx, m, ds); err != nil {
		return nil, err
	}
	// One evaluator with one pass per call: its mask generator runs on, so
	// every call samples new masks.
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: min(1000, ds.Len()), MCSamples: 1, Seed: mcSeed})
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	passes := cfg.ks[len(cfg.ks)-1]
	probs := make([][]float32, passes)
	for i := range probs {
		p, err := ev.Probabilities(ctx, ds)
		if err != nil {
			return nil, err
		}
		probs[i] = make([]float32, len(p))
		for j, v := range p {
			probs[i][j] = float32(v)
		}
	}
	if passes > 1 && dropEnsSame(probs[0], probs[1]) {
		return nil, errors.Errorf("experiments: two Monte-Carlo passes of %s gave identical probabilities: the masks did not change", label)
	}
	k := len(probs[0]) / ds.Len()
	errorOf := func(which []int) float64 {
		wrong := 0
		row := make([]float64, k)
		for n := 0; n < ds.Len(); n++ {
			clear(row)
			for _, w := range which {
				for c := 0; c < k; c++ {
					row[c] += float64(probs[w][n*k+c])
				}
			}
			if dropEnsArgmax(row) != ds.Y[n] {
				wrong++
			}
		}
		return float64(wrong) / float64(ds.Len())
	}
	rng := env.Rand(dropEnsSubsetStream)
	for _, kk := range cfg.ks {
		first := make([]int, kk)
		for i := range first {
			first[i] = i
		}
		mc.first = append(mc.first, errorOf(first))
		var es []float64
		for r := 0; r < cfg.repeats; r++ {
			es = append(es, errorOf(rng.Perm(passes)[:kk]))
		}
		mean, std := dropEnsMeanStd(es)
		lo, hi := es[0], es[0]
		for _, e := range es {
			lo, hi = math.Min(lo, e), math.Max(hi, e)
		}
		mc.mean, mc.std, mc.lo, mc.hi = append(mc.mean, mean), append(mc.std, std), append(mc.lo, lo), append(mc.hi, hi)
		if mc.matchK == 0 && mean <= dropoutErr(mc.det)+cfg.margin {
			mc.matchK = kk
		}
		env.Logf("dropout-ensemble: %s: k=%d: MC test error %.2f%% ± %.2f (first %d passes %.2f%%), weight scaling %.2f%%", label, kk, 100*mean, 100*std, kk, 100*mc.first[len(mc.first)-1], dropoutPct(mc.det))
	}
	mc.singleW = mc.mean[0] > dropoutErr(mc.det)+cfg.margin
	return mc, nil
}

func dropEnsSame(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dropEnsMeanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	if len(xs) > 1 {
		std = math.Sqrt(std / float64(len(xs)-1))
	}
	return mean, std
}

func dropEnsArgmax(row []float64) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// dropEnsActs are the first hidden layer's activations of one model on the
// test images.
type dropEnsActs struct {
	hiddenP  float64
	test     training.Metrics
	values   []float64 // (images × units), row-major
	unitMean []float64
	nearZero float64 // fraction ≤ zeroTol
	zero     float64 // fraction exactly 0
	mean     float64
}

func (a *dropEnsActs) label() string {
	if a.hiddenP == 1 {
		return "without dropout"
	}
	return fmt.Sprintf("with dropout (hidden p=%g)", a.hiddenP)
}

func (a *dropEnsActs) summarise(units int, tol float64) {
	a.unitMean = make([]float64, units)
	near, zero := 0, 0
	var sum float64
	for i, v := range a.values {
		a.unitMean[i%units] += v
		sum += v
		if v <= tol {
			near++
		}
		if v == 0 {
			zero++
		}
	}
	rows := float64(len(a.values) / units)
	for u := range a.unitMean {
		a.unitMean[u] /= rows
	}
	n := float64(len(a.values))
	a.nearZero, a.zero, a.mean = float64(near)/n, float64(zero)/n, sum/n
}

// dropEnsActivations returns the output of the layer named layer of an MLP
// built by the models registry, on every image of ds, in evaluation mode:
// the network is traced in an evaluation graph and the layer's output node's
// value read after each batch.
func dropEnsActivations(ctx context.Context, m *models.Model, layer string, ds *datasets.Dataset) ([]float64, error) {
	const batch = 500
	b := graph.NewBuilder(m.Store(), graph.Eval, nil)
	x, xt := b.Input("x", batch, ds.Features())
	_, trace, err := m.Net().Trace(b, x)
	if err != nil {
		return nil, err
	}
	var node *G.Node
	for _, t := range trace {
		if t.Layer.Name() == layer {
			node = t.Out
		}
	}
	if node == nil {
		return nil, errors.Wrapf(ErrConfig, "experiments: the model has no layer %q", layer)
	}
	prog, err := graph.Compile(b, nil)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	xd, ok := xt.Data().([]float32)
	if !ok {
		return nil, errors.Wrap(ErrConfig, "experiments: activations need a float32 model")
	}
	var out []float64
	feat := ds.Features()
	for start := 0; start < ds.Len(); start += batch {
		if err := ctx.Err(); err != nil {
			return nil, errors.WithStack(err)
		}
		n := min(batch, ds.Len()-start)
		copy(xd, ds.X[start*feat:(start+n)*feat])
		clear(xd[n*feat:])
		if err := prog.Run(); err != nil {
			return nil, err
		}
		val := node.Value()
		vs, ok := val.Data().([]float32)
		if !ok {
			return nil, errors.Errorf("experiments: layer %s output is %T", layer, val.Data())
		}
		units := len(vs) / batch
		for _, v := range vs[:n*units] {
			out = append(out, float64(v))
		}
	}
	return out, nil
}

// dropEnsTinyNet is a small MLP with dropout after its first hidden layer
// only: 784-n-10 (dropout on the inputs of the softmax layer) or 784-n-n-10
// (a ReLU layer between the dropped units and the softmax layer).
type dropEnsTinyNet struct {
	name  string
	width int
	deep  bool
	rate  float64
	store *graph.Store
	net   *nn.Sequential
	fc    []*nn.Linear
}

var _ training.Model = (*dropEnsTinyNet)(nil)

func newDropEnsTinyNet(width int, deep bool, rate float64, seed uint64) (*dropEnsTinyNet, error) {
	s, err := graph.NewStore(graph.Float32)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	t := &dropEnsTinyNet{width: width, deep: deep, rate: rate, store: s}
	sizes := []int{784, width, 10}
	t.name = fmt.Sprintf("784-%d-10, dropout on the %d hidden units", width, width)
	if deep {
		sizes = []int{784, width, width, 10}
		t.name = fmt.Sprintf("784-%d-%d-10, dropout on the first %d hidden units", width, width, width)
	}
	var layers []nn.Layer
	for i := 0; i+1 < len(sizes); i++ {
		l, err := nn.NewLinear(s, fmt.Sprintf("fc%d", i+1), sizes[i], sizes[i+1], nn.LinearConfig{}, rng)
		if err != nil {
			return nil, err
		}
		t.fc = append(t.fc, l)
		layers = append(layers, l)
		if i+2 == len(sizes) {
			break
		}
		layers = append(layers, nn.ReLU(fmt.Sprintf("act%d", i+1)))
		if i == 0 {
			d, err := nn.NewDropout("drop1", rate, nn.Inverted)
			if err != nil {
				return nil, err
			}
			layers = append(layers, d)
		}
	}
	t.net = nn.NewSequential("tiny", layers...)
	return t, nil
}

// Name and ConfigJSON make the tiny network [training.Named], so that its
// saved weights say what they are.
func (t *dropEnsTinyNet) Name() string { return "dropout-ensemble-tiny" }

// ConfigJSON records the layer sizes, where dropout acts and its
// convention and rate.
func (t *dropEnsTinyNet) ConfigJSON() (json.RawMessage, error) {
	sizes := []int{784, t.width, 10}
	if t.deep {
		sizes = []int{784, t.width, t.width, 10}
	}
	b, err := json.Marshal(struct {
		Sizes        []int   `json:"sizes"`
		Activation   string  `json:"activation"`
		DropoutAfter string  `json:"dropout_after"`
		DropoutRate  float64 `json:"dropout_rate"`
		Convention   string  `json:"dropout_convention"`
	}{sizes, "relu", "act1", t.rate, "inverted"})
	return b, errors.Wrap(err, "experiments: tiny network config")
}

func (t *dropEnsTinyNet) Store() *graph.Store { return t.store }
func (t *dropEnsTinyNet) InputShape() []int   { return []int{784} }
func (t *dropEnsTinyNet) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	return t.net.Forward(b, x)
}

// weights returns layer i's W (in×out, row-major) and b as float64.
func (t *dropEnsTinyNet) weights(i int) (w, b []float64) {
	return t.fc[i].W.Float64s(), t.fc[i].B.Float64s()
}

// dropEnsTiny is the exact ensemble of one tiny network on the test images.
type dropEnsTiny struct {
	name                         string
	masks                        int
	errGeo, errArith, errWS      float64
	agreeGeoWS, agreeArithWS     float64
	klGeoWS, maxKLGeoWS, klAriWS float64 // mean and max KL(geometric ‖ weight scaling), mean KL(arithmetic ‖ weight scaling)
	perImageKL                   []float64
	labels                       []int // per test image: label, and the argmax of each ensemble
	predGeo, predArith, predWS   []int
	graphEval                    training.Metrics
	mcGraph                      training.Metrics // the graph's MC average of tinyMC passes
}

// dropEnsEnumerate computes, for every image of ds, the prediction of every
// one of the 2^n dropout masks of t's first hidden layer, weighted by the
// mask's probability p^kept·(1−p)^dropped: their normalised geometric mean
// (a weighted mean of log-probabilities, renormalised), their arithmetic
// mean, and the deterministic (weight-scaled) network.
func dropEnsEnumerate(ctx context.Context, t *dropEnsTinyNet, ds *datasets.Dataset) (*dropEnsTiny, error) {
	w1, b1 := t.weights(0)
	var layers [][2][]float64
	for i := 1; i < len(t.fc); i++ {
		w, b := t.weights(i)
		layers = append(layers, [2][]float64{w, b})
	}
	res := &dropEnsTiny{name: t.name, masks: 1 << t.width}
	h := make([]float64, t.width)
	x := make([]float64, 784)
	var wrongG, wrongA, wrongW, agreeG, agreeA int
	for n := 0; n < ds.Len(); n++ {
		if n%100 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, errors.WithStack(err)
			}
		}
		for i, v := range ds.Row(n) {
			x[i] = float64(v)
		}
		dropEnsDense(h, x, w1, b1, true)
		geo, arith, ws := dropEnsEnsemble(h, layers, 1-t.rate)
		pg, pa, pw := dropEnsArgmax(geo), dropEnsArgmax(arith), dropEnsArgmax(ws)
		y := ds.Y[n]
		if pg != y {
			wrongG++
		}
		if pa != y {
			wrongA++
		}
		if pw != y {
			wrongW++
		}
		if pg == pw {
			agreeG++
		}
		if pa == pw {
			agreeA++
		}
		res.labels, res.predGeo, res.predArith, res.predWS = append(res.labels, y), append(res.predGeo, pg), append(res.predArith, pa), append(res.predWS, pw)
		kl := dropEnsKL(geo, ws)
		res.perImageKL = append(res.perImageKL, kl)
		res.klGeoWS += kl
		res.maxKLGeoWS = math.Max(res.maxKLGeoWS, kl)
		res.klAriWS += dropEnsKL(arith, ws)
	}
	N := float64(ds.Len())
	res.errGeo, res.errArith, res.errWS = float64(wrongG)/N, float64(wrongA)/N, float64(wrongW)/N
	res.agreeGeoWS, res.agreeArithWS = float64(agreeG)/N, float64(agreeA)/N
	res.klGeoWS, res.klAriWS = res.klGeoWS/N, res.klAriWS/N
	return res, nil
}

// dropEnsDense sets out = x·W + b (W is len(x)×len(out), row-major), then
// max(·, 0) if relu.
func dropEnsDense(out, x, w, b []float64, relu bool) {
	copy(out, b)
	no := len(out)
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		row := w[i*no : (i+1)*no]
		for j, wij := range row {
			out[j] += xi * wij
		}
	}
	if relu {
		for j, v := range out {
			out[j] = math.Max(v, 0)
		}
	}
}

// dropEnsEnsemble returns, for hidden activations h feeding layers (each
// W, b; ReLU between them, softmax after the last), the class
// probabilities of the normalised geometric mean and the arithmetic mean
// over all 2^len(h) inverted-dropout masks with retain probability p, and of
// the deterministic network (every unit kept, unscaled: inverted dropout's
// evaluation, which equals Srivastava's weight scaling).
//
// Mask m keeps unit j when bit j is set; its probability is
// p^kept·(1−p)^dropped. The kept units are scaled by 1/p, as in training.
func dropEnsEnsemble(h []float64, layers [][2][]float64, p float64) (geo, arith, ws []float64) {
	n := len(h)
	first := layers[0]
	width := len(first[1])
	// pre[m] = b + Σ_{j ∈ m} (h_j/p)·W_j, built from the mask without its
	// lowest bit.
	pre := make([]float64, (1<<n)*width)
	copy(pre[:width], first[1])
	for m := 1; m < 1<<n; m++ {
		j := bits.TrailingZeros(uint(m))
		prev := pre[(m&(m-1))*width : (m&(m-1)+1)*width]
		cur := pre[m*width : (m+1)*width]
		s := h[j] / p
		row := first[0][j*width : (j+1)*width]
		for c := range cur {
			cur[c] = prev[c] + s*row[c]
		}
	}
	// Scratch outputs of the layers after the first, reused for every mask.
	bufs := make([][]float64, len(layers))
	for i, l := range layers[1:] {
		bufs[i+1] = make([]float64, len(l[1]))
	}
	forward := func(z []float64) []float64 {
		for i, l := range layers[1:] {
			for c, v := range z {
				z[c] = math.Max(v, 0)
			}
			dropEnsDense(bufs[i+1], z, l[0], l[1], false)
			z = bufs[i+1]
		}
		return z
	}
	var k int
	var logG, arithSum, ls []float64
	lp := math.Log(p)
	lq := math.Log(1 - p)
	z := make([]float64, width)
	for m := 0; m < 1<<n; m++ {
		copy(z, pre[m*width:(m+1)*width])
		logits := forward(z)
		if logG == nil {
			k = len(logits)
			logG, arithSum, ls = make([]float64, k), make([]float64, k), make([]float64, k)
		}
		kept := bits.OnesCount(uint(m))
		w := math.Exp(float64(kept)*lp + float64(n-kept)*lq)
		dropEnsLogSoftmaxInto(ls, logits)
		for c := range ls {
			logG[c] += w * ls[c]
			arithSum[c] += w * math.Exp(ls[c])
		}
	}
	geo = dropEnsSoftmax(logG)
	// The deterministic network: every unit kept at its expected value h_j.
	det := append([]float64(nil), first[1]...)
	for j, hj := range h {
		row := first[0][j*width : (j+1)*width]
		for c := range det {
			det[c] += hj * row[c]
		}
	}
	ws = dropEnsSoftmax(forward(det))
	return geo, arithSum, ws
}

func dropEnsLogSoftmax(z []float64) []float64 {
	out := make([]float64, len(z))
	dropEnsLogSoftmaxInto(out, z)
	return out
}

// dropEnsLogSoftmaxInto sets out to the log-softmax of z, stabilised by
// z's maximum.
func dropEnsLogSoftmaxInto(out, z []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - mx)
	}
	lse := mx + math.Log(s)
	for i, v := range z {
		out[i] = v - lse
	}
}

func dropEnsSoftmax(z []float64) []float64 {
	ls := dropEnsLogSoftmax(z)
	for i, v := range ls {
		ls[i] = math.Exp(v)
	}
	return ls
}

// dropEnsKL is KL(p ‖ q) in nats.
func dropEnsKL(p, q []float64) float64 {
	var kl float64
	for i, pi := range p {
		if pi > 0 {
			kl += pi * (math.Log(pi) - math.Log(q[i]))
		}
	}
	return math.Max(kl, 0)
}

func writeDropEnsCSVs(env *Env, cfg dropEnsConfig, mcs []*dropEnsMC, acts []*dropEnsActs, tinies []*dropEnsTiny) error {
	mt := NewTable("model", "k", "mc_test_err_mean", "mc_test_err_std", "mc_test_err_min", "mc_test_err_max", "mc_test_err_first_k", "repeats", "weight_scaling_test_err")
	for _, mc := range mcs {
		for i, k := range mc.ks {
			if err := mt.Add(mc.label, k, mc.mean[i], mc.std[i], mc.lo[i], mc.hi[i], mc.first[i], cfg.repeats, dropoutErr(mc.det)); err != nil {
				return err
			}
		}
	}
	if err := env.WriteCSV("mc_vs_k.csv", mt); err != nil {
		return err
	}
	hi := 0.0
	for _, a := range acts {
		hi = math.Max(hi, MaxAbs(a.values))
	}
	edges := LinearEdges(0, hi, cfg.actBins)
	ht := NewTable("bin_left", "bin_right", "no_dropout", "dropout")
	c0, c1 := Counts(acts[0].values, edges), Counts(acts[1].values, edges)
	for b := 0; b < cfg.actBins; b++ {
		if err := ht.Add(edges[b], edges[b+1], c0[b], c1[b]); err != nil {
			return err
		}
	}
	if err := env.WriteCSV("activation_histogram.csv", ht); err != nil {
		return err
	}
	ut := NewTable("unit", "mean_activation_no_dropout", "mean_activation_dropout")
	for u := range acts[0].unitMean {
		if err := ut.Add(u, acts[0].unitMean[u], acts[1].unitMean[u]); err != nil {
			return err
		}
	}
	if err := env.WriteCSV("unit_mean_activations.csv", ut); err != nil {
		return err
	}
	st := NewTable("model", "hidden_retain_p", "test_err", "frac_near_zero", "near_zero_tol", "frac_exact_zero", "mean_activation")
	for _, a := range acts {
		if err := st.Add(a.label(), a.hiddenP, dropoutErr(a.test), a.nearZero, cfg.zeroTol, a.zero, a.mean); err != nil {
			return err
		}
	}
	if err := env.WriteCSV("activation_stats.csv", st); err != nil {
		return err
	}
	tt := NewTable("network", "masks", "test_images", "err_geometric_mean", "err_arithmetic_mean", "err_weight_scaling", "err_graph_eval", "err_graph_mc", "graph_mc_passes",
		"agree_geometric_ws", "agree_arithmetic_ws", "mean_kl_geometric_ws", "max_kl_geometric_ws", "mean_kl_arithmetic_ws")
	for _, t := range tinies {
		if err := tt.Add(t.name, t.masks, len(t.perImageKL), t.errGeo, t.errArith, t.errWS, dropoutErr(t.graphEval), dropoutErr(t.mcGraph), cfg.tinyMC,
			t.agreeGeoWS, t.agreeArithWS, t.klGeoWS, t.maxKLGeoWS, t.klAriWS); err != nil {
			return err
		}
	}
	if err := env.WriteCSV("exact_ensemble.csv", tt); err != nil {
		return err
	}
	it := NewTable("network", "image", "label", "pred_geometric_mean", "pred_arithmetic_mean", "pred_weight_scaling", "kl_geometric_ws")
	for _, t := range tinies {
		for n, y := range t.labels {
			if err := it.Add(t.name, n, y, t.predGeo[n], t.predArith[n], t.predWS[n], t.perImageKL[n]); err != nil {
				return err
			}
		}
	}
	return env.WriteCSV("exact_ensemble_images.csv", it)
}

// dropEnsTinyFiles are the files of the two tiny networks' trained weights.
var dropEnsTinyFiles = [2]string{"tiny_softmax.safetensors", "tiny_deep.safetensors"}

// dropEnsSaveTiny writes the tiny network's trained weights with its
// configuration, the training settings and the enumerated ensemble's
// scores, as a zoo checkpoint (training.SaveModel). Saving reads the
// weights only: nothing measured changes.
func dropEnsSaveTiny(env *Env, tn *dropEnsTinyNet, cfg dropEnsConfig, name string, t *dropEnsTiny, testN int, modelSeed, fitSeed uint64) error {
	recipe, err := json.Marshal(struct {
		Optimizer string  `json:"optimizer"`
		LR        float64 `json:"lr"`
		Momentum  float64 `json:"momentum"`
		Batch     int     `json:"batch_size"`
		Epochs    int     `json:"epochs"`
		Train     int     `json:"train_images"`
		ModelSeed uint64  `json:"model_seed"`
		FitSeed   uint64  `json:"fit_seed"`
	}{"sgd", cfg.lr, cfg.momentum, cfg.batch, cfg.tinyEpochs, cfg.train, modelSeed, fitSeed})
	if err != nil {
		return errors.Wrap(err, "experiments: tiny network recipe")
	}
	info := training.SaveInfo{Recipe: recipe, Seed: env.Seed(), Epoch: cfg.tinyEpochs, Metrics: map[string]float64{
		"test_images": float64(testN), "masks": float64(t.masks),
		"err_geometric_mean": t.errGeo, "err_arithmetic_mean": t.errArith, "err_weight_scaling": t.errWS,
		"agree_geometric_ws": t.agreeGeoWS, "mean_kl_geometric_ws": t.klGeoWS, "max_kl_geometric_ws": t.maxKLGeoWS,
	}}
	if err := training.SaveModel(env.Path(name), tn, info); err != nil {
		return err
	}
	env.wrote(name)
	return nil
}

func plotDropEns(env *Env, cfg dropEnsConfig, mcs []*dropEnsMC, acts []*dropEnsActs, tinies []*dropEnsTiny) ([]Figure, error) {
	var figs []Figure
	arch := "784-" + joinInts(cfg.hidden) + "-10"
	for i, mc := range mcs {
		x := make([]float64, len(mc.ks))
		y, lo, hi := make([]float64, len(mc.ks)), make([]float64, len(mc.ks)), make([]float64, len(mc.ks))
		for j, k := range mc.ks {
			x[j], y[j] = float64(k), 100*mc.mean[j]
			lo[j], hi[j] = 100*mc.lo[j], 100*mc.hi[j]
		}
		p, err := LinePlot(LineSpec{
			Title:  fmt.Sprintf("Monte-Carlo model averaging vs weight scaling (%s, %s)", arch, mc.label),
			XLabel: "number of sampled networks averaged, k (log scale)", YLabel: "test error (%)", LogX: true,
			Series: []Series{
				{Name: fmt.Sprintf("MC average (mean of %d draws of k passes)", cfg.repeats), X: x, Y: y, Points: true},
				{Name: "weight scaling (deterministic)", X: []float64{x[0], x[len(x)-1]}, Y: []float64{dropoutPct(mc.det), dropoutPct(mc.det)}, Dashed: true},
				{Name: "MC: smallest of the draws", X: x, Y: lo, Dashed: true},
				{Name: "MC: largest of the draws", X: x, Y: hi, Dashed: true},
			},
		})
		if err != nil {
			return nil, err
		}
		name := []string{"mc_vs_k.png", "mc_vs_k_weight_scaling_convention.png"}[i]
		if err := env.SavePlot(name, p); err != nil {
			return nil, err
		}
		figs = append(figs, Figure{name, fmt.Sprintf("Figure 11's counterpart for the network trained with %s: test error of the average of the class probabilities of k sampled dropout networks (mean, smallest and largest over %d random choices of k of the %d passes kept) against the deterministic weight-scaled network (horizontal line).", mc.label, cfg.repeats, cfg.ks[len(cfg.ks)-1])})
	}

	hi := 0.0
	for _, a := range acts {
		hi = math.Max(hi, MaxAbs(a.values))
	}
	edges := LinearEdges(0, hi, cfg.actBins)
	hs := HistSpec{Title: fmt.Sprintf("First hidden layer activations on the test images (784-%s-10)", joinInts(cfg.actHidden)),
		XLabel: "activation (ReLU output)", YLabel: "number of activations (log scale)", Edges: edges, LogY: true}
	for _, a := range acts {
		hs.Series = append(hs.Series, HistSeries{Name: fmt.Sprintf("%s: %.0f%% ≤ %g, mean %.2f", a.label(), 100*a.nearZero, cfg.zeroTol, a.mean), Counts: Counts(a.values, edges)})
	}
	p, err := HistogramPlot(hs)
	if err != nil {
		return nil, err
	}
	if err := env.SavePlot("activation_histogram.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"activation_histogram.png", "Histogram of every first-hidden-layer activation over the test images (Figure 8, left panels)."})

	mhi := 0.0
	for _, a := range acts {
		mhi = math.Max(mhi, MaxAbs(a.unitMean))
	}
	medges := LinearEdges(0, mhi, 30)
	ms := HistSpec{Title: "Mean activation of each first-layer hidden unit",
		XLabel: "mean activation over the test images", YLabel: "number of units", Edges: medges}
	for _, a := range acts {
		ms.Series = append(ms.Series, HistSeries{Name: fmt.Sprintf("%s: mean %.2f", a.label(), a.mean), Counts: Counts(a.unitMean, medges)})
	}
	if p, err = HistogramPlot(ms); err != nil {
		return nil, err
	}
	if err := env.SavePlot("unit_mean_activation_histogram.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"unit_mean_activation_histogram.png", "Histogram of the units' mean activations (Figure 8, right panels)."})

	kedges := LinearEdges(-18, 1, 76)
	ks := HistSpec{Title: "KL(geometric mean ‖ weight scaling) per test image",
		XLabel: "log10 KL in nats (values below 1e-18 in the first bin)", YLabel: "test images (log scale)", Edges: kedges, LogY: true}
	for _, t := range tinies {
		lk := make([]float64, len(t.perImageKL))
		for i, v := range t.perImageKL {
			lk[i] = math.Max(math.Log10(math.Max(v, 1e-18)), -18)
		}
		ks.Series = append(ks.Series, HistSeries{Name: t.name, Counts: Counts(lk, kedges)})
	}
	if p, err = HistogramPlot(ks); err != nil {
		return nil, err
	}
	p.Legend.Left = true
	if err := env.SavePlot("exact_ensemble_kl.png", p); err != nil {
		return nil, err
	}
	figs = append(figs, Figure{"exact_ensemble_kl.png", fmt.Sprintf("Per test image, the KL divergence between the exact normalised geometric mean over all %d dropout masks and the weight-scaled network's prediction, for the two tiny networks.", 1<<cfg.tinyWidth)})
	return figs, nil
}

func writeDropEnsSummary(env *Env, cfg dropEnsConfig, data *Data, modelSeed, fitSeed, mcSeed uint64, held bool, verdict string,
	mcs []*dropEnsMC, acts []*dropEnsActs, tinies []*dropEnsTiny, tinyN int, figs []Figure, parts [4]bool) error {
	arch := "784-" + joinInts(cfg.hidden) + "-10"
	mcT := MarkdownTable{
		Caption: fmt.Sprintf("Part 1: test error of Monte-Carlo averaging over k sampled networks (mean ± sd over %d random subsets of the %d passes; \"first k\" averages passes 1..k) and of the weight-scaled network.", cfg.repeats, cfg.ks[len(cfg.ks)-1]),
		Header:  []string{"k"},
	}
	for _, mc := range mcs {
		mcT.Header = append(mcT.Header, mc.label+": MC", mc.label+": first k")
	}
	for i, k := range cfg.ks {
		row := []string{fmt.Sprint(k)}
		for _, mc := range mcs {
			row = append(row, fmt.Sprintf("%.2f%% ± %.2f", 100*mc.mean[i], 100*mc.std[i]), fmt.Sprintf("%.2f%%", 100*mc.first[i]))
		}
		mcT.Rows = append(mcT.Rows, row)
	}
	row := []string{"weight scaling"}
	for _, mc := range mcs {
		row = append(row, dropEnsPctText(dropoutErr(mc.det)), "")
	}
	mcT.Rows = append(mcT.Rows, row)
	actT := MarkdownTable{
		Caption: fmt.Sprintf("Part 2: first hidden layer of 784-%s-10 ReLU classifiers on the %d test images.", joinInts(cfg.actHidden), data.Test.Len()),
		Header:  []string{"model", "test error", fmt.Sprintf("activations ≤ %g", cfg.zeroTol), "exactly 0", "mean activation", "median unit mean"},
	}
	for _, a := range acts {
		um := append([]float64(nil), a.unitMean...)
		sort.Float64s(um)
		actT.Rows = append(actT.Rows, []string{a.label(), dropEnsPctText(dropoutErr(a.test)), dropEnsPctText(a.nearZero), dropEnsPctText(a.zero), fmt.Sprintf("%.3f", a.mean), fmt.Sprintf("%.3f", um[len(um)/2])})
	}
	tinyT := MarkdownTable{
		Caption: fmt.Sprintf("Part 3: exact ensembles over all %d dropout masks, %d test images.", 1<<cfg.tinyWidth, tinyN),
		Header:  []string{"network", "error: geometric mean", "error: arithmetic mean", "error: weight scaling", "error: graph eval", fmt.Sprintf("error: graph MC, %d passes", cfg.tinyMC), "argmax agreement geo/WS", "argmax agreement arith/WS", "mean KL geo‖WS", "max KL geo‖WS", "mean KL arith‖WS"},
	}
	for _, t := range tinies {
		tinyT.Rows = append(tinyT.Rows, []string{t.name, dropEnsPctText(t.errGeo), dropEnsPctText(t.errArith), dropEnsPctText(t.errWS), dropEnsPctText(dropoutErr(t.graphEval)), dropEnsPctText(dropoutErr(t.mcGraph)),
			dropEnsPctText(t.agreeGeoWS), dropEnsPctText(t.agreeArithWS), fmt.Sprintf("%.3g", t.klGeoWS), fmt.Sprintf("%.3g", t.maxKLGeoWS), fmt.Sprintf("%.3g", t.klAriWS)})
	}
	inv := mcs[0]
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Figure 11 (MNIST, a dropout net) plots the test error of Monte-Carlo model averaging against the number of sampled networks k with the weight-scaling error as a horizontal line: the MC error starts well above it, falls with k and reaches the weight-scaling line around k = 50, after which the two stay within about one standard deviation of each other. " +
			"Figure 8 compares an autoencoder's hidden features on MNIST without and with dropout (p = 0.5): with dropout the histogram of activations is concentrated near zero and the units' mean activations drop from about 2.0 to about 0.7. " +
			"Warde-Farley et al. investigate \"the quality of the test time weight-scaling inference procedure by evaluating the geometric average exactly in small models\" and compare the geometric mean with the arithmetic mean (abstract); Goodfellow, Bengio & Courville (2016, §7.12) summarise their evidence as the geometric mean performing comparably to the arithmetic mean, and the weight-scaling rule as exact for models without nonlinear hidden units and otherwise an approximation that works well empirically. Their network sizes and error rates are not restated here. For a single softmax layer the weight-scaled network is exactly the normalised geometric mean (Srivastava et al. Appendix A, Baldi & Sadowski 2013; Goodfellow et al. 2016, eqs. 7.56–7.66).",
		Comparison: []Comparison{
			{"MC vs weight scaling", "MC reaches weight scaling at k ≈ 50", fmt.Sprintf("%s: k=1 %.2f%%, k=%d %.2f%%, weight scaling %.2f%%; within %.2g points from %s", inv.label, 100*inv.mean[0], inv.ks[len(inv.ks)-1], 100*inv.mean[len(inv.ks)-1], dropoutPct(inv.det), 100*cfg.margin, dropEnsKText(inv.matchK))},
			{"weight-scaling convention", "the same deterministic approximation", fmt.Sprintf("weight scaling %.2f%%, MC at k=%d %.2f%%, within the margin from %s", dropoutPct(mcs[1].det), mcs[1].ks[len(mcs[1].ks)-1], 100*mcs[1].mean[len(mcs[1].ks)-1], dropEnsKText(mcs[1].matchK))},
			{"sparsity of activations", "dropout: more activations near zero, mean 2.0 → 0.7", fmt.Sprintf("≤ %g: %.1f%% → %.1f%%; mean %.3f → %.3f", cfg.zeroTol, 100*acts[0].nearZero, 100*acts[1].nearZero, acts[0].mean, acts[1].mean)},
			{"geometric mean vs weight scaling", "a good approximation (exact for one softmax layer)", fmt.Sprintf("softmax layer only: agreement %.2f%%, max KL %.2g; with a ReLU layer between: agreement %.2f%%, mean KL %.3g", 100*tinies[0].agreeGeoWS, tinies[0].maxKLGeoWS, 100*tinies[1].agreeGeoWS, tinies[1].klGeoWS)},
		},
		Setup: []string{
			data.Source + ".",
			fmt.Sprintf("Part 1 (Figure 11): the ReLU MLP %s with input retain p = %g and hidden retain p = %g (zoo's InputDropout = %.3g, HiddenDropout = %.3g), trained with SGD (momentum %g, learning rate %g, batch %d) for %d epochs, once with zoo's default inverted dropout and once with models.Config{WeightScalingDropout: true} (no scaling in training, activations × p at test: Srivastava's convention); the same initial weights (seed %d) and batch order (seed %d).",
				arch, cfg.inputP, cfg.hiddenP, 1-cfg.inputP, 1-cfg.hiddenP, cfg.momentum, cfg.lr, cfg.batch, cfg.epochs, modelSeed, fitSeed),
			fmt.Sprintf("Monte-Carlo averaging: %d stochastic passes over the test images in graph.MonteCarlo mode (training.NewEvaluator with MCSamples 1, masks from seed %d, each call drawing new masks), each pass's class probabilities kept; the MC prediction for k is the argmax of the mean probability of k passes. For k ∈ %s the error is averaged over %d random subsets of k passes (for k = %d every subset is all passes). Criterion: the smallest k whose mean MC error is within %.2g points of the weight-scaled network's error exists, and k = 1 is worse than weight scaling by more than that margin.",
				cfg.ks[len(cfg.ks)-1], mcSeed, "{"+strings.ReplaceAll(joinInts(cfg.ks), "-", ", ")+"}", cfg.repeats, cfg.ks[len(cfg.ks)-1], 100*cfg.margin),
			fmt.Sprintf("Part 2 (Figure 8): two ReLU classifiers 784-%s-10, without dropout and with hidden retain p = %g (no input dropout), %d epochs, the same initial weights and batch order. The first hidden layer's ReLU outputs on every test image are read from an evaluation graph (Net().Trace, the act1 node's value); dropout acts after this layer, so these activations do not depend on the dropout convention. Criterion: with dropout, a larger fraction of activations is ≤ %g and the mean activation is lower.",
				joinInts(cfg.actHidden), cfg.hiddenP, cfg.actEpochs, cfg.zeroTol),
			fmt.Sprintf("Part 3 (Warde-Farley et al.): two tiny ReLU networks with dropout (retain p = %g, inverted) only after the first hidden layer of %d units, trained %d epochs: 784-%d-10 (the dropped units feed the softmax layer directly) and 784-%d-%d-10 (a ReLU layer between them and the softmax layer). For each of %d test images the forward pass of all 2^%d = %d masks is computed in float64 from the trained weights; mask m has probability p^kept·(1−p)^dropped. Geometric mean: softmax(Σ_m P(m)·log softmax(z_m)) (the renormalised weighted geometric mean); arithmetic mean: Σ_m P(m)·softmax(z_m); weight scaling: every unit kept at its expected value (inverted dropout's evaluation network). The graph's own evaluation error checks the hand-written weight-scaled forward pass, and a Monte-Carlo average of %d stochastic passes through the graph (training.NewEvaluator, MCSamples %d) checks the enumerated arithmetic mean.",
				cfg.hiddenP, cfg.tinyWidth, cfg.tinyEpochs, cfg.tinyWidth, cfg.tinyWidth, cfg.tinyWidth, tinyN, cfg.tinyWidth, 1<<cfg.tinyWidth, cfg.tinyMC, cfg.tinyMC),
			fmt.Sprintf("Criterion of part 3: for 784-%d-10 the geometric mean equals weight scaling (every argmax agrees, max KL < 1e-9: the log-partition term of each mask is the same for every class and cancels on renormalising, and the mean of the masked logits is the weight-scaled logits, so this is an identity, not an approximation); for 784-%d-%d-10 they agree on at least %.0f%% of the test images and their test errors are at most %.1f points apart (an approximation, because the ReLU layer sits between the dropped units and the softmax).",
				cfg.tinyWidth, cfg.tinyWidth, cfg.tinyWidth, 100*cfg.agreeMin, 100*cfg.errGap),
		},
		Tables:  []MarkdownTable{mcT, actT, tinyT},
		Figures: figs,
	}
	notes := []string{
		fmt.Sprintf("The claim is the conjunction of its four checks: MC vs weight scaling %s, sparser activations %s, exact equality for the softmax layer %s, close approximation with a hidden ReLU layer %s.", dropoutHeld(parts[0]), dropoutHeld(parts[1]), dropoutHeld(parts[2]), dropoutHeld(parts[3])),
		fmt.Sprintf("With dropout on the units that feed the softmax layer, the exact geometric mean over masks is the weight-scaled network whatever the layers below compute: a 784-%d-10 network with dropout on its hidden units is the exact case, not an approximation. The approximate case needs a nonlinearity after the dropped units, hence the 784-%d-%d-10 network with dropout on its first hidden layer only.", cfg.tinyWidth, cfg.tinyWidth, cfg.tinyWidth),
		"Srivastava's Figure 8 uses autoencoders; a classifier is used here. One seed; differences of a few hundredths of a percent in part 1 are single test images.",
	}
	if d := tinies[1]; math.Abs(d.errGeo-d.errWS) > cfg.errGap {
		better := yesNo(d.errGeo < d.errWS, "better", "worse")
		notes = append(notes, fmt.Sprintf("In %s the weight-scaled network (%.2f%%) is a poor stand-in for the geometric mean (%.2f%%, %s) and the arithmetic mean (%.2f%%): with only %d units kept or dropped and a %d-unit ReLU layer after them, the ReLU of the expected input differs much from the expected ReLU, and the network was trained only on the masked (on average half-width) inputs. How large the gap is depends on the network; it is measured here for one small network and one seed. The graph's own evaluation (%.2f%%) %s the hand-written weight-scaled pass, and its MC average of %d passes (%.2f%%) is %.2f points from the enumerated arithmetic mean.",
			d.name, 100*d.errWS, 100*d.errGeo, better, 100*d.errArith, cfg.tinyWidth, cfg.tinyWidth,
			dropoutPct(d.graphEval), yesNo(math.Abs(dropoutErr(d.graphEval)-d.errWS) < 0.5/float64(len(d.perImageKL)), "equals", "differs from"), cfg.tinyMC, dropoutPct(d.mcGraph), math.Abs(dropoutPct(d.mcGraph)-100*d.errArith)))
	}
	if env.Quick() {
		notes = append(notes, fmt.Sprintf("Quick mode: small networks, %d training images, few epochs, k up to %d, %d-unit tiny networks on %d test images; the verdict is not expected to match the full run.", cfg.train, cfg.ks[len(cfg.ks)-1], cfg.tinyWidth, tinyN))
	}
	sum.Notes = notes
	return env.WriteSummary(sum)
}

func dropEnsPctText(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }
