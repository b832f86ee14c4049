package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// fixtureDir holds runs shared by several tests; TestMain removes it.
var fixtureDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zoo-cmd-test-")
	if err != nil {
		panic(err)
	}
	fixtureDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// quickTrain is a 1-epoch run of the real mlp (784-800-800-10) on 300
// images of the testdata subset, with early stopping on (the mlp recipe has
// none) so that best.safetensors and the restore path are exercised.
var quickTrain = []string{"--data", subsetDir, "--train-limit", "300", "--epochs", "1", "--batch", "50", "--seed", "7", "--patience", "5"}

var (
	fixtureOnce sync.Once
	fixtureRes  trainOutput
	fixtureErr  string
)

// trainOutput is zoo train's result decoded for tests.
type trainOutput struct {
	Model  string        `json:"model"`
	Recipe models.Recipe `json:"recipe"`
	Params int           `json:"params"`
	Data   struct {
		Dir    string `json:"dir"`
		Source string `json:"source"`
		Train  int    `json:"train"`
		Val    int    `json:"val"`
		Test   int    `json:"test"`
	} `json:"data"`
	EpochsRun       int      `json:"epochs_run"`
	BestEpoch       *int     `json:"best_epoch"`
	Stopped         string   `json:"stopped"`
	Restored        bool     `json:"restored"`
	TrainLoss       *float64 `json:"train_loss"`
	TrainAcc        *float64 `json:"train_acc"`
	ValLoss         *float64 `json:"val_loss"`
	ValAcc          *float64 `json:"val_acc"`
	TestLoss        *float64 `json:"test_loss"`
	TestAcc         *float64 `json:"test_acc"`
	TestError       *float64 `json:"test_error"`
	Checkpoint      string   `json:"checkpoint"`
	LastCheckpoint  string   `json:"last_checkpoint"`
	BestCheckpoint  string   `json:"best_checkpoint"`
	Out             string   `json:"out"`
	Seconds         float64  `json:"seconds"`
	SecondsPerEpoch float64  `json:"seconds_per_epoch"`
	BLAS            string   `json:"blas"`
}

// trainFixture returns the result of `zoo train mlp` + quickTrain, run once.
func trainFixture(t *testing.T) trainOutput {
	t.Helper()
	fixtureOnce.Do(func() {
		args := append([]string{"train", "mlp", "--out", filepath.Join(fixtureDir, "mlp")}, quickTrain...)
		code, stdout, stderr := runZoo(t, args...)
		if code != exitOK {
			fixtureErr = stderr
			return
		}
		if err := json.Unmarshal([]byte(stdout), &fixtureRes); err != nil {
			fixtureErr = err.Error()
		}
	})
	if fixtureErr != "" {
		t.Fatalf("zoo train fixture failed:\n%s", fixtureErr)
	}
	return fixtureRes
}

// decodeStrict decodes exactly one JSON object from stdout.
func decodeStrict(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
}

// withoutTimes decodes a result and drops its wall-time fields.
func withoutTimes(t *testing.T, stdout string) map[string]any {
	t.Helper()
	var m map[string]any
	decodeStrict(t, stdout, &m)
	delete(m, "seconds")
	delete(m, "seconds_per_epoch")
	return m
}

