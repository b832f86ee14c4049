package models

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/fileio"
	"github.com/gozoo/zoo/training"
)

// Random streams of a recipe's seed besides the model's initial weights
// (stream 0) and training.Fit's own: rand.NewPCG(seed, stream).
const (
	// SplitStream draws the stratified validation split.
	SplitStream uint64 = 0x73706c6974 // "split"
	// SubsetStream draws the TrainLimit class-balanced subset.
	SubsetStream uint64 = 0x737562736574 // "subset"
)

// Files [Train] writes into TrainOptions.Out besides training.Fit's
// checkpoints (last.safetensors, best.safetensors).
const (
	ResultFile   = "result.json"
	HistoryCSV   = "history.csv"
	HistoryJSONL = "history.jsonl"
	CurvesPNG    = "curves.png"
)

// TrainOptions are the parts of a training run that are not the recipe:
// where it writes, what it logs, and whether it continues a saved run.
// None of them changes the trained numbers.
type TrainOptions struct {
	// Out, if non-empty, is the output directory: training.Fit's
	// checkpoints, model.safetensors (the evaluated weights), history.csv,
	// history.jsonl, curves.png and result.json. Empty: nothing is written.
	// Train holds an exclusive lock on it (training.LockDir) for the whole
	// run and first removes the temporary files of interrupted writes.
	Out string
	// Resume is a last.safetensors written by a run of the same recipe;
	// training continues from it bit for bit. It needs Out. A recipe that
	// differs from the one stored in the checkpoint is refused with
	// ErrRecipeChanged listing the differences, unless AllowRecipeChange:
	// then the run goes on with the new recipe, and the result lists the
	// changes and says it is not a pure continuation.
	Resume            string
	AllowRecipeChange bool
	// Log receives a header, one line per epoch and the test score.
	Log io.Writer
	// OnBatch, if set, is called after every training step.
	OnBatch func(training.Progress)
}

// Number is a float64 whose JSON form is null when it is NaN or infinite
// (a metric that was not or could not be measured).
type Number float64

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON implements json.Unmarshaler; null reads as NaN.
func (n *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Number(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.Wrap(err, "models: number")
	}
	*n = Number(f)
	return nil
}

// DataInfo describes the data a run used.
type DataInfo struct {
	Dir    string `json:"dir"`
	Source string `json:"source"`
	Train  int    `json:"train"`
	Val    int    `json:"val"`
	Test   int    `json:"test"`
}

// Result is what a training run reports, and result.json's content. Epochs
// are numbered from 1 here, as everywhere a user sees them. Metrics that
// were not measured are NaN (null in JSON).
type Result struct {
	Model  string   `json:"model"`
	Recipe Recipe   `json:"recipe"`
	Params int      `json:"params"`
	Data   DataInfo `json:"data"`
	// EpochsRun counts the epochs completed; BestEpoch is the epoch whose
	// weights early stopping kept (null without early stopping).
	EpochsRun int  `json:"epochs_run"`
	BestEpoch *int `json:"best_epoch"`
	// Stopped is max_epochs, early_stopping, diverged or cancelled.
	Stopped training.StopReason `json:"stopped"`
	// Restored reports whether the final weights are the best epoch's.
	Restored bool `json:"restored"`
	// The training-mode and validation metrics of the epoch whose weights
	// were evaluated: the best epoch if Restored, else the last.
	TrainLoss Number `json:"train_loss"`
	TrainAcc  Number `json:"train_acc"`
	ValLoss   Number `json:"val_loss"`
	ValAcc    Number `json:"val_acc"`
	// Test metrics on the test set; TestError is in percent.
	TestLoss  Number `json:"test_loss"`
	TestAcc   Number `json:"test_acc"`
	TestError Number `json:"test_error"`
	// Checkpoint holds the evaluated weights; LastCheckpoint is Fit's
	// resumable checkpoint, BestCheckpoint its best-validation checkpoint.
	// Each is empty when this run did not write it.
	Checkpoint     string `json:"checkpoint,omitempty"`
	LastCheckpoint string `json:"last_checkpoint,omitempty"`
	BestCheckpoint string `json:"best_checkpoint,omitempty"`
	Out            string `json:"out,omitempty"`
	// Seconds is the wall time of the run, SecondsPerEpoch the mean epoch
	// time (training and validation).
	Seconds         Number `json:"seconds"`
	SecondsPerEpoch Number `json:"seconds_per_epoch"`
	// BLAS names the matrix-product backend (graph.BLASName).
	BLAS string `json:"blas"`
	// Continuation is set when the run resumed a checkpoint: "pure" when
	// the recipe was the checkpoint's, so the weights are those of an
	// uninterrupted run, "changed" when RecipeChanges lists differences.
	Continuation  string         `json:"continuation,omitempty"`
	RecipeChanges []RecipeChange `json:"recipe_changes,omitempty"`
}

