package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/training"
	"github.com/gozoo/zoo/training/safetensors"
)

// evalOutput is zoo eval's result decoded for tests.
type evalOutput struct {
	Checkpoint        string             `json:"checkpoint"`
	Model             string             `json:"model"`
	N                 int                `json:"n"`
	MCSamples         int                `json:"mc_samples"`
	TestLoss          float64            `json:"test_loss"`
	TestAcc           float64            `json:"test_acc"`
	TestError         float64            `json:"test_error"`
	Correct           int                `json:"correct"`
	PerClassAccuracy  []float64          `json:"per_class_accuracy"`
	PerClassN         []int              `json:"per_class_n"`
	Confusion         [][]int            `json:"confusion"`
	CheckpointMetrics map[string]float64 `json:"checkpoint_metrics"`
	Predictions       string             `json:"predictions"`
}

func runEvalOK(t *testing.T, args ...string) evalOutput {
	t.Helper()
	code, stdout, stderr := runZoo(t, append([]string{"eval", "--data", subsetDir}, args...)...)
	if code != exitOK {
		t.Fatalf("zoo eval %v: exit %d\n%s", args, code, stderr)
	}
	var r evalOutput
	decodeStrict(t, stdout, &r)
	return r
}

// TestEvalReproducesTrain: the checkpoint zoo train reports scores exactly
// the reported test loss and accuracy, and the confusion matrix adds up.
func TestEvalReproducesTrain(t *testing.T) {
	tr := trainFixture(t)
	pred := filepath.Join(t.TempDir(), "pred.json")
	r := runEvalOK(t, tr.Checkpoint, "--predictions", pred)
	if r.TestAcc != *tr.TestAcc || r.TestLoss != *tr.TestLoss || r.TestError != *tr.TestError {
		t.Fatalf("eval: acc %v loss %v error %v; train reported %v %v %v", r.TestAcc, r.TestLoss, r.TestError, *tr.TestAcc, *tr.TestLoss, *tr.TestError)
	}
	if r.CheckpointMetrics["test_acc"] != r.TestAcc {
		t.Errorf("checkpoint metrics %v", r.CheckpointMetrics)
	}
	if r.Model != "mlp" || r.N != 200 || r.MCSamples != 0 || r.Predictions != pred {
		t.Fatalf("model %s n %d mc %d predictions %q", r.Model, r.N, r.MCSamples, r.Predictions)
	}
	if !slices.Equal(r.PerClassN, subsetTestHist) {
		t.Fatalf("per-class counts %v, want %v", r.PerClassN, subsetTestHist)
	}
	diag := 0
	for c, row := range r.Confusion {
		sum := 0
		for _, v := range row {
			sum += v
		}
		if len(row) != 10 || sum != r.PerClassN[c] {
			t.Fatalf("confusion row %d = %v, want %d images", c, row, r.PerClassN[c])
		}
		if want := float64(row[c]) / float64(sum); r.PerClassAccuracy[c] != want {
			t.Errorf("class %d accuracy %v, want %v", c, r.PerClassAccuracy[c], want)
		}
		diag += row[c]
	}
	if len(r.Confusion) != 10 || diag != r.Correct || float64(r.Correct)/200 != r.TestAcc {
		t.Fatalf("correct %d, diagonal %d, accuracy %v", r.Correct, diag, r.TestAcc)
	}

	// The predictions file agrees with the metrics.
	var p predictionsFile
	b, err := os.ReadFile(pred)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.N != 200 || len(p.Labels) != 200 || len(p.Predictions) != 200 || len(p.Probabilities) != 200 {
		t.Fatalf("predictions file: n %d, %d labels, %d predictions", p.N, len(p.Labels), len(p.Predictions))
	}
	correct, loss := 0, 0.0
	conf := make([][]int, 10)
	for i := range conf {
		conf[i] = make([]int, 10)
	}
	for i, y := range p.Labels {
		sum := 0.0
		for _, v := range p.Probabilities[i] {
			sum += v
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Fatalf("sample %d: probabilities sum to %v", i, sum)
		}
		conf[y][p.Predictions[i]]++
		if p.Predictions[i] == y {
			correct++
		}
		loss -= math.Log(p.Probabilities[i][y])
	}
	if correct != r.Correct || math.Abs(loss/200-r.TestLoss) > 1e-6 {
		t.Fatalf("predictions file: %d correct, loss %v; eval: %d, %v", correct, loss/200, r.Correct, r.TestLoss)
	}
	for c := range conf {
		if !slices.Equal(conf[c], r.Confusion[c]) {
			t.Fatalf("confusion row %d: file %v, eval %v", c, conf[c], r.Confusion[c])
		}
	}

	// After one epoch with restore-best, the best, last and final weights
	// are the same; last.safetensors also holds optimizer state and "best/"
	// copies, which eval skips.
	for _, ck := range []string{tr.BestCheckpoint, tr.LastCheckpoint} {
		if o := runEvalOK(t, ck); o.TestAcc != r.TestAcc || o.TestLoss != r.TestLoss {
			t.Errorf("%s: acc %v loss %v, model.safetensors %v %v", ck, o.TestAcc, o.TestLoss, r.TestAcc, r.TestLoss)
		}
	}
	// Batch size does not change which images are scored.
	if o := runEvalOK(t, tr.Checkpoint, "--batch", "7"); o.N != 200 || o.Correct != r.Correct || math.Abs(o.TestLoss-r.TestLoss) > 1e-6 {
		t.Errorf("batch 7: n %d correct %d loss %v", o.N, o.Correct, o.TestLoss)
	}
}

