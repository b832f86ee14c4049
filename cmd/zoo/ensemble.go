package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/ensemble"
	"github.com/gozoo/zoo/internal/fileio"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// ensembleFlags are zoo train's ensemble flags.
type ensembleFlags struct {
	members int
	bagging bool
	workers int
}

func (f *ensembleFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.members, "ensemble", 0, "train an ensemble of K members of the recipe into OUT/member-i and write OUT/"+ensemble.ManifestFile+": member i runs the recipe with seed --seed + i (its own weights, validation split, subset, batch order and dropout); --resume OUT continues every member from its last.safetensors; 0 = one model")
	fs.BoolVar(&f.bagging, "bagging", false, "with --ensemble: train each member on a bootstrap resample of its training split")
	fs.IntVar(&f.workers, "workers", 0, "with --ensemble: members trained at once (default GOMAXPROCS); the weights do not depend on it")
}

// validate reports flags that contradict each other.
func (f ensembleFlags) validate() error {
	switch {
	case f.members < 0:
		return errors.Errorf("--ensemble %d: want ≥ 0", f.members)
	case f.members == 0 && f.bagging:
		return errors.New("--bagging needs --ensemble K")
	case f.workers < 0:
		return errors.Errorf("--workers %d: want ≥ 0", f.workers)
	}
	return nil
}

// ensembleResult is the JSON result of zoo train --ensemble and of zoo eval
// on an ensemble, also written to OUT/result.json by zoo train.
type ensembleResult struct {
	ManifestPath string `json:"manifest"`
	ensemble.Manifest
	Combine   string   `json:"combine"`
	N         int      `json:"n"`
	TestLoss  number   `json:"test_loss"`
	TestAcc   number   `json:"test_acc"`
	TestError number   `json:"test_error"`
	MemberAcc []number `json:"member_test_acc"`
	// Disagreement is the fraction of test images two members classify
	// differently, averaged over the pairs of members.
	Disagreement number `json:"disagreement"`
	Seconds      number `json:"seconds"`
}

func ensembleResultOf(path string, man ensemble.Manifest, rep *ensemble.Report, start time.Time) ensembleResult {
	res := ensembleResult{
		ManifestPath: path, Manifest: man, Combine: rep.Combine, N: rep.N,
		TestLoss: number(rep.Loss), TestAcc: number(rep.Accuracy), TestError: number(models.ErrorPercent(training.Metrics{Accuracy: rep.Accuracy, N: rep.N})),
		Disagreement: number(rep.Disagreement), Seconds: number(time.Since(start).Seconds()),
	}
	for _, a := range rep.MemberAccuracies {
		res.MemberAcc = append(res.MemberAcc, number(a))
	}
	return res
}

// trainEnsemble is zoo train --ensemble K. With --resume OUT (the ensemble's
// output directory or its manifest), each member continues from
// OUT/member-i/last.safetensors where it exists.
func trainEnsemble(ctx context.Context, r models.Recipe, ef ensembleFlags, resume, out string, data *datasets.MNIST, stdout, stderr io.Writer) int {
	start := time.Now()
	if resume != "" {
		out = resume
		if filepath.Base(out) == ensemble.ManifestFile {
			out = filepath.Dir(out)
		}
	}
	method := ensemble.Independent
	if ef.bagging {
		method = ensemble.Bagging
	}
	fmt.Fprintf(stderr, "zoo train: ensemble of %d %s members of %s; writing to %s\n", ef.members, method, r.Model, out)
	man, _, rep, err := ensemble.TrainRecipe(ctx, r, data, ensemble.Config{Members: ef.members, Method: method, Workers: ef.workers},
		ensemble.RecipeOptions{Out: out, Resume: resume != "", Log: stderr})
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "zoo train: cancelled; the members' last.safetensors hold the run, continue with the same command and --resume %s\n", out)
		}
		return failure(stderr, "train", err)
	}
	for i, a := range rep.MemberAccuracies {
		fmt.Fprintf(stderr, "zoo train: member %d: test error %.2f%%\n", i, models.ErrorPercent(training.Metrics{Accuracy: a, N: rep.N}))
	}
	res := ensembleResultOf(filepath.Join(out, ensemble.ManifestFile), *man, rep, start)
	fmt.Fprintf(stderr, "zoo train: ensemble test accuracy %.4f (error %.2f%%, loss %.4f) on %d images\n", rep.Accuracy, float64(res.TestError), rep.Loss, rep.N)
	if err := writeJSONFile(filepath.Join(out, models.ResultFile), res); err != nil {
		return failure(stderr, "train", err)
	}
	if err := writeJSON(stdout, res); err != nil {
		return failure(stderr, "train", err)
	}
	return exitOK
}

// evalEnsemble is zoo eval on an ensemble.
func evalEnsemble(ctx context.Context, path string, combine string, data *datasets.MNIST, opts training.EvalOptions, stdout, stderr io.Writer) int {
	start := time.Now()
	c, err := ensemble.ParseCombine(combine)
	if err != nil {
		return failure(stderr, "eval", err)
	}
	man, ms, err := ensemble.Load(path)
	if err != nil {
		return failure(stderr, "eval", err)
	}
	opts.BatchSize = min(opts.BatchSize, data.Test.Len())
	rep, err := ensemble.Evaluate(ctx, trainingModels(ms), data.Test, c, opts)
	if err != nil {
		return failure(stderr, "eval", err)
	}
	if err := writeJSON(stdout, ensembleResultOf(path, *man, rep, start)); err != nil {
		return failure(stderr, "eval", err)
	}
	return exitOK
}

func trainingModels(ms []*models.Model) []training.Model {
	out := make([]training.Model, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// loadPredictors loads the checkpoint (its weights checked finite) or the
// ensemble at path, and names the model.
func loadPredictors(ctx context.Context, path string) ([]*models.Model, string, error) {
	if mp, ok := ensemble.IsManifest(path); ok {
		man, members, err := ensemble.Load(mp)
		if err != nil {
			return nil, "", err
		}
		return members, fmt.Sprintf("%s (ensemble of %d)", man.Recipe.Model, man.Members), nil
	}
	m, _, err := loadFiniteModel(ctx, path)
	if err != nil {
		return nil, "", err
	}
	return []*models.Model{m}, m.Name(), nil
}

// predictProbs returns the class probabilities of ds under one model or,
// for several, the arithmetic mean of theirs.
func predictProbs(ctx context.Context, ms []*models.Model, ds *datasets.Dataset) ([]float64, error) {
	probs, err := ensemble.MemberProbs(ctx, trainingModels(ms), ds, training.EvalOptions{BatchSize: min(ds.Len(), 1000)})
	if err != nil {
		return nil, err
	}
	if len(probs) == 1 {
		return probs[0], nil
	}
	return ensemble.CombineProbs(probs, mnistClasses, ensemble.Arithmetic)
}

// resumeRecipe is the recipe of the run --resume names: an ensemble's
// (its directory or manifest) or a checkpoint's.
func resumeRecipe(path string) (models.Recipe, error) {
	if mp, ok := ensemble.IsManifest(path); ok {
		man, err := ensemble.ReadManifest(mp)
		if err != nil {
			return models.Recipe{}, err
		}
		return man.Recipe, nil
	}
	return models.ReadRecipe(path)
}

// writeJSONFile writes v as indented JSON to path.
func writeJSONFile(path string, v any) error {
	return fileio.Write(path, func(w io.Writer) error { return writeJSON(w, v) })
}