func TestTrainFixture(t *testing.T) {
	r := trainFixture(t)
	if r.Model != "mlp" || r.Recipe.Seed != 7 || r.Params != 784*800+800+800*800+800+800*10+10 {
		t.Fatalf("model %q seed %d params %d", r.Model, r.Recipe.Seed, r.Params)
	}
	// The recipe of mlp, with the flags given.
	want := models.Recipe{Optimizer: "sgd", LR: 0.05, Momentum: 0.9}
	if p := r.Recipe; p.Model != "mlp" || p.Optimizer != want.Optimizer || p.LR != want.LR || p.Momentum != want.Momentum || p.Epochs != 1 || p.BatchSize != 50 ||
		p.Patience != 5 || p.Schedule != "cosine" || p.Monitor != "val_loss" || p.KeepLast || p.ValFrac != 0.1 || p.TrainLimit != 300 {
		t.Fatalf("recipe %+v", p)
	}
	if d := r.Data; d.Dir != subsetDir || d.Source != "dir" || d.Train != 300 || d.Val != 50 || d.Test != 200 {
		t.Fatalf("data %+v", r.Data)
	}
	if r.EpochsRun != 1 || r.BestEpoch == nil || *r.BestEpoch != 1 || r.Stopped != "max_epochs" || !r.Restored {
		t.Fatalf("epochs %d best %v stopped %q restored %v", r.EpochsRun, r.BestEpoch, r.Stopped, r.Restored)
	}
	for name, v := range map[string]*float64{"train_loss": r.TrainLoss, "val_loss": r.ValLoss, "test_loss": r.TestLoss} {
		if v == nil || !(*v > 0 && *v < 10) {
			t.Errorf("%s = %v", name, v)
		}
	}
	if r.TestAcc == nil || r.TestError == nil {
		t.Fatal("no test metrics")
	}
	// 200 test images: the accuracy is a multiple of 1/200 and the error its complement in percent.
	wrong := 200 - int(*r.TestAcc*200+0.5)
	if *r.TestError != float64(wrong)/2 {
		t.Errorf("test_error %v, test_acc %v", *r.TestError, *r.TestAcc)
	}
	out := filepath.Join(fixtureDir, "mlp")
	if r.BLAS != graph.BLASName() || r.BLAS == "" {
		t.Errorf("blas %q, want %q", r.BLAS, graph.BLASName())
	}
	if r.Out != out || r.Checkpoint != filepath.Join(out, "model.safetensors") ||
		r.LastCheckpoint != filepath.Join(out, "last.safetensors") || r.BestCheckpoint != filepath.Join(out, "best.safetensors") {
		t.Fatalf("paths %q %q %q %q", r.Out, r.Checkpoint, r.LastCheckpoint, r.BestCheckpoint)
	}
	for _, f := range []string{"model.safetensors", "last.safetensors", "best.safetensors", "history.csv", "history.jsonl", "curves.png", "result.json"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(out, "history.csv"))
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "epoch,train_loss") || !strings.HasPrefix(lines[1], "1,") {
		t.Errorf("history.csv:\n%s", csv)
	}
	png, _ := os.ReadFile(filepath.Join(out, "curves.png"))
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Error("curves.png is not a PNG")
	}
	// result.json is the stdout JSON.
	var fromFile trainOutput
	b, _ := os.ReadFile(filepath.Join(out, "result.json"))
	decodeStrict(t, string(b), &fromFile)
	if !reflect.DeepEqual(fromFile, r) {
		t.Errorf("result.json differs from stdout:\n%+v\n%+v", fromFile, r)
	}
	// model.safetensors records the model, its configuration and the scores.
	c, err := training.LoadCheckpoint(r.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if c.ModelName != "mlp" || c.Seed != 7 || c.Epoch != 1 || c.Metrics["test_acc"] != *r.TestAcc || c.Metrics["test_loss"] != *r.TestLoss {
		t.Fatalf("checkpoint %s seed %d epoch %d metrics %v", c.ModelName, c.Seed, c.Epoch, c.Metrics)
	}
	// It stores the whole recipe, the one in result.json.
	stored, err := models.ParseRecipe(c.TrainingConfig)
	if err != nil || !reflect.DeepEqual(stored, r.Recipe) {
		t.Fatalf("stored recipe %s: %v\nresult's %+v", c.TrainingConfig, err, r.Recipe)
	}
}

// TestTrainDeterministic runs the same command twice: identical results but
// for the wall times. Another seed gives other weights.
func TestTrainDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("two training runs")
	}
	out := filepath.Join(t.TempDir(), "run")
	args := append([]string{"train", "mlp", "--out", out}, quickTrain...)
	results := make([]map[string]any, 2)
	for i := range results {
		code, stdout, stderr := runZoo(t, args...)
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", i, code, stderr)
		}
		results[i] = withoutTimes(t, stdout)
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		t.Fatalf("same command, different results:\n%v\n%v", results[0], results[1])
	}
	// Same as the fixture, which ran in another directory.
	fix := trainFixture(t)
	if results[0]["test_loss"] != *fix.TestLoss || results[0]["train_loss"] != *fix.TrainLoss {
		t.Fatalf("test_loss %v vs fixture %v", results[0]["test_loss"], *fix.TestLoss)
	}
	code, stdout, stderr := runZoo(t, append(append([]string{}, args...), "--seed", "8")...)
	if code != exitOK {
		t.Fatalf("seed 8: exit %d\n%s", code, stderr)
	}
	if other := withoutTimes(t, stdout); other["train_loss"] == results[0]["train_loss"] {
		t.Fatalf("seeds 7 and 8 gave the same train_loss %v", other["train_loss"])
	}
}

