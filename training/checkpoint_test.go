package training

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/training/safetensors"
)

// modelTensors returns a small model's tensors: float32 weights, a float64
// buffer and a scalar.
func modelTensors(seed uint64) []safetensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	return []safetensors.Tensor{
		{Name: "fc1/W", Dense: randDense(rng, tensor.Float32, 4, 3)},
		{Name: "fc1/b", Dense: randDense(rng, tensor.Float32, 3)},
		{Name: "bn/running_var", Dense: randDense(rng, tensor.Float64, 3)},
		{Name: "bn/num_batches", Dense: randDense(rng, tensor.Float64)},
	}
}

// sampleCheckpoint returns a checkpoint with every field set, including
// non-finite numbers, and the Adam optimizer that produced its state.
func sampleCheckpoint(t testing.TB) (*Checkpoint, []Param) {
	t.Helper()
	model := modelTensors(1)
	params := []Param{{Name: "fc1/W", Value: model[0].Dense, Decay: true}, {Name: "fc1/b", Value: model[1].Dense}}
	opt, err := NewAdam(AdamConfig{AMSGrad: true})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2 {
		for i := range params {
			params[i].Grad = randDense(rng, tensor.Float32, params[i].Value.Shape()...)
		}
		if err := opt.Step(params); err != nil {
			t.Fatal(err)
		}
	}
	pcg := rand.NewPCG(11, 12)
	pcg.Uint64()
	rngState, err := pcg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	es, _ := NewEarlyStopping(EarlyStoppingConfig{Patience: 2})
	es.Update(0, math.NaN()) // best stays +Inf
	pl, _ := NewReduceLROnPlateau(ReduceLROnPlateauConfig{Mode: ModeMax})
	pl.Step(0.5, 0.1)
	st := opt.State()
	esState, plState := es.State(), pl.State()
	return &Checkpoint{
		ModelName:      "mlp-test",
		ModelConfig:    json.RawMessage(`{"hidden":[3]}`),
		TrainingConfig: json.RawMessage(`{"epochs":5,"lr":0.001}`),
		Seed:           math.MaxUint64 - 1,
		Epoch:          2,
		Metrics:        map[string]float64{"val_loss": 0.25, "loss": math.NaN(), "grad_norm": math.Inf(1), "tiny": 5e-324},
		RNG:            map[string][]byte{"shuffle": rngState, "dropout": {0, 1, 2, 255}},
		Stopped:        StopCancelled,
		Tensors:        model,
		Optimizer:      &st,
		EarlyStopping:  &esState,
		Plateau:        &plState,
		Extra:          map[string]json.RawMessage{"history": json.RawMessage(`[{"epoch":0}]`)},
	}, params
}

func TestCheckpointRoundTrip(t *testing.T) {
	c, _ := sampleCheckpoint(t)
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != path || got.Version != Version {
		t.Errorf("Path %q, Version %q", got.Path, got.Version)
	}
	if got.ModelName != c.ModelName || got.Seed != c.Seed || got.Epoch != c.Epoch || got.Stopped != c.Stopped ||
		string(got.ModelConfig) != string(c.ModelConfig) || string(got.TrainingConfig) != string(c.TrainingConfig) ||
		string(got.Extra["history"]) != string(c.Extra["history"]) {
		t.Errorf("scalar fields differ:\n got %+v\nwant %+v", got, c)
	}
	if len(got.Metrics) != len(c.Metrics) {
		t.Errorf("metrics %v, want %v", got.Metrics, c.Metrics)
	}
	for k, v := range c.Metrics {
		if g := got.Metrics[k]; math.Float64bits(g) != math.Float64bits(v) && !(math.IsNaN(g) && math.IsNaN(v)) {
			t.Errorf("metric %s = %v, want %v", k, g, v)
		}
	}
	for k, v := range c.RNG {
		if !bytes.Equal(got.RNG[k], v) {
			t.Errorf("RNG %s = %v, want %v", k, got.RNG[k], v)
		}
	}
	if len(got.Tensors) != len(c.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(c.Tensors))
	}
	for i, want := range c.Tensors {
		g := got.Tensors[i]
		if g.Name != want.Name || !sameShape(g.Dense.Shape(), want.Dense.Shape()) || !sameBits(g.Dense, want.Dense) {
			t.Errorf("tensor %q differs", want.Name)
		}
	}
	o, w := got.Optimizer, c.Optimizer
	if o.Algorithm != w.Algorithm || o.LR != w.LR || len(o.Steps) != len(w.Steps) || len(o.Tensors) != len(w.Tensors) {
		t.Fatalf("optimizer state %+v, want %+v", o, w)
	}
	for k, v := range w.Tensors {
		if !sameBits(o.Tensors[k], v) {
			t.Errorf("optimizer tensor %s differs", k)
		}
	}
	for k, v := range w.Steps {
		if o.Steps[k] != v {
			t.Errorf("steps[%s] = %d, want %d", k, o.Steps[k], v)
		}
	}
	if *got.EarlyStopping != *c.EarlyStopping || *got.Plateau != *c.Plateau {
		t.Errorf("states: %+v %+v, want %+v %+v", *got.EarlyStopping, *got.Plateau, *c.EarlyStopping, *c.Plateau)
	}
	if !math.IsInf(got.EarlyStopping.Best, 1) || got.Plateau.Best != 0.5 {
		t.Errorf("best values %v %v", got.EarlyStopping.Best, got.Plateau.Best)
	}
	// The same checkpoint saved twice gives the same bytes.
	path2 := filepath.Join(t.TempDir(), "again.ckpt")
	if err := SaveCheckpoint(path2, got); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(path)
	b2, _ := os.ReadFile(path2)
	if !bytes.Equal(b1, b2) {
		t.Error("re-saving a loaded checkpoint changed the file")
	}
}

