package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/ensemble"
	"github.com/gozoo/zoo/internal/fileio"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

const evalSynopsis = "score a trained model (shipped weights or a checkpoint) on the full MNIST test set: loss, accuracy, per-class accuracy, confusion matrix"

func init() {
	register(command{name: "eval", synopsis: evalSynopsis, run: runEval})
}

// evalReport is the JSON result of zoo eval.
type evalReport struct {
	Checkpoint string        `json:"checkpoint"`
	Model      string        `json:"model"`
	Config     models.Config `json:"config"`
	Data       string        `json:"data"`
	// N is the number of test images scored, each exactly once.
	N         int `json:"n"`
	MCSamples int `json:"mc_samples"`
	// TestLoss is the mean cross-entropy, TestAcc the fraction correct and
	// TestError the percentage wrong, 100·(1 − TestAcc).
	TestLoss  number `json:"test_loss"`
	TestAcc   number `json:"test_acc"`
	TestError number `json:"test_error"`
	Correct   int    `json:"correct"`
	// PerClassAccuracy[c] is the fraction of the images of digit c
	// classified correctly (null for a class without images).
	PerClassAccuracy []number `json:"per_class_accuracy"`
	PerClassN        []int    `json:"per_class_n"`
	// Confusion[t][p] counts images of digit t predicted as p: rows are the
	// true class, columns the prediction.
	Confusion [][]int `json:"confusion"`
	// CheckpointMetrics are the metrics recorded in the checkpoint when it
	// was saved (zoo train records test_acc and test_loss in model.safetensors).
	CheckpointMetrics map[string]number `json:"checkpoint_metrics,omitempty"`
	Predictions       string            `json:"predictions,omitempty"`
	Seconds           number            `json:"seconds"`
}

// predictionsFile is what --predictions writes: every test image's label,
// predicted class and class probabilities, in test-set order.
type predictionsFile struct {
	Checkpoint    string      `json:"checkpoint"`
	Model         string      `json:"model"`
	N             int         `json:"n"`
	Labels        []int       `json:"labels"`
	Predictions   []int       `json:"predictions"`
	Probabilities [][]float64 `json:"probabilities"`
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("eval", evalSynopsis+`.

zoo eval MODEL|ENSEMBLE_DIR [--data DIR] [--mc-samples K] [--predictions FILE] [--combine arithmetic|geometric]

`+modelArgHelp+` A checkpoint may be a pipe (zoo eval <(cat FILE)).
The model is rebuilt from the name and configuration stored in it. All test
images are scored (n = 10000 on MNIST). test_error is in percent; metrics
that cannot be measured (no test images) are null. A missing, truncated or
corrupt checkpoint, weights with NaN or Inf, or a non-finite test loss exit
1 with a message naming the file (and the tensor). ENSEMBLE_DIR is the --out of zoo
train --ensemble K (or its ensemble.json): the members' probabilities are
averaged (--combine) and the result has the ensemble's loss and accuracy,
each member's accuracy and the members' disagreement.`, stderr)
	dir := fs.String("data", "", "directory holding the four MNIST files, raw or gzipped (default: $"+datasets.EnvMNISTDir+", else the GoMNIST module in the Go module cache)")
	strict := fs.Bool("strict", false, "fail, rather than warn, when files in --data differ from the original MNIST")
	mc := fs.Int("mc-samples", 0, "average the class probabilities of K Monte-Carlo dropout passes (0: deterministic evaluation)")
	mcSeed := fs.Uint64("mc-seed", 0, "seed of the Monte-Carlo dropout masks")
	batch := fs.Int("batch", 1000, "evaluation batch size")
	predOut := fs.String("predictions", "", "also write every test image's label, predicted class and probabilities to FILE as JSON")
	combine := fs.String("combine", "arithmetic", "for an ensemble: average the members' probabilities arithmetically or geometrically (normalised)")
	pos, code, done := parseArgs(fs, args, 1, 1, "model name, checkpoint file or ensemble directory")
	if done {
		return code
	}
	if *mc < 0 {
		return usageError(fs, errors.Errorf("--mc-samples %d: want ≥ 0", *mc))
	}
	if *batch < 1 {
		return usageError(fs, errors.Errorf("--batch %d: want ≥ 1", *batch))
	}
	start := time.Now()
	path := pos[0]
	if mp, ok := ensemble.IsManifest(path); ok {
		if *predOut != "" {
			return usageError(fs, errors.New("--predictions: not for an ensemble"))
		}
		data, err := loadMNIST(ctx, *dir, *strict, stderr)
		if err != nil {
			return failure(stderr, "eval", err)
		}
		return evalEnsemble(ctx, mp, *combine, data, training.EvalOptions{BatchSize: *batch, MCSamples: *mc, Seed: *mcSeed}, stdout, stderr)
	}
	m, c, err := loadFiniteModel(ctx, path)
	if err != nil {
		return failure(stderr, "eval", err)
	}
	s, err := loadSplits(ctx, dataFlags{dir: *dir, split: string(datasets.SplitStratified), strict: *strict}, stderr)
	if err != nil {
		return failure(stderr, "eval", err)
	}
	opts := training.EvalOptions{BatchSize: min(*batch, s.test.Len()), MCSamples: *mc, Seed: *mcSeed}
	met, err := evaluate(ctx, m, s.test, opts, true)
	if err != nil {
		return failure(stderr, "eval", err)
	}
	if met.N > 0 && (math.IsNaN(met.Loss) || math.IsInf(met.Loss, 0)) {
		return failure(stderr, "eval", errors.Errorf("checkpoint %s: the test loss is %v: the model's outputs are not finite, its accuracy means nothing", path, met.Loss))
	}
	r := evalReport{
		Checkpoint: c.Path, Model: m.Name(), Config: m.Config(), Data: s.mnist.Dir, N: met.N, MCSamples: *mc,
		TestLoss: number(met.Loss), TestAcc: number(met.Accuracy), TestError: number(models.ErrorPercent(met)),
	}
	r.PerClassAccuracy, r.PerClassN, r.Confusion, r.Correct = confusion(s.test.Y, met.Predictions, s.test.NumClasses)
	if len(c.Metrics) > 0 {
		r.CheckpointMetrics = map[string]number{}
		for k, v := range c.Metrics {
			r.CheckpointMetrics[k] = number(v)
		}
	}
	if *predOut != "" {
		if err := writePredictions(ctx, *predOut, c.Path, m, s.test, opts); err != nil {
			return failure(stderr, "eval", err)
		}
		r.Predictions = *predOut
	}
	r.Seconds = number(time.Since(start).Seconds())
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "eval", err)
	}
	return exitOK
}

