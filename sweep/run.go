package sweep

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/mapkeys"
	"github.com/gozoo/zoo/models"
)

// Job is one run handed to a [Runner].
type Job struct {
	Run
	// Fresh asks the runner to start from scratch, ignoring (and
	// replacing) any checkpoint in Dir: set when an earlier attempt
	// failed other than by cancellation.
	Fresh bool
}

// Result is what a finished run reports.
type Result struct {
	// Status says how the run ended, e.g. "max_epochs",
	// "early_stopping" or "diverged" (a finished run, not a failure).
	Status string `json:"status"`
	// Metrics are the run's numbers by name, e.g. "val_acc", "test_acc".
	Metrics map[string]Float `json:"metrics"`
}

// Runner runs one job: it trains Job.Recipe into Job.Dir, resuming from a
// checkpoint it finds there unless Job.Fresh. On cancellation of ctx it
// saves what it needs to resume and returns an error; it must be safe to
// call from several goroutines at once.
type Runner interface {
	Run(ctx context.Context, job Job) (Result, error)
}

// RunnerFunc adapts a function to [Runner].
type RunnerFunc func(ctx context.Context, job Job) (Result, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, job Job) (Result, error) { return f(ctx, job) }

// RecordFile is the file in a run's folder that marks it finished.
const RecordFile = "run.json"

// Record is the content of a finished run's RecordFile.
type Record struct {
	ID      string           `json:"id"`
	Index   int              `json:"index"`
	Recipe  json.RawMessage  `json:"recipe"`
	Status  string           `json:"status"`
	Metrics map[string]Float `json:"metrics"`
	// Seconds is the wall time of the attempt that finished the run.
	Seconds Float `json:"seconds"`
}

// Float is a float64 written as JSON null when it is NaN or infinite
// (models.Number, the type of result.json's metrics).
type Float = models.Number

// ReadRecord returns the record of a finished run, or ok == false when the
// run has not finished: no record, a torn one, or one whose recipe does
// not hash to the run's ID.
func ReadRecord(r Run) (rec Record, ok bool) {
	b, err := os.ReadFile(filepath.Join(r.Dir, RecordFile))
	if err != nil || json.Unmarshal(b, &rec) != nil {
		return Record{}, false
	}
	id, err := ID(rec.Recipe)
	if err != nil || id != r.ID || rec.ID != r.ID {
		return Record{}, false
	}
	return rec, true
}

// writeRecord writes the record atomically (a temporary file renamed).
func writeRecord(dir string, rec Record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return errors.Wrap(err, "sweep: record")
	}
	tmp, err := os.CreateTemp(dir, RecordFile+".tmp*")
	if err != nil {
		return errors.Wrap(err, "sweep: record")
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, RecordFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return errors.Wrap(err, "sweep: record")
	}
	return nil
}

// Options configure [Execute]. The zero value runs every run of the plan,
// one at a time, without retries and without progress lines.
type Options struct {
	// Workers is the number of runs at once (default 1).
	Workers int
	// Indexes selects runs by index (default: all runs).
	Indexes []int
	// Retries is how many times a failed run (an error other than
	// cancellation) is started again from scratch (default 0).
	Retries int
	// Log receives one line per finished, skipped or failed run.
	Log io.Writer
}

// Outcome is what became of one run in [Execute].
type Outcome struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
	// State is "done" (finished now), "skipped" (finished before),
	// "failed", "cancelled" (stopped; its checkpoint is kept to resume) or
	// "pending" (not started before the cancellation).
	State   string           `json:"state"`
	Status  string           `json:"status,omitempty"`
	Metrics map[string]Float `json:"metrics,omitempty"`
	Seconds Float            `json:"seconds"`
	Error   string           `json:"error,omitempty"`
}

// Report is the result of [Execute].
type Report struct {
	Done      int       `json:"done"`
	Skipped   int       `json:"skipped"`
	Failed    int       `json:"failed"`
	Cancelled int       `json:"cancelled"`
	Pending   int       `json:"pending"`
	Runs      []Outcome `json:"runs"`
}

// Outcome states.
const (
	StateDone      = "done"
	StateSkipped   = "skipped"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
	StatePending   = "pending"
)

// ErrRunsFailed reports that some runs of [Execute] failed.
var ErrRunsFailed = errors.New("sweep: runs failed")