// TestTrainFlags checks that flags override the model's configuration and
// recipe, and that positional and flag arguments may come in any order.
func TestTrainFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--out", out, "--data", subsetDir, "--train-limit", "100", "--epochs", "2", "--batch", "25",
		"--hidden", "32,16", "--activation", "tanh", "--input-dropout", "0.1", "--hidden-dropout", "0.3", "--bn",
		"--l1", "1e-5", "--l2", "1e-4", "--weight-elim", "1e-4", "--weight-elim-w0", "0.5", "--max-norm", "3", "--dtype", "float64",
		"--optimizer", "adamw", "--lr", "0.002", "--weight-decay", "0.05", "--schedule", "step", "--step-size", "1", "--gamma", "0.5",
		"--clip-norm", "1", "--patience", "0", "--val-frac", "0.2", "--split", "tail", "--prox-l1", "1e-4",
		"mlp-sigmoid"}
	code, stdout, stderr := runZoo(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r trainOutput
	decodeStrict(t, stdout, &r)
	wantCfg := models.Config{Hidden: []int{32, 16}, Activation: "tanh", InputDropout: 0.1, HiddenDropout: 0.3, Norm: "batch",
		L1: 1e-5, L2: 1e-4, WeightElimination: 1e-4, WeightEliminationW0: 0.5, MaxNorm: 3, ProxL1: 1e-4, Dtype: "float64"}
	want := models.Recipe{Model: "mlp-sigmoid", Config: wantCfg, Optimizer: "adamw", LR: 0.002, WeightDecay: 0.05, Schedule: "step", StepSize: 1, Gamma: 0.5, ClipNorm: 1,
		BatchSize: 25, Epochs: 2, Monitor: "val_loss", Patience: 0, ValFrac: 0.2, Split: "tail", Seed: 1, TrainLimit: 100}
	if r.Model != "mlp-sigmoid" || !reflect.DeepEqual(r.Recipe, want) {
		t.Fatalf("recipe\n%+v, want\n%+v", r.Recipe, want)
	}
	// 500 images, 20% held out at the tail; early stopping off.
	if r.Data.Train != 100 || r.Data.Val != 100 || r.EpochsRun != 2 || r.BestEpoch != nil || r.Restored || r.Stopped != "max_epochs" {
		t.Fatalf("data %+v epochs %d best %v restored %v stopped %s", r.Data, r.EpochsRun, r.BestEpoch, r.Restored, r.Stopped)
	}
	// The learning rate halves after the first epoch.
	var lrs []float64
	b, _ := os.ReadFile(filepath.Join(out, "history.jsonl"))
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e training.EpochRecord
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		lrs = append(lrs, e.LR)
	}
	if !reflect.DeepEqual(lrs, []float64{0.002, 0.001}) {
		t.Fatalf("learning rates %v", lrs)
	}
	// The checkpoint rebuilds to the same configuration.
	m, _, err := loadModel(r.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Config(), wantCfg) || m.Store().Dtype().String() != "float64" {
		t.Fatalf("restored config %+v dtype %v", m.Config(), m.Store().Dtype())
	}
}

func TestTrainDefaultModel(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := runZoo(t, "train", "--out", out, "--data", subsetDir, "--train-limit", "100", "--epochs", "1", "--hidden", "16")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r trainOutput
	decodeStrict(t, stdout, &r)
	if r.Model != models.Default || r.Recipe.BatchSize != 128 || r.Recipe.Seed != 1 {
		t.Fatalf("model %s recipe %+v", r.Model, r.Recipe)
	}
	if !strings.Contains(stderr, "epoch 1/1") || !strings.Contains(stderr, "test accuracy") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	if strings.Contains(stderr, "\r") {
		t.Errorf("progress bar drawn on a non-terminal stderr")
	}
}

