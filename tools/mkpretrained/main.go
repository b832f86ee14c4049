// Command mkpretrained makes the shipped weights of package pretrained from
// training runs: for each run directory (the --out of zoo train MODEL
// --seed 1) it writes the Lean form of the run's model.safetensors to
// pretrained/weights/MODEL.safetensors, evaluates it on MNIST's 10,000 test
// images and writes the manifest pretrained/weights/MODEL.json.
//
//	zoo train lenet5 --seed 1 --out runs/lenet5
//	go run ./tools/mkpretrained -commit $(git rev-parse HEAD) runs/lenet5 [RUN...]
//
// It refuses a run whose training configuration differs from the model's
// registry recipe (other flags than --seed and --out), since the manifest
// names the recipe and the command zoo train MODEL --seed N.
// -check compares the lean file of each run with the shipped one instead
// of writing anything, and exits 1 if a SHA-256 differs.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/card"
	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/pretrained"
	"github.com/gozoo/zoo/training"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mkpretrained", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commit := fs.String("commit", "", "commit of the zoo build that trained the runs (required unless -check)")
	out := fs.String("out", filepath.Join("pretrained", "weights"), "directory of the shipped files")
	data := fs.String("data", "", "MNIST directory (default: $ZOO_MNIST_DIR, else the module cache)")
	check := fs.Bool("check", false, "compare each run's lean file with the shipped file's SHA-256; write nothing")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 || (*commit == "" && !*check) {
		fmt.Fprintln(stderr, "usage: mkpretrained -commit HASH [-out DIR] RUN...  |  mkpretrained -check RUN...")
		return 2
	}
	if *check {
		bad := false
		for _, dir := range fs.Args() {
			ok, err := checkRun(dir, stdout)
			if err != nil {
				fmt.Fprintf(stderr, "mkpretrained: %v\n", err)
				return 1
			}
			bad = bad || !ok
		}
		if bad {
			return 1
		}
		return 0
	}
	mn, err := datasets.LoadMNIST(ctx, datasets.MNISTOptions{Dir: *data})
	if err != nil {
		fmt.Fprintf(stderr, "mkpretrained: %v\n", err)
		return 1
	}
	for _, dir := range fs.Args() {
		m, err := makeOne(ctx, dir, *out, *commit, mn.Test)
		if err != nil {
			fmt.Fprintf(stderr, "mkpretrained: %s: %v\n", dir, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: %s, %d bytes, sha256 %s, test error %.2f%%\n", m.Model, m.File, m.Bytes, m.SHA256, m.TestError)
	}
	return 0
}

// checkRun writes dir's lean file to a temporary directory and compares
// its SHA-256 with the shipped manifest's.
func checkRun(dir string, stdout io.Writer) (bool, error) {
	tmp, err := os.MkdirTemp("", "mkpretrained-")
	if err != nil {
		return false, errors.Wrap(err, "check")
	}
	defer os.RemoveAll(tmp)
	c, err := training.LoadCheckpoint(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return false, err
	}
	sum, size, err := pretrained.WriteLean(filepath.Join(dir, "model.safetensors"), filepath.Join(tmp, "lean.safetensors"))
	if err != nil {
		return false, err
	}
	m, err := pretrained.ManifestOf(c.ModelName)
	if err != nil {
		return false, err
	}
	ok := sum == m.SHA256 && size == m.Bytes
	verdict := "equal to the shipped file"
	if !ok {
		verdict = fmt.Sprintf("DIFFERS from the shipped file (sha256 %s, %d bytes)", m.SHA256, m.Bytes)
	}
	fmt.Fprintf(stdout, "%s: lean file of %s: sha256 %s, %d bytes: %s\n", c.ModelName, dir, sum, size, verdict)
	return ok, nil
}

// makeOne writes the lean file and manifest of one run.
func makeOne(ctx context.Context, dir, out, commit string, test *datasets.Dataset) (*pretrained.Manifest, error) {
	src := filepath.Join(dir, "model.safetensors")
	c, err := training.LoadCheckpoint(src)
	if err != nil {
		return nil, err
	}
	e, err := models.Lookup(c.ModelName)
	if err != nil {
		return nil, err
	}
	recipe, err := checkRecipe(c, e)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, errors.Wrap(err, "output directory")
	}
	file := e.Name + ".safetensors"
	sum, size, err := pretrained.WriteLean(src, filepath.Join(out, file))
	if err != nil {
		return nil, err
	}
	lean, err := training.LoadCheckpoint(filepath.Join(out, file))
	if err != nil {
		return nil, err
	}
	m, _, err := models.FromCheckpoint(lean)
	if err != nil {
		return nil, err
	}
	cd, err := card.Make(ctx, m, card.Source{Checkpoint: lean}, test, card.Options{})
	if err != nil {
		return nil, err
	}
	man := &pretrained.Manifest{
		Model: e.Name, File: file, SHA256: sum, Bytes: size,
		Parameters: cd.Architecture.Parameters, Buffers: cd.Architecture.Buffers, Dtype: cd.Architecture.Dtype,
		Recipe: recipe, Command: fmt.Sprintf("zoo train %s --seed %d", e.Name, c.Seed), Epochs: c.Epoch,
		TestImages: cd.Test.N, TestCorrect: cd.Test.Correct, TestError: cd.Test.Error, TestLoss: cd.Test.Loss,
		PerClassAccuracy: cd.Test.PerClassAccuracy, ZooCommit: commit,
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, errors.Wrap(err, "manifest")
	}
	return man, errors.Wrap(os.WriteFile(filepath.Join(out, e.Name+".json"), append(b, '\n'), 0o644), "manifest")
}

