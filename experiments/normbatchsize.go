package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/training"
)

func init() {
	register(Experiment{
		Name:  "norm-batch-size",
		Title: "Group normalization: a small convnet with BatchNorm, GroupNorm or LayerNorm trained at batch sizes 2 to 64 on MNIST",
		Claim: "BatchNorm's error rises as the batch gets small, while GroupNorm's (and LayerNorm's) stays roughly flat across batch sizes.",
		Paper: "Wu & He (2018), Group normalization, ECCV, Figure 1 (ImageNet classification error against batch size for BN and GN)",
		Run:   runNormBatchSize,
		Judge: judgeNormBatchSize,
	})
}

// judgeNormBatchSize holds the claim when BatchNorm's rise of the test
// error from the largest batch to the smallest (rise_bn) exceeds
// GroupNorm's (rise_gn) by more than the margin of the settings (the same
// in both modes).
func judgeNormBatchSize(m map[string]float64) (bool, string) {
	cfg := nbsSettings(false)
	in := newJudgeInputs(m)
	riseBN, riseGN := in.get("rise_"+nbsVariants[0].key), in.get("rise_"+nbsVariants[1].key)
	batches, _ := in.series("test_err_"+nbsVariants[0].key+"_b", "")
	if text, bad := in.incomplete(); bad {
		return false, text
	}
	held := riseBN > riseGN+cfg.margin
	small, large := batches[0], batches[len(batches)-1]
	var parts []string
	for _, v := range nbsVariants {
		if !in.has("rise_" + v.key) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f%% at batch %g vs %.2f%% at batch %g (%+.2f points)",
			v.label, 100*m[fmt.Sprintf("test_err_%s_b%g", v.key, small)], small, 100*m[fmt.Sprintf("test_err_%s_b%g", v.key, large)], large, 100*m["rise_"+v.key]))
	}
	verdict := fmt.Sprintf("Test error: %s. BatchNorm's rise %s GroupNorm's by more than %.0f point: claim %s.",
		strings.Join(parts, "; "), yesNo(held, "exceeds", "does not exceed"), 100*cfg.margin, yesNo(held, "held", "did not hold"))
	return held, verdict
}

type nbsConfig struct {
	sizes    Sizes
	batches  []int
	variants []nbsVariant
	groups   int     // GroupNorm's groups
	epochs   int     // the same number of epochs (samples seen) for every run
	baseLR   float64 // SGD learning rate at batch refBatch; scaled linearly with the batch
	refBatch int
	momentum float64
	margin   float64 // how much more BatchNorm's error must rise than GroupNorm's (fraction)
}

// The variants; the criterion compares the first two.
var nbsVariants = []nbsVariant{
	{key: "bn", label: "BatchNorm", norm: "batch", fc: true},
	{key: "gn", label: "GroupNorm", norm: "group", fc: true},
	{key: "ln", label: "LayerNorm", norm: "layer", fc: true},
	{key: "bn-conv", label: "BatchNorm in the conv layers only", norm: "batch"},
}

func nbsSettings(quick bool) nbsConfig {
	c := nbsConfig{
		sizes:   Sizes{Train: 5000, Test: 2000},
		batches: []int{2, 4, 8, 16, 32, 64}, variants: nbsVariants,
		groups: 4, epochs: 4, baseLR: 0.1, refBatch: 32, momentum: 0.9, margin: 0.01,
	}
	if quick {
		c.sizes = Sizes{Train: 1000, Test: 500}
		c.batches = []int{2, 8, 64}
		c.variants = nbsVariants[:2]
		c.epochs = 1
	}
	return c
}

// Random streams of this experiment.
const (
	nbsModelStream = 400 // initial weights (the same seed for every run)
	nbsFitStream   = 401 // batch order
)

// nbsNet is the small convnet of this experiment: conv 8@3×3 → norm → ReLU →
// max pool 2 → conv 16@3×3 → norm → ReLU → max pool 2 → Linear 784 → 64 →
// norm → ReLU → Linear 64 → 10, on 1×28×28 inputs (the convolutions are
// padded to keep the size). It implements training.Model.
type nbsNet struct {
	store *graph.Store
	net   *nn.Sequential
}

