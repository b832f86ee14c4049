package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/ensemble"
	"github.com/gozoo/zoo/training"
)

var ensembleCommon = []string{"--data", subsetDir, "--train-limit", "200", "--epochs", "3", "--batch", "40", "--hidden", "24", "--hidden-dropout", "0.2", "--seed", "5"}

// sameTensors fails unless the two checkpoints hold the same tensors bit
// for bit.
func sameTensors(t *testing.T, a, b string) {
	t.Helper()
	ca, err := training.LoadCheckpoint(a)
	must(t, err)
	cb, err := training.LoadCheckpoint(b)
	must(t, err)
	if len(ca.Tensors) != len(cb.Tensors) {
		t.Fatalf("%s has %d tensors, %s %d", a, len(ca.Tensors), b, len(cb.Tensors))
	}
	for _, ts := range ca.Tensors {
		if !reflect.DeepEqual(ts.Dense.Data(), cb.Tensor(ts.Name).Data()) {
			t.Fatalf("%s differs between %s and %s", ts.Name, a, b)
		}
	}
}

// TestTrainEnsemble trains 3 members on 2 workers and checks: member i is
// bit for bit the single run with seed 5+i (its own validation split and
// --train-limit subset included); zoo eval of the directory
// reports the result's numbers; zoo predict averages the members.
func TestTrainEnsemble(t *testing.T) {
	dir := t.TempDir()
	ens := filepath.Join(dir, "ens")
	code, stdout, stderr := runZoo(t, append([]string{"train", "mlp", "--ensemble", "3", "--workers", "2", "--out", ens}, ensembleCommon...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r ensembleResult
	decodeStrict(t, stdout, &r)
	if r.Members != 3 || r.Method != "independent" || len(r.Checkpoints) != 3 || len(r.MemberAcc) != 3 || r.ManifestPath != filepath.Join(ens, ensemble.ManifestFile) {
		t.Fatalf("result %+v", r)
	}
	single := filepath.Join(dir, "single")
	args := append([]string{"train", "mlp", "--out", single}, ensembleCommon...)
	args[len(args)-1] = "6" // --seed 6: member 1
	if code, _, stderr := runZoo(t, args...); code != exitOK {
		t.Fatalf("single run: exit %d\n%s", code, stderr)
	}
	sameTensors(t, filepath.Join(ens, "member-1", "model.safetensors"), filepath.Join(single, "model.safetensors"))

	code, stdout, stderr = runZoo(t, "eval", ens, "--data", subsetDir)
	if code != exitOK {
		t.Fatalf("eval: exit %d\n%s", code, stderr)
	}
	var ev ensembleResult
	decodeStrict(t, stdout, &ev)
	if ev.TestAcc != r.TestAcc || ev.TestLoss != r.TestLoss || !reflect.DeepEqual(ev.MemberAcc, r.MemberAcc) || ev.Disagreement != r.Disagreement {
		t.Errorf("eval %+v\ntrain %+v", ev, r)
	}
	code, stdout, stderr = runZoo(t, "eval", ens, "--data", subsetDir, "--combine", "geometric")
	if code != exitOK {
		t.Fatalf("eval --combine geometric: exit %d\n%s", code, stderr)
	}
	decodeStrict(t, stdout, &ev)
	if ev.Combine != "geometric" || ev.TestLoss == r.TestLoss {
		t.Errorf("geometric: combine %s, loss %v (arithmetic %v)", ev.Combine, ev.TestLoss, r.TestLoss)
	}

	// predict: the mean of the three members' probabilities.
	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: subsetDir})
	must(t, err)
	gray, _, _, _ := digitImages(m.Test, 0)
	png := filepath.Join(dir, "d.png")
	writePNG(t, png, gray)
	var mean []float64
	for i := range 3 {
		code, stdout, stderr := runZoo(t, "predict", filepath.Join(ens, "member-"+string(rune('0'+i)), "model.safetensors"), png)
		if code != exitOK {
			t.Fatalf("predict member %d: exit %d\n%s", i, code, stderr)
		}
		var p struct {
			Predictions []struct {
				Probabilities []float64 `json:"probabilities"`
			} `json:"predictions"`
		}
		must(t, json.Unmarshal([]byte(stdout), &p))
		if mean == nil {
			mean = make([]float64, len(p.Predictions[0].Probabilities))
		}
		for j, v := range p.Predictions[0].Probabilities {
			mean[j] += v / 3
		}
	}
	code, stdout, stderr = runZoo(t, "predict", ens, png)
	if code != exitOK {
		t.Fatalf("predict ensemble: exit %d\n%s", code, stderr)
	}
	var p struct {
		Model       string `json:"model"`
		Predictions []struct {
			Probabilities []float64 `json:"probabilities"`
		} `json:"predictions"`
	}
	must(t, json.Unmarshal([]byte(stdout), &p))
	for j, v := range p.Predictions[0].Probabilities {
		if math.Abs(v-mean[j]) > 1e-12 {
			t.Fatalf("ensemble probabilities %v, mean of the members %v", p.Predictions[0].Probabilities, mean)
		}
	}
	if !strings.Contains(p.Model, "ensemble of 3") {
		t.Errorf("model %q", p.Model)
	}
}

// TestTrainEnsembleCancelResume cancels a bagged ensemble run during the
// first member's second epoch, resumes it, and compares every member with
// an uninterrupted run's, bit for bit.
func TestTrainEnsembleCancelResume(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	code, stdout, stderr := runZoo(t, append([]string{"train", "mlp", "--ensemble", "2", "--bagging", "--workers", "1", "--out", full}, ensembleCommon...)...)
	if code != exitOK {
		t.Fatalf("uninterrupted: exit %d\n%s", code, stderr)
	}
	want := withoutTimes(t, stdout)

	cut := filepath.Join(dir, "cut")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errw := &cancelOnWrite{trigger: "member 1: epoch 1/3", cancel: cancel}
	var out bytes.Buffer
	code = run(ctx, append([]string{"train", "mlp", "--ensemble", "2", "--bagging", "--workers", "1", "--out", cut}, ensembleCommon...), &out, errw)
	if code != exitFailure {
		t.Fatalf("cancelled run: exit %d, want %d\n%s", code, exitFailure, errw.String())
	}
	if !strings.Contains(errw.String(), "--resume "+cut) {
		t.Errorf("no resume hint:\n%s", errw.String())
	}
	if _, err := os.Stat(filepath.Join(cut, "member-1", "last.safetensors")); err != nil {
		t.Fatalf("member 1 saved nothing: %v", err)
	}
	code, stdout, stderr = runZoo(t, append([]string{"train", "mlp", "--ensemble", "2", "--bagging", "--workers", "1", "--resume", cut}, ensembleCommon...)...)
	if code != exitOK {
		t.Fatalf("resumed: exit %d\n%s", code, stderr)
	}
	got := withoutTimes(t, stdout)
	delete(got, "manifest")
	delete(want, "manifest")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed ensemble differs:\n%v\n%v", got, want)
	}
	for _, m := range []string{"member-0", "member-1"} {
		sameTensors(t, filepath.Join(cut, m, "model.safetensors"), filepath.Join(full, m, "model.safetensors"))
	}
}

func TestTrainEnsembleErrors(t *testing.T) {
	for _, args := range [][]string{
		{"train", "mlp", "--ensemble", "-1"},
		{"train", "mlp", "--bagging"},
		{"train", "mlp", "--ensemble", "2", "--workers", "-1"},
	} {
		if code, _, _ := runZoo(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
