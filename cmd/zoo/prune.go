package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

const pruneSynopsis = "remove a fraction of a trained model's weights by OBD, Taylor, magnitude or random saliency, optionally retraining"

func init() {
	register(command{name: "prune", synopsis: pruneSynopsis, run: runPrune})
}

// pruneRound is one round of scoring, pruning and retraining.
type pruneRound struct {
	Sparsity float64 `json:"sparsity"`
	// PrunedTest* are the test metrics right after pruning, Retrained*
	// after retraining (null without retraining).
	PrunedTestLoss     number  `json:"pruned_test_loss"`
	PrunedTestError    number  `json:"pruned_test_error"`
	RetrainedTestLoss  *number `json:"retrained_test_loss"`
	RetrainedTestError *number `json:"retrained_test_error"`
	SaliencySeconds    number  `json:"saliency_seconds"`
}

// pruneReport is the JSON result of zoo prune, also written to
// OUT/report.json.
type pruneReport struct {
	Source string `json:"source"`
	Model  string `json:"model"`
	// Criterion is the saliency criterion, or "mask" with --mask.
	Criterion     string  `json:"criterion"`
	Scope         string  `json:"scope"`
	Target        float64 `json:"target_sparsity"`
	Steps         int     `json:"steps"`
	Samples       int     `json:"saliency_samples"`
	RetrainEpochs int     `json:"retrain_epochs"`
	// TestLoss and TestError are the unpruned model's.
	TestLoss   number       `json:"test_loss"`
	TestError  number       `json:"test_error"`
	Rounds     []pruneRound `json:"rounds"`
	Checkpoint string       `json:"checkpoint"`
	// Mask is the mask file (1 kept, 0 pruned per weight).
	Mask string `json:"mask"`
	// MaskSource is the mask file given with --mask ("" when the
	// criterion chose the weights).
	MaskSource string `json:"mask_source,omitempty"`
	// Sparsity is zoo sparsity's report of the pruned weights.
	Sparsity *regularizers.Sparsity `json:"sparsity"`
	// Stopped is pruneCompleted, or pruneCancelled when the run was
	// cancelled: Rounds are the rounds that finished, and the checkpoint and
	// mask are the last one's.
	Stopped string `json:"stopped"`
	Seconds number `json:"seconds"`
}

// Values of pruneReport's Stopped and, with --mask, Criterion.
const (
	pruneCompleted = "completed"
	pruneCancelled = "cancelled"
	maskCriterion  = "mask"
)

