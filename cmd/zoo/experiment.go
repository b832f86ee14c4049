package main

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"

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
zoo experiment NAME [--quick] [--out DIR] [--seed N | --seeds LIST] [--data DIR]

Writes CSV files of every measured point, PNG figures and summary.md (what was
measured, the paper's figure, and whether its claim held in this run) into
--out, and prints the result (claim, held, verdict, key metrics, files) as
JSON. --quick runs small subsets and few epochs (seconds); the full run takes
minutes; a quick run writes into its own default folder (NAME-quick), so
it never overwrites a full run's results. The same seed gives
byte-identical CSV files. Exit status 0 when the
experiment ran, whether or not the claim held.

--seeds runs the experiment once per seed (a list such as 1,2,3 or a range
such as 1-3) into --out/seed-N, and writes seeds.csv, seeds.json and seeds.md
into --out (default runs/experiments/NAME-seeds, or NAME-quick-seeds): every
key number as mean, standard deviation, min and max over the seeds, each
seed's verdict, and the claim's criterion evaluated on the mean key numbers.
It prints that summary as JSON. A seed whose folder already holds a finished
run is not run again, so an interrupted --seeds run resumes.`, stderr)
	var opts experiments.Options
	fs.BoolVar(&opts.Quick, "quick", false, "small subsets and few epochs")
	fs.StringVar(&opts.Out, "out", "", "output directory (default runs/experiments/NAME, or runs/experiments/NAME-quick with --quick)")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of every random choice: subsets, initial weights, batch order, masks")
	seedList := fs.String("seeds", "", "run once per seed, e.g. 1,2,3 or 1-3, and summarise over the seeds (not with --seed)")
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
	var seeds []uint64
	if set := setFlags(fs); set["seeds"] {
		if set["seed"] {
			return usageError(fs, errors.New("--seed and --seeds exclude each other"))
		}
		var err error
		if seeds, err = parseSeedList(*seedList); err != nil {
			return usageError(fs, err)
		}
	}
	if opts.Out == "" {
		opts.Out = defaultExperimentOut(pos[0], opts.Quick)
		if seeds != nil {
			opts.Out += "-seeds"
		}
	}
	opts.Log = stderr
	if seeds != nil {
		sr, err := experiments.RunSeeds(ctx, pos[0], opts, seeds)
		if err != nil {
			if ctx.Err() != nil {
				err = errors.WithMessage(err, "cancelled")
			}
			return failure(stderr, "experiment", err)
		}
		if err := writeJSON(stdout, sr); err != nil {
			return failure(stderr, "experiment", err)
		}
		return exitOK
	}
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

// maxSeeds bounds the length of a --seeds list.
const maxSeeds = 1000

// parseSeedList parses --seeds: comma-separated seeds and inclusive ranges
// A-B, such as "1,2,3", "1-3" or "1-3,10". It rejects an empty list or
// item, a value that is not a non-negative integer, a range whose end is
// below its start, a seed listed twice and more than maxSeeds seeds.
func parseSeedList(s string) ([]uint64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("--seeds: empty list (want e.g. 1,2,3 or 1-3)")
	}
	var seeds []uint64
	seen := map[uint64]bool{}
	add := func(v uint64) error {
		if seen[v] {
			return errors.Errorf("--seeds: seed %d listed twice", v)
		}
		if len(seeds) == maxSeeds {
			return errors.Errorf("--seeds: more than %d seeds", maxSeeds)
		}
		seen[v] = true
		seeds = append(seeds, v)
		return nil
	}
	num := func(item, x string) (uint64, error) {
		v, err := strconv.ParseUint(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, errors.Errorf("--seeds: %q is not a seed or a range A-B of seeds (non-negative integers)", item)
		}
		return v, nil
	}
	for _, item := range strings.Split(s, ",") {
		if strings.TrimSpace(item) == "" {
			return nil, errors.Errorf("--seeds: empty item in %q", s)
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := num(item, lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = num(item, hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, errors.Errorf("--seeds: range %q ends below its start", item)
			}
			if b-a >= maxSeeds {
				return nil, errors.Errorf("--seeds: more than %d seeds", maxSeeds)
			}
		}
		for v := a; ; v++ {
			if err := add(v); err != nil {
				return nil, err
			}
			if v == b {
				break
			}
		}
	}
	return seeds, nil
}
