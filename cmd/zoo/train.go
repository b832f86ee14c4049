package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

const trainSynopsis = "train a model on MNIST (default: " + models.Default + " with its recipe), checkpoint it and score it on the test set"

func init() {
	register(command{name: "train", synopsis: trainSynopsis, run: runTrain})
}

// subsetStream is the PCG stream of the generator that draws --train-limit's
// class-balanced subset, rand.NewPCG(seed, subsetStream).
const subsetStream uint64 = 0x737562736574 // "subset"

// Files zoo train writes into --out besides Fit's checkpoints.
const (
	modelCheckpoint = "model.safetensors"
	resultFile      = "result.json"
	historyCSV      = "history.csv"
	historyJSONL    = "history.jsonl"
	curvesPNG       = "curves.png"
)

// trainFlags are zoo train's flags. Those whose default is the model's
// recipe are applied only when given (see resolve).
type trainFlags struct {
	model       modelFlags
	optimizer   string
	lr          float64
	momentum    float64
	nesterov    bool
	weightDecay float64
	schedule    string
	stepSize    int
	gamma       float64
	plateauPat  int
	clipNorm    float64
	batch       int
	epochs      int
	monitor     string
	patience    int
	minDelta    float64
	restoreBest bool
	valFrac     float64
	split       string
	seed        uint64
	trainLimit  int
	data        string
	strict      bool
	out         string
	resume      string
	proxL1      float64
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	f.model.register(fs)
	const recipe = " (default: the model's recipe)"
	fs.StringVar(&f.optimizer, "optimizer", "", "sgd, adam or adamw; another optimizer than the recipe's does not inherit its lr (default sgd 0.01, adam and adamw 0.001), momentum or weight decay"+recipe)
	fs.Float64Var(&f.lr, "lr", 0, "base learning rate"+recipe)
	fs.Float64Var(&f.momentum, "momentum", 0, "SGD momentum"+recipe)
	fs.BoolVar(&f.nesterov, "nesterov", false, "Nesterov momentum (sgd)"+recipe)
	fs.Float64Var(&f.weightDecay, "weight-decay", 0, "optimizer weight decay on weights only: coupled L2 (λ·w added to the gradient) for sgd and adam, decoupled for adamw, where 0 means AdamW's default 0.01"+recipe)
	fs.StringVar(&f.schedule, "schedule", "", "learning-rate schedule: none, step (×gamma every step-size epochs), exp (×gamma every epoch), cosine (to 0 over the epochs) or plateau (×gamma after plateau-patience epochs without a lower val_loss)"+recipe)
	fs.IntVar(&f.stepSize, "step-size", 0, "epochs between reductions of the step schedule"+recipe)
	fs.Float64Var(&f.gamma, "gamma", 0, "factor of the step (default 0.1), exp (required) and plateau (default 0.1) schedules"+recipe)
	fs.IntVar(&f.plateauPat, "plateau-patience", 2, "epochs without improvement before the plateau schedule reduces the learning rate")
	fs.Float64Var(&f.clipNorm, "clip-norm", 0, "clip the gradients' global L2 norm to this value; 0 = off")
	fs.IntVar(&f.batch, "batch", 0, "training batch size"+recipe)
	fs.IntVar(&f.epochs, "epochs", 0, "largest number of epochs"+recipe)
	fs.StringVar(&f.monitor, "monitor", "", "early stopping's metric: val_loss or val_acc"+recipe)
	fs.IntVar(&f.patience, "patience", 0, "early stopping: epochs without improvement of --monitor before stopping; 0 = no early stopping"+recipe)
	fs.Float64Var(&f.minDelta, "min-delta", 0, "early stopping: smallest change of --monitor that counts as an improvement")
	fs.BoolVar(&f.restoreBest, "restore-best", true, "with early stopping, end with the best epoch's weights (false: the last epoch's)")
	fs.Float64Var(&f.valFrac, "val-frac", 0, "fraction of the training set held out for validation, 0 <= f < 1"+recipe)
	fs.StringVar(&f.split, "split", string(datasets.SplitStratified), "held-out split: stratified (random within each class) or tail (the last samples, as Keras's validation_split)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of everything random: initial weights, validation split, --train-limit subset, batch order and dropout masks")
	fs.IntVar(&f.trainLimit, "train-limit", 0, "train on a class-balanced subset of N images of the training split (N a multiple of 10); 0 = all")
	fs.StringVar(&f.data, "data", "", "directory holding the four MNIST files, raw or gzipped (default: $"+datasets.EnvMNISTDir+", else the GoMNIST module in the Go module cache)")
	fs.BoolVar(&f.strict, "strict", false, "fail, rather than warn, when files in --data differ from the original MNIST")
	fs.StringVar(&f.out, "out", "", "output directory (default runs/MODEL-SEED)")
	fs.StringVar(&f.resume, "resume", "", "continue the run saved in this last.safetensors (give the same model, flags and data)")
	fs.Float64Var(&f.proxL1, "prox-l1", 0, "proximal L1: soft-threshold the weights by lr·λ after every step (exact zeros), instead of the --l1 subgradient penalty")
}

