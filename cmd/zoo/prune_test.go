package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
	"github.com/gozoo/zoo/training/safetensors"
)

// TestPrune prunes a 2-epoch mlp (64 hidden units) to 90% sparsity by OBD in
// two rounds with one epoch of retraining each, and checks the checkpoint
// against the report: round(0.9·n) of the n weights are masked and exactly
// zero, and zoo eval scores it at the report's last test error.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	code, _, stderr := runZoo(t, "train", "mlp", "--out", base, "--data", subsetDir, "--train-limit", "100", "--epochs", "2", "--hidden", "64")
	if code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "pruned")
	code, stdout, stderr := runZoo(t, "prune", filepath.Join(base, "model.safetensors"), "--criterion", "obd", "--sparsity", "0.9",
		"--steps", "2", "--retrain-epochs", "1", "--samples", "20", "--data", subsetDir, "--out", out)
	if code != exitOK {
		t.Fatalf("prune: exit %d\n%s", code, stderr)
	}
	var r pruneReport
	decodeStrict(t, stdout, &r)
	if r.Criterion != "obd" || len(r.Rounds) != 2 || r.Rounds[1].RetrainedTestError == nil {
		t.Fatalf("report: criterion %s, %d rounds", r.Criterion, len(r.Rounds))
	}
	c, err := training.LoadCheckpoint(r.Checkpoint)
	must(t, err)
	masks, _, err := safetensors.ReadFile(r.Mask)
	must(t, err)
	pruned, total := 0, 0
	for _, ts := range masks {
		if !strings.HasPrefix(ts.Name, regularizers.MaskPrefix) {
			t.Fatalf("mask file holds %s", ts.Name)
		}
		w := c.Tensor(strings.TrimPrefix(ts.Name, regularizers.MaskPrefix)).Data().([]float32)
		for i, k := range ts.Dense.Data().([]float32) {
			total++
			if k == 0 {
				pruned++
				if w[i] != 0 {
					t.Fatalf("%s[%d] = %g, masked", ts.Name, i, w[i])
				}
			}
		}
	}
	if want := int(math.RoundToEven(0.9 * float64(total))); total == 0 || pruned != want {
		t.Errorf("%d of %d weights masked, want %d", pruned, total, want)
	}
	code, stdout, stderr = runZoo(t, "eval", r.Checkpoint, "--data", subsetDir)
	if code != exitOK {
		t.Fatalf("eval: exit %d\n%s", code, stderr)
	}
	var ev map[string]any
	must(t, json.Unmarshal([]byte(stdout), &ev))
	if got, want := ev["test_error"].(float64), float64(*r.Rounds[1].RetrainedTestError); got != want {
		t.Errorf("zoo eval: test error %v, the report says %v", got, want)
	}
}

func TestPruneErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"prune", "mlp", "--criterion", "hessian", "--out", dir},
		{"prune", "mlp", "--sparsity", "1.5", "--out", dir},
		{"prune", "mlp"},
		{"prune", "no-such-model-or-file", "--out", dir},
		{"prune", "mlp", "--scope", "layer", "--out", dir},
	} {
		if code, _, _ := runZoo(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