// ErrorPercent is the percentage of misclassified samples, computed from
// counts so that 93 wrong of 200 is 46.5, not 46.499999999999996; NaN for
// no samples.
func ErrorPercent(met training.Metrics) float64 {
	if met.N == 0 {
		return math.NaN()
	}
	wrong := met.N - int(math.Round(met.Accuracy*float64(met.N)))
	return 100 * float64(wrong) / float64(met.N)
}

// Splits returns the recipe's training and validation sets from a full
// training set: the held-out split (Split, ValFrac, drawn from the seed),
// then the TrainLimit subset of the training part.
func (r Recipe) Splits(full *datasets.Dataset) (train, val *datasets.Dataset, err error) {
	r = r.withDefaults()
	train, val, err = full.Split(datasets.SplitMethod(r.Split), r.ValFrac, rand.New(rand.NewPCG(r.Seed, SplitStream)))
	if err != nil {
		return nil, nil, errors.WithMessage(err, "models: split the training set")
	}
	if n := r.TrainLimit; n > 0 {
		idx, err := datasets.BalancedSubset(train.Y, train.NumClasses, n/train.NumClasses, rand.New(rand.NewPCG(r.Seed, SubsetStream)))
		if err != nil {
			return nil, nil, errors.WithMessagef(err, "models: train_limit %d", n)
		}
		if train, err = train.Subset(idx); err != nil {
			return nil, nil, err
		}
	}
	return train, val, nil
}

// Train runs the recipe on MNIST (data from datasets.LoadMNIST): it builds
// the model, splits the training set, trains with training.Fit (early
// stopping, checkpoints and resumption as the recipe and opts say), scores
// the final weights on the test set and, with opts.Out, saves them as
// model.safetensors with the recipe and the scores, and writes the history
// and result.json.
//
// When training is cancelled (ctx) or diverges, Train returns the result so
// far (no test score) with the error; any other error comes with a nil
// result.
func Train(ctx context.Context, r Recipe, data *datasets.MNIST, opts TrainOptions) (*Result, *Model, error) {
	start := time.Now()
	if err := r.Validate(); err != nil {
		return nil, nil, err
	}
	if data == nil || data.Train == nil || data.Test == nil {
		return nil, nil, errors.New("models: train: no data")
	}
	if opts.Resume != "" && opts.Out == "" {
		return nil, nil, errors.New("models: train: resuming needs an output directory")
	}
	r = r.Normalized()
	var changes []RecipeChange
	if opts.Resume != "" {
		var err error
		if changes, err = resumeChanges(opts.Resume, r, opts.AllowRecipeChange); err != nil {
			return nil, nil, err
		}
	}
	m, err := r.Build()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := r.TrainingConfig()
	if err != nil {
		return nil, nil, err
	}
	train, val, err := r.Splits(data.Train)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Meta, err = r.JSON(); err != nil {
		return nil, nil, err
	}
	cfg.Log, cfg.OnBatch = opts.Log, opts.OnBatch
	// The test evaluation reuses the memory of Fit's graphs.
	cfg.Arena = new(graph.Arena)
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format, args...)
		}
	}
	if opts.Out != "" {
		// One run per output directory: a second is refused, naming the
		// holder. With the lock held, temporary files there are leftovers
		// of a killed write.
		unlock, err := training.LockDir(opts.Out)
		if err != nil {
			return nil, nil, err
		}
		defer unlock()
		stale, err := training.RemoveStaleTemps(opts.Out)
		if err != nil {
			return nil, nil, err
		}
		if len(stale) > 0 {
			logf("zoo train: removed %d temporary files an interrupted run left in %s: %s\n", len(stale), opts.Out, strings.Join(stale, ", "))
		}
		cfg.Checkpoints = &training.CheckpointConfig{Dir: opts.Out}
		cfg.Resume = opts.Resume
	}
	where := ""
	if opts.Out != "" {
		where = "; writing to " + opts.Out
	}
	logf("zoo train: %s, %d parameters, on %d training and %d validation images; %s lr %g, batch %d, up to %d epochs%s\n",
		r.Model, m.NumParams(), train.Len(), val.Len(), r.Optimizer, r.LR, r.BatchSize, r.Epochs, where)
	logf("zoo train: matrix products on %s, GOMAXPROCS %d\n", graph.BLASName(), runtime.GOMAXPROCS(0))
	var v *datasets.Dataset
	if val.Len() > 0 {
		v = val
	}
	hist, fitErr := training.Fit(ctx, m, train, v, cfg)
	if hist == nil {
		return nil, m, fitErr
	}
	res := newResult(r, m, hist, data, train.Len(), val.Len(), opts, start)
	if opts.Resume != "" {
		res.Continuation, res.RecipeChanges = "pure", changes
		if len(changes) > 0 {
			res.Continuation = "changed"
			logf("zoo train: resumed with %d recipe changes; the run is no longer a pure continuation of %s\n", len(changes), opts.Resume)
		}
	}
	var histErr error
	if opts.Out != "" {
		histErr = writeHistory(opts.Out, r.Model, hist)
	}
	if fitErr == nil {
		if histErr != nil {
			return nil, m, histErr
		}
		if err := res.test(ctx, m, data.Test, opts, cfg.Arena, logf); err != nil {
			return nil, m, err
		}
	}
	res.Seconds = Number(time.Since(start).Seconds())
	if opts.Out != "" {
		if err := writeJSONFile(filepath.Join(opts.Out, ResultFile), res); err != nil {
			return nil, m, err
		}
	}
	if fitErr == nil {
		fitErr = histErr
	}
	return res, m, fitErr
}