// trainPlan is the resolved training recipe: the model's recipe with the
// flags applied. It is part of the result and is stored in checkpoints.
type trainPlan struct {
	Optimizer       string  `json:"optimizer"`
	LR              float64 `json:"lr"`
	Momentum        float64 `json:"momentum"`
	Nesterov        bool    `json:"nesterov"`
	WeightDecay     float64 `json:"weight_decay"`
	Schedule        string  `json:"schedule"`
	StepSize        int     `json:"step_size,omitempty"`
	Gamma           float64 `json:"gamma,omitempty"`
	PlateauPatience int     `json:"plateau_patience,omitempty"`
	ClipNorm        float64 `json:"clip_norm"`
	BatchSize       int     `json:"batch_size"`
	Epochs          int     `json:"epochs"`
	Monitor         string  `json:"monitor"`
	Patience        int     `json:"patience"`
	MinDelta        float64 `json:"min_delta"`
	RestoreBest     bool    `json:"restore_best"`
	ValFrac         float64 `json:"val_frac"`
	Split           string  `json:"split"`
	Seed            uint64  `json:"seed"`
	TrainLimit      int     `json:"train_limit"`
	ProxL1          float64 `json:"prox_l1"`
}

// resolve applies the flags given on the command line to the recipe.
func (f *trainFlags) resolve(fs *flag.FlagSet, r models.Recipe) trainPlan {
	set := setFlags(fs)
	p := trainPlan{
		Optimizer: r.Optimizer, LR: r.LR, Momentum: r.Momentum, Nesterov: r.Nesterov, WeightDecay: r.WeightDecay,
		Schedule: r.Schedule, StepSize: r.StepSize, Gamma: r.Gamma, BatchSize: r.BatchSize, Epochs: r.Epochs,
		Monitor: r.Monitor, Patience: r.Patience, ValFrac: r.ValFrac,
		ClipNorm: f.clipNorm, MinDelta: f.minDelta, RestoreBest: f.restoreBest, Split: f.split, Seed: f.seed,
		TrainLimit: f.trainLimit, ProxL1: f.proxL1,
	}
	str := func(name string, dst *string, v string) {
		if set[name] {
			*dst = v
		}
	}
	num := func(name string, dst *float64, v float64) {
		if set[name] {
			*dst = v
		}
	}
	integer := func(name string, dst *int, v int) {
		if set[name] {
			*dst = v
		}
	}
	if set["optimizer"] && f.optimizer != p.Optimizer {
		// The recipe's hyperparameters belong to its optimizer.
		p.Optimizer, p.LR, p.Momentum, p.Nesterov, p.WeightDecay = f.optimizer, defaultLR(f.optimizer), 0, false, 0
	}
	num("lr", &p.LR, f.lr)
	num("momentum", &p.Momentum, f.momentum)
	if set["nesterov"] {
		p.Nesterov = f.nesterov
	}
	num("weight-decay", &p.WeightDecay, f.weightDecay)
	str("schedule", &p.Schedule, f.schedule)
	integer("step-size", &p.StepSize, f.stepSize)
	num("gamma", &p.Gamma, f.gamma)
	integer("batch", &p.BatchSize, f.batch)
	integer("epochs", &p.Epochs, f.epochs)
	str("monitor", &p.Monitor, f.monitor)
	integer("patience", &p.Patience, f.patience)
	num("val-frac", &p.ValFrac, f.valFrac)
	if p.Optimizer == "" {
		p.Optimizer = training.AlgorithmSGD
	}
	if p.Schedule == "" {
		p.Schedule = "none"
	}
	if p.Monitor == "" {
		p.Monitor = training.DefaultMonitor
	}
	if p.Schedule == "plateau" {
		p.PlateauPatience = f.plateauPat
	}
	return p
}

