package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/training"
)

// poisoned writes a copy of the fixture checkpoint whose tensor name holds
// v at flat index 3.
func poisoned(t *testing.T, src, name string, v float64) string {
	t.Helper()
	c, err := training.LoadCheckpoint(src)
	must(t, err)
	found := false
	for _, tn := range c.Tensors {
		if tn.Name == name {
			d := tn.Dense.Data().([]float32)
			d[3] = float32(v)
			found = true
		}
	}
	if !found {
		t.Fatalf("no tensor %q in %s", name, src)
	}
	out := filepath.Join(t.TempDir(), "poisoned.safetensors")
	must(t, training.SaveCheckpoint(out, c))
	return out
}

// TestNonFiniteWeightsRefused: eval, predict and export refuse weights
// with NaN or Inf, exit 1, and name the file and the tensor.
func TestNonFiniteWeightsRefused(t *testing.T) {
	tr := trainFixture(t)
	png := filepath.Join(t.TempDir(), "digit.png")
	ds := subsetTest(t)
	gray, _, _, _ := digitImages(ds, 0)
	writePNG(t, png, gray)
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		bad := poisoned(t, tr.Checkpoint, "fc2/b", v)
		for _, args := range [][]string{{"eval", "--data", subsetDir, bad}, {"predict", bad, png}, {"export", bad, "-o", filepath.Join(t.TempDir(), "m.onnx")}} {
			code, stdout, stderr := runZoo(t, args...)
			if code != exitFailure || stdout != "" {
				t.Fatalf("%v with %v: exit %d, stdout %q", args[0], v, code, stdout)
			}
			for _, s := range []string{bad, `"fc2/b"`, "non-finite", "flat index 3"} {
				if !strings.Contains(stderr, s) {
					t.Errorf("%s with %v: stderr lacks %q:\n%s", args[0], v, s, stderr)
				}
			}
		}
	}
}

// TestEvalFromPipe: a checkpoint read through a FIFO scores exactly as the
// file does (zoo eval <(cat model.safetensors) opens such a pipe).
func TestEvalFromPipe(t *testing.T) {
	tr := trainFixture(t)
	fifo := filepath.Join(t.TempDir(), "ckpt.fifo")
	must(t, syscall.Mkfifo(fifo, 0o600))
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		f, err := os.Open(tr.Checkpoint)
		if err != nil {
			return
		}
		defer f.Close()
		io.Copy(w, f)
	}()
	piped := runEvalOK(t, fifo)
	direct := runEvalOK(t, tr.Checkpoint)
	if piped.TestLoss != direct.TestLoss || piped.TestAcc != direct.TestAcc || piped.N != direct.N {
		t.Fatalf("through a FIFO: loss %v acc %v n %d; from the file: %v %v %d", piped.TestLoss, piped.TestAcc, piped.N, direct.TestLoss, direct.TestAcc, direct.N)
	}
}

// TestEvalFIFOWithoutWriterIsInterruptible: opening a FIFO nobody writes
// blocks in the kernel; cancelling (SIGINT, SIGTERM) still ends zoo eval
// with exit 1 at once.
func TestEvalFIFOWithoutWriterIsInterruptible(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "never.fifo")
	must(t, syscall.Mkfifo(fifo, 0o600))
	for _, cmd := range [][]string{{"eval", fifo}, {"sparsity", fifo}, {"predict", fifo, "x.png"}} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		var out, errOut bytes.Buffer
		start := time.Now()
		code := run(ctx, cmd, &out, &errOut)
		if code != exitFailure || !strings.Contains(errOut.String(), "cancelled") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and cancelled", cmd[0], code, errOut.String())
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: returned %v after cancellation", cmd[0], d)
		}
		cancel()
	}
}