// TestCheckpointResume: an optimizer restored from a checkpoint file
// continues exactly like the original, and so does the restored RNG.
func TestCheckpointResume(t *testing.T) {
	c, params := sampleCheckpoint(t)
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	model := modelTensors(99) // different values, same shapes
	if err := got.Restore("mlp-test", model); err != nil {
		t.Fatal(err)
	}
	resumed := []Param{{Name: "fc1/W", Value: model[0].Dense, Decay: true}, {Name: "fc1/b", Value: model[1].Dense}}
	opt2, _ := NewAdam(AdamConfig{AMSGrad: true})
	if err := opt2.LoadState(*got.Optimizer); err != nil {
		t.Fatal(err)
	}
	opt1, _ := NewAdam(AdamConfig{AMSGrad: true})
	if err := opt1.LoadState(*c.Optimizer); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3 {
		for i := range params {
			g := randDense(rng, tensor.Float32, params[i].Value.Shape()...)
			params[i].Grad, resumed[i].Grad = g, g.Clone().(*tensor.Dense)
		}
		if err := opt1.Step(params); err != nil {
			t.Fatal(err)
		}
		if err := opt2.Step(resumed); err != nil {
			t.Fatal(err)
		}
	}
	for i := range params {
		if !sameBits(params[i].Value, resumed[i].Value) {
			t.Errorf("%s: resumed from file differs", params[i].Name)
		}
	}
	var a, b rand.PCG
	if err := a.UnmarshalBinary(c.RNG["shuffle"]); err != nil {
		t.Fatal(err)
	}
	if err := b.UnmarshalBinary(got.RNG["shuffle"]); err != nil {
		t.Fatal(err)
	}
	if a.Uint64() != b.Uint64() {
		t.Error("restored RNG differs")
	}
}