// defaultLR is the learning rate of an optimizer named on the command line
// without --lr: PyTorch's defaults (SGD has none there; 0.01 here).
func defaultLR(optimizer string) float64 {
	if optimizer == training.AlgorithmSGD {
		return 0.01
	}
	return 0.001
}

// config turns the plan into training.Config (without Log, OnBatch,
// Checkpoints and Meta). An error is a usage error.
func (p trainPlan) config(m *models.Model) (training.Config, error) {
	cfg := training.Config{Epochs: p.Epochs, BatchSize: p.BatchSize, Seed: p.Seed, ClipNorm: p.ClipNorm}
	switch {
	case p.Epochs < 1:
		return cfg, errors.Errorf("--epochs %d: want ≥ 1", p.Epochs)
	case p.BatchSize < 1:
		return cfg, errors.Errorf("--batch %d: want ≥ 1", p.BatchSize)
	case !(p.LR > 0) || math.IsInf(p.LR, 0):
		return cfg, errors.Errorf("--lr %v: want a finite number > 0", p.LR)
	case p.Patience < 0:
		return cfg, errors.Errorf("--patience %d: want ≥ 0", p.Patience)
	case p.TrainLimit < 0 || p.TrainLimit%mnistClasses != 0:
		return cfg, errors.Errorf("--train-limit %d: want a multiple of %d, ≥ 0", p.TrainLimit, mnistClasses)
	case p.Optimizer != training.AlgorithmSGD && p.Optimizer != training.AlgorithmAdam && p.Optimizer != training.AlgorithmAdamW:
		return cfg, errors.Errorf("--optimizer %q: want sgd, adam or adamw", p.Optimizer)
	case p.Optimizer != training.AlgorithmSGD && (p.Momentum != 0 || p.Nesterov):
		return cfg, errors.Errorf("--momentum and --nesterov apply to sgd, not %s", p.Optimizer)
	}
	if err := datasets.ValidateFraction(p.ValFrac); err != nil {
		return cfg, errors.WithMessage(err, "--val-frac")
	}
	if _, err := datasets.ParseSplitMethod(p.Split); err != nil {
		return cfg, errors.WithMessage(err, "--split")
	}
	var err error
	switch p.Optimizer {
	case training.AlgorithmSGD:
		cfg.Optimizer, err = training.NewSGD(training.SGDConfig{LR: p.LR, Momentum: p.Momentum, Nesterov: p.Nesterov, WeightDecay: p.WeightDecay})
	case training.AlgorithmAdam:
		cfg.Optimizer, err = training.NewAdam(training.AdamConfig{LR: p.LR, WeightDecay: p.WeightDecay})
	case training.AlgorithmAdamW:
		cfg.Optimizer, err = training.NewAdamW(training.AdamWConfig{LR: p.LR, WeightDecay: p.WeightDecay})
	default:
		return cfg, errors.Errorf("--optimizer %q: want sgd, adam or adamw", p.Optimizer)
	}
	if err != nil {
		return cfg, err
	}
	switch p.Schedule {
	case "none":
	case "step":
		cfg.Schedule = training.StepLR{StepSize: p.StepSize, Gamma: p.Gamma}
	case "exp":
		cfg.Schedule = training.ExponentialLR{Gamma: p.Gamma}
	case "cosine":
		cfg.Schedule = training.CosineAnnealingLR{TMax: p.Epochs}
	case "plateau":
		cfg.Plateau = &training.ReduceLROnPlateauConfig{Factor: p.Gamma, Patience: p.PlateauPatience}
	default:
		return cfg, errors.Errorf("--schedule %q: want none, step, exp, cosine or plateau", p.Schedule)
	}
	if p.Monitor != "val_loss" && p.Monitor != "val_acc" {
		return cfg, errors.Errorf("--monitor %q: want val_loss or val_acc", p.Monitor)
	}
	if p.Patience > 0 {
		cfg.EarlyStopping = &training.EarlyStoppingConfig{Monitor: p.Monitor, MinDelta: p.MinDelta, Patience: p.Patience, KeepLast: !p.RestoreBest}
	}
	if (cfg.EarlyStopping != nil || cfg.Plateau != nil) && p.ValFrac == 0 {
		return cfg, errors.New("early stopping (--patience > 0) and --schedule plateau need a validation split: set --val-frac > 0")
	}
	if p.ProxL1 != 0 {
		prox := regularizers.ProxL1{Lambda: p.ProxL1}
		if err := prox.Validate(); err != nil {
			return cfg, errors.WithMessage(err, "--prox-l1")
		}
		cfg.PostSteps = append(cfg.PostSteps, prox)
	}
	return cfg, cfg.Validate()
}

