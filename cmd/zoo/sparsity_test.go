package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

// sparsityOutput is zoo sparsity's result decoded for tests.
type sparsityOutput struct {
	Checkpoint string `json:"checkpoint"`
	Model      string `json:"model"`
	Selection  string `json:"selection"`
	regularizers.Sparsity
}

// TestSparsity trains with proximal L1 and checks the report against counts
// taken directly from the checkpoint's tensors.
func TestSparsity(t *testing.T) {
	out := filepath.Join(t.TempDir(), "prox")
	code, _, stderr := runZoo(t, "train", "mlp", "--out", out, "--data", subsetDir, "--train-limit", "100", "--epochs", "2",
		"--hidden", "64", "--prox-l1", "0.5", "--lr", "0.05")
	if code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	ckpt := filepath.Join(out, "model.safetensors")
	c, err := training.LoadCheckpoint(ckpt)
	must(t, err)

	for _, all := range []bool{false, true} {
		args := []string{"sparsity", ckpt, "--tol", "1e-3", "--bins", "7"}
		wantNames := []string{"fc1/W", "fc2/W"}
		if all {
			args = append(args, "--all")
			wantNames = []string{"fc1/W", "fc1/b", "fc2/W", "fc2/b"}
		}
		code, stdout, stderr := runZoo(t, args...)
		if code != exitOK {
			t.Fatalf("sparsity: exit %d\n%s", code, stderr)
		}
		var r sparsityOutput
		decodeStrict(t, stdout, &r)
		if r.Model != "mlp" || r.Checkpoint != ckpt || r.Tol != 1e-3 || len(r.Layers) != len(wantNames) {
			t.Fatalf("model %s checkpoint %s tol %v, %d layers", r.Model, r.Checkpoint, r.Tol, len(r.Layers))
		}
		total, zerosAll := 0, 0
		for i, l := range r.Layers {
			if l.Name != wantNames[i] {
				t.Fatalf("layer %d is %s, want %s", i, l.Name, wantNames[i])
			}
			vals := c.Tensor(l.Name).Data().([]float32)
			zeros, small := 0, 0
			for _, v := range vals {
				if v == 0 {
					zeros++
				}
				if math.Abs(float64(v)) < 1e-3 {
					small++
				}
			}
			if l.Count != len(vals) || l.Zeros != zeros || l.BelowTol != small || len(l.Histogram.Counts) != 7 {
				t.Fatalf("%s: report count %d zeros %d small %d; tensor %d %d %d", l.Name, l.Count, l.Zeros, l.BelowTol, len(vals), zeros, small)
			}
			sum := 0
			for _, n := range l.Histogram.Counts {
				sum += n
			}
			if sum != l.Count {
				t.Fatalf("%s: histogram holds %d of %d", l.Name, sum, l.Count)
			}
			total += l.Count
			zerosAll += l.Zeros
		}
		if r.Overall.Count != total || r.Overall.Zeros != zerosAll {
			t.Fatalf("overall %+v, layers add up to %d, %d zeros", r.Overall, total, zerosAll)
		}
		// Proximal L1 at λ=0.5, lr 0.05 zeroes most of the first layer.
		if !all && r.Layers[0].ZeroFraction < 0.5 {
			t.Errorf("fc1/W zero fraction %v after proximal L1", r.Layers[0].ZeroFraction)
		}
	}
}

func TestSparsityErrors(t *testing.T) {
	tr := trainFixture(t)
	missing := filepath.Join(t.TempDir(), "none.safetensors")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no checkpoint", nil, exitUsage, "missing model name or checkpoint file"},
		{"tol", []string{tr.Checkpoint, "--tol", "-1"}, exitUsage, "--tol"},
		{"tol inf", []string{tr.Checkpoint, "--tol", "Inf"}, exitUsage, "--tol"},
		{"bins", []string{tr.Checkpoint, "--bins", "0"}, exitUsage, "--bins"},
		{"missing", []string{missing}, exitFailure, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, append([]string{"sparsity"}, tt.args...)...)
			if code != tt.code || stdout != "" || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr:\n%s", code, tt.code, stdout, stderr)
			}
		})
	}
}
