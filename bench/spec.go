package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Implementations measured. Variants of an implementation (PyTorch on its
// default BLAS and on OpenBLAS) share an Impl and differ in Variant.
const (
	implZoo   = "zoo"
	implTorch = "torch"
)

// spec is one measurement: what a child process runs. It is passed to the
// zoo child as JSON in a flag and to torch_ref.py as JSON in argv, so the
// two read the same settings.
type spec struct {
	Impl    string `json:"impl"`
	Variant string `json:"variant"`
	Model   string `json:"model"`
	Threads int    `json:"threads"`
	Rep     int    `json:"rep"`
	// Batch is the training batch size.
	Batch int `json:"batch"`
	// Warmup steps are run before timing starts.
	Warmup int `json:"warmup"`
	// Timing stops after at least MinSteps steps and MinSeconds seconds,
	// or after MaxSteps steps.
	MinSteps   int     `json:"min_steps"`
	MaxSteps   int     `json:"max_steps"`
	MinSeconds float64 `json:"min_seconds"`
	// EvalBatch is the evaluation batch size; evaluation is timed like
	// training, with EvalWarmup, EvalMinBatches and MinSeconds.
	EvalBatch      int `json:"eval_batch"`
	EvalWarmup     int `json:"eval_warmup"`
	EvalMinBatches int `json:"eval_min_batches"`
	EvalMaxBatches int `json:"eval_max_batches"`
	// LR and Momentum configure SGD.
	LR       float64 `json:"lr"`
	Momentum float64 `json:"momentum"`
	// Seed seeds the initial weights, batch order and dropout masks.
	Seed uint64 `json:"seed"`
	// MNISTDir holds the four MNIST files (gzipped or raw).
	MNISTDir string `json:"mnist_dir"`
}

// result is what a child reports, plus what the parent adds (load average,
// wall time, error). Field names are those torch_ref.py prints.
type result struct {
	Impl    string `json:"impl"`
	Variant string `json:"variant"`
	Model   string `json:"model"`
	Threads int    `json:"threads"`
	Rep     int    `json:"rep"`

	// Params is the number of trainable scalars (the same model has the
	// same count in zoo and PyTorch; the report flags a mismatch).
	Params int `json:"params"`

	TrainSteps   int     `json:"train_steps"`
	TrainSeconds float64 `json:"train_seconds"`
	// TrainCPUSeconds is the process's CPU time (user+system, all threads)
	// over the same steps. On a busy machine samples per CPU-second of a
	// 1-thread run is a better estimate of the unloaded speed than samples
	// per wall second.
	TrainCPUSeconds float64 `json:"train_cpu_seconds"`
	TrainSPC        float64 `json:"train_samples_per_cpu_sec"`
	TrainSPS        float64 `json:"train_samples_per_sec"`
	// LastLoss is the loss of the last timed step (a sanity check that the
	// model trains, not a comparison: the random streams differ).
	LastLoss float64 `json:"last_loss"`

	EvalBatches    int     `json:"eval_batches"`
	EvalSeconds    float64 `json:"eval_seconds"`
	EvalCPUSeconds float64 `json:"eval_cpu_seconds"`
	EvalSPC        float64 `json:"eval_samples_per_cpu_sec"`
	EvalSPS        float64 `json:"eval_samples_per_sec"`

	// PeakRSSMiB is the process's peak resident set (VmHWM / ru_maxrss);
	// DataRSSMiB its resident set after loading MNIST, before the model.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	DataRSSMiB float64 `json:"data_rss_mib"`

	// zoo only: Go heap allocation per timed training step and GC cycles.
	AllocBytesPerStep float64 `json:"alloc_bytes_per_step,omitempty"`
	AllocsPerStep     float64 `json:"allocs_per_step,omitempty"`
	GCPerStep         float64 `json:"gc_per_step,omitempty"`

	// Runtime describes the child's runtime: Go version and GOMAXPROCS, or
	// torch version, threads and BLAS.
	Runtime map[string]string `json:"runtime,omitempty"`

	// Set by the parent.
	LoadAvg     float64 `json:"loadavg_1m"`
	WallSeconds float64 `json:"wall_seconds"`
	Error       string  `json:"error,omitempty"`
}

// settings are the command's measurement settings.
type settings struct {
	models    []string
	threads   []int
	reps      int
	base      spec
	timeout   time.Duration
	python    string
	openblas  string // directory with OpenBLAS's libblas.so.3, or ""
	outDir    string
	quick     bool
	skipTorch bool
	render    string // re-render results.md from results.json in this directory
	waitLoad  float64
	waitMax   time.Duration
}

// benchModel is one model of the comparison: a registry entry with an
// optional architecture override. torch_ref.py builds the same network
// under the same name.
type benchModel struct {
	Name        string
	Entry       string
	Description string
}

var benchModels = []benchModel{
	{"mlp", "mlp", "784-800-800-10 ReLU"},
	{"mlp+dropout", "mlp", "784-800-800-10 ReLU, dropout 0.2 on inputs and 0.5 after each hidden layer"},
	{"lenet5", "lenet5", "conv 6@5×5 pad 2, pool, conv 16@5×5, pool, FC 120-84-10, ReLU"},
	{"mlp-bn", "mlp-bn", "3×100 sigmoid with BatchNorm before each sigmoid (no bias before BN)"},
	{"mlp-sigmoid", "mlp-sigmoid", "3×100 sigmoid"},
	{"convnet-bn", "convnet-bn", "2×2 3×3 conv–BN–ReLU (32, 64), 2 pools, FC 128 (no bias)–BN–ReLU–dropout 0.5, FC 10"},
}

const defaultModels = "mlp,mlp+dropout,lenet5,mlp-bn"

func lookupBenchModel(name string) (benchModel, error) {
	for _, m := range benchModels {
		if m.Name == name {
			return m, nil
		}
	}
	names := make([]string, len(benchModels))
	for i, m := range benchModels {
		names[i] = m.Name
	}
	return benchModel{}, errors.Errorf("bench: unknown model %q (have %s)", name, strings.Join(names, ", "))
}

// median returns the median of xs, ignoring NaNs (NaN if none).
func median(xs []float64) float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n <= 0 {
			return nil, errors.Errorf("bench: %q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.Errorf("bench: empty list %q", s)
	}
	return out, nil
}