func TestCheckpointDamagedFiles(t *testing.T) {
	c, _ := sampleCheckpoint(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ckpt")
	if err := SaveCheckpoint(good, c); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(data[0]) | int(data[1])<<8 | int(data[2])<<16
	corrupt := func(i int, b byte) []byte {
		d := append([]byte(nil), data...)
		d[i] = b
		return d
	}
	plain := new(bytes.Buffer)
	if err := safetensors.Write(plain, modelTensors(1), map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	badMeta := new(bytes.Buffer)
	if err := safetensors.Write(badMeta, modelTensors(1), map[string]string{checkpointMetaKey: `{"format":1,"epoch":"two"}`}); err != nil {
		t.Fatal(err)
	}
	newer := new(bytes.Buffer)
	if err := safetensors.Write(newer, nil, map[string]string{checkpointMetaKey: `{"format":2}`}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, safetensors.ErrTruncated},
		{"cut in the length", data[:5], safetensors.ErrTruncated},
		{"cut in the header", data[:8+hlen/2], safetensors.ErrTruncated},
		{"cut after the header", data[:8+hlen], safetensors.ErrTruncated},
		{"cut in the data", data[:len(data)-7], safetensors.ErrTruncated},
		{"header length corrupted", corrupt(3, 0x7f), safetensors.ErrHeader},
		{"header JSON corrupted", corrupt(8, 'x'), safetensors.ErrHeader},
		{"header JSON corrupted inside", corrupt(8+hlen/2, 0), safetensors.ErrHeader},
		{"not a zoo checkpoint", plain.Bytes(), ErrCheckpoint},
		{"bad metadata", badMeta.Bytes(), ErrCheckpoint},
		{"newer format", newer.Bytes(), ErrCheckpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".ckpt")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCheckpoint(p)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := LoadCheckpoint(filepath.Join(dir, "absent.ckpt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestCheckCompatible(t *testing.T) {
	c, _ := sampleCheckpoint(t)
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	model := modelTensors(5)
	without := func(name string) []safetensors.Tensor {
		var out []safetensors.Tensor
		for _, t := range model {
			if t.Name != name {
				out = append(out, t)
			}
		}
		return out
	}
	with := func(extra safetensors.Tensor) []safetensors.Tensor {
		return append(append([]safetensors.Tensor(nil), model...), extra)
	}
	replaced := func(name string, d *tensor.Dense) []safetensors.Tensor {
		out := append([]safetensors.Tensor(nil), model...)
		for i := range out {
			if out[i].Name == name {
				out[i].Dense = d
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name  string
		model string
		ts    []safetensors.Tensor
		ok    bool
		says  string
	}{
		{"same model", "mlp-test", model, true, ""},
		{"other model name", "convnet", model, false, `not "convnet"`},
		{"checkpoint has an extra tensor", "mlp-test", without("fc1/b"), false, `no tensor "fc1/b"`},
		{"checkpoint lacks a tensor", "mlp-test", with(safetensors.Tensor{Name: "fc2/W", Dense: randDense(rng, tensor.Float32, 3, 2)}), false, `"fc2/W" is missing`},
		{"other shape", "mlp-test", replaced("fc1/W", randDense(rng, tensor.Float32, 3, 4)), false, "(4, 3), the model has float32 (3, 4)"},
		{"other dtype", "mlp-test", replaced("fc1/b", randDense(rng, tensor.Float64, 3)), false, "float32 (3), the model has float64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := got.CheckCompatible(tc.model, tc.ts)
			if (err == nil) != tc.ok {
				t.Fatalf("error %v, want ok %v", err, tc.ok)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrIncompatibleCheckpoint) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q: want ErrIncompatibleCheckpoint naming %s and saying %q", err, path, tc.says)
			}
			before := bits(tc.ts[0].Dense)
			if rerr := got.Restore(tc.model, tc.ts); rerr == nil {
				t.Error("Restore accepted an incompatible model")
			}
			if after := bits(tc.ts[0].Dense); after[0] != before[0] {
				t.Error("Restore changed a tensor despite the error")
			}
		})
	}
	if err := got.Restore("mlp-test", model); err != nil {
		t.Fatal(err)
	}
	for i := range model {
		if !sameBits(model[i].Dense, c.Tensors[i].Dense) {
			t.Errorf("Restore did not copy %s", model[i].Name)
		}
	}
}

// listDir returns the names in dir.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveCheckpointIsAtomic(t *testing.T) {
	c, _ := sampleCheckpoint(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "last.ckpt")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "last.ckpt" {
		t.Fatalf("directory after a save holds %v", names)
	}
	old, _ := os.ReadFile(path)

	// A tensor that cannot be encoded makes the write fail after the
	// temporary file exists.
	bad := *c
	bad.Epoch = 3
	bad.Tensors = append(append([]safetensors.Tensor(nil), c.Tensors...),
		safetensors.Tensor{Name: "complex", Dense: tensor.New(tensor.WithShape(1), tensor.WithBacking([]complex64{1}))})
	err := SaveCheckpoint(path, &bad)
	if !errors.Is(err, safetensors.ErrDtype) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v: want ErrDtype naming the file", err)
	}
	now, _ := os.ReadFile(path)
	if !bytes.Equal(old, now) {
		t.Error("a failed save changed the existing checkpoint")
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Errorf("a failed save left %v", names)
	}
	if got, err := LoadCheckpoint(path); err != nil || got.Epoch != 2 {
		t.Errorf("old checkpoint after a failed save: epoch %v, %v", got, err)
	}

	// A rename onto a non-empty directory fails at the last step.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SaveCheckpoint(blocked, c); err == nil {
		t.Error("save onto a directory succeeded")
	}
	if names := listDir(t, dir); len(names) != 2 {
		t.Errorf("a failed rename left %v", names)
	}

	// A reserved name is refused before anything is written.
	reserved := *c
	reserved.Tensors = []safetensors.Tensor{{Name: "optimizer/x", Dense: c.Tensors[0].Dense}}
	if err := SaveCheckpoint(filepath.Join(dir, "r.ckpt"), &reserved); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("reserved prefix: %v", err)
	}
	if err := SaveCheckpoint(filepath.Join(dir, "missing-dir", "x.ckpt"), c); err == nil {
		t.Error("save into a missing directory succeeded")
	}
	if err := SaveCheckpoint(filepath.Join(dir, "nil.ckpt"), nil); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("nil checkpoint: %v", err)
	}
}
