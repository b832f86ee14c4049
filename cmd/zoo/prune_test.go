package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
	"github.com/gozoo/zoo/training/safetensors"
)

// TestPrune prunes a 2-epoch mlp (64 hidden units) to 90% sparsity by OBD in
// two rounds with one epoch of retraining each, and checks the checkpoint
// against the report: round(0.9·n) of the n weights are masked and exactly
// zero, and zoo eval scores it at the report's last test error.
func TestPrune(t *testing.T) {
	base := pruneBase(t)
	out := filepath.Join(t.TempDir(), "pruned")
	code, stdout, stderr := runZoo(t, "prune", base, "--criterion", "obd", "--sparsity", "0.9",
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
	mask := filepath.Join(dir, "m.safetensors")
	must(t, os.WriteFile(mask, nil, 0o644))
	for _, args := range [][]string{
		{"prune", "mlp", "--criterion", "hessian", "--out", dir},
		{"prune", "mlp", "--sparsity", "1.5", "--out", dir},
		{"prune", "mlp"},
		{"prune", "no-such-model-or-file", "--out", dir},
		{"prune", "mlp", "--scope", "layer", "--out", dir},
		{"prune", "mlp", "--mask", filepath.Join(dir, "no-such-mask"), "--out", dir},
		{"prune", "mlp", "--mask", mask, "--criterion", "obd", "--out", dir},
		{"prune", "mlp", "--mask", mask, "--sparsity", "0.5", "--steps", "2", "--out", dir},
	} {
		if code, _, _ := runZoo(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

var (
	pruneBaseOnce sync.Once
	pruneBasePath string
	pruneBaseErr  string
)

// pruneBase returns the checkpoint of a 2-epoch mlp with 64 hidden units
// trained on 100 images of the testdata subset, trained once per test run.
func pruneBase(t *testing.T) string {
	t.Helper()
	pruneBaseOnce.Do(func() {
		dir := filepath.Join(fixtureDir, "prune-base")
		code, _, stderr := runZoo(t, "train", "mlp", "--out", dir, "--data", subsetDir, "--train-limit", "100", "--epochs", "2", "--hidden", "64")
		if code != exitOK {
			pruneBaseErr = fmt.Sprintf("train: exit %d\n%s", code, stderr)
		}
		pruneBasePath = filepath.Join(dir, training.ModelFile)
	})
	if pruneBaseErr != "" {
		t.Fatal(pruneBaseErr)
	}
	return pruneBasePath
}

// cancelOn is a stderr that cancels a context once its text contains a
// marker.
type cancelOn struct {
	syncBuffer
	marker string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.syncBuffer.Write(p)
	if strings.Contains(c.String(), c.marker) {
		c.cancel()
	}
	return n, err
}

// readMask returns the mask file's tensors by name.
func readMask(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	ts, md, err := safetensors.ReadFile(path)
	must(t, err)
	if md["format"] != maskFormat {
		t.Fatalf("%s: format %q", path, md["format"])
	}
	out := map[string][]float32{}
	for _, ts := range ts {
		out[ts.Name] = ts.Dense.Data().([]float32)
	}
	return out
}

// TestPruneCancelled cancels a two-round magnitude prune (90% in two rounds,
// one epoch of retraining each) as round 2 begins retraining, and checks
// that OUT holds round 1's result whole: the report with one round and
// "stopped": "cancelled", a mask of round 1's sparsity (1 − √0.1 of the
// weights), a model whose weights are zero exactly where that mask is 0 (so
// round 2's pruning is not in it) and that zoo eval scores at round 1's
// retrained test loss and error, and no temporary files.
func TestPruneCancelled(t *testing.T) {
	base := pruneBase(t)
	out := filepath.Join(t.TempDir(), "pruned")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelOn{marker: "round 2/2: ", cancel: cancel}
	var stdout bytes.Buffer
	code := run(ctx, []string{"prune", base, "--criterion", "magnitude", "--sparsity", "0.9", "--steps", "2",
		"--retrain-epochs", "1", "--data", subsetDir, "--out", out}, &stdout, stderr)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "cancelled") {
		t.Errorf("stderr does not say cancelled:\n%s", stderr.String())
	}
	var r pruneReport
	decodeStrict(t, stdout.String(), &r)
	if r.Stopped != pruneCancelled || len(r.Rounds) != 1 || r.Rounds[0].RetrainedTestError == nil {
		t.Fatalf("report: stopped %q, %d rounds", r.Stopped, len(r.Rounds))
	}
	file, err := os.ReadFile(filepath.Join(out, "report.json"))
	must(t, err)
	if string(file) != stdout.String() {
		t.Errorf("report.json differs from stdout:\n%s", file)
	}
	m, _, _, err := models.Load(r.Checkpoint)
	must(t, err)
	mask, err := loadMask(r.Mask, m)
	must(t, err)
	want := 1 - math.Sqrt(0.1)
	if got := mask.Sparsity(); math.Abs(got-want) > 0.001 || got != r.Rounds[0].Sparsity {
		t.Errorf("mask sparsity %v, want %.4f (round 1's, reported %v)", got, want, r.Rounds[0].Sparsity)
	}
	for _, name := range mask.Names() {
		kept, _ := mask.Kept(name)
		v, _ := m.Store().Lookup(name)
		for i, w := range v.Float64s() {
			if (w == 0) == kept[i] {
				t.Fatalf("%s[%d] = %g, kept %v", name, i, w, kept[i])
			}
		}
	}
	code, evOut, evErr := runZoo(t, "eval", r.Checkpoint, "--data", subsetDir)
	if code != exitOK {
		t.Fatalf("eval: exit %d\n%s", code, evErr)
	}
	var ev map[string]any
	must(t, json.Unmarshal([]byte(evOut), &ev))
	if ev["test_loss"].(float64) != float64(*r.Rounds[0].RetrainedTestLoss) || ev["test_error"].(float64) != float64(*r.Rounds[0].RetrainedTestError) {
		t.Errorf("zoo eval: test loss %v, error %v; the report says %v, %v", ev["test_loss"], ev["test_error"], *r.Rounds[0].RetrainedTestLoss, *r.Rounds[0].RetrainedTestError)
	}
	if tmp, _ := filepath.Glob(filepath.Join(out, ".*tmp*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestPruneMask prunes the base model by magnitude to 60% without
// retraining, applies the saved mask to the base model with --mask, and
// checks the weights: zero where the mask is 0, the base model's elsewhere
// (and so the pruned model's everywhere), the other parameters untouched;
// with --retrain-epochs the masked weights stay zero. Masks that do not fit
// the model are refused with an error naming the tensor.
func TestPruneMask(t *testing.T) {
	base := pruneBase(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "first")
	if code, _, stderr := runZoo(t, "prune", base, "--criterion", "magnitude", "--sparsity", "0.6", "--data", subsetDir, "--out", first); code != exitOK {
		t.Fatalf("prune: exit %d\n%s", code, stderr)
	}
	maskPath := filepath.Join(first, maskFile)
	masks := readMask(t, maskPath)
	orig, err := training.LoadCheckpoint(base)
	must(t, err)
	pruned, err := training.LoadCheckpoint(filepath.Join(first, training.ModelFile))
	must(t, err)

	again := filepath.Join(dir, "again")
	code, stdout, stderr := runZoo(t, "prune", base, "--mask", maskPath, "--data", subsetDir, "--out", again)
	if code != exitOK {
		t.Fatalf("prune --mask: exit %d\n%s", code, stderr)
	}
	var r pruneReport
	decodeStrict(t, stdout, &r)
	if r.Criterion != maskCriterion || r.MaskSource != maskPath || len(r.Rounds) != 1 || r.Stopped != pruneCompleted {
		t.Fatalf("report: criterion %q, mask %q, %d rounds, stopped %q", r.Criterion, r.MaskSource, len(r.Rounds), r.Stopped)
	}
	got, err := training.LoadCheckpoint(r.Checkpoint)
	must(t, err)
	for _, ts := range orig.Tensors {
		w, o, p := got.Tensor(ts.Name).Data().([]float32), ts.Dense.Data().([]float32), pruned.Tensor(ts.Name).Data().([]float32)
		keep, masked := masks[regularizers.MaskPrefix+ts.Name]
		for i := range w {
			want := o[i]
			if masked && keep[i] == 0 {
				want = 0
			}
			if w[i] != want || w[i] != p[i] {
				t.Fatalf("%s[%d] = %g, want %g (base %g, pruned %g)", ts.Name, i, w[i], want, o[i], p[i])
			}
		}
	}
	if again := readMask(t, r.Mask); len(again) != len(masks) {
		t.Errorf("OUT/mask.safetensors holds %d tensors, want %d", len(again), len(masks))
	}

	retrained := filepath.Join(dir, "retrained")
	if code, _, stderr := runZoo(t, "prune", base, "--mask", maskPath, "--retrain-epochs", "1", "--data", subsetDir, "--out", retrained); code != exitOK {
		t.Fatalf("prune --mask --retrain-epochs 1: exit %d\n%s", code, stderr)
	}
	got, err = training.LoadCheckpoint(filepath.Join(retrained, training.ModelFile))
	must(t, err)
	changed := false
	for name, keep := range masks {
		w := got.Tensor(strings.TrimPrefix(name, regularizers.MaskPrefix)).Data().([]float32)
		o := orig.Tensor(strings.TrimPrefix(name, regularizers.MaskPrefix)).Data().([]float32)
		for i, k := range keep {
			if k == 0 && w[i] != 0 {
				t.Fatalf("retrained %s[%d] = %g, masked", name, i, w[i])
			}
			changed = changed || w[i] != o[i] && k == 1
		}
	}
	if !changed {
		t.Error("retraining changed no kept weight")
	}

	// Mask files that do not fit: each is written from the good mask's
	// tensors with one change.
	names := slices.Sorted(maps.Keys(masks))
	victim := names[0]
	param := strings.TrimPrefix(victim, regularizers.MaskPrefix) // errors name the parameter or its mask tensor
	write := func(name string, md map[string]string, edit func(map[string]*tensor.Dense)) string {
		ts := map[string]*tensor.Dense{}
		all, _, err := safetensors.ReadFile(maskPath)
		must(t, err)
		for _, x := range all {
			ts[x.Name] = x.Dense
		}
		edit(ts)
		var list []safetensors.Tensor
		for _, n := range slices.Sorted(maps.Keys(ts)) {
			list = append(list, safetensors.Tensor{Name: n, Dense: ts[n]})
		}
		var b bytes.Buffer
		must(t, safetensors.Write(&b, list, md))
		path := filepath.Join(dir, name+".safetensors")
		must(t, os.WriteFile(path, b.Bytes(), 0o644))
		return path
	}
	ours := map[string]string{"format": maskFormat, "model": "mlp"}
	for _, c := range []struct {
		name  string
		md    map[string]string
		edit  func(map[string]*tensor.Dense)
		wants []string
	}{
		{"missing", ours, func(ts map[string]*tensor.Dense) { delete(ts, victim) }, []string{victim}},
		{"shape", ours, func(ts map[string]*tensor.Dense) {
			ts[victim] = tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 0, 1, 0}))
		}, []string{param, "shape"}},
		{"half", ours, func(ts map[string]*tensor.Dense) {
			d := ts[victim].Clone().(*tensor.Dense)
			d.Data().([]float32)[3] = 0.5
			ts[victim] = d
		}, []string{param, "0.5"}},
		{"extra", ours, func(ts map[string]*tensor.Dense) {
			ts["mask/conv1/W"] = tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 0}))
		}, []string{"mask/conv1/W"}},
		{"other-model", map[string]string{"format": maskFormat, "model": "convnet"}, func(ts map[string]*tensor.Dense) {
			ts["mask/conv1/W"] = tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 0}))
		}, []string{"mask/conv1/W", "convnet"}},
		{"other-name", map[string]string{"format": maskFormat, "model": "mlp-dropout"}, func(map[string]*tensor.Dense) {}, []string{"mlp-dropout"}},
		{"not-a-mask", map[string]string{"format": "pt"}, func(map[string]*tensor.Dense) {}, []string{"zoo-mask"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := write(c.name, c.md, c.edit)
			code, _, stderr := runZoo(t, "prune", base, "--mask", path, "--data", subsetDir, "--out", filepath.Join(dir, "bad-"+c.name))
			if code != exitFailure {
				t.Fatalf("exit %d, want %d\n%s", code, exitFailure, stderr)
			}
			for _, w := range append(c.wants, path) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "bad-"+c.name, training.ModelFile)); err == nil {
				t.Error("a model was written")
			}
		})
	}
}