// TestTrainDefaultOut checks the default output directory runs/MODEL-SEED.
func TestTrainDefaultOut(t *testing.T) {
	abs, err := filepath.Abs(subsetDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, stdout, stderr := runZoo(t, "train", "mlp", "--data", abs, "--train-limit", "100", "--epochs", "1", "--hidden", "8", "--seed", "3")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r trainOutput
	decodeStrict(t, stdout, &r)
	if r.Out != filepath.Join("runs", "mlp-3") {
		t.Fatalf("out %q", r.Out)
	}
	if _, err := os.Stat(filepath.Join("runs", "mlp-3", "model.safetensors")); err != nil {
		t.Fatal(err)
	}
}

// cancelOnWrite cancels a context when a line containing trigger is
// written to it, and keeps everything written.
type cancelOnWrite struct {
	bytes.Buffer
	trigger string
	cancel  context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.trigger) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// TestTrainCancelResume cancels a run right after its first epoch (as
// Ctrl-C would), checks that the result says so and that last.safetensors
// is written, then resumes it: the resumed run ends exactly where an
// uninterrupted run does.
func TestTrainCancelResume(t *testing.T) {
	common := []string{"--data", subsetDir, "--train-limit", "200", "--epochs", "3", "--batch", "40", "--hidden", "24", "--hidden-dropout", "0.2", "--patience", "2"}
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	code, stdout, stderr := runZoo(t, append([]string{"train", "mlp", "--out", full}, common...)...)
	if code != exitOK {
		t.Fatalf("uninterrupted run: exit %d\n%s", code, stderr)
	}
	want := withoutTimes(t, stdout)

	cut := filepath.Join(dir, "cut")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errw := &cancelOnWrite{trigger: "epoch 1/3", cancel: cancel}
	var out bytes.Buffer
	code = run(ctx, append([]string{"train", "mlp", "--out", cut}, common...), &out, errw)
	if code != exitFailure {
		t.Fatalf("cancelled run: exit %d, want %d\n%s", code, exitFailure, errw.String())
	}
	var r trainOutput
	decodeStrict(t, out.String(), &r)
	if r.Stopped != "cancelled" || r.EpochsRun != 1 || r.TestAcc != nil || r.Checkpoint != "" || r.LastCheckpoint != filepath.Join(cut, "last.safetensors") {
		t.Fatalf("cancelled result %+v", r)
	}
	if !strings.Contains(errw.String(), "--resume "+r.LastCheckpoint) {
		t.Errorf("no resume hint on stderr:\n%s", errw.String())
	}
	b, _ := os.ReadFile(filepath.Join(cut, "result.json"))
	decodeStrict(t, string(b), &r)
	if r.Stopped != "cancelled" {
		t.Fatalf("result.json says %q", r.Stopped)
	}

	code, stdout, stderr = runZoo(t, append([]string{"train", "mlp", "--out", cut, "--resume", r.LastCheckpoint}, common...)...)
	if code != exitOK {
		t.Fatalf("resumed run: exit %d\n%s", code, stderr)
	}
	got := withoutTimes(t, stdout)
	if got["continuation"] != "pure" {
		t.Errorf("continuation = %v, want pure", got["continuation"])
	}
	delete(got, "continuation")
	for _, k := range []string{"out", "checkpoint", "last_checkpoint", "best_checkpoint"} {
		if !strings.HasPrefix(got[k].(string), cut) {
			t.Errorf("%s = %v", k, got[k])
		}
		delete(got, k)
		delete(want, k)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed run differs from the uninterrupted one:\n%v\n%v", got, want)
	}
}

// TestTrainDiverged: a learning rate of 1e30 makes the second batch's loss
// infinite; the result says so and exits 1, with nothing to evaluate. A
// checkpoint left in the directory by an earlier run is not reported.
func TestTrainDiverged(t *testing.T) {
	out := t.TempDir()
	stale := filepath.Join(out, "last.safetensors")
	must(t, os.WriteFile(stale, []byte("old"), 0o644))
	hourAgo := time.Now().Add(-time.Hour)
	must(t, os.Chtimes(stale, hourAgo, hourAgo))
	code, stdout, stderr := runZoo(t, "train", "mlp", "--data", subsetDir, "--train-limit", "100", "--epochs", "1",
		"--hidden", "16", "--lr", "1e30", "--batch", "10", "--out", out)
	if code != exitFailure {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r trainOutput
	decodeStrict(t, stdout, &r)
	if r.Stopped != "diverged" || r.EpochsRun != 0 || r.TestAcc != nil || r.Checkpoint != "" || r.LastCheckpoint != "" || !strings.Contains(stderr, "diverged") {
		t.Fatalf("result %+v\n%s", r, stderr)
	}
}

func TestTrainErrors(t *testing.T) {
	t.Setenv(datasets.EnvMNISTDir, "")
	missing := filepath.Join(t.TempDir(), "none")
	base := []string{"train", "--data", subsetDir, "--epochs", "1", "--train-limit", "100", "--out", filepath.Join(t.TempDir(), "o")}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"unknown flag", []string{"--frobnicate"}, exitUsage, []string{"unknown flag --frobnicate", "zoo train -h"}},
		{"unknown model", []string{"resnet"}, exitUsage, []string{`"resnet"`, "mlp", "lenet5"}},
		{"two models", []string{"mlp", "lenet5"}, exitUsage, []string{`unexpected argument "lenet5"`}},
		{"optimizer", []string{"--optimizer", "rmsprop"}, exitUsage, []string{"--optimizer", "rmsprop"}},
		{"schedule", []string{"--schedule", "linear"}, exitUsage, []string{"--schedule", "linear"}},
		{"exp without gamma", []string{"--schedule", "exp"}, exitUsage, []string{"Gamma"}},
		{"step without size", []string{"--schedule", "step"}, exitUsage, []string{"StepSize"}},
		{"epochs", []string{"--epochs", "0"}, exitUsage, []string{"--epochs 0"}},
		{"batch", []string{"--batch", "-1"}, exitUsage, []string{"--batch -1"}},
		{"lr", []string{"--lr", "-0.1"}, exitUsage, []string{"--lr"}},
		{"lr text", []string{"--lr", "fast"}, exitUsage, []string{"bad value"}},
		{"val-frac", []string{"--val-frac", "1.5"}, exitUsage, []string{"--val-frac"}},
		{"no val for early stopping", []string{"--val-frac", "0", "--patience", "3"}, exitUsage, []string{"validation split"}},
		{"split", []string{"--split", "random"}, exitUsage, []string{"--split"}},
		{"norm", []string{"--norm", "weight"}, exitUsage, []string{"norm", `"weight"`}},
		{"bn contradicts norm", []string{"--norm", "group", "--bn"}, exitUsage, []string{"--bn contradicts --norm group"}},
		{"dropout", []string{"--hidden-dropout", "1"}, exitUsage, []string{"hidden dropout"}},
		{"l2", []string{"--l2", "-1"}, exitUsage, []string{"l2"}},
		{"hidden", []string{"--hidden", "800,,800"}, exitUsage, []string{"-hidden", "800,,800"}},
		{"dtype", []string{"--dtype", "float16"}, exitUsage, []string{"float16"}},
		{"monitor", []string{"--monitor", "train_loss"}, exitUsage, []string{"--monitor"}},
		{"momentum with adam", []string{"--optimizer", "adam", "--momentum", "0.9"}, exitUsage, []string{"--momentum"}},
		{"train-limit", []string{"--train-limit", "35"}, exitUsage, []string{"--train-limit 35"}},
		{"prox-l1", []string{"--prox-l1", "-1"}, exitUsage, []string{"prox l1 -1"}},
		{"clip-norm", []string{"--clip-norm", "-1"}, exitUsage, []string{"clip"}},
		{"train-limit too large", []string{"--train-limit", "490"}, exitFailure, []string{"train_limit 490", "class"}},
		{"missing data", []string{"--data", missing}, exitFailure, []string{missing, "train-images-idx3-ubyte"}},
		{"resume missing", []string{"--resume", filepath.Join(missing, "last.safetensors")}, exitFailure, []string{filepath.Join(missing, "last.safetensors")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, append(append([]string{}, base...), tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if stdout != "" {
				t.Fatalf("stdout on failure: %q", stdout)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

// TestTrainRecipeReruns re-runs the fixture's run from the recipe stored in
// its model.safetensors and from its result.json's recipe: the same
// weights, bit for bit.
func TestTrainRecipeReruns(t *testing.T) {
	fix := trainFixture(t)
	dir := t.TempDir()
	recipeJSON := filepath.Join(dir, "recipe.json")
	b, err := json.Marshal(fix.Recipe)
	must(t, err)
	must(t, os.WriteFile(recipeJSON, b, 0o644))
	for i, from := range []string{fix.Checkpoint, recipeJSON, filepath.Join(filepath.Dir(fix.Checkpoint), "result.json")} {
		out := filepath.Join(dir, fmt.Sprint("run", i))
		code, stdout, stderr := runZoo(t, "train", "--recipe", from, "--data", subsetDir, "--out", out)
		if code != exitOK {
			t.Fatalf("--recipe %s: exit %d\n%s", from, code, stderr)
		}
		var r trainOutput
		decodeStrict(t, stdout, &r)
		if !reflect.DeepEqual(r.Recipe, fix.Recipe) || *r.TestLoss != *fix.TestLoss {
			t.Fatalf("--recipe %s: recipe %+v test loss %v; want %+v %v", from, r.Recipe, *r.TestLoss, fix.Recipe, *fix.TestLoss)
		}
		a, _, err := loadModel(fix.Checkpoint)
		must(t, err)
		c, _, err := loadModel(r.Checkpoint)
		must(t, err)
		for i, v := range a.Store().Vars() {
			if !slices.Equal(v.Float64s(), c.Store().Vars()[i].Float64s()) {
				t.Fatalf("--recipe %s: %s differs", from, v.Name())
			}
		}
	}
	// A model named beside --recipe must be the recipe's.
	if code, _, stderr := runZoo(t, "train", "lenet5", "--recipe", recipeJSON, "--data", subsetDir); code != exitUsage || !strings.Contains(stderr, "contradicts") {
		t.Fatalf("lenet5 with an mlp recipe: exit %d\n%s", code, stderr)
	}
}