// evaluate scores m on ds in a fresh evaluation graph.
func evaluate(ctx context.Context, m training.Model, ds *datasets.Dataset, opts training.EvalOptions, keep bool) (training.Metrics, error) {
	ev, err := training.NewEvaluator(m, opts)
	if err != nil {
		return training.Metrics{}, err
	}
	defer ev.Close()
	return ev.Evaluate(ctx, ds, keep)
}

// confusion returns per-class accuracy and counts, the confusion matrix
// (rows: true class) and the number of correct predictions.
func confusion(labels, pred []int, classes int) (acc []number, n []int, conf [][]int, correct int) {
	conf = make([][]int, classes)
	for i := range conf {
		conf[i] = make([]int, classes)
	}
	n = make([]int, classes)
	for i, y := range labels {
		conf[y][pred[i]]++
		n[y]++
		if pred[i] == y {
			correct++
		}
	}
	acc = make([]number, classes)
	for c := range acc {
		acc[c] = number(float64(conf[c][c]) / float64(n[c])) // NaN → null for an empty class
	}
	return acc, n, conf, correct
}

// writePredictions writes the probabilities of every sample of ds. A fresh
// evaluator with the same options draws the same Monte-Carlo masks as the
// one that produced the metrics, so the predictions agree with them.
func writePredictions(ctx context.Context, out, ckpt string, m *models.Model, ds *datasets.Dataset, opts training.EvalOptions) (err error) {
	ev, err := training.NewEvaluator(m, opts)
	if err != nil {
		return err
	}
	defer ev.Close()
	probs, err := ev.Probabilities(ctx, ds)
	if err != nil {
		return err
	}
	k := ds.NumClasses
	p := predictionsFile{Checkpoint: ckpt, Model: m.Name(), N: ds.Len(), Labels: ds.Y, Predictions: make([]int, ds.Len()), Probabilities: make([][]float64, ds.Len())}
	for i := range p.Predictions {
		row := probs[i*k : (i+1)*k]
		p.Probabilities[i] = row
		for j, v := range row {
			if v > row[p.Predictions[i]] {
				p.Predictions[i] = j
			}
		}
	}
	return errors.WithMessage(fileio.Write(out, func(f io.Writer) error {
		w := bufio.NewWriter(f)
		if err := json.NewEncoder(w).Encode(p); err != nil {
			return errors.Wrap(err, "encode")
		}
		return errors.Wrap(w.Flush(), "write")
	}), "predictions")
}
