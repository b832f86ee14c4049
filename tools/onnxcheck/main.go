// Command onnxcheck writes the inputs of zoo's onnxruntime check: for every
// registry model and every net of internal/testnets, trained briefly, an
// ONNX export and zoo's own class probabilities on the 10,000 MNIST test
// images; plus the test images themselves. check.js (onnxruntime for
// Node.js) and check_onnx.py (python3-onnx's checker) read them; run.sh runs
// all three.
//
//	go run ./tools/onnxcheck -out DIR [-train-limit 2000] [-epochs 2] [-batch 32] [-data DIR]
//
// DIR receives:
//
//	manifest.json        the cases: name, onnx file, probabilities file, opset
//	test_images.f32      10000×784 float32 little-endian, pixels in [0, 1]
//	test_labels.u8       10000 bytes
//	CASE.onnx            the export (onnx.Write)
//	CASE.zoo.f64         zoo's probabilities, 10000×10 float64 little-endian
//
// Any weights serve for an equivalence check; a short training run makes the
// predictions, BatchNorm statistics and norms' γ/β those of a trained net.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/internal/fileio"
	"github.com/gozoo/zoo/internal/testnets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/onnx"
	"github.com/gozoo/zoo/training"
)

// model is what a case trains and exports.
type model interface {
	training.Model
	onnx.Model
}

// Case is one entry of manifest.json.
type Case struct {
	Name          string  `json:"name"`
	ONNX          string  `json:"onnx"`
	Probabilities string  `json:"probabilities"`
	Opset         int     `json:"opset"`
	N             int     `json:"n"`
	TestError     float64 `json:"zoo_test_error"`
}

// Manifest is manifest.json.
type Manifest struct {
	Images  string `json:"images"`
	Labels  string `json:"labels"`
	N       int    `json:"n"`
	Classes int    `json:"classes"`
	Cases   []Case `json:"cases"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "onnxcheck:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("onnxcheck", flag.ContinueOnError)
	out := fs.String("out", "", "output directory (required)")
	limit := fs.Int("train-limit", 2000, "train on the first N training images")
	epochs := fs.Int("epochs", 2, "training epochs (Adam, learning rate 0.001)")
	batch := fs.Int("batch", 32, "training batch size")
	dataDir := fs.String("data", "", "MNIST directory (default: $"+datasets.EnvMNISTDir+", else the module cache)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("usage: onnxcheck -out DIR [-train-limit N] [-epochs E] [-batch B] [-data DIR]")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return errors.Wrap(err, "output directory")
	}
	mn, err := datasets.LoadMNIST(ctx, datasets.MNISTOptions{Dir: *dataDir})
	if err != nil {
		return err
	}
	train := mn.Train
	if *limit > 0 && *limit < train.Len() {
		idx := make([]int, *limit)
		for i := range idx {
			idx[i] = i
		}
		if train, err = train.Subset(idx); err != nil {
			return err
		}
	}
	test := mn.Test
	man := Manifest{Images: "test_images.f32", Labels: "test_labels.u8", N: test.Len(), Classes: test.NumClasses}
	if err := writeBinary(filepath.Join(*out, man.Images), test.X); err != nil {
		return err
	}
	labels := make([]uint8, test.Len())
	for i, y := range test.Y {
		labels[i] = uint8(y)
	}
	if err := writeBinary(filepath.Join(*out, man.Labels), labels); err != nil {
		return err
	}

	type entry struct {
		name  string
		opset int
		build func() (model, error)
	}
	var cases []entry
	for _, e := range models.List() {
		cases = append(cases, entry{e.Name, onnx.DefaultOpset, func() (model, error) { return e.Build(e.Recipe.Config, 1) }})
	}
	for _, name := range testnets.Names() {
		cases = append(cases, entry{name, onnx.DefaultOpset, func() (model, error) { return testnets.New(name, 1) }})
	}
	// The oldest opset: LayerNorm on features is decomposed there.
	cases = append(cases, entry{"norms-mlp", onnx.MinOpset, func() (model, error) { return testnets.New("norms-mlp", 1) }})

	for _, c := range cases {
		start := time.Now()
		m, err := c.build()
		if err != nil {
			return err
		}
		opt, err := training.NewAdam(training.AdamConfig{LR: 1e-3})
		if err != nil {
			return err
		}
		if _, err := training.Fit(ctx, m, train, nil, training.Config{Epochs: *epochs, BatchSize: *batch, Seed: 1, Optimizer: opt}); err != nil {
			return errors.WithMessagef(err, "%s", c.name)
		}
		ev, err := training.NewEvaluator(m, training.EvalOptions{})
		if err != nil {
			return err
		}
		probs, err := ev.Probabilities(ctx, test)
		ev.Close()
		if err != nil {
			return errors.WithMessagef(err, "%s", c.name)
		}
		wrong := 0
		for i, y := range test.Y {
			if argmax(probs[i*test.NumClasses:(i+1)*test.NumClasses]) != y {
				wrong++
			}
		}
		testErr := 100 * float64(wrong) / float64(test.Len())
		base := fmt.Sprintf("%s-opset%d", c.name, c.opset)
		cs := Case{Name: base, ONNX: base + ".onnx", Probabilities: base + ".zoo.f64", Opset: c.opset, N: test.Len(), TestError: testErr}
		if err := writeBinary(filepath.Join(*out, cs.Probabilities), probs); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(*out, cs.ONNX), func(w io.Writer) error {
			return onnx.Write(w, m, onnx.Options{Opset: c.opset, TestError: &testErr})
		}); err != nil {
			return errors.WithMessagef(err, "%s", c.name)
		}
		man.Cases = append(man.Cases, cs)
		fmt.Fprintf(os.Stderr, "onnxcheck: %s: zoo test error %.2f%% after %d epoch(s) on %d images, %.1fs\n", base, testErr, *epochs, train.Len(), time.Since(start).Seconds())
	}
	return writeFile(filepath.Join(*out, "manifest.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(man)
	})
}

func argmax(row []float64) int {
	best := 0
	for j, v := range row {
		if v > row[best] || math.IsNaN(row[best]) {
			best = j
		}
	}
	return best
}

func writeBinary(path string, data any) error {
	return writeFile(path, func(w io.Writer) error { return binary.Write(w, binary.LittleEndian, data) })
}

// writeFile writes path through a buffer filled by write.
func writeFile(path string, write func(io.Writer) error) error {
	return fileio.Write(path, func(f io.Writer) error {
		w := bufio.NewWriter(f)
		if err := write(w); err != nil {
			return err
		}
		return errors.Wrap(w.Flush(), "write")
	})
}