// writeIDX writes an IDX file with the given magic type and dims and no
// data (count 0).
func writeIDX(t *testing.T, path string, typ byte, dims ...uint32) {
	t.Helper()
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, typ})
	for _, d := range dims {
		must(t, binary.Write(&b, binary.BigEndian, d))
	}
	must(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// TestEvalEmptyTestSetIsNull: with zero test images nothing is measured,
// and every metric is null rather than 0.
func TestEvalEmptyTestSetIsNull(t *testing.T) {
	tr := trainFixture(t)
	dir := t.TempDir()
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(filepath.Join(subsetDir, f))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), 3, 0, 28, 28)
	writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), 1, 0)
	code, stdout, stderr := runZoo(t, "eval", "--data", dir, tr.Checkpoint)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	var r map[string]any
	must(t, json.Unmarshal([]byte(stdout), &r))
	for _, k := range []string{"test_loss", "test_acc", "test_error"} {
		if v, ok := r[k]; !ok || v != nil {
			t.Errorf("%s = %v, want null", k, v)
		}
	}
	if r["n"] != 0.0 {
		t.Errorf("n = %v", r["n"])
	}
}

// TestSizesBoundedBeforeAllocation: sizes from flags beyond the limits are
// usage errors naming the flag and the limit; nothing is allocated (each
// of these allocated gigabytes and crashed before).
func TestSizesBoundedBeforeAllocation(t *testing.T) {
	tr := trainFixture(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sparsity", tr.Checkpoint, "--bins", "10000000000"}, "--bins 10000000000: want 1 to 10000"},
		{[]string{"graph", "convnet-bn", "--batch", "1000000000"}, "--batch 1000000000: want 1 to 4096"},
		{[]string{"summary", "mlp", "--hidden", "100000,100000"}, "hidden width 100000 exceeds the limit of 65536"},
		{[]string{"graph", "mlp", "--hidden", "60000,60000,60000"}, "the limit is 134217728"},
		{[]string{"train", "--batch", "1000000000"}, "--batch 1000000000: want 1 to 65536"},
		{[]string{"train", "--hidden", "100000,100000"}, "hidden width 100000 exceeds the limit of 65536"},
		{[]string{"train", "--min-delta", "NaN"}, "--min-delta NaN: want a finite number"},
		{[]string{"eval", tr.Checkpoint, "--mc-samples", "-1"}, "--mc-samples -1"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runZoo(t, tt.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
}

// TestEvalNotSafetensors: an image given as the checkpoint is named as such.
func TestEvalNotSafetensors(t *testing.T) {
	png := filepath.Join(t.TempDir(), "digit.png")
	gray, _, _, _ := digitImages(subsetTest(t), 0)
	writePNG(t, png, gray)
	code, _, stderr := runZoo(t, "eval", png)
	if code != exitFailure || !strings.Contains(stderr, "not a safetensors file: it starts like a PNG image") || !strings.Contains(stderr, png) {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}

// subsetTest loads the test images of the testdata subset.
func subsetTest(t *testing.T) *datasets.Dataset {
	t.Helper()
	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: subsetDir})
	must(t, err)
	return m.Test
}

// TestExitCodesEverySubcommand: every subcommand prints its help on stdout
// with exit 0, answers an unknown flag with a two-line usage error and exit
// 2, and (where a cheap failure exists) fails with exit 1 and a message
// naming what failed.
func TestExitCodesEverySubcommand(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	failing := map[string][]string{
		"data":       {"--data", missing},
		"eval":       {missing + ".safetensors"},
		"export":     {missing + ".safetensors", "-o", filepath.Join(t.TempDir(), "m.onnx")},
		"predict":    {missing + ".safetensors", "x.png"},
		"sparsity":   {missing + ".safetensors"},
		"train":      {"mlp", "--data", missing, "--out", filepath.Join(t.TempDir(), "out")},
		"experiment": {"dropout", "--quick", "--data", missing, "--out", filepath.Join(t.TempDir(), "exp")},
	}
	for _, name := range commandNames() {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, name, "--help")
			if code != exitOK || !strings.HasPrefix(stdout, "usage: zoo "+name) || stderr != "" {
				t.Errorf("--help: exit %d, stdout %.40q, stderr %q", code, stdout, stderr)
			}
			code, stdout, stderr = runZoo(t, name, "--no-such-flag")
			if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 2 || !strings.HasPrefix(stderr, "zoo "+name+": unknown flag --no-such-flag") {
				t.Errorf("unknown flag: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			args, ok := failing[name]
			if !ok {
				return // list, summary and graph have no input that can fail
			}
			code, stdout, stderr = runZoo(t, append([]string{name}, args...)...)
			if code != exitFailure || stdout != "" || !strings.Contains(stderr, missing) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 naming %s", args, code, stdout, stderr, missing)
			}
		})
	}
	code, _, stderr := runZoo(t, "predict", "model.safetensors")
	if code != exitUsage || !strings.Contains(stderr, "at least one picture") {
		t.Errorf("predict without pictures: exit %d, %q", code, stderr)
	}
}

