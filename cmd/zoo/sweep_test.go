package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/sweep"
	"github.com/gozoo/zoo/training"
)

// writeSpec writes a sweep spec into a new folder and returns its path;
// the sweep's output goes to that folder's sweeps/NAME (text must be a
// JSON object without "out").
func writeSpec(t *testing.T, name, text string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name+".json")
	out, _ := json.Marshal(filepath.Join(dir, "sweeps", name))
	text = strings.Replace(text, "{", `{"out": `+string(out)+", ", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sweepPlan runs zoo sweep plan.
func sweepPlan(t *testing.T, spec string) *sweep.Plan {
	t.Helper()
	code, stdout, stderr := runZoo(t, "sweep", "plan", spec)
	if code != exitOK {
		t.Fatalf("zoo sweep plan: exit %d\n%s", code, stderr)
	}
	var p sweep.Plan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestSweepPlanResolvesRecipes(t *testing.T) {
	spec := writeSpec(t, "p", `{"base": {"model": "mlp", "config": {"hidden": [32]}, "epochs": 1},
		"axes": [{"path": "lr", "values": [0.1, 1e-1, 0.2]}]}`)
	code, _, stderr := runZoo(t, "sweep", "plan", spec)
	if code != exitFailure || !strings.Contains(stderr, "same recipe") {
		t.Fatalf("0.1 twice: exit %d, %s", code, stderr)
	}
	spec = writeSpec(t, "p", `{"base": {"model": "mlp", "config": {"hidden": [32]}, "epochs": 1},
		"axes": [{"path": "lr", "values": [0.1, 0.2]}], "seeds": {"values": [3, 4]}}`)
	p := sweepPlan(t, spec)
	if len(p.Runs) != 4 || p.Out != filepath.Join(filepath.Dir(spec), "sweeps", "p") {
		t.Fatalf("plan %d runs into %s", len(p.Runs), p.Out)
	}
	r, err := models.ParseRecipe(p.Runs[3].Recipe)
	if err != nil {
		t.Fatal(err)
	}
	// The full recipe: the mlp's registry recipe, then the spec.
	if r.Model != "mlp" || r.LR != 0.2 || r.Seed != 4 || r.Epochs != 1 || r.BatchSize != 128 ||
		r.Optimizer != "sgd" || r.Momentum != 0.9 || r.Schedule != "cosine" || len(r.Config.Hidden) != 1 {
		t.Fatalf("recipe %s", p.Runs[3].Recipe)
	}
	for name, text := range map[string]string{
		"typo":       `{"base": {"lrr": 0.1}}`,
		"bad value":  `{"base": {"epochs": 0}}`,
		"bad model":  `{"base": {"model": "nope"}}`,
		"bad config": `{"base": {"config": {"activation": "swish"}}}`,
		"test best":  `{"base": {}, "metric": "test_acc"}`,
	} {
		code, _, stderr := runZoo(t, "sweep", "plan", writeSpec(t, "bad", text))
		if code != exitFailure || !strings.Contains(stderr, "zoo sweep plan: ") {
			t.Errorf("%s: exit %d, %s", name, code, stderr)
		}
	}
	for _, args := range [][]string{{"sweep"}, {"sweep", "bogus"}, {"sweep", "plan"}, {"sweep", "run", spec, "--workers", "0"},
		{"sweep", "run", spec, "--index", "4"}, {"sweep", "submit", spec, "--cpus-per-task", "0"}} {
		if code, _, _ := runZoo(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestSweepRunCollectSubmit(t *testing.T) {
	data, _ := filepath.Abs(subsetDir)
	spec := writeSpec(t, "tiny", `{"base": {"model": "mlp", "config": {"hidden": [16]}, "epochs": 1, "batch_size": 50, "train_limit": 100},
		"axes": [{"path": "lr", "values": [0.05, 0.2]}], "seeds": {"values": [1, 2]}}`)
	p := sweepPlan(t, spec)
	code, stdout, stderr := runZoo(t, "sweep", "run", spec, "--data", data, "--index", "2")
	if code != exitOK {
		t.Fatalf("zoo sweep run --index 2: exit %d\n%s", code, stderr)
	}
	var rep sweepRunResult
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Done != 1 || rep.Runs[0].Index != 2 {
		t.Fatalf("%v %s", err, stdout)
	}
	// The run is zoo train --recipe of its recipe: the same numbers and
	// the same model file.
	recipe := filepath.Join(t.TempDir(), "recipe.json")
	os.WriteFile(recipe, p.Runs[2].Recipe, 0o644)
	out := filepath.Join(t.TempDir(), "train")
	code, trainOut, stderr := runZoo(t, "train", "--recipe", recipe, "--data", data, "--out", out)
	if code != exitOK {
		t.Fatalf("zoo train: %s", stderr)
	}
	var tr struct {
		ValAcc   float64 `json:"val_acc"`
		TestLoss float64 `json:"test_loss"`
	}
	json.Unmarshal([]byte(trainOut), &tr)
	if m := rep.Runs[0].Metrics; float64(m["val_acc"]) != tr.ValAcc || float64(m["test_loss"]) != tr.TestLoss {
		t.Fatalf("sweep run %v, zoo train %+v", m, tr)
	}
	a, _ := os.ReadFile(filepath.Join(p.Runs[2].Dir, training.ModelFile))
	b, _ := os.ReadFile(filepath.Join(out, training.ModelFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("model.safetensors of the sweep run (%d bytes) and of zoo train (%d bytes) differ", len(a), len(b))
	}
	// Submit: only the three unfinished runs, through a stand-in sbatch.
	sbatch := filepath.Join(t.TempDir(), "sbatch")
	os.WriteFile(sbatch, []byte("#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/args\"\necho '4242;cluster'\n"), 0o755)
	code, stdout, stderr = runZoo(t, "sweep", "submit", spec, "--sbatch", sbatch, "--zoo", "/shared/zoo", "--max-parallel", "2", "--time", "5:00")
	var sub sweepSubmitResult
	if json.Unmarshal([]byte(stdout), &sub); code != exitOK || sub.JobID != "4242" || sub.Array != "0-1,3" || sub.Pending != 3 || sub.Finished != 1 {
		t.Fatalf("submit: exit %d, %+v\n%s", code, sub, stderr)
	}
	script, _ := os.ReadFile(sub.Script)
	args, _ := os.ReadFile(filepath.Join(filepath.Dir(sbatch), "args"))
	if string(args) != "--parsable "+sub.Script+"\n" || !strings.Contains(string(script), "--array=0-1,3%2\n") ||
		!strings.Contains(string(script), "exec /shared/zoo sweep run "+spec+" --index") {
		t.Fatalf("sbatch %s\n%s", args, script)
	}
	// The rest locally, two at a time; run 2 is skipped.
	code, stdout, stderr = runZoo(t, "sweep", "run", spec, "--data", data, "--workers", "2")
	if json.Unmarshal([]byte(stdout), &rep); code != exitOK || rep.Done != 3 || rep.Skipped != 1 || strings.Count(stderr, "sweep tiny: [") != 4 {
		t.Fatalf("zoo sweep run: exit %d %+v\n%s", code, rep.Report, stderr)
	}
	code, stdout, stderr = runZoo(t, "sweep", "collect", spec)
	var col sweepCollectResult
	if err := json.Unmarshal([]byte(stdout), &col); err != nil || code != exitOK || col.Done != 4 || len(col.Configs) != 2 || col.Best == nil || len(col.Files) != 4 {
		t.Fatalf("collect: exit %d %v\n%s\n%s", code, err, stdout, stderr)
	}
	for _, f := range col.Files {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if code, _, _ := runZoo(t, "sweep", "collect", spec, "--metric", "test_acc"); code != exitUsage {
		t.Errorf("collect --metric test_acc: exit %d", code)
	}
	if code, stdout, _ := runZoo(t, "sweep", "submit", spec, "--sbatch", sbatch); code != exitOK || !strings.Contains(stdout, `"pending": 0`) {
		t.Errorf("submit of a finished sweep: exit %d %s", code, stdout)
	}
}

// TestSweepSIGTERMResumesBitForBit stops a run of zoo sweep run with
// SIGTERM (what Slurm sends at a time limit, on scancel or on requeue)
// after its second epoch, runs the same command again, and compares the
// result with an uninterrupted run of the same recipe: the saved models
// must be equal byte for byte.
func TestSweepSIGTERMResumesBitForBit(t *testing.T) {
	bin := zooBinary(t)
	data, _ := filepath.Abs(subsetDir)
	const text = `{"base": {"model": "mlp", "epochs": 30, "batch_size": 50, "patience": 40}, "seeds": {"values": [3]}}`
	ref, killed := writeSpec(t, "r", text), writeSpec(t, "r", text)
	if code, _, stderr := runZoo(t, "sweep", "run", ref, "--data", data); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d\n%s", code, stderr)
	}
	refRun, run := sweepPlan(t, ref).Runs[0], sweepPlan(t, killed).Runs[0]
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "sweep", "run", killed, "--data", data)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(run.Dir, sweepLog)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(logPath); bytes.Contains(b, []byte("\nepoch 2/30 ")) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no second epoch in %s within 2 minutes\n%s", logPath, stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exitErr) || exitErr.ExitCode() != exitFailure {
		t.Fatalf("after SIGTERM: %v, want exit status 1\n%s", err, stderr.String())
	}
	if _, ok := sweep.ReadRecord(run); ok {
		t.Fatalf("the run finished before SIGTERM arrived (a machine this fast needs more epochs)\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(run.Dir, training.LastCheckpoint)); err != nil {
		t.Fatalf("no checkpoint after SIGTERM: %v", err)
	}
	// Run again, as a requeued Slurm task does: it resumes the checkpoint.
	out, err := exec.Command(bin, "sweep", "run", killed, "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	log, _ := os.ReadFile(logPath)
	if bytes.Count(log, []byte("zoo train: mlp, ")) != 2 || !bytes.Contains(log, []byte("zoo sweep: cancelled; ")) {
		t.Fatalf("log of the killed run:\n%s", log)
	}
	if resumed := string(log[bytes.LastIndex(log, []byte("zoo train: mlp, ")):]); strings.Contains(resumed, "\nepoch 1/30 ") || strings.Contains(resumed, "\nepoch 2/30 ") {
		t.Fatalf("the second attempt started over instead of resuming:\n%s", resumed)
	}
	for _, f := range []string{training.ModelFile, training.BestCheckpoint} {
		a, errA := os.ReadFile(filepath.Join(refRun.Dir, f))
		b, errB := os.ReadFile(filepath.Join(run.Dir, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: interrupted and uninterrupted runs differ (%v, %v)", f, errA, errB)
		}
	}
	recA, _ := sweep.ReadRecord(refRun)
	recB, _ := sweep.ReadRecord(run)
	ma, _ := json.Marshal(recA.Metrics)
	mb, _ := json.Marshal(recB.Metrics)
	if string(ma) != string(mb) {
		t.Errorf("metrics: uninterrupted %s, interrupted %s", ma, mb)
	}
}

// TestSweepExamples plans every example spec of the sweep package's docs.
func TestSweepExamples(t *testing.T) {
	specs, _ := filepath.Glob(filepath.Join("..", "..", "sweep", "examples", "*.json"))
	if len(specs) == 0 {
		t.Fatal("no example specs")
	}
	for _, spec := range specs {
		s, err := sweep.LoadSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		s.Out = t.TempDir()
		p, err := s.Plan(resolveSweepRecipe)
		if err != nil || len(p.Runs) == 0 {
			t.Errorf("%s: %v", spec, err)
		}
		if filepath.Base(spec) != "dropout-seeds.json" {
			continue
		}
		// The Kubernetes example runs this spec: one completion per run.
		k8s, err := os.ReadFile(filepath.Join(filepath.Dir(spec), "k8s-indexed-job.yaml"))
		if err != nil || !strings.Contains(string(k8s), fmt.Sprintf("\n  completions: %d\n", len(p.Runs))) {
			t.Errorf("k8s-indexed-job.yaml: want completions: %d (%v)", len(p.Runs), err)
		}
	}
}