var _ training.Model = (*nbsNet)(nil)

func (n *nbsNet) Store() *graph.Store { return n.store }
func (n *nbsNet) InputShape() []int   { return []int{1, 28, 28} }
func (n *nbsNet) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	return n.net.Forward(b, x)
}

// nbsVariant is one normalisation setup of the convnet.
type nbsVariant struct {
	key, label string
	// norm is "batch", "group" or "layer"; fc says whether the hidden
	// fully connected layer is normalised too (otherwise it has a bias).
	norm string
	fc   bool
}

// nbsHidden is the width of the convnet's hidden fully connected layer.
const nbsHidden = 64

// newNBSNet builds the convnet with variant v (GroupNorm with groups
// groups), its weights drawn from seed.
func newNBSNet(v nbsVariant, groups int, seed uint64) (*nbsNet, error) {
	s, err := graph.NewStore(graph.Float32)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	var layers []nn.Layer
	add := func(l nn.Layer, err error) error {
		if err != nil {
			return err
		}
		layers = append(layers, l)
		return nil
	}
	normLayer := func(name string, ch int) (nn.Layer, error) {
		switch v.norm {
		case "batch":
			return nn.NewBatchNorm(s, name, ch, nn.BatchNormConfig{})
		case "group":
			return nn.NewGroupNorm(s, name, ch, groups, nn.NormConfig{})
		case "layer":
			return nn.NewLayerNorm(s, name, ch, nn.NormConfig{})
		}
		return nil, errors.Wrapf(ErrConfig, "experiments: norm-batch-size: unknown normalisation %q", v.norm)
	}
	in := 1
	for i, out := range []int{8, 16} {
		conv := nn.Conv2DConfig{Padding: [2]int{1, 1}, NoBias: true}
		if err := add(nn.NewConv2D(s, fmt.Sprintf("conv%d", i+1), in, out, [2]int{3, 3}, conv, rng)); err != nil {
			return nil, err
		}
		if err := add(normLayer(fmt.Sprintf("norm%d", i+1), out)); err != nil {
			return nil, err
		}
		if err := add(nn.ReLU(fmt.Sprintf("relu%d", i+1)), nil); err != nil {
			return nil, err
		}
		if err := add(nn.NewMaxPool2D(fmt.Sprintf("pool%d", i+1), [2]int{2, 2}, [2]int{2, 2}, [2]int{})); err != nil {
			return nil, err
		}
		in = out
	}
	if err := add(nn.NewFlatten("flatten"), nil); err != nil {
		return nil, err
	}
	if err := add(nn.NewLinear(s, "fc1", 16*7*7, nbsHidden, nn.LinearConfig{NoBias: v.fc}, rng)); err != nil {
		return nil, err
	}
	if v.fc {
		if err := add(normLayer("norm3", nbsHidden)); err != nil {
			return nil, err
		}
	}
	if err := add(nn.ReLU("relu3"), nil); err != nil {
		return nil, err
	}
	if err := add(nn.NewLinear(s, "fc2", nbsHidden, 10, nn.LinearConfig{}, rng)); err != nil {
		return nil, err
	}
	return &nbsNet{store: s, net: nn.NewSequential("nbs-convnet-"+v.key, layers...)}, nil
}

// nbsRun is one (variant, batch size) training run.
type nbsRun struct {
	v         nbsVariant
	batch     int
	lr        float64
	steps     int
	diverged  bool
	test      training.Metrics
	fitLoss   float64 // training.Fit's mean training loss over the last epoch
	fitErr    float64
	trainEval training.Metrics // the training subset scored in evaluation mode
}

func (r *nbsRun) testErr() float64 { return 1 - r.test.Accuracy }

