package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/fileio"
)

// summaryRow is the medians of one (model, threads) configuration, per
// variant ("zoo", "torch", "torch+openblas").
type summaryRow struct {
	Model   string `json:"model"`
	Threads int    `json:"threads"`
	// Per variant: median over repetitions.
	TrainSPS   map[string]float64 `json:"train_samples_per_sec"`
	TrainSPC   map[string]float64 `json:"train_samples_per_cpu_sec"`
	EvalSPC    map[string]float64 `json:"eval_samples_per_cpu_sec"`
	EvalSPS    map[string]float64 `json:"eval_samples_per_sec"`
	PeakRSSMiB map[string]float64 `json:"peak_rss_mib"`
	DataRSSMiB map[string]float64 `json:"data_rss_mib"`
	// Reps counts the successful repetitions per variant.
	Reps map[string]int `json:"reps"`
	// zoo's allocation per training step (median).
	AllocMBPerStep float64 `json:"zoo_alloc_mb_per_step"`
	AllocsPerStep  float64 `json:"zoo_allocs_per_step"`
	GCPerStep      float64 `json:"zoo_gc_per_step"`
}

// report is everything one run of the command produced.
type report struct {
	Machine  machine      `json:"machine"`
	Settings spec         `json:"settings"`
	Reps     int          `json:"reps"`
	Variants []string     `json:"variants"`
	Summary  []summaryRow `json:"summary"`
	Runs     []result     `json:"runs"`
}

