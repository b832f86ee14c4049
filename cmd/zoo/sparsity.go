package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/regularizers"
)

const sparsitySynopsis = "report how sparse a trained model's weights are: zeros, small weights and histograms per layer"

func init() {
	register(command{name: "sparsity", synopsis: sparsitySynopsis, run: runSparsity})
}

// sparsityReport is the JSON result of zoo sparsity: regularizers.Report's
// fields with the checkpoint and model it describes.
type sparsityReport struct {
	Checkpoint string `json:"checkpoint"`
	Model      string `json:"model"`
	// Selection is "weights" (weight matrices and filters) or "all"
	// (biases and normalisation scales and shifts too).
	Selection string `json:"selection"`
	*regularizers.Sparsity
}

// maxBins bounds --bins: every histogram is allocated and printed in full.
const maxBins = 10000

func runSparsity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sparsity", sparsitySynopsis+`.

zoo sparsity MODEL [--tol 1e-4] [--bins 50] [--all]

`+modelArgHelp+`

For each weight matrix or convolution filter (every parameter with --all):
count, exact zeros, weights with |w| < tol, non-finite values, mean and
largest |w|, and a histogram with numpy.histogram's bins; then the same over
all of them ("overall").`, stderr)
	tol := fs.Float64("tol", 1e-4, "magnitude below which a weight counts as small, ≥ 0")
	bins := fs.Int("bins", 50, fmt.Sprintf("number of histogram bins, 1 to %d", maxBins))
	all := fs.Bool("all", false, "include biases and normalisation parameters, not only weights")
	pos, code, done := parseArgs(fs, args, 1, 1, "model name or checkpoint file")
	if done {
		return code
	}
	if !(*tol >= 0) || math.IsInf(*tol, 1) {
		return usageError(fs, errors.Errorf("--tol %v: want a finite number ≥ 0", *tol))
	}
	if err := intRange("bins", *bins, 1, maxBins); err != nil {
		return usageError(fs, err)
	}
	lm, err := interruptible(ctx, func() (loadedModel, error) {
		m, c, err := loadModel(pos[0])
		return loadedModel{m, c}, err
	})
	m, c := lm.m, lm.c
	if err != nil {
		return failure(stderr, "sparsity", err)
	}
	sel, selName := regularizers.WeightsOnly(), "weights"
	if *all {
		sel, selName = regularizers.AllParams(), "all"
	}
	rep, err := regularizers.Report(m.Store(), *tol, *bins, sel)
	if err != nil {
		return failure(stderr, "sparsity", err)
	}
	if err := writeJSON(stdout, sparsityReport{Checkpoint: c.Path, Model: m.Name(), Selection: selName, Sparsity: rep}); err != nil {
		return failure(stderr, "sparsity", err)
	}
	return exitOK
}