// trainMeta is the training configuration recorded in checkpoints.
type trainMeta struct {
	Model  string        `json:"model"`
	Config models.Config `json:"config"`
	Plan   trainPlan     `json:"plan"`
}

// trainResult is the JSON result of zoo train, also written to
// <out>/result.json. Epoch numbers count from 1 (history.csv's epoch
// column counts from 0). Metrics that were not measured are null.
type trainResult struct {
	Model  string        `json:"model"`
	Seed   uint64        `json:"seed"`
	Params int           `json:"params"`
	Config models.Config `json:"config"`
	Plan   trainPlan     `json:"plan"`
	Data   trainData     `json:"data"`
	// EpochsRun counts the epochs completed, BestEpoch is the epoch whose
	// weights early stopping kept (null without early stopping).
	EpochsRun int  `json:"epochs_run"`
	BestEpoch *int `json:"best_epoch"`
	// Stopped is max_epochs, early_stopping, diverged or cancelled.
	Stopped training.StopReason `json:"stopped"`
	// Restored reports whether the final weights are the best epoch's.
	Restored bool `json:"restored"`
	// The training-mode and validation metrics of the epoch whose weights
	// were evaluated: the best epoch if Restored, else the last.
	TrainLoss *number `json:"train_loss"`
	TrainAcc  *number `json:"train_acc"`
	ValLoss   *number `json:"val_loss"`
	ValAcc    *number `json:"val_acc"`
	// Test metrics on the full test set; TestError is in percent.
	TestLoss  *number `json:"test_loss"`
	TestAcc   *number `json:"test_acc"`
	TestError *number `json:"test_error"`
	// Checkpoint holds the evaluated weights; Last is Fit's resumable
	// checkpoint, Best its best-validation checkpoint. Each is null when
	// this run did not write it (files left by an earlier run in the same
	// directory are not reported).
	Checkpoint     *string `json:"checkpoint"`
	LastCheckpoint *string `json:"last_checkpoint"`
	BestCheckpoint *string `json:"best_checkpoint"`
	Out            string  `json:"out"`
	// Seconds is the wall time of the whole command, SecondsPerEpoch the
	// mean epoch time (training and validation).
	Seconds         number `json:"seconds"`
	SecondsPerEpoch number `json:"seconds_per_epoch"`
	// BLAS names the matrix-product backend (graph.BLASName): zoo's GEMM,
	// or OpenBLAS in a -tags openblas build.
	BLAS string `json:"blas"`
}