func runNormBatchSize(ctx context.Context, env *Env) (*Result, error) {
	cfg := nbsSettings(env.Quick())
	data, err := env.MNIST(ctx, cfg.sizes)
	if err != nil {
		return nil, err
	}
	modelSeed := env.Rand(nbsModelStream).Uint64()
	fitSeed := env.Rand(nbsFitStream).Uint64()
	runs := map[string]map[int]*nbsRun{}
	var order []*nbsRun
	for _, v := range cfg.variants {
		runs[v.key] = map[int]*nbsRun{}
		for _, bs := range cfg.batches {
			r := &nbsRun{v: v, batch: bs, lr: cfg.baseLR * float64(bs) / float64(cfg.refBatch)}
			if err := trainNBSRun(ctx, env, cfg, r, data, modelSeed, fitSeed); err != nil {
				return nil, errors.WithMessagef(err, "%s, batch %d", v.label, bs)
			}
			runs[v.key][bs] = r
			order = append(order, r)
		}
	}
	small, large := cfg.batches[0], cfg.batches[len(cfg.batches)-1]
	rise := map[string]float64{}
	for _, v := range cfg.variants {
		rise[v.key] = runs[v.key][small].testErr() - runs[v.key][large].testErr()
	}
	metrics := map[string]float64{}
	for _, r := range order {
		metrics[fmt.Sprintf("test_err_%s_b%d", r.v.key, r.batch)] = r.testErr()
	}
	for _, v := range cfg.variants {
		metrics["rise_"+v.key] = rise[v.key]
	}
	held, verdict := judgeNormBatchSize(metrics)

	if err := writeNBSFiles(env, cfg, order, runs); err != nil {
		return nil, err
	}
	if err := env.WriteSummary(nbsSummary(env, cfg, data, runs, rise, modelSeed, fitSeed, held, verdict)); err != nil {
		return nil, err
	}
	return &Result{Held: held, Verdict: verdict, Metrics: metrics}, nil
}

