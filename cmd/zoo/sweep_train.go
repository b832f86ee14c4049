package main

// The training path of zoo sweep: a run's recipe is a models.Recipe, and a
// run is models.Train into the run's folder, as zoo train --recipe does.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/sweep"
	"github.com/gozoo/zoo/training"
)

// resolveSweepRecipe completes a sweep's recipe: the registry recipe of
// its "model" (default models.Default) with the recipe's fields laid over
// it, validated, every default spelled out (models.Recipe.JSON). Unknown
// fields are errors.
func resolveSweepRecipe(text json.RawMessage) (json.RawMessage, error) {
	var head struct {
		Model string `json:"model"`
	}
	if err := json.Unmarshal(text, &head); err != nil {
		return nil, errors.Wrap(err, "recipe")
	}
	if head.Model == "" {
		head.Model = models.Default
	}
	e, err := models.Lookup(head.Model)
	if err != nil {
		return nil, errors.WithMessage(err, "recipe")
	}
	// A deep copy of the registry's recipe (decoding into it must not
	// write into the registry's slices).
	base, err := e.Recipe.JSON()
	if err != nil {
		return nil, err
	}
	var r models.Recipe
	if err := json.Unmarshal(base, &r); err != nil {
		return nil, errors.Wrap(err, "recipe")
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, errors.Wrap(err, "recipe")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r.JSON()
}

// sweepTrainer runs a sweep's jobs with models.Train. MNIST is loaded once,
// by the first job that trains, and shared by all (training reads it only).
type sweepTrainer struct {
	data   string // --data (default: $ZOO_MNIST_DIR, else the module cache)
	strict bool
	log    io.Writer // where loading MNIST is reported

	once  sync.Once
	mnist *datasets.MNIST
	err   error
}

// Files of a run folder that a fresh start removes.
var sweepRunFiles = []string{training.LastCheckpoint, training.BestCheckpoint, training.ModelFile,
	models.ResultFile, models.HistoryCSV, models.HistoryJSONL, models.CurvesPNG}

// sweepLog is the log of a run's training, in its folder.
const sweepLog = "train.log"

// Run trains the job's recipe into job.Dir, resuming from its
// last.safetensors unless job.Fresh; the training's log is appended to
// job.Dir/train.log. A diverged run is a result (status "diverged").
func (s *sweepTrainer) Run(ctx context.Context, job sweep.Job) (sweep.Result, error) {
	r, err := models.ParseRecipe(job.Recipe)
	if err != nil {
		return sweep.Result{}, err
	}
	s.once.Do(func() { s.mnist, s.err = loadMNIST(ctx, s.data, s.strict, s.log) })
	if s.err != nil {
		return sweep.Result{}, s.err
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
	res, _, err := models.Train(ctx, r, s.mnist, models.TrainOptions{Out: job.Dir, Resume: resume, Log: logf})
	switch {
	case res != nil && (err == nil || res.Stopped == training.StopDiverged):
		return sweep.Result{Status: string(res.Stopped), Metrics: sweepMetrics(res)}, nil
	case ctx.Err() != nil:
		if res != nil && res.LastCheckpoint != "" {
			fmt.Fprintf(logf, "zoo sweep: cancelled; %s holds the run, and zoo sweep run resumes it\n", res.LastCheckpoint)
			return sweep.Result{}, errors.WithMessagef(ctx.Err(), "training cancelled (%s saved)", res.LastCheckpoint)
		}
		return sweep.Result{}, errors.WithMessage(ctx.Err(), "training cancelled before its first checkpoint")
	}
	return sweep.Result{}, errors.WithMessagef(err, "training (log %s)", logf.Name())
}

// sweepMetrics returns the result's finite numbers by name.
func sweepMetrics(r *models.Result) map[string]sweep.Float {
	out := map[string]sweep.Float{"epochs_run": sweep.Float(r.EpochsRun)}
	for k, v := range map[string]models.Number{
		"train_loss": r.TrainLoss, "train_acc": r.TrainAcc, "val_loss": r.ValLoss, "val_acc": r.ValAcc,
		"test_loss": r.TestLoss, "test_acc": r.TestAcc, "test_error": r.TestError,
	} {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			out[k] = sweep.Float(f)
		}
	}
	if r.BestEpoch != nil {
		out["best_epoch"] = sweep.Float(*r.BestEpoch)
	}
	return out
}

var _ sweep.Runner = (*sweepTrainer)(nil)
