package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/sweep"
)

const sweepSynopsis = "plan, run (here or on Slurm) and collect a sweep of trainings: a grid or random search over recipe fields, times seeds"

func init() {
	register(command{name: "sweep", synopsis: sweepSynopsis, run: runSweep})
}

const sweepUsage = `usage: zoo sweep plan|run|submit|collect SPEC [flags]

` + sweepSynopsis + `.

  plan SPEC      print the runs: index, ID (hash of the full recipe), axis values, seed, folder, recipe
  run SPEC       run the plan on this machine (--workers N, --index I for one run)
  submit SPEC    write an sbatch script and submit the plan as one Slurm job array
  collect SPEC   gather the runs into results.csv, results.json, summary.json and plots/

SPEC is a JSON file: a base recipe (a recipe.json, the "recipe" of zoo
train's result.json; fields left out take the model's registry recipe),
axes over dotted recipe fields ("lr", "config.hidden_dropout"), grid
values or random draws (uniform, log-uniform, choice), and seeds. Run ID
writes into OUT/ID/: zoo train's files, train.log, and run.json once it
has finished. The guide is sweep/README.md; go doc
github.com/gozoo/zoo/sweep documents the library.

zoo sweep SUBCOMMAND -h shows a subcommand's flags.

Exit status: 0 success, 1 failure or cancelled, 2 usage error.
`

func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "zoo sweep: "+format+"\n", a...)
		fmt.Fprintln(stderr, "Run 'zoo sweep -h' for usage.")
		return exitUsage
	}
	if len(args) == 0 {
		return bad("no subcommand (plan, run, submit or collect)")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, sweepUsage)
		return exitOK
	case "plan":
		return runSweepPlan(ctx, args[1:], stdout, stderr)
	case "run":
		return runSweepRun(ctx, args[1:], stdout, stderr)
	case "submit":
		return runSweepSubmit(ctx, args[1:], stdout, stderr)
	case "collect":
		return runSweepCollect(ctx, args[1:], stdout, stderr)
	}
	if strings.HasPrefix(args[0], "-") {
		return bad("unknown flag %s", args[0])
	}
	return bad("unknown subcommand %q (want plan, run, submit or collect)", args[0])
}

// loadSweep reads the spec and plans it with the training path's
// resolver. An error is a failure (a bad spec file names itself).
func loadSweep(path string) (*sweep.Spec, *sweep.Plan, error) {
	s, err := sweep.LoadSpec(path)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Plan(resolveSweepRecipe)
	if err != nil {
		return nil, nil, errors.WithMessagef(err, "spec %s", path)
	}
	return s, p, nil
}

func runSweepPlan(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sweep plan", "print a sweep's runs as JSON: index, ID, configuration, axis values, seed, output folder and full recipe.\n\nzoo sweep plan SPEC", stderr)
	pos, code, done := parseArgs(fs, args, 1, 1, "spec file")
	if done {
		return code
	}
	_, p, err := loadSweep(pos[0])
	if err != nil {
		return failure(stderr, "sweep plan", err)
	}
	fmt.Fprintf(stderr, "zoo sweep plan: %s: %d runs into %s\n", p.Name, len(p.Runs), p.Out)
	if err := writeJSON(stdout, p); err != nil {
		return failure(stderr, "sweep plan", err)
	}
	return exitOK
}

// sweepRunResult is the JSON result of zoo sweep run.
type sweepRunResult struct {
	Name    string `json:"name"`
	Out     string `json:"out"`
	Workers int    `json:"workers"`
	*sweep.Report
}

func runSweepRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sweep run", `run a sweep's plan on this machine.

zoo sweep run SPEC [--workers N] [--index I] [--retries R] [--data DIR]