// TestFiniteRows: a prediction from a row with NaN or Inf is refused,
// naming the input.
func TestFiniteRows(t *testing.T) {
	names := func(i int) string { return []string{"a.png", "b.png"}[i] }
	if err := finiteRows([]float64{0.5, 0.5, 1, 0}, 2, names); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		err := finiteRows([]float64{0.5, 0.5, bad, 0}, 2, names)
		if err == nil || !strings.Contains(err.Error(), "b.png: the model's output is not finite") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestTrainOutLockedAndStaleTemps: a run into an output folder another run
// holds exits 1 naming the holder; a run that gets the folder first removes
// the temporary files a killed write left there.
func TestTrainOutLockedAndStaleTemps(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	release, err := training.LockDir(out)
	must(t, err)
	code, stdout, stderr := runZoo(t, append([]string{"train", "mlp", "--out", out}, quickTrain...)...)
	if code != exitFailure || stdout != "" || !strings.Contains(stderr, out+" is locked by pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second writer: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	must(t, release())
	stale := filepath.Join(out, ".last.safetensors.tmp-4242")
	must(t, os.WriteFile(stale, []byte("half a checkpoint"), 0o644))
	code, _, stderr = runZoo(t, append([]string{"train", "mlp", "--out", out}, quickTrain...)...)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file still there: %v", err)
	}
	if !strings.Contains(stderr, "removed 1 temporary files an interrupted run left in "+out+": .last.safetensors.tmp-4242") {
		t.Errorf("stderr does not report the removal:\n%s", stderr)
	}
}

// tampered copies the fixture's last.safetensors into a fresh folder after
// edit changes it, and returns the copy's path.
func tampered(t *testing.T, edit func(c *training.Checkpoint)) string {
	t.Helper()
	tr := trainFixture(t)
	c, err := training.LoadCheckpoint(filepath.Join(filepath.Dir(tr.Checkpoint), training.LastCheckpoint))
	must(t, err)
	edit(c)
	p := filepath.Join(t.TempDir(), "tampered", training.LastCheckpoint)
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, training.SaveCheckpoint(p, c))
	return p
}