func runPrune(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("prune", pruneSynopsis+`.

zoo prune MODEL_OR_CHECKPOINT --criterion obd|taylor|magnitude|random --sparsity S [--steps N] [--retrain-epochs E] --out DIR
zoo prune MODEL_OR_CHECKPOINT --mask FILE [--retrain-epochs E] --out DIR

MODEL_OR_CHECKPOINT is a checkpoint written by zoo train, or a model name,
which is first trained with its recipe into OUT/trained (as zoo train).
The weight matrices and filters (not biases, not BatchNorm's γ/β) are
ranked by the criterion — obd: ½·h_kk·w² with h_kk the Gauss-Newton
diagonal of the cross-entropy on --samples training images; taylor:
|w·∂L/∂w| on the same images; magnitude: |w|; random — over all layers
(--scope global) or within each (per-layer), and the lowest S of them are
set to zero, in --steps rounds that each remove the same share of the
weights left. After each round, --retrain-epochs E > 0 retrains with the
model's recipe (its learning rate, schedule over E epochs, penalties), the
pruned weights held at exactly zero after every step.

--mask FILE prunes in one round with a saved mask instead (the
mask.safetensors of an earlier zoo prune): the weights it marks 0 are set
to zero, and held there while retraining. The mask must be of a model of
the same name and shapes, with a tensor of 0s and 1s for each of its
weight matrices and filters; --criterion, --sparsity, --scope, --steps and
--samples do not apply.

Writes OUT/model.safetensors (the pruned weights, readable by zoo eval,
predict and sparsity), OUT/mask.safetensors (1 kept, 0 pruned, per weight,
as "mask/<name>"; format "zoo-mask") and OUT/report.json (the JSON printed
on stdout: test error before pruning, after each round's pruning and
retraining, and the sparsity report), each written whole or not at all.
Ctrl-C after a round has finished writes the three files as they were
after that round, with "stopped": "cancelled" in the report, and exits 1;
before that it writes nothing.`, stderr)
	crit := fs.String("criterion", "obd", "saliency: obd, taylor, magnitude or random")
	target := fs.Float64("sparsity", 0.5, "fraction of the weights to remove, in [0, 1]")
	scope := fs.String("scope", "global", "rank over all weights (global) or within each layer (per-layer)")
	steps := fs.Int("steps", 1, "prune in this many rounds, retraining after each")
	retrain := fs.Int("retrain-epochs", 0, "epochs of retraining after each round (0: none)")
	samples := fs.Int("samples", 1000, "training images the obd and taylor criteria are computed on (0: all)")
	maskPath := fs.String("mask", "", "prune with this mask file (a mask.safetensors of zoo prune) instead of a criterion")
	out := fs.String("out", "", "output directory (required)")
	dataDir := fs.String("data", "", "directory holding the four MNIST files, raw or gzipped (default: $"+datasets.EnvMNISTDir+", else the GoMNIST module in the Go module cache)")
	strict := fs.Bool("strict", false, "fail, rather than warn, when files in --data differ from the original MNIST")
	seed := fs.Uint64("seed", 1, "seed of the random criterion, and of the training run when MODEL_OR_CHECKPOINT is a model name")
	pos, code, done := parseArgs(fs, args, 1, 1, "model name or checkpoint")
	if done {
		return code
	}
	if *maskPath != "" {
		var clash []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "criterion", "sparsity", "scope", "steps", "samples":
				clash = append(clash, "--"+f.Name)
			}
		})
		if len(clash) > 0 {
			return usageError(fs, errors.Errorf("--mask: %s do not apply (the mask chooses the weights)", strings.Join(clash, ", ")))
		}
	}
	c, err := regularizers.ParseCriterion(*crit)
	if err != nil {
		return usageError(fs, errors.WithMessage(err, "--criterion"))
	}
	sc := regularizers.Global
	switch *scope {
	case "global":
	case "per-layer":
		sc = regularizers.PerLayer
	default:
		return usageError(fs, errors.Errorf("--scope %q: want global or per-layer", *scope))
	}
	icfg := regularizers.IterativeConfig{
		Saliency: regularizers.SaliencyConfig{Criterion: c, Samples: *samples, Seed: *seed},
		Scope:    sc, Target: *target, Steps: *steps,
	}
	if err := icfg.Validate(); err != nil {
		return usageError(fs, err)
	}
	switch {
	case *steps < 1:
		return usageError(fs, errors.Errorf("--steps %d: want ≥ 1", *steps))
	case *retrain < 0:
		return usageError(fs, errors.Errorf("--retrain-epochs %d: want ≥ 0", *retrain))
	case *out == "":
		return usageError(fs, errors.New("--out DIR is required"))
	}
	if *maskPath != "" {
		if _, err := os.Stat(*maskPath); err != nil {
			return usageError(fs, errors.Wrap(err, "--mask"))
		}
	}
	start := time.Now()
	src := pos[0]
	if _, err := os.Stat(src); err != nil {
		if _, lerr := models.Lookup(src); lerr != nil {
			return usageError(fs, errors.Errorf("%s is neither a checkpoint file nor a model (%v)", src, lerr))
		}
		dir := filepath.Join(*out, "trained")
		fmt.Fprintf(stderr, "zoo prune: training %s with its recipe into %s\n", src, dir)
		targs := []string{src, "--out", dir, "--seed", fmt.Sprint(*seed)}
		if *dataDir != "" {
			targs = append(targs, "--data", *dataDir)
		}
		if code := runTrain(ctx, targs, io.Discard, stderr); code != exitOK {
			return code
		}
		src = filepath.Join(dir, training.ModelFile)
	}
	data, err := loadMNIST(ctx, *dataDir, *strict, stderr)
	if err != nil {
		return failure(stderr, "prune", err)
	}
	rep, err := prune(ctx, src, icfg, *maskPath, *retrain, data, *out, stderr)
	if rep == nil {
		if ctx.Err() != nil {
			err = errors.WithMessage(err, "cancelled before the first round finished; nothing written")
		}
		return failure(stderr, "prune", err)
	}
	rep.Seconds = number(time.Since(start).Seconds())
	var b bytes.Buffer
	if err := writeJSON(&b, rep); err != nil {
		return failure(stderr, "prune", err)
	}
	if err := writeFileAtomic(filepath.Join(*out, "report.json"), b.Bytes()); err != nil {
		return failure(stderr, "prune", err)
	}
	if _, err := stdout.Write(b.Bytes()); err != nil {
		return failure(stderr, "prune", errors.Wrap(err, "write result"))
	}
	if rep.Stopped == pruneCancelled {
		fmt.Fprintf(stderr, "zoo prune: cancelled (%v); %s holds the model, mask and report after round %d of %d\n",
			err, *out, len(rep.Rounds), max(rep.Steps, 1))
		return exitFailure
	}
	return exitOK
}