func nbsSummary(env *Env, cfg nbsConfig, data *Data, runs map[string]map[int]*nbsRun, rise map[string]float64, modelSeed, fitSeed uint64, held bool, verdict string) *Summary {
	small, large := cfg.batches[0], cfg.batches[len(cfg.batches)-1]
	bn, gn := cfg.variants[0], cfg.variants[1]
	t := MarkdownTable{
		Caption: fmt.Sprintf("Test error on %d test images after %d epochs over %d training images (the same samples seen at every batch size).", data.Test.Len(), cfg.epochs, data.Train.Len()),
		Header:  []string{"batch size", "lr"},
	}
	for _, v := range cfg.variants {
		t.Header = append(t.Header, v.label)
	}
	for _, bs := range cfg.batches {
		row := []string{fmt.Sprint(bs), fmt.Sprintf("%g", runs[cfg.variants[0].key][bs].lr)}
		for _, v := range cfg.variants {
			r := runs[v.key][bs]
			cell := fmt.Sprintf("%.2f%%", 100*r.testErr())
			if r.diverged {
				cell += " (diverged)"
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	cmp := func(key string) string {
		return fmt.Sprintf("%.2f%% at %d vs %.2f%% at %d (%+.2f points)", 100*runs[key][small].testErr(), small, 100*runs[key][large].testErr(), large, 100*rise[key])
	}
	sum := &Summary{
		Held: held, Verdict: verdict,
		PaperFigure: "Wu & He's Figure 1 plots the ImageNet validation error of ResNet-50 trained with 32, 16, 8, 4 and 2 images per GPU (BatchNorm's statistics are per GPU): BatchNorm's error grows from 23.6% to 34.7% as the batch shrinks, GroupNorm's stays at 24.0–24.2% at every batch size (their Table 2); LayerNorm (their Table 1) is batch-independent too, at 25.3%. " +
			"The counterpart here is test_error.png: a far smaller network and data set, so only the shape of the curves (BatchNorm rising at small batches, GroupNorm and LayerNorm flat) is comparable, not the levels.",
		Setup: []string{
			data.Source + ".",
			fmt.Sprintf("Model: a small convnet built in this experiment from the graph package's layers: conv 8@3×3 (padding 1, no bias) → norm → ReLU → 2×2 max pool → conv 16@3×3 → norm → ReLU → 2×2 max pool → Linear 784→%d (no bias) → norm → ReLU → Linear %d→10. "+
				"norm is BatchNorm (PyTorch's defaults, running statistics at test time), GroupNorm with %d groups (2, 4 and %d channels per group), or LayerNorm (GroupNorm with one group: each sample normalised over all its channels and positions). "+
				"A fourth variant has BatchNorm in the two conv blocks only (its hidden Linear layer has a bias and no normalisation). float32; initial weights from seed %d for every run.", nbsHidden, nbsHidden, cfg.groups, nbsHidden/cfg.groups, modelSeed),
			fmt.Sprintf("Training: SGD with momentum %g and learning rate %g·B/%d, scaled linearly with the batch size B as Wu & He do; %d epochs over the training subset at every batch size (the same samples seen), the last short batch dropped, batch order from seed %d.", cfg.momentum, cfg.baseLR, cfg.refBatch, cfg.epochs, fitSeed),
			fmt.Sprintf("Batch sizes %s; each (variant, batch size) pair is one run, scored once at the end on the fixed test subset, and on its training subset, in evaluation mode.", joinInts(cfg.batches)),
			fmt.Sprintf("Criterion: the claim holds when BatchNorm's test-error rise from batch %d to batch %d, err(%d) − err(%d), exceeds GroupNorm's by more than %.0f percentage point. LayerNorm and the conv-only BatchNorm are reported beside them, not part of the criterion.", large, small, small, large, 100*cfg.margin),
		},
		Tables: []MarkdownTable{t},
		Figures: []Figure{
			{"test_error.png", "Test error against log2 of the batch size for each variant (the paper's Figure 1)."},
			{"train_error.png", "Error on the training subset (against log2 of the batch size), scored in evaluation mode (BatchNorm with its running statistics), against batch size: where it tracks the test error, the small-batch penalty is not overfitting but the mismatch between the batch statistics BatchNorm trained with and the running statistics it is tested with."},
		},
		Notes: []string{
			"Why a normalised hidden Linear layer: in a convolution BatchNorm averages over the batch and the positions, so even at batch 2 its statistics come from 2·28·28 = 1568 values per channel in the first block and 2·14·14 = 392 in the second; on the hidden Linear layer only from the B samples. The conv-only variant (full mode) measures how much of BatchNorm's small-batch penalty is left when every normalised layer has many positions.",
		},
	}
	// Where BatchNorm is worse than GroupNorm by more than the margin.
	var worse []int
	for _, bs := range cfg.batches {
		if runs[bn.key][bs].testErr() > runs[gn.key][bs].testErr()+cfg.margin {
			worse = append(worse, bs)
		}
	}
	where := "at no batch size"
	if len(worse) > 0 {
		where = "at batch sizes " + joinInts(worse)
	}
	sum.Notes = append(sum.Notes, fmt.Sprintf("BatchNorm's test error is more than %.0f point above GroupNorm's %s (Wu & He's Table 2: by 3.1 points at batch 4 and 10.6 at batch 2; 0.8 point worse at batch 8, better at 16 and 32).", 100*cfg.margin, where))
	paper := map[string]string{
		"bn":      "34.7% at 2 vs 23.6% at 32 (+11.1 points)",
		"gn":      "24.1% at 2 vs 24.1% at 32 (flat: 24.0–24.2% at every size)",
		"ln":      "batch-independent",
		"bn-conv": "(not in the paper)",
	}
	for _, v := range cfg.variants {
		sum.Comparison = append(sum.Comparison, Comparison{v.label + ", smallest vs largest batch", paper[v.key], cmp(v.key)})
	}
	if env.Quick() {
		sum.Notes = append(sum.Notes, fmt.Sprintf("Quick mode: %d training and %d test images, %d epoch, batch sizes %s and the two variants of the criterion only; the errors are noisy and the large batches undertrained at this size. Run without -quick for the full experiment.", data.Train.Len(), data.Test.Len(), cfg.epochs, joinInts(cfg.batches)))
	}
	return sum
}

func trainNBSRun(ctx context.Context, env *Env, cfg nbsConfig, r *nbsRun, data *Data, modelSeed, fitSeed uint64) error {
	m, err := newNBSNet(r.v, cfg.groups, modelSeed)
	if err != nil {
		return err
	}
	opt, err := training.NewSGD(training.SGDConfig{LR: r.lr, Momentum: cfg.momentum})
	if err != nil {
		return err
	}
	fc := training.Config{Epochs: cfg.epochs, BatchSize: r.batch, Seed: fitSeed, Optimizer: opt, DropLast: true}
	fc.OnBatch = func(p training.Progress) { r.steps = (p.Epoch-1)*p.Batches + p.Batch }
	start := env.Elapsed()
	h, err := training.Fit(ctx, m, data.Train, nil, fc)
	secs := (env.Elapsed() - start).Seconds()
	if errors.Is(err, training.ErrDiverged) {
		r.diverged = true
	} else if err != nil {
		return err
	}
	if len(h.Epochs) > 0 {
		r.fitLoss, r.fitErr = h.Last().TrainLoss, 1-h.Last().TrainAcc
	}
	if r.test, err = Evaluate(ctx, m, data.Test); err != nil {
		return err
	}
	if r.trainEval, err = Evaluate(ctx, m, data.Train); err != nil {
		return err
	}
	env.Logf("norm-batch-size: %s, batch %d, lr %g: %d steps%s, test error %.2f%%, training error %.2f%% (eval mode), %.2f%% (training mode, last epoch); %.1f s",
		r.v.label, r.batch, r.lr, r.steps, yesNo(r.diverged, " (diverged)", ""), 100*r.testErr(), 100*(1-r.trainEval.Accuracy), 100*r.fitErr, secs)
	return nil
}

func writeNBSFiles(env *Env, cfg nbsConfig, order []*nbsRun, runs map[string]map[int]*nbsRun) error {
	t := NewTable("variant", "norm", "norm_in_fc", "batch_size", "lr", "epochs", "steps", "diverged", "test_err", "test_loss", "train_err_eval_mode", "train_loss_eval_mode", "fit_train_err_last_epoch", "fit_train_loss_last_epoch")
	for _, r := range order {
		if err := t.Add(r.v.key, r.v.norm, r.v.fc, r.batch, r.lr, cfg.epochs, r.steps, r.diverged, r.testErr(), r.test.Loss, 1-r.trainEval.Accuracy, r.trainEval.Loss, r.fitErr, r.fitLoss); err != nil {
			return err
		}
	}
	if err := env.WriteCSV("results.csv", t); err != nil {
		return err
	}
	for _, f := range []struct {
		file, title string
		err         func(r *nbsRun) float64
	}{
		{"test_error.png", "Test error", func(r *nbsRun) float64 { return 100 * r.testErr() }},
		{"train_error.png", "Training error (evaluation mode)", func(r *nbsRun) float64 { return 100 * (1 - r.trainEval.Accuracy) }},
	} {
		var series []Series
		for _, v := range cfg.variants {
			s := Series{Name: v.label, Points: true, Dashed: !v.fc}
			for _, bs := range cfg.batches {
				s.X, s.Y = append(s.X, math.Log2(float64(bs))), append(s.Y, f.err(runs[v.key][bs]))
			}
			series = append(series, s)
		}
		p, err := LinePlot(LineSpec{
			Title:  fmt.Sprintf("%s against batch size, small convnet, %d epoch(s), lr proportional to batch", f.title, cfg.epochs),
			XLabel: "log2(batch size): 1 is batch 2, 6 is batch 64", YLabel: "error (%)",
			Series: series,
		})
		if err != nil {
			return err
		}
		if err := env.SavePlot(f.file, p); err != nil {
			return err
		}
	}
	return nil
}
