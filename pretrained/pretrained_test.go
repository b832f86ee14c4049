package pretrained

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
	"github.com/gozoo/zoo/training/safetensors"
)

// TestManifests checks every shipped file against its manifest: SHA-256
// and size, the file name, float32 tensors only, the parameter count of
// the registry architecture, the registry's current recipe, and the
// command.
func TestManifests(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no shipped weights")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			b, m, err := File(name)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != m.SHA256 || int64(len(b)) != m.Bytes || m.File != name+".safetensors" || m.Model != name {
				t.Fatalf("manifest %+v does not describe %d bytes with sha256 %x", m, len(b), sum)
			}
			e, err := models.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			n, err := e.NumParams()
			if err != nil {
				t.Fatal(err)
			}
			want := e.Recipe
			want.Seed = m.Recipe.Seed
			wantJSON, err := want.JSON()
			if err != nil {
				t.Fatal(err)
			}
			gotJSON, err := m.Recipe.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if m.Parameters != n || string(gotJSON) != string(wantJSON) || m.Command != fmt.Sprintf("zoo train %s --seed %d", name, m.Recipe.Seed) || m.Dtype != "float32" {
				t.Errorf("manifest: params %d (registry %d), recipe %s (registry %s), command %q, dtype %s", m.Parameters, n, gotJSON, wantJSON, m.Command, m.Dtype)
			}
			c, _, err := Checkpoint(name)
			if err != nil {
				t.Fatal(err)
			}
			if c.Optimizer != nil || c.RNG != nil || c.EarlyStopping != nil || c.Extra != nil || c.TrainingConfig != nil || c.Metrics != nil {
				t.Errorf("shipped file carries training state")
			}
			for _, ts := range c.Tensors {
				if ts.Dense.Dtype() != tensor.Float32 || strings.HasPrefix(ts.Name, training.BestTensorPrefix) {
					t.Errorf("tensor %s: %v", ts.Name, ts.Dense.Dtype())
				}
			}
		})
	}
}

