package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

const trainSynopsis = "train a model on MNIST (default: " + models.Default + " with its recipe), checkpoint it and score it on the test set"

func init() {
	register(command{name: "train", synopsis: trainSynopsis, run: runTrain})
}

// trainHelp is zoo train's help text after the synopsis.
const trainHelp = `.

zoo train [MODEL] [flags]
zoo train --recipe FILE [flags]

MODEL defaults to ` + models.Default + `; zoo list shows the models and their recipes.
The flags bind onto a copy of the model's recipe: every flag marked
"default: the model's recipe" changes that recipe only when given.
--recipe starts instead from a recipe.json or from the recipe stored in a
checkpoint (model.safetensors, last.safetensors), so that a run is
re-created bit for bit; flags given with it change that recipe. --seed seeds
everything random: the initial weights, the validation split, the
--train-limit subset, the batch order and the dropout masks, each from its
own stream, so the same recipe gives the same result bit for bit.

Writes into --out: last.safetensors (after every epoch, resumable with
--resume), best.safetensors (best validation epoch), model.safetensors (the
final, evaluated weights: the best epoch's with early stopping and
--restore-best), history.csv, history.jsonl, curves.png and result.json (the
JSON printed on stdout, with the whole recipe). Epochs are numbered from 1
everywhere. Per-epoch lines go to stderr, with a progress bar when stderr is
a terminal. Ctrl-C stops after the current batch, saves last.safetensors,
prints the result with "stopped": "cancelled" and exits 1; continue with
--resume OUT/last.safetensors.`

// trainFlags are zoo train's flags that are not part of the recipe.
type trainFlags struct {
	data, out, resume, recipe string
	strict, allowChange       bool
	config                    *configFlags
	optimizer                 string
	ensemble                  ensembleFlags
}

// bindRecipe defines zoo train's flags on fs, the recipe's bound to r.
func bindRecipe(fs *flag.FlagSet, r *models.Recipe) *trainFlags {
	f := &trainFlags{}
	f.config = bindConfig(fs, &r.Config)
	const recipe = " (default: the model's recipe)"
	f.optimizer = r.Optimizer
	fs.StringVar(&r.Optimizer, "optimizer", r.Optimizer, "sgd, adam or adamw; another optimizer than the recipe's does not inherit its lr (default sgd 0.01, adam and adamw 0.001), momentum or weight decay"+recipe)
	fs.Float64Var(&r.LR, "lr", r.LR, "base learning rate"+recipe)
	fs.Float64Var(&r.Momentum, "momentum", r.Momentum, "SGD momentum"+recipe)
	fs.BoolVar(&r.Nesterov, "nesterov", r.Nesterov, "Nesterov momentum (sgd)"+recipe)
	fs.Float64Var(&r.WeightDecay, "weight-decay", r.WeightDecay, "optimizer weight decay on weights only: coupled L2 (λ·w added to the gradient) for sgd and adam, decoupled for adamw, where 0 means AdamW's default 0.01"+recipe)
	fs.StringVar(&r.Schedule, "schedule", r.Schedule, "learning-rate schedule: none, step (×gamma every step-size epochs), exp (×gamma every epoch), cosine (to 0 over the epochs) or plateau (×gamma after plateau-patience epochs without a lower val_loss)"+recipe)
	fs.IntVar(&r.StepSize, "step-size", r.StepSize, "epochs between reductions of the step schedule"+recipe)
	fs.Float64Var(&r.Gamma, "gamma", r.Gamma, "factor of the step (default 0.1), exp (required) and plateau (default 0.1) schedules"+recipe)
	fs.IntVar(&r.PlateauPatience, "plateau-patience", r.PlateauPatience, "epochs without improvement before the plateau schedule reduces the learning rate (0: 2)")
	fs.Float64Var(&r.ClipNorm, "clip-norm", r.ClipNorm, "clip the gradients' global L2 norm to this value; 0 = off")
	fs.IntVar(&r.BatchSize, "batch", r.BatchSize, "training batch size"+recipe)
	fs.IntVar(&r.Epochs, "epochs", r.Epochs, "largest number of epochs"+recipe)
	fs.StringVar(&r.Monitor, "monitor", r.Monitor, "early stopping's metric: val_loss or val_acc"+recipe)
	fs.IntVar(&r.Patience, "patience", r.Patience, "early stopping: epochs without improvement of --monitor before stopping; 0 = no early stopping"+recipe)
	fs.Float64Var(&r.MinDelta, "min-delta", r.MinDelta, "early stopping: smallest change of --monitor that counts as an improvement")
	fs.Var(invertedBool{&r.KeepLast}, "restore-best", "with early stopping, end with the best epoch's weights (false: the last epoch's) (default true)")
	fs.Float64Var(&r.ValFrac, "val-frac", r.ValFrac, "fraction of the training set held out for validation, 0 <= f < 1"+recipe)
	fs.StringVar(&r.Split, "split", r.Split, "held-out split: stratified (random within each class, the default) or tail (the last samples, as Keras's validation_split)")
	fs.Uint64Var(&r.Seed, "seed", r.Seed, "seed of everything random: initial weights, validation split, --train-limit subset, batch order and dropout masks")
	fs.IntVar(&r.TrainLimit, "train-limit", r.TrainLimit, "train on a class-balanced subset of N images of the training split (N a multiple of 10); 0 = all")
	fs.StringVar(&f.data, "data", "", "directory holding the four MNIST files, raw or gzipped (default: $"+datasets.EnvMNISTDir+", else the GoMNIST module in the Go module cache)")
	fs.BoolVar(&f.strict, "strict", false, "fail, rather than warn, when files in --data differ from the original MNIST")
	fs.StringVar(&f.out, "out", "", "output directory (default runs/MODEL-SEED)")
	fs.StringVar(&f.resume, "resume", "", "continue the run saved in this last.safetensors, with the recipe stored in it; flags that change the recipe are refused, listing the changes, unless --allow-recipe-change")
	fs.BoolVar(&f.allowChange, "allow-recipe-change", false, "with --resume, accept flags that change the checkpoint's recipe (the result then says \"continuation\": \"changed\" and lists the changes)")
	fs.StringVar(&f.recipe, "recipe", "", "start from this recipe (a recipe.json, a result.json's recipe saved alone, or a checkpoint) instead of MODEL's")
	f.ensemble.register(fs)
	return f
}