// TestResumeKeepsItsPromiseOrRefuses: a resumed run takes the checkpoint's
// recipe; a flag that changes it is a usage error listing the change,
// unless --allow-recipe-change, and then the result says so; a checkpoint
// with a missing or misshapen optimizer buffer, non-finite weights or an
// impossible position is refused naming the file and what is wrong.
func TestResumeKeepsItsPromiseOrRefuses(t *testing.T) {
	last := tampered(t, func(*training.Checkpoint) {})
	resume := func(ckpt string, extra ...string) (int, string, string) {
		args := append([]string{"train", "--resume", ckpt, "--data", subsetDir, "--out", filepath.Join(t.TempDir(), "out")}, extra...)
		return runZoo(t, args...)
	}
	var res struct {
		Continuation  string `json:"continuation"`
		RecipeChanges []struct {
			Field string `json:"field"`
		} `json:"recipe_changes"`
		Stopped string `json:"stopped"`
	}
	code, stdout, stderr := resume(last)
	if code != exitOK {
		t.Fatalf("pure resume: exit %d\n%s", code, stderr)
	}
	must(t, json.Unmarshal([]byte(stdout), &res))
	if res.Continuation != "pure" || len(res.RecipeChanges) != 0 {
		t.Errorf("pure resume: continuation %q, changes %v", res.Continuation, res.RecipeChanges)
	}
	code, stdout, stderr = resume(last, "--batch", "25", "--hidden-dropout", "0.3")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "--batch 50 → 25") || !strings.Contains(stderr, "--hidden-dropout null → 0.3") || !strings.Contains(stderr, "--allow-recipe-change") {
		t.Errorf("conflicting flags: exit %d, stderr:\n%s", code, stderr)
	}
	code, stdout, stderr = resume(last, "--epochs", "2", "--allow-recipe-change")
	if code != exitOK {
		t.Fatalf("allowed change: exit %d\n%s", code, stderr)
	}
	must(t, json.Unmarshal([]byte(stdout), &res))
	if res.Continuation != "changed" || len(res.RecipeChanges) != 1 || res.RecipeChanges[0].Field != "epochs" || !strings.Contains(stderr, "no longer a pure continuation") {
		t.Errorf("allowed change: continuation %q, changes %v\n%s", res.Continuation, res.RecipeChanges, stderr)
	}
	setPos := func(field string, v any) func(c *training.Checkpoint) {
		return func(c *training.Checkpoint) {
			var pos map[string]any
			must(t, json.Unmarshal(c.Extra["position"], &pos))
			pos[field] = v
			b, err := json.Marshal(pos)
			must(t, err)
			c.Extra["position"] = b
		}
	}
	bad := []struct {
		name string
		edit func(c *training.Checkpoint)
		want string
	}{
		{"momentum removed", func(c *training.Checkpoint) {
			delete(c.Optimizer.Tensors, training.SlotMomentum+"/fc2/W")
		}, `momentum_buffer state for parameter "fc2/W" is missing`},
		{"momentum misshapen", func(c *training.Checkpoint) {
			c.Optimizer.Tensors[training.SlotMomentum+"/fc3/b"] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(3))
		}, `momentum_buffer state for "fc3/b" is float32 (3)`},
		{"NaN weight", func(c *training.Checkpoint) {
			for _, tn := range c.Tensors {
				if tn.Name == "fc1/W" {
					tn.Dense.Data().([]float32)[5] = float32(math.NaN())
				}
			}
		}, `tensor "fc1/W" has 1 non-finite values`},
		{"Inf momentum", func(c *training.Checkpoint) {
			c.Optimizer.Tensors[training.SlotMomentum+"/fc1/b"].Data().([]float32)[0] = float32(math.Inf(1))
		}, `"fc1/b" has 1 non-finite values`},
		{"negative epoch", func(c *training.Checkpoint) { c.Epoch = -1 }, "epoch -1 outside"},
		{"epoch 2^62", func(c *training.Checkpoint) { c.Epoch = 1 << 62 }, "epoch 4611686018427387904 outside"},
		{"batch 10^15", setPos("batch", 1e15), "batch 1000000000000000 outside 0 to 6"},
		{"batch -5", setPos("batch", -5), "batch -5 outside"},
	}
	for _, b := range bad {
		ckpt := tampered(t, b.edit)
		start := time.Now()
		code, stdout, stderr := resume(ckpt)
		if code != exitFailure || stdout != "" || !strings.Contains(stderr, ckpt) || !strings.Contains(stderr, b.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant exit 1 naming %s and %q", b.name, code, stdout, stderr, ckpt, b.want)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: took %v", b.name, d)
		}
	}
}