// summarise takes the medians of the runs per model, threads and variant,
// in the order of models and threads given.
func summarise(runs []result, models []string, threads []int, variants []string) []summaryRow {
	var rows []summaryRow
	for _, m := range models {
		for _, t := range threads {
			row := summaryRow{Model: m, Threads: t,
				TrainSPS: map[string]float64{}, EvalSPS: map[string]float64{},
				TrainSPC: map[string]float64{}, EvalSPC: map[string]float64{},
				PeakRSSMiB: map[string]float64{}, DataRSSMiB: map[string]float64{}, Reps: map[string]int{}}
			for _, v := range variants {
				var tr, ev, tc, ec, pk, dt, al, an, gc []float64
				for _, r := range runs {
					if r.Model != m || r.Threads != t || r.Variant != v || r.Error != "" {
						continue
					}
					tr, ev = append(tr, r.TrainSPS), append(ev, r.EvalSPS)
					tc, ec = append(tc, r.TrainSPC), append(ec, r.EvalSPC)
					pk, dt = append(pk, r.PeakRSSMiB), append(dt, r.DataRSSMiB)
					al, an, gc = append(al, r.AllocBytesPerStep/(1<<20)), append(an, r.AllocsPerStep), append(gc, r.GCPerStep)
				}
				if len(tr) == 0 {
					continue
				}
				row.Reps[v] = len(tr)
				row.TrainSPS[v], row.EvalSPS[v] = median(tr), median(ev)
				row.TrainSPC[v], row.EvalSPC[v] = median(tc), median(ec)
				row.PeakRSSMiB[v], row.DataRSSMiB[v] = median(pk), median(dt)
				if v == variantZoo {
					row.AllocMBPerStep, row.AllocsPerStep, row.GCPerStep = median(al), median(an), median(gc)
				}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// fastestOf returns the largest value of m among variants and that
// variant's name, or "–" if none has one.
func fastestOf(m map[string]float64, variants []string) (float64, string) {
	best, name := 0.0, "–"
	for _, v := range variants {
		if x, ok := m[v]; ok && !math.IsNaN(x) && x > best {
			best, name = x, v
		}
	}
	return best, name
}

// ratio formats a/b, or "–" if either is missing.
func ratio(a, b float64, okA, okB bool) string {
	if !okA || !okB || b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func num(v float64, ok bool, prec int) string {
	if !ok || math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// markdown writes the tables and the machine description.
func (rep *report) markdown(w io.Writer) {
	torchVariants := []string{}
	for _, v := range rep.Variants {
		if v != variantZoo {
			torchVariants = append(torchVariants, v)
		}
	}
	label := func(v string) string { return describeVariant(v, rep.Machine.Torch[v]) }
	s := rep.Settings
	fmt.Fprintf(w, "## zoo vs PyTorch: %s, %d logical CPUs\n\n", rep.Machine.CPU, rep.Machine.LogicalCPU)
	fmt.Fprintf(w, "Median of %d repetitions (zoo and PyTorch runs interleaved, each configuration in its own process). "+
		"Samples/s, higher is better; ratio = zoo / PyTorch (above 1: zoo faster; for memory, above 1: zoo uses more).\n\n", rep.Reps)
	if hi := maxLoad(rep.Runs); hi > float64(rep.Machine.LogicalCPU) {
		fmt.Fprintf(w, "**Busy machine:** the 1-minute load average reached %.1f on %d CPUs during the runs (per run in results.csv). "+
			"Runs with more threads suffer most, PyTorch's especially (its OpenMP workers wait for a core taken by another process at every parallel region); "+
			"the per-CPU-second tables estimate the unloaded speed of 1-thread runs.\n\n", hi, rep.Machine.LogicalCPU)
	}
	if rep.Machine.TorchNote != "" {
		fmt.Fprintf(w, "**PyTorch:** %s\n\n", rep.Machine.TorchNote)
	}
	// table writes one quantity per model and threads; with fastest, the
	// first ratio is against the fastest PyTorch variant of the row.
	table := func(title, unit string, get func(summaryRow) map[string]float64, prec int, fastest bool) {
		fmt.Fprintf(w, "### %s\n\n", title)
		hdr := []string{"model", "threads", "zoo " + unit}
		fastest = fastest && len(torchVariants) > 1
		if fastest {
			hdr = append(hdr, "fastest PyTorch", "**zoo / fastest**")
		}
		for _, v := range torchVariants {
			hdr = append(hdr, label(v)+" "+unit, "zoo / "+v)
		}
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(hdr, " | "), strings.Repeat("---|", len(hdr)))
		for _, r := range rep.Summary {
			m := get(r)
			z, zok := m[variantZoo]
			cells := []string{r.Model, strconv.Itoa(r.Threads), num(z, zok, prec)}
			if fastest {
				best, bv := fastestOf(m, torchVariants)
				cells = append(cells, bv, "**"+ratio(z, best, zok, bv != "–")+"**")
			}
			for _, v := range torchVariants {
				t, tok := m[v]
				cells = append(cells, num(t, tok, prec), ratio(z, t, zok, tok))
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
		fmt.Fprintln(w)
	}
	table(fmt.Sprintf("Training: SGD (momentum %g), batch %d, float32, MNIST", s.Momentum, s.Batch), "samples/s",
		func(r summaryRow) map[string]float64 { return r.TrainSPS }, 0, true)
	table(fmt.Sprintf("Evaluation: forward pass in eval mode, batch %d", s.EvalBatch), "samples/s",
		func(r summaryRow) map[string]float64 { return r.EvalSPS }, 0, true)
	fmt.Fprintf(w, "Per CPU-second (user+system time of the whole process, all threads): on a busy machine, a better estimate of the "+
		"unloaded speed for 1 thread; with 2 threads it also charges spinning or idle-waiting worker threads.\n\n")
	table("Training, samples per CPU-second", "samples/CPU-s",
		func(r summaryRow) map[string]float64 { return r.TrainSPC }, 0, true)
	table("Evaluation, samples per CPU-second", "samples/CPU-s",
		func(r summaryRow) map[string]float64 { return r.EvalSPC }, 0, true)
	table("Peak resident memory of the process (train then eval)", "MiB",
		func(r summaryRow) map[string]float64 { return r.PeakRSSMiB }, 0, false)
	table("Resident memory after loading MNIST (before the model; included in the peak)", "MiB",
		func(r summaryRow) map[string]float64 { return r.DataRSSMiB }, 0, false)

	fmt.Fprintf(w, "### zoo: Go heap allocation per training step\n\n| model | threads | MB/step | allocations/step | GC cycles/step |\n|---|---|---|---|---|\n")
	for _, r := range rep.Summary {
		if _, ok := r.TrainSPS[variantZoo]; !ok {
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %.1f | %.0f | %.2f |\n", r.Model, r.Threads, r.AllocMBPerStep, r.AllocsPerStep, r.GCPerStep)
	}
	fmt.Fprintln(w)
	rep.machineMarkdown(w)
}

func (rep *report) machineMarkdown(w io.Writer) {
	m := rep.Machine
	s := rep.Settings
	fmt.Fprintf(w, "### Machine and settings\n\n")
	fmt.Fprintf(w, "- date: %s\n", m.Date)
	fmt.Fprintf(w, "- CPU: %s (%s MHz), %d logical CPUs, %s cores per socket, flags %s; memory %s; Linux %s\n",
		m.CPU, m.CPUMHz, m.LogicalCPU, m.Cores, strings.Join(m.CPUFlags, " "), m.MemTotal, m.Kernel)
	fmt.Fprintf(w, "- load average (1 min) at start %.2f, at end %.2f; per run %s\n", m.LoadStart[0], m.LoadEnd[0], loadRange(rep.Runs))
	fmt.Fprintf(w, "- Go: %s %s GOAMD64=%s; zoo: %s, GOMAXPROCS = threads\n", m.Go, m.GOARCH, m.GOAMD64, zooRuntime(rep.Runs))
	for _, v := range sortedKeys(m.Torch) {
		t := m.Torch[v]
		core := ""
		if t["openblas_core"] != "" {
			core = ", OpenBLAS kernels " + t["openblas_core"]
		}
		check := ""
		if t["product_err"] != "" {
			check = fmt.Sprintf("; float32 products vs float64: max |error|/(|A||B|) %s, within k·2⁻²⁴: %s", t["product_err"], t["product_ok"])
		}
		fmt.Fprintf(w, "- %s: torch %s, numpy %s, python %s, BLAS_INFO=%s, BLAS loaded: %s (%s)%s, oneDNN %s, CPU capability %s%s\n",
			v, t["torch"], t["numpy"], t["python"], t["blas_info"], t["blas"], t["blas_libs"], core, t["mkldnn"], t["cpu_capability"], check)
	}
	var env []string
	for _, k := range sortedKeys(m.Env) {
		env = append(env, k+"="+m.Env[k])
	}
	if len(env) == 0 {
		env = append(env, "(none set)")
	}
	fmt.Fprintf(w, "- environment: %s\n", strings.Join(env, " "))
	fmt.Fprintf(w, "- timing: %d warm-up steps, then at least %d steps and %.1f s (at most %d steps); eval: %d warm-up batches, then at least %d batches and %.1f s (at most %d); lr %g, seed %d\n",
		s.Warmup, s.MinSteps, s.MinSeconds, s.MaxSteps, s.EvalWarmup, s.EvalMinBatches, s.MinSeconds, s.EvalMaxBatches, s.LR, s.Seed)
	params := map[string]map[string]int{}
	for _, r := range rep.Runs {
		if r.Error == "" && r.Params > 0 {
			if params[r.Model] == nil {
				params[r.Model] = map[string]int{}
			}
			params[r.Model][r.Variant] = r.Params
		}
	}
	for _, m := range sortedKeys(params) {
		var ps []string
		same := true
		for _, v := range sortedKeys(params[m]) {
			ps = append(ps, fmt.Sprintf("%s %d", v, params[m][v]))
			same = same && params[m][v] == params[m][variantZoo]
		}
		note := ""
		if !same {
			note = " **MISMATCH: not the same model**"
		}
		fmt.Fprintf(w, "- trainable parameters, %s: %s%s\n", m, strings.Join(ps, ", "), note)
	}
	var failed []string
	for _, r := range rep.Runs {
		if r.Error != "" {
			failed = append(failed, fmt.Sprintf("%s %s t%d rep %d: %s", r.Variant, r.Model, r.Threads, r.Rep, r.Error))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "- failed runs:\n  - %s\n", strings.Join(failed, "\n  - "))
	}
}

func maxLoad(runs []result) float64 {
	hi := 0.0
	for _, r := range runs {
		hi = math.Max(hi, r.LoadAvg)
	}
	return hi
}

func loadRange(runs []result) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range runs {
		lo, hi = math.Min(lo, r.LoadAvg), math.Max(hi, r.LoadAvg)
	}
	if math.IsInf(lo, 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f–%.2f", lo, hi)
}

// csvHeader and csvRow write one line per run.
var csvHeader = []string{"variant", "model", "threads", "rep", "train_samples_per_sec", "train_steps", "train_seconds",
	"train_cpu_seconds", "eval_samples_per_sec", "eval_batches", "eval_seconds", "eval_cpu_seconds", "peak_rss_mib", "data_rss_mib",
	"alloc_bytes_per_step", "allocs_per_step", "gc_per_step", "params", "last_loss", "loadavg_1m", "wall_seconds", "blas", "error"}

func csvRow(r result) []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	return []string{r.Variant, r.Model, strconv.Itoa(r.Threads), strconv.Itoa(r.Rep), f(r.TrainSPS), strconv.Itoa(r.TrainSteps), f(r.TrainSeconds),
		f(r.TrainCPUSeconds), f(r.EvalSPS), strconv.Itoa(r.EvalBatches), f(r.EvalSeconds), f(r.EvalCPUSeconds), f(r.PeakRSSMiB), f(r.DataRSSMiB),
		f(r.AllocBytesPerStep), f(r.AllocsPerStep), f(r.GCPerStep), strconv.Itoa(r.Params), f(r.LastLoss), f(r.LoadAvg), f(r.WallSeconds), runtimeBLAS(r), r.Error}
}

func runtimeBLAS(r result) string {
	if r.Runtime == nil {
		return ""
	}
	if c := r.Runtime["openblas_core"]; c != "" {
		return r.Runtime["blas"] + " " + c
	}
	return r.Runtime["blas"]
}

// write writes results.json, results.csv and results.md into dir.
func (rep *report) write(dir string) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "bench")
	}
	j, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return errors.Wrap(err, "bench")
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(j, '\n'), 0o644); err != nil {
		return errors.Wrap(err, "bench")
	}
	var md strings.Builder
	rep.markdown(&md)
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md.String()), 0o644); err != nil {
		return errors.Wrap(err, "bench")
	}
	return errors.WithMessage(fileio.Write(filepath.Join(dir, "results.csv"), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return errors.Wrap(err, "csv")
		}
		for _, r := range rep.Runs {
			if err := cw.Write(csvRow(r)); err != nil {
				return errors.Wrap(err, "csv")
			}
		}
		cw.Flush()
		return errors.Wrap(cw.Error(), "csv")
	}), "bench")
}

// zooRuntime describes the BLAS the zoo children used: each distinct
// graph.BLASName of the successful runs (OpenBLAS's names its thread
// count), or, in results from before BLASName, the BLAS type and GEMM kernels.
func zooRuntime(runs []result) string {
	var names []string
	for _, r := range runs {
		if r.Variant != variantZoo || r.Error != "" || r.Runtime == nil {
			continue
		}
		s := "Gorgonia BLAS " + r.Runtime["blas"]
		if k := r.Runtime["gemm"]; k != "" {
			s += " (GEMM kernels " + k + ")"
		}
		if !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	if len(names) == 0 {
		return "no successful run"
	}
	return strings.Join(names, "; ")
}

// render re-renders dir/results.md from dir/results.json and prints it.
func render(dir string, w io.Writer) error {
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return errors.Wrap(err, "bench")
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		return errors.Wrap(err, "bench: results.json")
	}
	var md strings.Builder
	rep.markdown(&md)
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md.String()), 0o644); err != nil {
		return errors.Wrap(err, "bench")
	}
	_, err = io.WriteString(w, md.String())
	return errors.Wrap(err, "bench")
}