// invertedBool binds a flag to the negation of a bool (--restore-best to
// Recipe.KeepLast).
type invertedBool struct{ dst *bool }

func (b invertedBool) String() string {
	if b.dst == nil {
		return "true"
	}
	return strconv.FormatBool(!*b.dst)
}

func (b invertedBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.dst = !v
	return nil
}

func (invertedBool) IsBoolFlag() bool { return true }

// defaultLR is the learning rate of an optimizer named on the command line
// without --lr: PyTorch's defaults (SGD has none there; 0.01 here).
func defaultLR(optimizer string) float64 {
	if optimizer == training.AlgorithmSGD {
		return 0.01
	}
	return 0.001
}

// recipeFlag maps a recipe field (its JSON name) to the flag that sets it.
var recipeFlag = map[string]string{"batch_size": "batch", "keep_last": "restore-best", "model": "recipe",
	"weight_elimination": "weight-elim", "weight_elimination_w0": "weight-elim-w0"}

// recipeUsage turns a recipe validation error into a usage message that
// names the flag.
func recipeUsage(err error) error {
	var re *models.RecipeError
	if !errors.As(err, &re) {
		return err
	}
	if re.Field == "config" {
		return re.Err
	}
	return errors.Errorf("--%s %v", flagFor(re.Field), re.Err)
}

// flagFor names the flag that sets a recipe field (its JSON name).
func flagFor(field string) string {
	if name, ok := recipeFlag[field]; ok {
		return name
	}
	return strings.ReplaceAll(field, "_", "-")
}