// TestAccuracy evaluates every shipped model on MNIST's 10,000 test images
// and checks the manifest's numbers: correct count, test error and
// per-class accuracy exactly, the loss to 1e-6 relative. It needs MNIST in the module cache (go mod download).
func TestAccuracy(t *testing.T) {
	mn, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{})
	if errors.Is(err, datasets.ErrNotFound) {
		t.Skipf("full MNIST not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			model, man, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := training.NewEvaluator(model, training.EvalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer ev.Close()
			met, err := ev.Evaluate(context.Background(), mn.Test, true)
			if err != nil {
				t.Fatal(err)
			}
			correct := 0
			hits, counts := make([]int, 10), make([]int, 10)
			for i, p := range met.Predictions {
				counts[mn.Test.Y[i]]++
				if p == mn.Test.Y[i] {
					correct++
					hits[p]++
				}
			}
			// The manifest's loss is −ln of the probabilities (package card),
			// the evaluator's −(log-probability), and builds with other exp
			// and sigmoid kernels round differently: the loss agrees to
			// 1e-6 relative, the counts exactly.
			if met.N != man.TestImages || correct != man.TestCorrect || math.Abs(met.Loss-man.TestLoss) > 1e-6*man.TestLoss {
				t.Fatalf("%d of %d right, loss %v; manifest %d of %d, loss %v", correct, met.N, met.Loss, man.TestCorrect, man.TestImages, man.TestLoss)
			}
			if want := 100 * float64(met.N-correct) / float64(met.N); man.TestError != want {
				t.Errorf("manifest test error %v, want %v", man.TestError, want)
			}
			for d := range hits {
				if acc := float64(hits[d]) / float64(counts[d]); acc != man.PerClassAccuracy[d] {
					t.Errorf("digit %d: accuracy %v, manifest %v", d, acc, man.PerClassAccuracy[d])
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	if _, _, err := Load("resnet50"); !errors.Is(err, ErrNotShipped) {
		t.Errorf("unknown model: %v", err)
	}
	if Has("resnet50") || !Has(Names()[0]) {
		t.Error("Has")
	}
}

// TestLean checks that Lean keeps the model's tensors and identity and
// drops the best epoch's copies and the training state, and that writing
// it twice gives the same bytes.
func TestLean(t *testing.T) {
	c, _, err := Checkpoint(Names()[0])
	if err != nil {
		t.Fatal(err)
	}
	full := *c
	full.RNG = map[string][]byte{"shuffle": {1, 2, 3}}
	full.Extra = map[string]json.RawMessage{"history": json.RawMessage(`[1]`)}
	full.Optimizer = &training.OptimizerState{Algorithm: "sgd", LR: 0.1, Tensors: map[string]*tensor.Dense{}}
	full.EarlyStopping = &training.EarlyStoppingState{}
	full.TrainingConfig = json.RawMessage(`{"model":"x"}`)
	full.Metrics = map[string]float64{"test_acc": 0.5}
	full.Tensors = append(slices.Clone(c.Tensors), safetensors.Tensor{Name: training.BestTensorPrefix + c.Tensors[0].Name, Dense: c.Tensors[0].Dense})
	dir := t.TempDir()
	src := filepath.Join(dir, "model.safetensors")
	if err := training.SaveCheckpoint(src, &full); err != nil {
		t.Fatal(err)
	}
	var sums []string
	for i := 0; i < 2; i++ {
		sum, _, err := WriteLean(src, filepath.Join(dir, fmt.Sprintf("lean%d.safetensors", i)))
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
	}
	lean, err := training.LoadCheckpoint(filepath.Join(dir, "lean0.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if sums[0] != sums[1] || lean.RNG != nil || lean.Extra != nil || lean.Optimizer != nil || lean.EarlyStopping != nil || lean.TrainingConfig != nil || lean.Metrics != nil ||
		len(lean.Tensors) != len(c.Tensors) || lean.ModelName != c.ModelName || string(lean.ModelConfig) != string(c.ModelConfig) {
		t.Fatalf("lean: sums %v, %+v", sums, lean)
	}
	// The shipped file is already lean: Lean(shipped) writes the same bytes.
	b, m, err := File(Names()[0])
	if err != nil {
		t.Fatal(err)
	}
	shipped := filepath.Join(dir, "shipped.safetensors")
	if err := os.WriteFile(shipped, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if sum, _, err := WriteLean(shipped, filepath.Join(dir, "again.safetensors")); err != nil || sum != m.SHA256 {
		t.Fatalf("Lean of the shipped file: %s, %v; want %s", sum, err, m.SHA256)
	}
}

// TestRetrain retrains shipped models from their recipes with the
// documented command and checks that the lean file of each run has the
// shipped SHA-256. It runs only when ZOO_RETRAIN names the models
// (comma-separated, or "all"): mlp takes a few minutes on 2 cores, all
// six several hours.
//
//	ZOO_RETRAIN=mlp go test -run TestRetrain -v -timeout 30m ./pretrained
func TestRetrain(t *testing.T) {
	which := os.Getenv("ZOO_RETRAIN")
	if which == "" {
		t.Skip("set ZOO_RETRAIN=mlp (or a comma-separated list, or all) to retrain shipped models")
	}
	names := strings.Split(which, ",")
	if which == "all" {
		names = Names()
	}
	dir := t.TempDir()
	zoo := filepath.Join(dir, "zoo")
	build := exec.Command("go", "build", "-o", zoo, "github.com/gozoo/zoo/cmd/zoo")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build ./cmd/zoo: %v", err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			man, err := ManifestOf(name)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, name)
			args := append(strings.Fields(man.Command)[1:], "--out", out)
			cmd := exec.Command(zoo, args...)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v", man.Command, err)
			}
			sum, size, err := WriteLean(filepath.Join(out, "model.safetensors"), filepath.Join(dir, name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: retrained lean file sha256 %s, %d bytes; shipped %s, %d bytes", name, sum, size, man.SHA256, man.Bytes)
			if sum != man.SHA256 || size != man.Bytes {
				t.Fatalf("%s --out %s: lean file sha256 %s (%d bytes), shipped %s (%d bytes)", man.Command, out, sum, size, man.SHA256, man.Bytes)
			}
		})
	}
}