func newResult(r Recipe, m *Model, hist *training.History, data *datasets.MNIST, nTrain, nVal int, opts TrainOptions, start time.Time) *Result {
	nan := Number(math.NaN())
	res := &Result{
		Model: r.Model, Recipe: r, Params: m.NumParams(), BLAS: graph.BLASName(),
		Data:      DataInfo{Dir: data.Dir, Source: string(data.Source), Train: nTrain, Val: nVal, Test: data.Test.Len()},
		EpochsRun: len(hist.Epochs), Stopped: hist.Stopped, Restored: hist.Restored, Out: opts.Out,
		TrainLoss: nan, TrainAcc: nan, ValLoss: nan, ValAcc: nan, TestLoss: nan, TestAcc: nan, TestError: nan,
		Seconds: nan, SecondsPerEpoch: nan,
	}
	if opts.Out != "" {
		res.LastCheckpoint = written(opts, training.LastCheckpoint, start)
		res.BestCheckpoint = written(opts, training.BestCheckpoint, start)
	}
	if hist.BestEpoch >= 0 {
		b := hist.BestEpoch + 1
		res.BestEpoch = &b
	}
	if len(hist.Epochs) > 0 {
		rec := hist.Last()
		if hist.Restored {
			rec = hist.Epochs[hist.BestEpoch]
		}
		res.TrainLoss, res.TrainAcc = Number(rec.TrainLoss), Number(rec.TrainAcc)
		if nVal > 0 {
			res.ValLoss, res.ValAcc = Number(rec.ValLoss), Number(rec.ValAcc)
		}
		sum := 0.0
		for _, e := range hist.Epochs {
			sum += e.Seconds
		}
		res.SecondsPerEpoch = Number(sum / float64(len(hist.Epochs)))
	}
	return res
}

// written returns the path of file in the output directory if this run
// wrote it (or, when resuming, if it exists), else "".
func written(opts TrainOptions, file string, start time.Time) string {
	path := filepath.Join(opts.Out, file)
	st, err := os.Stat(path)
	// Truncated to the second for file systems with coarse timestamps.
	if err != nil || (opts.Resume == "" && st.ModTime().Before(start.Truncate(time.Second))) {
		return ""
	}
	return path
}

// test scores the final weights on the test set, its graph's memory in
// arena, and, with an output directory, saves them with the recipe and the
// scores as model.safetensors.
func (res *Result) test(ctx context.Context, m *Model, test *datasets.Dataset, opts TrainOptions, arena *graph.Arena, logf func(string, ...any)) error {
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: min(1000, test.Len()), Arena: arena})
	if err != nil {
		return err
	}
	met, err := ev.Evaluate(ctx, test, false)
	if cerr := ev.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.WithMessage(err, "models: test set")
	}
	res.TestLoss, res.TestAcc, res.TestError = Number(met.Loss), Number(met.Accuracy), Number(ErrorPercent(met))
	logf("zoo train: test accuracy %.4f (error %.2f%%, loss %.4f) on %d images\n", met.Accuracy, ErrorPercent(met), met.Loss, met.N)
	if opts.Out == "" {
		return nil
	}
	metrics := map[string]float64{"test_loss": met.Loss, "test_acc": met.Accuracy}
	for k, v := range map[string]Number{"train_loss": res.TrainLoss, "train_acc": res.TrainAcc, "val_loss": res.ValLoss, "val_acc": res.ValAcc} {
		if !math.IsNaN(float64(v)) {
			metrics[k] = float64(v)
		}
	}
	path := filepath.Join(opts.Out, training.ModelFile)
	if err := Save(path, m, &res.Recipe, SaveInfo{Epoch: res.EpochsRun, Metrics: metrics, Stopped: res.Stopped}); err != nil {
		return err
	}
	res.Checkpoint = path
	return nil
}

// writeHistory writes history.csv, history.jsonl and curves.png.
func writeHistory(dir, title string, hist *training.History) error {
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{HistoryCSV, hist.WriteCSV}, {HistoryJSONL, hist.WriteJSONL}} {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	if len(hist.Epochs) == 0 {
		return nil
	}
	return hist.WriteCurvesPNG(filepath.Join(dir, CurvesPNG), title)
}

// writeJSONFile writes v as indented JSON.
func writeJSONFile(path string, v any) error {
	return writeFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return errors.Wrap(enc.Encode(v), "models: encode")
	})
}

// writeFile creates path and fills it with write.
func writeFile(path string, write func(io.Writer) error) error {
	return errors.WithMessage(fileio.Write(path, write), "models")
}