// trainData describes the data the run used.
type trainData struct {
	Dir    string `json:"dir"`
	Source string `json:"source"`
	Train  int    `json:"train"`
	Val    int    `json:"val"`
	Test   int    `json:"test"`
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("train", trainSynopsis+`.

zoo train [MODEL] [flags]

MODEL defaults to `+models.Default+`; zoo list shows the models and their recipes.
Every flag marked "default: the model's recipe" overrides that recipe only
when given. --seed seeds everything random: the initial weights, the
validation split, the --train-limit subset, the batch order and the dropout
masks, each from its own stream, so the same command gives the same result
bit for bit.

Writes into --out: last.safetensors (after every epoch, resumable with
--resume), best.safetensors (best validation epoch), model.safetensors (the
final, evaluated weights: the best epoch's with early stopping and
--restore-best), history.csv, history.jsonl, curves.png and result.json (the
JSON printed on stdout). Per-epoch lines go to stderr, with a progress bar
when stderr is a terminal. Ctrl-C stops after the current batch, saves
last.safetensors, prints the result with "stopped": "cancelled" and exits 1;
continue with --resume OUT/last.safetensors.`, stderr)
	var f trainFlags
	f.register(fs)
	pos, code, done := parseArgs(fs, args, 0, 1, "model name")
	if done {
		return code
	}
	name := models.Default
	if len(pos) == 1 {
		name = pos[0]
	}
	e, err := models.Lookup(name)
	if err != nil {
		return usageError(fs, err)
	}
	mcfg, err := f.model.config(fs, e)
	if err != nil {
		return usageError(fs, err)
	}
	plan := f.resolve(fs, e.Recipe)
	m, err := e.Build(mcfg, plan.Seed)
	if err != nil {
		return usageError(fs, err) // a configuration the architecture cannot take
	}
	tcfg, err := plan.config(m)
	if err != nil {
		return usageError(fs, err)
	}
	out := f.out
	if out == "" {
		out = filepath.Join("runs", fmt.Sprintf("%s-%d", name, plan.Seed))
	}
	t := &trainer{name: name, e: e, m: m, mcfg: mcfg, plan: plan, tcfg: tcfg, out: out, resume: f.resume, stdout: stdout, stderr: stderr}
	return t.run(ctx, dataFlags{dir: f.data, valFrac: plan.ValFrac, seed: plan.Seed, split: plan.Split, strict: f.strict})
}

// trainer is one zoo train run.
type trainer struct {
	name           string
	e              models.Entry
	m              *models.Model
	mcfg           models.Config
	plan           trainPlan
	tcfg           training.Config
	out, resume    string
	stdout, stderr io.Writer
}

