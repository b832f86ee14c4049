package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/onnx"
)

const exportSynopsis = "export a checkpoint's model to ONNX, for onnxruntime and other runtimes"

func init() {
	register(command{name: "export", synopsis: exportSynopsis, run: runExport})
}

// exportReport is the JSON result of zoo export.
type exportReport struct {
	Source    string   `json:"source"`
	Model     string   `json:"model"`
	ONNX      string   `json:"onnx"`
	Bytes     int      `json:"bytes"`
	Opset     int      `json:"opset"`
	Operators []string `json:"operators"`
	Input     string   `json:"input"`
	Outputs   []string `json:"outputs"`
	TestError *number  `json:"test_error"`
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", exportSynopsis+`.

zoo export MODEL_OR_CHECKPOINT -o FILE.onnx [--opset N]

`+modelArgHelp+` The ONNX graph takes
"input", float32 [N, 1, 28, 28] pixel values in [0, 1] (N dynamic), and
gives "logits" and "probabilities", float32 [N, 10]. The model name, the
training configuration, the model configuration and the test error recorded
in the checkpoint go into the model's metadata (zoo.model, zoo.recipe,
zoo.config, zoo.test_error). A layer with no ONNX form, or weights with NaN
or Inf, fail with a message naming it, and no file is written.`, stderr)
	out := fs.String("o", "", "ONNX file to write (required)")
	opset := fs.Int("opset", onnx.DefaultOpset, "ONNX opset of the default domain, 13 to 17")
	pos, code, done := parseArgs(fs, args, 1, 1, "model or checkpoint")
	if done {
		return code
	}
	if *out == "" {
		return usageError(fs, errors.New("-o FILE.onnx is required"))
	}
	opts := onnx.Options{Opset: *opset}
	if err := opts.Validate(); err != nil {
		return usageError(fs, err)
	}
	src := pos[0]
	m, c, err := loadFiniteModel(ctx, src)
	if err != nil {
		return failure(stderr, "export", err)
	}
	opts.Recipe = c.TrainingConfig
	if len(opts.Recipe) == 0 {
		if e, err := models.Lookup(m.Name()); err == nil {
			if opts.Recipe, err = json.Marshal(e.Recipe); err != nil {
				return failure(stderr, "export", errors.Wrap(err, "recipe"))
			}
		}
	}
	if len(c.ModelConfig) > 0 {
		opts.Metadata = map[string]string{"zoo.config": string(c.ModelConfig)}
	}
	var testErr *number
	if acc, ok := c.Metrics["test_acc"]; ok && !math.IsNaN(acc) {
		// In percent, rounded to the precision a 10,000-image count allows
		// and beyond (1 − 0.9833 is 0.016699999999999937 in float64).
		e := math.Round((1-acc)*1e8) / 1e6
		opts.TestError, testErr = &e, (*number)(&e)
	}
	mp, err := onnx.Export(m, opts)
	if err != nil {
		return failure(stderr, "export", err)
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		return failure(stderr, "export", errors.Wrap(err, "marshal"))
	}
	if err := writeFileAtomic(*out, b); err != nil {
		return failure(stderr, "export", err)
	}
	r := exportReport{Source: src, Model: m.Name(), ONNX: *out, Bytes: len(b), Opset: *opset, Input: onnx.InputName,
		Outputs: []string{onnx.LogitsName, onnx.ProbabilitiesName}, TestError: testErr}
	for _, n := range mp.GetGraph().GetNode() {
		r.Operators = append(r.Operators, n.GetOpType())
	}
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "export", err)
	}
	return exitOK
}

// writeFileAtomic writes b to a temporary file beside path and renames it
// over path, so that a failed write leaves no partial file.
func writeFileAtomic(path string, b []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return errors.Wrap(err, "create")
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return errors.Wrap(err, "chmod")
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return errors.Wrapf(err, "write %s", path)
	}
	if err := f.Close(); err != nil {
		return errors.Wrapf(err, "write %s", path)
	}
	return errors.Wrapf(os.Rename(f.Name(), path), "write %s", path)
}