// checkRecipe returns the registry recipe of c's model with c's seed,
// refusing a run trained with anything else (zoo train MODEL --seed N
// [--out DIR] only). It reads the recipe checkpoints store, and the
// {"model", "config", "plan"} training configuration of builds before the
// Recipe type (commit 11e8176 and earlier).
func checkRecipe(c *training.Checkpoint, e models.Entry) (models.Recipe, error) {
	want := e.Recipe
	want.Seed = c.Seed
	want = want.Normalized()
	wantJSON, err := want.JSON()
	if err != nil {
		return want, err
	}
	if got, err := models.ParseRecipe(c.TrainingConfig); err == nil {
		gotJSON, err := got.JSON()
		if err != nil {
			return want, err
		}
		if !bytes.Equal(gotJSON, wantJSON) {
			return want, errors.Errorf("trained with recipe %s, the registry's is %s", gotJSON, wantJSON)
		}
		return want, nil
	}
	var meta struct {
		Config models.Config   `json:"config"`
		Plan   json.RawMessage `json:"plan"`
	}
	if err := json.Unmarshal(c.TrainingConfig, &meta); err != nil || len(meta.Plan) == 0 {
		return want, errors.Errorf("training configuration is neither a recipe nor a plan: %s", c.TrainingConfig)
	}
	var plan map[string]any
	if err := json.Unmarshal(meta.Plan, &plan); err != nil {
		return want, errors.Wrap(err, "training configuration")
	}
	r := want
	monitor := r.Monitor
	if r.Patience == 0 {
		monitor = "val_loss" // unused without early stopping; the old default
	}
	fields := map[string]any{
		"optimizer": r.Optimizer, "lr": r.LR, "momentum": r.Momentum, "nesterov": r.Nesterov,
		"weight_decay": r.WeightDecay, "schedule": r.Schedule, "batch_size": float64(r.BatchSize),
		"epochs": float64(r.Epochs), "val_frac": r.ValFrac, "patience": float64(r.Patience), "monitor": monitor,
		"train_limit": float64(r.TrainLimit), "prox_l1": r.Config.ProxL1, "clip_norm": r.ClipNorm,
		"min_delta": r.MinDelta, "restore_best": !r.KeepLast, "split": r.Split, "seed": float64(r.Seed),
	}
	for k, v := range fields {
		if plan[k] != v {
			return want, errors.Errorf("trained with %s = %v, the %s recipe has %v: not the registry recipe", k, plan[k], e.Name, v)
		}
	}
	cfgWant, _ := json.Marshal(r.Config)
	cfgGot, _ := json.Marshal(meta.Config)
	if !bytes.Equal(cfgWant, cfgGot) {
		return want, errors.Errorf("model configuration %s differs from the registry's %s", cfgGot, cfgWant)
	}
	return want, nil
}
