package main

import (
	"context"
	"io"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/experiments"
)

const experimentSynopsis = "re-create a regularization result from the lecture (CSV, PNG figures, summary.md)"

func init() {
	register(command{name: "experiment", synopsis: experimentSynopsis, run: runExperiment})
}

// experimentInfo is one entry of zoo experiment list.
type experimentInfo struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Paper string `json:"paper"`
	Claim string `json:"claim"`
}

func runExperiment(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("experiment", experimentSynopsis+`.

zoo experiment list
zoo experiment NAME [--quick] [--out DIR] [--seed N] [--data DIR]

Writes CSV files of every measured point, PNG figures and summary.md (what was
measured, the paper's figure, and whether its claim held in this run) into
--out, and prints the result (claim, held, verdict, key metrics, files) as
JSON. --quick runs small subsets and few epochs (seconds); the full run takes
minutes; a quick run writes into its own default folder (NAME-quick), so
it never overwrites a full run's results. The same seed gives
byte-identical CSV files. Exit status 0 when the
experiment ran, whether or not the claim held.`, stderr)
	var opts experiments.Options
	fs.BoolVar(&opts.Quick, "quick", false, "small subsets and few epochs")
	fs.StringVar(&opts.Out, "out", "", "output directory (default runs/experiments/NAME, or runs/experiments/NAME-quick with --quick)")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of every random choice: subsets, initial weights, batch order, masks")
	fs.StringVar(&opts.DataDir, "data", "", "directory holding the four MNIST files (default $ZOO_MNIST_DIR, else the Go module cache)")
	pos, code, done := parseArgs(fs, args, 1, 1, "experiment name (or list)")
	if done {
		return code
	}
	if pos[0] == "list" {
		var list []experimentInfo
		for _, e := range experiments.List() {
			list = append(list, experimentInfo{Name: e.Name, Title: e.Title, Paper: e.Paper, Claim: e.Claim})
		}
		if err := writeJSON(stdout, map[string]any{"experiments": list}); err != nil {
			return failure(stderr, "experiment", err)
		}
		return exitOK
	}
	if _, err := experiments.Lookup(pos[0]); err != nil {
		return usageError(fs, err)
	}
	if opts.Out == "" {
		opts.Out = defaultExperimentOut(pos[0], opts.Quick)
	}
	opts.Log = stderr
	res, err := experiments.Run(ctx, pos[0], opts)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.WithMessage(err, "cancelled")
		}
		return failure(stderr, "experiment", err)
	}
	if err := writeJSON(stdout, res); err != nil {
		return failure(stderr, "experiment", err)
	}
	return exitOK
}

// defaultExperimentOut is where an experiment writes without --out: a
// quick run has its own folder beside the full run's.
func defaultExperimentOut(name string, quick bool) string {
	if quick {
		name += "-quick"
	}
	return filepath.Join("runs", "experiments", name)
}