Runs every run of the plan that has not finished, --workers at a time, in
this process; the runs share its GOMAXPROCS threads (default: the
machine's cores), so N workers never use more cores than GOMAXPROCS, and
--workers may not exceed it. A run whose run.json matches its recipe hash
is skipped; a run with a last.safetensors (cancelled, killed, or stopped by
Slurm) resumes from it bit for bit; a failed run is started again from
scratch up to --retries times. One line per finished run goes to stderr,
the report as JSON to stdout. Ctrl-C (or SIGTERM) stops every running
training after its current batch, saves its last.safetensors and exits 1;
the same command resumes.`, stderr)
	workers := fs.Int("workers", 1, "runs at once, at most GOMAXPROCS")
	index := fs.Int("index", -1, "run only the run with this index (zoo sweep plan lists them; a Slurm task's $SLURM_ARRAY_TASK_ID); -1 = all")
	retries := fs.Int("retries", 1, "times a failed run is started again from scratch")
	data := fs.String("data", "", "directory holding the four MNIST files (default: $ZOO_MNIST_DIR, else the GoMNIST module in the Go module cache)")
	strict := fs.Bool("strict", false, "fail, rather than warn, when files in --data differ from the original MNIST")
	pos, code, done := parseArgs(fs, args, 1, 1, "spec file")
	if done {
		return code
	}
	if *workers < 1 || *workers > runtime.GOMAXPROCS(0) {
		return usageError(fs, errors.Errorf("--workers %d: want 1 to GOMAXPROCS (%d)", *workers, runtime.GOMAXPROCS(0)))
	}
	if *retries < 0 {
		return usageError(fs, errors.Errorf("--retries %d: want ≥ 0", *retries))
	}
	_, p, err := loadSweep(pos[0])
	if err != nil {
		return failure(stderr, "sweep run", err)
	}
	opts := sweep.Options{Workers: *workers, Retries: *retries, Log: stderr}
	if *index >= 0 {
		if *index >= len(p.Runs) {
			return usageError(fs, errors.Errorf("--index %d: the plan has runs 0 to %d", *index, len(p.Runs)-1))
		}
		opts.Indexes = []int{*index}
	} else if *index != -1 {
		return usageError(fs, errors.Errorf("--index %d: want ≥ 0, or -1 for all", *index))
	}
	n := len(p.Runs)
	if opts.Indexes != nil {
		n = 1
	}
	fmt.Fprintf(stderr, "zoo sweep run: %s: %d of %d runs, %d at a time, GOMAXPROCS %d, into %s\n", p.Name, n, len(p.Runs), *workers, runtime.GOMAXPROCS(0), p.Out)
	rep, err := sweep.Execute(ctx, p, &sweepTrainer{data: *data, strict: *strict, log: stderr}, opts)
	if rep == nil {
		return failure(stderr, "sweep run", err)
	}
	if werr := writeJSON(stdout, sweepRunResult{Name: p.Name, Out: p.Out, Workers: *workers, Report: rep}); werr != nil {
		return failure(stderr, "sweep run", werr)
	}
	if ctx.Err() != nil && err != nil {
		fmt.Fprintf(stderr, "zoo sweep run: cancelled: %d runs stopped with their checkpoints saved, %d not started; the same command resumes\n", rep.Cancelled, rep.Pending)
		return exitFailure
	}
	if err != nil {
		return failure(stderr, "sweep run", err)
	}
	return exitOK
}

// sweepSubmitResult is the JSON result of zoo sweep submit.
type sweepSubmitResult struct {
	Name   string `json:"name"`
	Script string `json:"script"`
	Array  string `json:"array"`
	Runs   int    `json:"runs"`
	// Pending counts the submitted runs, Finished those skipped because
	// they had finished.
	Pending  int    `json:"pending"`
	Finished int    `json:"finished"`
	JobID    string `json:"job_id,omitempty"`
}

func runSweepSubmit(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sweep submit", `submit a sweep's unfinished runs to Slurm as one job array.

zoo sweep submit SPEC [--partition P] [--time T] [--cpus-per-task C] [--max-parallel M]

Writes OUT/slurm/sweep.sbatch and runs sbatch on it. Task i runs
"zoo sweep run SPEC --index i" with GOMAXPROCS=C; its log is
OUT/slurm/JOBID_i.out. The zoo binary, the spec, the output folder and the
MNIST files (the Go module cache, or $ZOO_MNIST_DIR) must be on a file
system every node sees, at the same paths; sbatch passes this shell's
environment on to the tasks. A task stopped by its time limit or scancel
saves its last.safetensors; scontrol requeue, or zoo sweep submit again
(which submits only the unfinished runs), resumes it bit for bit.`, stderr)
	partition := fs.String("partition", "", "sbatch --partition (default: the cluster's default partition)")
	limit := fs.String("time", "", "sbatch --time limit of each task, e.g. 2:00:00 (default: the partition's)")
	cpus := fs.Int("cpus-per-task", 1, "sbatch --cpus-per-task, and each task's GOMAXPROCS")
	maxPar := fs.Int("max-parallel", 0, "most tasks running at once (--array=...%M); 0 = no limit")
	zoo := fs.String("zoo", "", "path of the zoo binary the tasks run (default: this binary)")
	sbatch := fs.String("sbatch", "sbatch", "the sbatch command")
	dry := fs.Bool("dry-run", false, "write the script and print the result without submitting")
	pos, code, done := parseArgs(fs, args, 1, 1, "spec file")
	if done {
		return code
	}
	if *cpus < 1 {
		return usageError(fs, errors.Errorf("--cpus-per-task %d: want ≥ 1", *cpus))
	}
	if *maxPar < 0 {
		return usageError(fs, errors.Errorf("--max-parallel %d: want ≥ 0", *maxPar))
	}
	_, p, err := loadSweep(pos[0])
	if err != nil {
		return failure(stderr, "sweep submit", err)
	}
	spec, err := filepath.Abs(pos[0])
	if err != nil {
		return failure(stderr, "sweep submit", errors.Wrap(err, "spec"))
	}
	bin := *zoo
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return failure(stderr, "sweep submit", errors.Wrap(err, "zoo binary"))
		}
		if strings.Contains(bin, string(filepath.Separator)+"go-build") {
			fmt.Fprintf(stderr, "zoo sweep submit: warning: %s is a temporary binary of go run; build zoo (go build ./cmd/zoo) on a shared file system and pass --zoo\n", bin)
		}
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return failure(stderr, "sweep submit", errors.Wrap(err, "zoo binary"))
	}
	res := sweepSubmitResult{Name: p.Name, Runs: len(p.Runs)}
	var idx []int
	for _, r := range p.Runs {
		if _, ok := sweep.ReadRecord(r); ok {
			res.Finished++
			continue
		}
		idx = append(idx, r.Index)
	}
	res.Pending = len(idx)
	if len(idx) == 0 {
		fmt.Fprintf(stderr, "zoo sweep submit: %s: all %d runs have finished; nothing to submit\n", p.Name, len(p.Runs))
		if err := writeJSON(stdout, res); err != nil {
			return failure(stderr, "sweep submit", err)
		}
		return exitOK
	}
	wd, err := os.Getwd()
	if err != nil {
		return failure(stderr, "sweep submit", errors.Wrap(err, "working directory"))
	}
	dir := filepath.Join(p.Out, "slurm")
	script, err := sweep.SbatchScript(p, sweep.SlurmOptions{Zoo: bin, Spec: spec, Indexes: idx, Partition: *partition, Time: *limit,
		CPUsPerTask: *cpus, MaxParallel: *maxPar, LogDir: dir, Dir: wd})
	if err != nil {
		return failure(stderr, "sweep submit", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return failure(stderr, "sweep submit", errors.Wrap(err, "slurm folder"))
	}
	res.Script = filepath.Join(dir, "sweep.sbatch")
	res.Array = sweep.ArraySpec(idx)
	if err := os.WriteFile(res.Script, []byte(script), 0o755); err != nil {
		return failure(stderr, "sweep submit", errors.Wrap(err, "sbatch script"))
	}
	if !*dry {
		var out, errOut bytes.Buffer
		cmd := exec.Command(*sbatch, "--parsable", res.Script)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return failure(stderr, "sweep submit", errors.Wrapf(err, "%s: %s", *sbatch, strings.TrimSpace(errOut.String())))
		}
		// --parsable prints "jobid" or "jobid;cluster".
		res.JobID, _, _ = strings.Cut(strings.TrimSpace(out.String()), ";")
		if _, err := strconv.Atoi(res.JobID); err != nil {
			return failure(stderr, "sweep submit", errors.Errorf("%s printed %q, not a job ID", *sbatch, out.String()))
		}
		fmt.Fprintf(stderr, "zoo sweep submit: %s: job %s, array %s (%d of %d runs; %d finished); logs in %s\n", p.Name, res.JobID, res.Array, len(idx), len(p.Runs), res.Finished, dir)
	} else {
		fmt.Fprintf(stderr, "zoo sweep submit: %s: wrote %s (not submitted)\n", p.Name, res.Script)
	}
	if err := writeJSON(stdout, res); err != nil {
		return failure(stderr, "sweep submit", err)
	}
	return exitOK
}

// Files zoo sweep collect writes into the sweep's folder.
const (
	sweepResultsCSV  = "results.csv"
	sweepResultsJSON = "results.json"
	sweepSummaryJSON = "summary.json"
	sweepPlots       = "plots"
)

// sweepCollectResult is the JSON result of zoo sweep collect.
type sweepCollectResult struct {
	*sweep.Summary
	Files []string `json:"files"`
}

func runSweepCollect(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sweep collect", `gather a sweep's finished runs.

zoo sweep collect SPEC [--metric M] [--goal max|min]

Writes into the sweep's folder results.csv and results.json (one row per
run: axis values, seed, status, metrics), summary.json (per configuration:
mean, sample standard deviation, min and max of every metric over its
seeds; the best configuration by the mean of the validation metric, never
a test metric) and plots/AXIS.png (the metric against each swept axis),
and prints the summary. Unfinished runs are rows with "done": false.`, stderr)
	metric := fs.String("metric", "", "metric that picks the best configuration (default: the spec's, else val_acc)")
	goal := fs.String("goal", "", "max or min (default: the spec's, else by the metric's name)")
	pos, code, done := parseArgs(fs, args, 1, 1, "spec file")
	if done {
		return code
	}
	_, p, err := loadSweep(pos[0])
	if err != nil {
		return failure(stderr, "sweep collect", err)
	}
	m, g := p.Metric, p.Goal
	if *metric != "" {
		m, g = *metric, ""
	}
	if *goal != "" {
		g = *goal
	}
	t := sweep.Collect(p)
	sum, err := sweep.Summarize(t, m, g)
	if err != nil {
		return usageError(fs, err)
	}
	if err := os.MkdirAll(p.Out, 0o755); err != nil {
		return failure(stderr, "sweep collect", errors.Wrap(err, "output folder"))
	}
	res := sweepCollectResult{Summary: sum}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{sweepResultsCSV, t.WriteCSV},
		{sweepResultsJSON, func(w io.Writer) error { return writeJSON(w, t) }},
		{sweepSummaryJSON, func(w io.Writer) error { return writeJSON(w, sum) }},
	} {
		var b bytes.Buffer
		path := filepath.Join(p.Out, f.name)
		if err := f.write(&b); err != nil {
			return failure(stderr, "sweep collect", err)
		}
		if err := writeFileAtomic(path, b.Bytes()); err != nil {
			return failure(stderr, "sweep collect", err)
		}
		res.Files = append(res.Files, path)
	}
	plots, err := sweep.PlotAxes(t, sum.Metric, filepath.Join(p.Out, sweepPlots))
	res.Files = append(res.Files, plots...)
	if err != nil {
		return failure(stderr, "sweep collect", err)
	}
	fmt.Fprintf(stderr, "zoo sweep collect: %s: %d of %d runs finished, %d configurations", p.Name, sum.Done, sum.Runs, len(sum.Configs))
	if sum.Best != nil {
		st := sum.Best.Metrics[sum.Metric]
		fmt.Fprintf(stderr, "; best by %s (%s): configuration %d, %.4f ± %.4f over %d", sum.Metric, sum.Goal, sum.Best.Config, float64(st.Mean), float64(st.SD), st.N)
	}
	fmt.Fprintln(stderr)
	if err := writeJSON(stdout, res); err != nil {
		return failure(stderr, "sweep collect", err)
	}
	return exitOK
}
