package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/onnx"
	"github.com/gozoo/zoo/onnx/onnxpb"
	"github.com/gozoo/zoo/pretrained"
)

// zoo export writes what onnx.Export makes of the checkpoint's model, with
// the checkpoint's test error, training and model configuration as metadata.
func TestExport(t *testing.T) {
	tr := trainFixture(t)
	out := filepath.Join(t.TempDir(), "mlp.onnx")
	code, stdout, stderr := runZoo(t, "export", tr.Checkpoint, "-o", out, "--opset", "15")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r exportReport
	decodeStrict(t, stdout, &r)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "mlp" || r.ONNX != out || r.Bytes != len(b) || r.Opset != 15 || r.Input != "input" ||
		!slices.Equal(r.Outputs, []string{"logits", "probabilities"}) || r.TestError == nil || float64(*r.TestError) != *tr.TestError {
		t.Errorf("report %+v (train test error %v, file %d bytes)", r, *tr.TestError, len(b))
	}
	if want := []string{"Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"}; !slices.Equal(r.Operators, want) {
		t.Errorf("operators %v, want %v", r.Operators, want)
	}
	var got onnxpb.ModelProto
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	m, c, err := loadModel(tr.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	want, err := onnx.Export(m, onnx.Options{Opset: 15, Recipe: c.TrainingConfig, TestError: tr.TestError,
		Metadata: map[string]string{"zoo.config": string(c.ModelConfig)}})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&got, want) {
		t.Error("the file differs from onnx.Export of the checkpoint's model")
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, %v", fi.Mode(), err)
	}
}

func TestExportErrors(t *testing.T) {
	tr := trainFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "x.onnx")
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no -o", []string{tr.Checkpoint}, exitUsage, "-o FILE.onnx is required"},
		{"no source", []string{"-o", out}, exitUsage, "missing model or checkpoint"},
		{"bad opset", []string{tr.Checkpoint, "-o", out, "--opset", "18"}, exitUsage, "opset 18 not in [13, 17]"},
		{"missing file", []string{filepath.Join(dir, "none.safetensors"), "-o", out}, exitFailure, "none.safetensors"},
		{"bad output dir", []string{tr.Checkpoint, "-o", filepath.Join(dir, "no", "x.onnx")}, exitFailure, "create"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runZoo(t, append([]string{"export"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
	for _, e := range models.List() {
		if !pretrained.Has(e.Name) { // a registry name without shipped weights
			code, _, stderr := runZoo(t, "export", e.Name, "-o", out)
			if code != exitFailure || !strings.Contains(stderr, "no shipped weights") {
				t.Errorf("export %s: exit %d, stderr %q; want exit 1 mentioning no shipped weights", e.Name, code, stderr)
			}
			break
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("files left behind: %v %v", entries, err)
	}
}
