package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/internal/fileio"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
	"github.com/gozoo/zoo/training/safetensors"
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
	Source        string  `json:"source"`
	Model         string  `json:"model"`
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
	// Sparsity is zoo sparsity's report of the pruned weights.
	Sparsity *regularizers.Sparsity `json:"sparsity"`
	Seconds  number                 `json:"seconds"`
}

func runPrune(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("prune", pruneSynopsis+`.

zoo prune MODEL_OR_CHECKPOINT --criterion obd|taylor|magnitude|random --sparsity S [--retrain-epochs E] --out DIR

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

Writes OUT/model.safetensors (the weights with their mask, "mask/<name>",
readable by zoo eval, predict and sparsity) and OUT/report.json (the JSON
printed on stdout: test error before pruning, after each round's pruning
and retraining, and the sparsity report).`, stderr)
	crit := fs.String("criterion", "obd", "saliency: obd, taylor, magnitude or random")
	target := fs.Float64("sparsity", 0.5, "fraction of the weights to remove, in [0, 1]")
	scope := fs.String("scope", "global", "rank over all weights (global) or within each layer (per-layer)")
	steps := fs.Int("steps", 1, "prune in this many rounds, retraining after each")
	retrain := fs.Int("retrain-epochs", 0, "epochs of retraining after each round (0: none)")
	samples := fs.Int("samples", 1000, "training images the obd and taylor criteria are computed on (0: all)")
	out := fs.String("out", "", "output directory (required)")
	dataDir := fs.String("data", "", "directory holding the four MNIST files, raw or gzipped (default: $"+datasets.EnvMNISTDir+", else the GoMNIST module in the Go module cache)")
	strict := fs.Bool("strict", false, "fail, rather than warn, when files in --data differ from the original MNIST")
	seed := fs.Uint64("seed", 1, "seed of the random criterion, and of the training run when MODEL_OR_CHECKPOINT is a model name")
	pos, code, done := parseArgs(fs, args, 1, 1, "model name or checkpoint")
	if done {
		return code
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
	rep, err := prune(ctx, src, icfg, *retrain, data, *out, stderr)
	if err != nil {
		return failure(stderr, "prune", err)
	}
	rep.Seconds = number(time.Since(start).Seconds())
	if err := writeJSONFile(filepath.Join(*out, "report.json"), rep); err != nil {
		return failure(stderr, "prune", err)
	}
	if err := writeJSON(stdout, rep); err != nil {
		return failure(stderr, "prune", err)
	}
	return exitOK
}

// prune runs the schedule on the checkpoint at src and writes the result
// into out.
func prune(ctx context.Context, src string, icfg regularizers.IterativeConfig, retrainEpochs int, data *datasets.MNIST, out string, stderr io.Writer) (*pruneReport, error) {
	m, ckpt, rec, err := models.Load(src)
	if err != nil {
		return nil, err
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
		TestLoss: number(met.Loss), TestError: number(models.ErrorPercent(met)),
	}
	fmt.Fprintf(stderr, "zoo prune: %s, test error %.2f%% before pruning; %s saliency on %d training images\n",
		m.Name(), models.ErrorPercent(met), rep.Criterion, scoredImages(icfg.Saliency.Samples, train.Len()))
	fractions := icfg.Fractions()
	scored := time.Now()
	retrain := func(ctx context.Context, round int, mask *regularizers.Mask) error {
		rd := pruneRound{Sparsity: mask.Sparsity(), SaliencySeconds: number(time.Since(scored).Seconds())}
		met, err := evaluate(ctx, m, test, opts, false)
		if err != nil {
			return errors.WithMessage(err, "test set")
		}
		rd.PrunedTestLoss, rd.PrunedTestError = number(met.Loss), number(models.ErrorPercent(met))
		fmt.Fprintf(stderr, "zoo prune: round %d/%d: %.1f%% of the weights removed, test error %.2f%%\n",
			round+1, len(fractions), 100*mask.Sparsity(), models.ErrorPercent(met))
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
			fmt.Fprintf(stderr, "zoo prune: round %d/%d: retrained %d epochs, test error %.2f%%\n", round+1, len(fractions), retrainEpochs, models.ErrorPercent(met))
		}
		rep.Rounds = append(rep.Rounds, rd)
		scored = time.Now()
		return nil
	}
	mask, err := regularizers.IterativePrune(ctx, m, train, icfg, retrain)
	if err != nil {
		return nil, err
	}
	if rep.Sparsity, err = regularizers.Report(m.Store(), 0, 20, nil); err != nil {
		return nil, err
	}
	metrics := map[string]float64{}
	if n := len(rep.Rounds); n > 0 {
		last := rep.Rounds[n-1]
		metrics["test_loss"], metrics["test_error"] = float64(last.PrunedTestLoss), float64(last.PrunedTestError)
		if last.RetrainedTestError != nil {
			metrics["test_loss"], metrics["test_error"] = float64(*last.RetrainedTestLoss), float64(*last.RetrainedTestError)
		}
	}
	rep.Checkpoint = filepath.Join(out, training.ModelFile)
	if err := models.Save(rep.Checkpoint, m, rec, models.SaveInfo{Epoch: ckpt.Epoch, Metrics: metrics, Stopped: ckpt.Stopped}); err != nil {
		return nil, err
	}
	rep.Mask = filepath.Join(out, maskFile)
	if err := saveMask(rep.Mask, mask); err != nil {
		return nil, err
	}
	return rep, nil
}

// maskFile holds the pruning mask beside the pruned model.safetensors.
const maskFile = "mask.safetensors"

// saveMask writes the mask's tensors (regularizers.Mask.Tensors: 1 kept, 0
// pruned, named "mask/<parameter>") as a safetensors file;
// regularizers.MaskFromTensors reads them back.
func saveMask(path string, mask *regularizers.Mask) (err error) {
	ts := mask.Tensors()
	names := make([]string, 0, len(ts))
	for name := range ts {
		names = append(names, name)
	}
	slices.Sort(names)
	var list []safetensors.Tensor
	for _, name := range names {
		list = append(list, safetensors.Tensor{Name: name, Dense: ts[name]})
	}
	return errors.WithMessage(fileio.Write(path, func(w io.Writer) error {
		return safetensors.Write(w, list, map[string]string{"format": "zoo-mask"})
	}), "mask")
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