// parseTrain parses zoo train's command line into the run's recipe (the
// model's or --recipe's, with the flags given applied, validated) and the
// flags that are not part of it. done reports that the command must return
// code at once (help, or a usage error already printed).
func parseTrain(args []string, stderr io.Writer) (r models.Recipe, f *trainFlags, code int, done bool) {
	// Parse once against the default model's recipe to find MODEL and
	// --recipe, then bind the flags to the right recipe and replay them.
	first, _ := models.Lookup(models.Default)
	r0 := first.Recipe
	fs := newFlagSet("train", trainSynopsis+trainHelp, stderr)
	f = bindRecipe(fs, &r0)
	pos, code, done := parseArgs(fs, args, 0, 1, "model name")
	if done {
		return r, f, code, true
	}
	fail := func(err error) (models.Recipe, *trainFlags, int, bool) { return r, f, usageError(fs, err), true }
	var base models.Recipe
	switch {
	case f.resume != "" && f.recipe == "":
		// The checkpoint's (or the ensemble's) recipe is the run's recipe.
		rec, err := resumeRecipe(f.resume)
		if err != nil {
			return r, f, failure(stderr, "train", errors.WithMessage(err, "--resume")), true
		}
		if len(pos) == 1 && pos[0] != rec.Model {
			return fail(errors.Errorf("model %s contradicts the checkpoint's model %s", pos[0], rec.Model))
		}
		base = rec
	case f.recipe != "":
		rec, err := models.ReadRecipe(f.recipe)
		if err != nil {
			return fail(errors.WithMessage(err, "--recipe"))
		}
		if len(pos) == 1 && pos[0] != rec.Model {
			return fail(errors.Errorf("model %s contradicts the recipe's model %s", pos[0], rec.Model))
		}
		base = rec
	default:
		name := models.Default
		if len(pos) == 1 {
			name = pos[0]
		}
		e, err := models.Lookup(name)
		if err != nil {
			return fail(err)
		}
		base = e.Recipe
	}
	r = base
	on := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	on.SetOutput(io.Discard)
	f = bindRecipe(on, &r)
	if err := replay(fs, on); err != nil {
		return fail(err)
	}
	set := setFlags(on)
	if set["optimizer"] && r.Optimizer != base.Optimizer {
		// The recipe's hyperparameters belong to its optimizer.
		if !set["lr"] {
			r.LR = defaultLR(r.Optimizer)
		}
		if !set["momentum"] {
			r.Momentum = 0
		}
		if !set["nesterov"] {
			r.Nesterov = false
		}
		if !set["weight-decay"] {
			r.WeightDecay = 0
		}
	}
	if err := f.config.finish(on, &r.Config); err != nil {
		return fail(err)
	}
	if err := r.Validate(); err != nil {
		return fail(recipeUsage(err))
	}
	if f.resume != "" && !f.allowChange {
		changes, err := models.DiffRecipes(base, r)
		if err != nil {
			return fail(err)
		}
		if len(changes) > 0 {
			s := make([]string, len(changes))
			for i, c := range changes {
				s[i] = "--" + flagFor(strings.TrimPrefix(c.Field, "config.")) + " " + strings.TrimPrefix(c.String(), c.Field+": ")
			}
			return fail(errors.Errorf("--resume %s: these flags change the checkpoint's recipe: %s (add --allow-recipe-change to go on with them; the run is then no longer a pure continuation)", f.resume, strings.Join(s, ", ")))
		}
	}
	if err := f.ensemble.validate(); err != nil {
		return fail(err)
	}
	return r.Normalized(), f, exitOK, false
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	r, f, code, done := parseTrain(args, stderr)
	if done {
		return code
	}
	out := f.out
	if out == "" {
		out = filepath.Join("runs", fmt.Sprintf("%s-%d", r.Model, r.Seed))
	}
	data, err := loadMNIST(ctx, f.data, f.strict, stderr)
	if err != nil {
		return failure(stderr, "train", err)
	}
	if f.ensemble.members > 0 {
		return trainEnsemble(ctx, r, f.ensemble, f.resume, out, data, stdout, stderr)
	}
	opts := models.TrainOptions{Out: out, Resume: f.resume, AllowRecipeChange: f.allowChange, Log: stderr}
	if isTerminal(stderr) {
		bar := newProgressBar(stderr)
		opts.Log, opts.OnBatch = bar, bar.update
	}
	res, _, err := models.Train(ctx, r, data, opts)
	if res == nil {
		return failure(stderr, "train", err)
	}
	code = exitOK
	switch {
	case err == nil:
	case res.Stopped == training.StopCancelled:
		if res.LastCheckpoint != "" {
			fmt.Fprintf(stderr, "zoo train: cancelled; %s holds the run, continue with --resume %s\n", res.LastCheckpoint, res.LastCheckpoint)
		} else {
			fmt.Fprintln(stderr, "zoo train: cancelled before the first checkpoint")
		}
		code = exitFailure
	case res.Stopped == training.StopDiverged:
		fmt.Fprintf(stderr, "zoo train: %v\n", err)
		code = exitFailure
	default:
		fmt.Fprintf(stderr, "zoo train: %v\n", err)
		code = exitFailure
	}
	if err := writeJSON(stdout, res); err != nil {
		return failure(stderr, "train", err)
	}
	return code
}
