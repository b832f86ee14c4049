package main

// The training path of zoo sweep: a run's recipe is the training
// configuration zoo train records in its checkpoints (trainMeta: model,
// model configuration, training plan), and a run trains it as zoo train
// does, into the run's folder.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/sweep"
	"github.com/gozoo/zoo/training"
)

// sweepRecipe is the JSON form of a sweep's recipe before it is resolved:
// {"model": "mlp", "config": {...}, "plan": {...}}, where config holds
// fields of the model's configuration and plan fields of the training plan
// (result.json's "config" and "plan"); every field left out takes the
// model's default or recipe, as with zoo train and no flags.
type sweepRecipe struct {
	Model  string          `json:"model"`
	Config json.RawMessage `json:"config"`
	Plan   json.RawMessage `json:"plan"`
}

// resolveSweepRecipe fills in the model's defaults and recipe, validates
// the result, and returns it as a trainMeta.
func resolveSweepRecipe(text json.RawMessage) (json.RawMessage, error) {
	meta, _, err := decodeSweepRecipe(text)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(meta)
	return b, errors.Wrap(err, "recipe")
}

// decodeSweepRecipe decodes and validates a recipe (unknown fields are
// errors) and returns it with its registry entry.
func decodeSweepRecipe(text json.RawMessage) (trainMeta, models.Entry, error) {
	var r sweepRecipe
	if err := strictDecode(text, &r); err != nil {
		return trainMeta{}, models.Entry{}, errors.WithMessage(err, "recipe")
	}
	if r.Model == "" {
		r.Model = models.Default
	}
	e, err := models.Lookup(r.Model)
	if err != nil {
		return trainMeta{}, e, errors.WithMessage(err, "recipe")
	}
	meta := trainMeta{Model: r.Model, Config: e.Defaults}
	meta.Config.Hidden = append([]int(nil), e.Defaults.Hidden...)
	if r.Config != nil {
		if err := strictDecode(r.Config, &meta.Config); err != nil {
			return meta, e, errors.WithMessage(err, "recipe: config")
		}
	}
	if err := meta.Config.Validate(); err != nil {
		return meta, e, errors.WithMessage(err, "recipe: config")
	}
	// The plan of zoo train without flags.
	fs := newFlagSet("sweep", "", io.Discard)
	var f trainFlags
	f.register(fs)
	meta.Plan = f.resolve(fs, e.Recipe)
	if r.Plan != nil {
		if err := strictDecode(r.Plan, &meta.Plan); err != nil {
			return meta, e, errors.WithMessage(err, "recipe: plan")
		}
	}
	m, err := e.Build(meta.Config, meta.Plan.Seed)
	if err != nil {
		return meta, e, errors.WithMessage(err, "recipe")
	}
	if _, err := meta.Plan.config(m); err != nil {
		return meta, e, errors.WithMessage(err, "recipe: plan")
	}
	return meta, e, nil
}

// strictDecode decodes one JSON value into v, refusing unknown fields.
func strictDecode(text []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	return errors.Wrap(dec.Decode(v), "decode")
}

// sweepTrainer runs a sweep's jobs through zoo train's path.
type sweepTrainer struct {
	data   string // --data (default: $ZOO_MNIST_DIR, else the module cache)
	strict bool
}

// Files of a run folder that a fresh start removes.
var sweepRunFiles = []string{training.LastCheckpoint, training.BestCheckpoint, modelCheckpoint, resultFile, historyCSV, historyJSONL, curvesPNG}

// sweepLog is the log of a run's training, in its folder.
const sweepLog = "train.log"

// Run trains the job's recipe into job.Dir, resuming from its
// last.safetensors unless job.Fresh. The training's log is appended to
// job.Dir/train.log.
func (s sweepTrainer) Run(ctx context.Context, job sweep.Job) (sweep.Result, error) {
	meta, e, err := decodeSweepRecipe(job.Recipe)
	if err != nil {
		return sweep.Result{}, err
	}
	m, err := e.Build(meta.Config, meta.Plan.Seed)
	if err != nil {
		return sweep.Result{}, err
	}
	tcfg, err := meta.Plan.config(m)
	if err != nil {
		return sweep.Result{}, err
	}
	last := filepath.Join(job.Dir, training.LastCheckpoint)
	resume := ""
	if job.Fresh {
		for _, f := range sweepRunFiles {
			if err := os.Remove(filepath.Join(job.Dir, f)); err != nil && !os.IsNotExist(err) {
				return sweep.Result{}, errors.Wrap(err, "fresh start")
			}
		}
	} else if _, err := os.Stat(last); err == nil {
		resume = last
	}
	logf, err := os.OpenFile(filepath.Join(job.Dir, sweepLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return sweep.Result{}, errors.Wrap(err, "training log")
	}
	defer logf.Close()
	var stdout, stderr bytes.Buffer
	t := &trainer{name: meta.Model, e: e, m: m, mcfg: meta.Config, plan: meta.Plan, tcfg: tcfg, out: job.Dir, resume: resume,
		stdout: &stdout, stderr: io.MultiWriter(logf, &stderr)}
	code := t.run(ctx, dataFlags{dir: s.data, valFrac: meta.Plan.ValFrac, seed: meta.Plan.Seed, split: meta.Plan.Split, strict: s.strict})
	var r trainResult
	decodeErr := json.Unmarshal(stdout.Bytes(), &r)
	switch {
	case code == exitOK && decodeErr == nil, decodeErr == nil && r.Stopped == training.StopDiverged:
		return sweep.Result{Status: string(r.Stopped), Metrics: r.metrics()}, nil
	case ctx.Err() != nil:
		return sweep.Result{}, errors.WithMessage(ctx.Err(), "training cancelled (last checkpoint kept)")
	}
	msg := lastLine(stderr.String())
	return sweep.Result{}, errors.Errorf("training failed (%s; log %s)", msg, logf.Name())
}

// metrics returns the result's numbers by name.
func (r *trainResult) metrics() map[string]sweep.Float {
	out := map[string]sweep.Float{"epochs_run": sweep.Float(r.EpochsRun)}
	for k, v := range map[string]*number{
		"train_loss": r.TrainLoss, "train_acc": r.TrainAcc, "val_loss": r.ValLoss, "val_acc": r.ValAcc,
		"test_loss": r.TestLoss, "test_acc": r.TestAcc, "test_error": r.TestError,
	} {
		if v != nil {
			out[k] = sweep.Float(*v)
		}
	}
	if r.BestEpoch != nil {
		out["best_epoch"] = sweep.Float(*r.BestEpoch)
	}
	return out
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	return string(lines[len(lines)-1])
}

var _ sweep.Runner = sweepTrainer{}