// Execute runs the selected runs of the plan on opts.Workers goroutines.
// A run whose record matches its ID is skipped; any other is handed to
// runner, which resumes it from its checkpoint if it has one. A finished
// run gets its record (RecordFile). When ctx is cancelled no new run
// starts and the running ones are cancelled (the runner saves their
// checkpoints). The report lists the selected runs in plan order. The
// error is ctx's error after a cancellation, ErrRunsFailed if a run
// failed, nil otherwise.
func Execute(ctx context.Context, p *Plan, runner Runner, opts Options) (*Report, error) {
	sel := opts.Indexes
	if sel == nil {
		sel = make([]int, len(p.Runs))
		for i := range sel {
			sel[i] = i
		}
	}
	for _, i := range sel {
		if i < 0 || i >= len(p.Runs) {
			return nil, errors.WithMessagef(ErrIndex, "index %d, plan of %d runs", i, len(p.Runs))
		}
	}
	workers := max(1, opts.Workers)
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	rep := &Report{Runs: make([]Outcome, len(sel))}
	var mu sync.Mutex
	finished := 0
	report := func(k int, o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		rep.Runs[k] = o
		finished++
		r := p.Runs[o.Index]
		line := fmt.Sprintf("sweep %s: [%d/%d] run %d %s %s", p.Name, finished, len(sel), o.Index, o.ID, o.State)
		switch o.State {
		case StateDone, StateSkipped:
			line += " (" + o.Status + ")"
			if o.State == StateDone {
				line += fmt.Sprintf(" in %.1fs", float64(o.Seconds))
			}
			if v, ok := o.Metrics[p.Metric]; ok {
				line += fmt.Sprintf("  %s %.4f", p.Metric, float64(v))
			}
		case StateFailed, StateCancelled:
			line += ": " + o.Error
		}
		if d := p.Describe(r); d != "" {
			line += "  " + d
		}
		fmt.Fprintln(log, line)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				report(k, execute(ctx, p.Runs[sel[k]], runner, opts.Retries))
			}
		}()
	}
	sent := 0
	for k := range sel {
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- k:
			sent++
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	for k := sent; k < len(sel); k++ {
		r := p.Runs[sel[k]]
		rep.Runs[k] = Outcome{Index: r.Index, ID: r.ID, State: StatePending}
	}
	for _, o := range rep.Runs {
		switch o.State {
		case StateDone:
			rep.Done++
		case StateSkipped:
			rep.Skipped++
		case StateFailed:
			rep.Failed++
		case StateCancelled:
			rep.Cancelled++
		case StatePending:
			rep.Pending++
		}
	}
	switch {
	case ctx.Err() != nil && rep.Cancelled+rep.Pending > 0:
		return rep, errors.WithMessage(ctx.Err(), "sweep: cancelled")
	case rep.Failed > 0:
		return rep, errors.WithMessagef(ErrRunsFailed, "%d of %d", rep.Failed, len(sel))
	}
	return rep, nil
}

// execute runs one run to its end: skipped if recorded, else attempted up
// to 1+retries times.
func execute(ctx context.Context, r Run, runner Runner, retries int) Outcome {
	o := Outcome{Index: r.Index, ID: r.ID}
	if rec, ok := ReadRecord(r); ok {
		o.State, o.Status, o.Metrics, o.Seconds = StateSkipped, rec.Status, rec.Metrics, rec.Seconds
		return o
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		o.State, o.Error = StateFailed, errors.Wrap(err, "sweep: run folder").Error()
		return o
	}
	fresh := false
	for attempt := 0; ; attempt++ {
		start := time.Now()
		res, err := runner.Run(ctx, Job{Run: r, Fresh: fresh})
		o.Seconds = Float(time.Since(start).Seconds())
		if err == nil {
			rec := Record{ID: r.ID, Index: r.Index, Recipe: r.Recipe, Status: res.Status, Metrics: res.Metrics, Seconds: o.Seconds}
			if err = writeRecord(r.Dir, rec); err == nil {
				o.State, o.Status, o.Metrics = StateDone, res.Status, res.Metrics
				return o
			}
		}
		o.Error = oneLine(err.Error())
		if ctx.Err() != nil {
			o.State = StateCancelled
			return o
		}
		if attempt >= retries {
			o.State = StateFailed
			return o
		}
		fresh = true
	}
}

// oneLine joins a multi-line message.
func oneLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var parts []string
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}

// MetricNames returns the sorted names of the metrics in the records.
func MetricNames(recs []map[string]Float) []string {
	return mapkeys.Union(recs...)
}
