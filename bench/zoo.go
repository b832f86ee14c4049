package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// buildZooModel builds a bench model from the registry.
func buildZooModel(name string, seed uint64) (*models.Model, error) {
	bm, err := lookupBenchModel(name)
	if err != nil {
		return nil, err
	}
	e, err := models.Lookup(bm.Entry)
	if err != nil {
		return nil, err
	}
	cfg := e.Recipe.Config
	if name == "mlp+dropout" {
		cfg.InputDropout, cfg.HiddenDropout = 0.2, 0.5
	}
	return e.Build(cfg, seed)
}

// runZooChild measures one configuration in this process and writes the
// result as one JSON line to w.
func runZooChild(ctx context.Context, sp spec, w io.Writer) error {
	res := result{Impl: sp.Impl, Variant: sp.Variant, Model: sp.Model, Threads: sp.Threads, Rep: sp.Rep}
	res.Runtime = map[string]string{
		"go":         runtime.Version(),
		"gomaxprocs": strconv.Itoa(runtime.GOMAXPROCS(0)),
		"blas":       graph.BLASName(),
		"gogc":       os.Getenv("GOGC"),
	}
	mn, err := datasets.LoadMNIST(ctx, datasets.MNISTOptions{Dir: sp.MNISTDir})
	if err != nil {
		return err
	}
	res.DataRSSMiB = procStatusMiB("VmRSS")
	m, err := buildZooModel(sp.Model, sp.Seed)
	if err != nil {
		return err
	}
	res.Params = m.NumParams()
	if err := zooTrain(ctx, sp, m, mn.Train, &res); err != nil {
		return err
	}
	if err := zooEval(ctx, sp, m, mn.Test, &res); err != nil {
		return err
	}
	res.PeakRSSMiB = peakRSSMiB()
	return json.NewEncoder(w).Encode(res)
}

// zooTrain times steady-state training steps of training.Fit: the steps
// after the warm-up, until the stopping rule of sp holds.
func zooTrain(ctx context.Context, sp spec, m *models.Model, train *datasets.Dataset, res *result) error {
	opt, err := training.NewSGD(training.SGDConfig{LR: sp.LR, Momentum: sp.Momentum})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		t0, last time.Time
		ms0, ms1 runtime.MemStats
		cpu0     float64
		n        int
		done     bool
	)
	cfg := training.Config{
		Epochs: 1, BatchSize: sp.Batch, DropLast: true, Seed: sp.Seed, Optimizer: opt,
		OnBatch: func(p training.Progress) {
			if done {
				return
			}
			n++
			last = time.Now()
			res.LastLoss = p.Loss
			if n == sp.Warmup {
				runtime.ReadMemStats(&ms0)
				cpu0 = cpuSeconds()
				t0 = time.Now()
				return
			}
			if n < sp.Warmup {
				return
			}
			steps, el := n-sp.Warmup, last.Sub(t0)
			if steps >= sp.MaxSteps || (steps >= sp.MinSteps && el.Seconds() >= sp.MinSeconds) {
				res.TrainSteps, res.TrainSeconds, res.TrainCPUSeconds = steps, el.Seconds(), cpuSeconds()-cpu0
				runtime.ReadMemStats(&ms1)
				done = true
				cancel()
			}
		},
	}
	_, err = training.Fit(ctx, m, train, nil, cfg)
	if err != nil && !(done && errors.Is(err, context.Canceled)) {
		return errors.WithMessage(err, "bench: zoo training")
	}
	if !done { // the epoch ended first
		if n <= sp.Warmup {
			return errors.Errorf("bench: only %d training steps, warm-up is %d", n, sp.Warmup)
		}
		res.TrainSteps, res.TrainSeconds, res.TrainCPUSeconds = n-sp.Warmup, last.Sub(t0).Seconds(), cpuSeconds()-cpu0
		runtime.ReadMemStats(&ms1)
	}
	res.TrainSPS = float64(res.TrainSteps*sp.Batch) / res.TrainSeconds
	res.TrainSPC = perSecond(res.TrainSteps*sp.Batch, res.TrainCPUSeconds)
	steps := float64(res.TrainSteps)
	res.AllocBytesPerStep = float64(ms1.TotalAlloc-ms0.TotalAlloc) / steps
	res.AllocsPerStep = float64(ms1.Mallocs-ms0.Mallocs) / steps
	res.GCPerStep = float64(ms1.NumGC-ms0.NumGC) / steps
	return nil
}

// zooEval times evaluation-mode forward passes of training.Evaluator on
// the first EvalBatch test images.
func zooEval(ctx context.Context, sp spec, m *models.Model, test *datasets.Dataset, res *result) error {
	if test.Len() < sp.EvalBatch {
		return errors.Errorf("bench: eval batch %d larger than the test set (%d)", sp.EvalBatch, test.Len())
	}
	d := test.Features()
	sub, err := datasets.New(test.X[:sp.EvalBatch*d], test.Y[:sp.EvalBatch], test.Shape, test.NumClasses)
	if err != nil {
		return err
	}
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: sp.EvalBatch})
	if err != nil {
		return err
	}
	defer ev.Close()
	for i := 0; i < sp.EvalWarmup; i++ {
		if _, err := ev.Evaluate(ctx, sub, false); err != nil {
			return err
		}
	}
	cpu0, t0 := cpuSeconds(), time.Now()
	n := 0
	for {
		if _, err := ev.Evaluate(ctx, sub, false); err != nil {
			return err
		}
		n++
		el := time.Since(t0).Seconds()
		if n >= sp.EvalMaxBatches || (n >= sp.EvalMinBatches && el >= sp.MinSeconds) {
			res.EvalBatches, res.EvalSeconds, res.EvalCPUSeconds = n, el, cpuSeconds()-cpu0
			break
		}
	}
	res.EvalSPS = float64(res.EvalBatches*sp.EvalBatch) / res.EvalSeconds
	res.EvalSPC = perSecond(res.EvalBatches*sp.EvalBatch, res.EvalCPUSeconds)
	return nil
}

// procStatusMiB reads a kB field of /proc/self/status (VmRSS, VmHWM) in
// MiB, or 0 if it cannot.
func procStatusMiB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// peakRSSMiB is the process's peak resident set: VmHWM, or getrusage's
// ru_maxrss (kB on Linux) where /proc is missing.
func peakRSSMiB() float64 {
	if v := procStatusMiB("VmHWM"); v > 0 {
		return v
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// cpuSeconds is the process's user and system CPU time so far, all threads.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// perSecond is n/seconds, or 0 if no time was measured.
func perSecond(n int, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(n) / seconds
}