func (t *trainer) run(ctx context.Context, df dataFlags) int {
	start := time.Now()
	s, err := loadSplits(ctx, df, t.stderr)
	if err != nil {
		return failure(t.stderr, "train", err)
	}
	train := s.train
	if n := t.plan.TrainLimit; n > 0 {
		idx, err := datasets.BalancedSubset(train.Y, train.NumClasses, n/train.NumClasses, rand.New(rand.NewPCG(t.plan.Seed, subsetStream)))
		if err != nil {
			return failure(t.stderr, "train", errors.WithMessagef(err, "--train-limit %d", n))
		}
		if train, err = train.Subset(idx); err != nil {
			return failure(t.stderr, "train", err)
		}
	}
	if err := os.MkdirAll(t.out, 0o755); err != nil {
		return failure(t.stderr, "train", errors.Wrap(err, "output directory"))
	}
	meta, err := json.Marshal(trainMeta{Model: t.name, Config: t.mcfg, Plan: t.plan})
	if err != nil {
		return failure(t.stderr, "train", errors.Wrap(err, "training configuration"))
	}
	cfg := t.tcfg
	cfg.Meta, cfg.Resume = meta, t.resume
	cfg.Checkpoints = &training.CheckpointConfig{Dir: t.out}
	cfg.Log = t.stderr
	if isTerminal(t.stderr) {
		bar := newProgressBar(t.stderr)
		cfg.Log, cfg.OnBatch = bar, bar.update
	}
	fmt.Fprintf(t.stderr, "zoo train: %s, %d parameters, on %d training and %d validation images; %s lr %g, batch %d, up to %d epochs; writing to %s\n",
		t.name, t.m.NumParams(), train.Len(), s.val.Len(), t.plan.Optimizer, t.plan.LR, t.plan.BatchSize, t.plan.Epochs, t.out)
	fmt.Fprintf(t.stderr, "zoo train: matrix products on %s, GOMAXPROCS %d\n", graph.BLASName(), runtime.GOMAXPROCS(0))
	var val *datasets.Dataset
	if s.val.Len() > 0 {
		val = s.val
	}
	hist, fitErr := training.Fit(ctx, t.m, train, val, cfg)
	if hist == nil {
		return failure(t.stderr, "train", fitErr)
	}
	r := t.result(hist, s, train.Len(), start)
	histErr := t.writeHistory(hist)
	code := exitOK
	switch {
	case fitErr == nil:
		if histErr != nil {
			return failure(t.stderr, "train", histErr)
		}
		if err := t.test(ctx, r, s.test); err != nil {
			return failure(t.stderr, "train", err)
		}
	case hist.Stopped == training.StopCancelled:
		if r.LastCheckpoint != nil {
			fmt.Fprintf(t.stderr, "zoo train: cancelled; %s holds the run, continue with --resume %s\n", *r.LastCheckpoint, *r.LastCheckpoint)
		} else {
			fmt.Fprintln(t.stderr, "zoo train: cancelled before the first checkpoint")
		}
		code = exitFailure
	case hist.Stopped == training.StopDiverged:
		fmt.Fprintf(t.stderr, "zoo train: %v\n", fitErr)
		code = exitFailure
	default: // an error that is not a way of stopping: no result to report
		return failure(t.stderr, "train", fitErr)
	}
	if histErr != nil {
		fmt.Fprintf(t.stderr, "zoo train: %v\n", histErr)
	}
	r.Seconds = number(time.Since(start).Seconds())
	if err := t.writeResult(r); err != nil {
		return failure(t.stderr, "train", err)
	}
	return code
}

// result fills in everything but the test metrics and the timing.
func (t *trainer) result(hist *training.History, s *splits, nTrain int, start time.Time) *trainResult {
	r := &trainResult{
		BLAS:  graph.BLASName(),
		Model: t.name, Seed: t.plan.Seed, Params: t.m.NumParams(), Config: t.mcfg, Plan: t.plan,
		Data:      trainData{Dir: s.mnist.Dir, Source: string(s.mnist.Source), Train: nTrain, Val: s.val.Len(), Test: s.test.Len()},
		EpochsRun: len(hist.Epochs), Stopped: hist.Stopped, Restored: hist.Restored, Out: t.out,
		LastCheckpoint: t.written(training.LastCheckpoint, start), BestCheckpoint: t.written(training.BestCheckpoint, start),
	}
	if hist.BestEpoch >= 0 {
		b := hist.BestEpoch + 1
		r.BestEpoch = &b
	}
	if len(hist.Epochs) > 0 {
		rec := hist.Last()
		if hist.Restored {
			rec = hist.Epochs[hist.BestEpoch]
		}
		hasVal := s.val.Len() > 0
		r.TrainLoss, r.TrainAcc = optNumber(rec.TrainLoss, true), optNumber(rec.TrainAcc, true)
		r.ValLoss, r.ValAcc = optNumber(rec.ValLoss, hasVal), optNumber(rec.ValAcc, hasVal)
		sum := 0.0
		for _, e := range hist.Epochs {
			sum += e.Seconds
		}
		r.SecondsPerEpoch = number(sum / float64(len(hist.Epochs)))
	}
	return r
}