// TestEvalMonteCarlo: Monte-Carlo dropout is seeded (same seed, same
// result) and differs from the deterministic evaluation.
func TestEvalMonteCarlo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := runZoo(t, "train", "mlp", "--out", out, "--data", subsetDir, "--train-limit", "100", "--epochs", "1", "--hidden", "64", "--hidden-dropout", "0.5")
	if code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	ckpt := filepath.Join(out, "model.safetensors")
	det := runEvalOK(t, ckpt)
	mc1 := runEvalOK(t, ckpt, "--mc-samples", "3", "--mc-seed", "5")
	mc2 := runEvalOK(t, ckpt, "--mc-samples", "3", "--mc-seed", "5")
	mc3 := runEvalOK(t, ckpt, "--mc-samples", "3", "--mc-seed", "6")
	if mc1.MCSamples != 3 || mc1.TestLoss != mc2.TestLoss || mc1.Correct != mc2.Correct {
		t.Fatalf("same MC seed: loss %v vs %v", mc1.TestLoss, mc2.TestLoss)
	}
	if mc1.TestLoss == det.TestLoss || mc1.TestLoss == mc3.TestLoss {
		t.Fatalf("MC loss %v, deterministic %v, other seed %v", mc1.TestLoss, det.TestLoss, mc3.TestLoss)
	}
}

func TestEvalErrors(t *testing.T) {
	tr := trainFixture(t)
	dir := t.TempDir()
	good, err := os.ReadFile(tr.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.safetensors")
	garbage := filepath.Join(dir, "garbage.safetensors")
	notZoo := filepath.Join(dir, "plain.safetensors")
	otherModel := filepath.Join(dir, "other.safetensors")
	missing := filepath.Join(dir, "missing.safetensors")
	must(t, os.WriteFile(truncated, good[:len(good)/2], 0o644))
	must(t, os.WriteFile(garbage, []byte("this is not a checkpoint at all"), 0o644))
	// A valid safetensors file without zoo's metadata.
	c, err := training.LoadCheckpoint(tr.Checkpoint)
	must(t, err)
	f, err := os.Create(notZoo)
	must(t, err)
	must(t, safetensors.Write(f, c.Tensors, nil))
	must(t, f.Close())
	// A zoo checkpoint that names a model the registry does not have.
	c.ModelName = "resnet"
	must(t, training.SaveCheckpoint(otherModel, c))

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no checkpoint", nil, exitUsage, []string{"missing model name, checkpoint file or ensemble directory", "zoo eval -h"}},
		{"two checkpoints", []string{tr.Checkpoint, tr.Checkpoint}, exitUsage, []string{"unexpected argument"}},
		{"unknown flag", []string{tr.Checkpoint, "--epochs", "1"}, exitUsage, []string{"unknown flag --", "-h' for usage"}},
		{"mc-samples", []string{tr.Checkpoint, "--mc-samples", "-1"}, exitUsage, []string{"--mc-samples"}},
		{"batch", []string{tr.Checkpoint, "--batch", "0"}, exitUsage, []string{"--batch"}},
		{"missing", []string{missing}, exitFailure, []string{missing, "no such file"}},
		{"truncated", []string{truncated}, exitFailure, []string{truncated}},
		{"garbage", []string{garbage}, exitFailure, []string{garbage}},
		{"not zoo", []string{notZoo}, exitFailure, []string{notZoo, "not a zoo checkpoint"}},
		{"unknown model", []string{otherModel}, exitFailure, []string{otherModel, `"resnet"`}},
		{"missing data", []string{tr.Checkpoint, "--data", filepath.Join(dir, "nodata")}, exitFailure, []string{"nodata", "train-images-idx3-ubyte"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, append([]string{"eval", "--data", subsetDir}, tt.args...)...)
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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