// prune runs the schedule on the checkpoint at src, or applies the mask
// read from maskPath when it is not empty, and writes the model and its
// mask into out. When ctx is cancelled after at least one round finished,
// it restores the model as it was after that round, writes it with that
// round's mask, and returns the report (Stopped "cancelled") with the
// cancellation error; before that it returns no report.
func prune(ctx context.Context, src string, icfg regularizers.IterativeConfig, maskPath string, retrainEpochs int, data *datasets.MNIST, out string, stderr io.Writer) (*pruneReport, error) {
	m, ckpt, rec, err := models.Load(src)
	if err != nil {
		return nil, err
	}
	var given *regularizers.Mask
	if maskPath != "" {
		if given, err = loadMask(maskPath, m); err != nil {
			return nil, err
		}
	}
	r, err := retrainRecipe(rec, m, retrainEpochs)
	if err != nil {
		return nil, err
	}
	train, val, err := r.Splits(data.Train)
	if err != nil {
		return nil, err
	}
	if val.Len() == 0 {
		val = nil
	}
	test := data.Test
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, errors.Wrap(err, "output directory")
	}
	opts := training.EvalOptions{BatchSize: min(1000, test.Len())}
	met, err := evaluate(ctx, m, test, opts, false)
	if err != nil {
		return nil, errors.WithMessage(err, "test set")
	}
	rep := &pruneReport{
		Source: src, Model: m.Name(), Criterion: icfg.Saliency.Criterion.String(), Scope: icfg.Scope.String(),
		Target: icfg.Target, Steps: max(icfg.Steps, 1), Samples: icfg.Saliency.Samples, RetrainEpochs: retrainEpochs,
		TestLoss: number(met.Loss), TestError: number(models.ErrorPercent(met)), Stopped: pruneCompleted,
	}
	rounds := len(icfg.Fractions())
	if given != nil {
		rep.Criterion, rep.Scope, rep.Target, rep.Steps, rep.Samples = maskCriterion, "", given.Sparsity(), 1, 0
		rep.MaskSource, rounds = maskPath, 1
		fmt.Fprintf(stderr, "zoo prune: %s, test error %.2f%% before pruning; mask %s\n", m.Name(), models.ErrorPercent(met), maskPath)
	} else {
		fmt.Fprintf(stderr, "zoo prune: %s, test error %.2f%% before pruning; %s saliency on %d training images\n",
			m.Name(), models.ErrorPercent(met), rep.Criterion, scoredImages(icfg.Saliency.Samples, train.Len()))
	}
	// done is the mask of the last finished round, saved the model's
	// variables right after it.
	var (
		done  *regularizers.Mask
		saved [][]float64
	)
	scored := time.Now()
	finish := func(ctx context.Context, round int, mask *regularizers.Mask) error {
		rd := pruneRound{Sparsity: mask.Sparsity(), SaliencySeconds: number(time.Since(scored).Seconds())}
		met, err := evaluate(ctx, m, test, opts, false)
		if err != nil {
			return errors.WithMessage(err, "test set")
		}
		rd.PrunedTestLoss, rd.PrunedTestError = number(met.Loss), number(models.ErrorPercent(met))
		fmt.Fprintf(stderr, "zoo prune: round %d/%d: %.1f%% of the weights removed, test error %.2f%%\n",
			round+1, rounds, 100*mask.Sparsity(), models.ErrorPercent(met))
		if retrainEpochs > 0 {
			cfg, err := r.TrainingConfig()
			if err != nil {
				return err
			}
			cfg.PostSteps = append(cfg.PostSteps, mask)
			cfg.Log = stderr
			if _, err := training.Fit(ctx, m, train, val, cfg); err != nil {
				return err
			}
			met, err := evaluate(ctx, m, test, opts, false)
			if err != nil {
				return errors.WithMessage(err, "test set")
			}
			l, te := number(met.Loss), number(models.ErrorPercent(met))
			rd.RetrainedTestLoss, rd.RetrainedTestError = &l, &te
			fmt.Fprintf(stderr, "zoo prune: round %d/%d: retrained %d epochs, test error %.2f%%\n", round+1, rounds, retrainEpochs, models.ErrorPercent(met))
		}
		rep.Rounds = append(rep.Rounds, rd)
		done, saved = mask, snapshot(m.Store())
		scored = time.Now()
		return nil
	}
	if given != nil {
		if err = given.Apply(m.Store()); err == nil {
			err = finish(ctx, 0, given)
		}
	} else {
		_, err = regularizers.IterativePrune(ctx, m, train, icfg, finish)
	}
	var cancelled error
	switch {
	case err == nil:
	case ctx.Err() != nil && done != nil:
		cancelled, rep.Stopped = err, pruneCancelled
		if err := restore(m.Store(), saved); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if rep.Sparsity, err = regularizers.Report(m.Store(), 0, 20, nil); err != nil {
		return nil, err
	}
	last := rep.Rounds[len(rep.Rounds)-1]
	metrics := map[string]float64{"test_loss": float64(last.PrunedTestLoss), "test_error": float64(last.PrunedTestError)}
	if last.RetrainedTestError != nil {
		metrics["test_loss"], metrics["test_error"] = float64(*last.RetrainedTestLoss), float64(*last.RetrainedTestError)
	}
	rep.Checkpoint = filepath.Join(out, training.ModelFile)
	if err := models.Save(rep.Checkpoint, m, rec, models.SaveInfo{Epoch: ckpt.Epoch, Metrics: metrics, Stopped: ckpt.Stopped}); err != nil {
		return nil, err
	}
	rep.Mask = filepath.Join(out, maskFile)
	if err := saveMask(rep.Mask, done, m.Name()); err != nil {
		return nil, err
	}
	return rep, cancelled
}

// snapshot copies the values of every variable of s, parameters and
// buffers; restore writes them back.
func snapshot(s *graph.Store) [][]float64 {
	vars := s.Vars()
	out := make([][]float64, len(vars))
	for i, v := range vars {
		out[i] = v.Float64s()
	}
	return out
}

func restore(s *graph.Store, vals [][]float64) error {
	for i, v := range s.Vars() {
		if err := v.SetFloat64s(vals[i]); err != nil {
			return err
		}
	}
	return nil
}

func scoredImages(samples, n int) int {
	if samples > 0 && samples < n {
		return samples
	}
	return n
}

// retrainRecipe is the recipe retraining follows: the one stored in the
// checkpoint (else the model's registry recipe with the checkpoint's
// configuration), over epochs epochs without early stopping.
func retrainRecipe(rec *models.Recipe, m *models.Model, epochs int) (models.Recipe, error) {
	var r models.Recipe
	if rec != nil {
		r = *rec
	} else {
		e, err := models.Lookup(m.Name())
		if err != nil {
			return r, err
		}
		r = e.Recipe
		r.Config = m.Config()
	}
	r.Epochs, r.Patience = max(epochs, 1), 0
	return r.Normalized(), r.Validate()
}