// written returns the path of file in the output directory if this run
// wrote it (or, when resuming, if it exists), else nil.
func (t *trainer) written(file string, start time.Time) *string {
	path := filepath.Join(t.out, file)
	st, err := os.Stat(path)
	// Truncated to the second for file systems with coarse timestamps.
	if err != nil || (t.resume == "" && st.ModTime().Before(start.Truncate(time.Second))) {
		return nil
	}
	return &path
}

// test scores the final weights on the test set and saves them, with the
// scores, as model.safetensors.
func (t *trainer) test(ctx context.Context, r *trainResult, test *datasets.Dataset) error {
	met, err := evaluate(ctx, t.m, test, training.EvalOptions{BatchSize: min(1000, test.Len())}, false)
	if err != nil {
		return errors.WithMessage(err, "test set")
	}
	r.TestLoss, r.TestAcc = optNumber(met.Loss, true), optNumber(met.Accuracy, true)
	r.TestError = optNumber(errorPercent(met), true)
	fmt.Fprintf(t.stderr, "zoo train: test accuracy %.4f (error %.2f%%, loss %.4f) on %d images\n", met.Accuracy, errorPercent(met), met.Loss, met.N)
	cfgJSON, err := t.m.ConfigJSON()
	if err != nil {
		return err
	}
	meta, err := json.Marshal(trainMeta{Model: t.name, Config: t.mcfg, Plan: t.plan})
	if err != nil {
		return errors.Wrap(err, "training configuration")
	}
	metrics := map[string]float64{"test_loss": met.Loss, "test_acc": met.Accuracy}
	for k, v := range map[string]*number{"train_loss": r.TrainLoss, "train_acc": r.TrainAcc, "val_loss": r.ValLoss, "val_acc": r.ValAcc} {
		if v != nil {
			metrics[k] = float64(*v)
		}
	}
	path := filepath.Join(t.out, modelCheckpoint)
	c := &training.Checkpoint{
		ModelName: t.m.Name(), ModelConfig: cfgJSON, TrainingConfig: meta, Seed: t.plan.Seed,
		Epoch: r.EpochsRun, Metrics: metrics, Stopped: r.Stopped, Tensors: training.StoreTensors(t.m.Store()),
	}
	if err := training.SaveCheckpoint(path, c); err != nil {
		return err
	}
	r.Checkpoint = &path
	return nil
}

// writeHistory writes history.csv, history.jsonl and curves.png.
func (t *trainer) writeHistory(hist *training.History) error {
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{historyCSV, hist.WriteCSV}, {historyJSONL, hist.WriteJSONL}} {
		if err := writeFile(filepath.Join(t.out, f.name), f.write); err != nil {
			return err
		}
	}
	if len(hist.Epochs) == 0 {
		return nil
	}
	return hist.WriteCurvesPNG(filepath.Join(t.out, curvesPNG), t.name)
}

// writeResult prints the result and writes it to result.json.
func (t *trainer) writeResult(r *trainResult) error {
	if err := writeFile(filepath.Join(t.out, resultFile), func(w io.Writer) error { return writeJSON(w, r) }); err != nil {
		return err
	}
	return writeJSON(t.stdout, r)
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "create")
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = errors.Wrapf(cerr, "close %s", path)
		}
	}()
	return errors.WithMessage(write(f), path)
}
