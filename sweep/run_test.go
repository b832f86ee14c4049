package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeRunner "trains" by writing a checkpoint file, counting calls and
// reporting metrics computed from the recipe: val_acc = lr·10 + seed/100.
type fakeRunner struct {
	calls, active, maxActive atomic.Int32
	mu                       sync.Mutex
	fresh                    map[int]bool
	resumed                  map[int]bool
	fail                     func(j Job) error
	block                    chan struct{} // if set, every run waits for it or ctx
}

func (f *fakeRunner) Run(ctx context.Context, j Job) (Result, error) {
	f.calls.Add(1)
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxActive.Load()
		if n <= m || f.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	ckpt := filepath.Join(j.Dir, "ckpt")
	f.mu.Lock()
	if f.fresh == nil {
		f.fresh, f.resumed = map[int]bool{}, map[int]bool{}
	}
	f.fresh[j.Index] = f.fresh[j.Index] || j.Fresh
	if _, err := os.Stat(ckpt); err == nil && !j.Fresh {
		f.resumed[j.Index] = true
	}
	f.mu.Unlock()
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			os.WriteFile(ckpt, []byte("saved"), 0o644)
			return Result{}, ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(j); err != nil {
			return Result{}, err
		}
	}
	var r struct {
		LR   float64 `json:"lr"`
		Seed float64 `json:"seed"`
	}
	json.Unmarshal(j.Recipe, &r)
	return Result{Status: "max_epochs", Metrics: map[string]Float{"val_acc": Float(r.LR*10 + r.Seed/100), "test_acc": 0.5, "val_loss": Float(math.NaN())}}, nil
}

func testPlan(t *testing.T) *Plan {
	t.Helper()
	p, err := mustSpec(t, fmt.Sprintf(`{"name": "t", "out": %q, "base": {},
		"axes": [{"path": "lr", "values": [0.01, 0.05]}], "seeds": {"values": [1, 2, 3]}}`, t.TempDir())).Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecuteSkipsFinishedRuns(t *testing.T) {
	p := testPlan(t)
	var log bytes.Buffer
	f := &fakeRunner{}
	rep, err := Execute(context.Background(), p, f, Options{Workers: 2, Log: &log})
	if err != nil || rep.Done != 6 || f.calls.Load() != 6 {
		t.Fatalf("%v, %+v, %d calls", err, rep, f.calls.Load())
	}
	if f.maxActive.Load() > 2 {
		t.Fatalf("%d runs at once with 2 workers", f.maxActive.Load())
	}
	if n := strings.Count(log.String(), "\n"); n != 6 || !strings.Contains(log.String(), "[6/6]") {
		t.Fatalf("progress lines:\n%s", log.String())
	}
	rep, err = Execute(context.Background(), p, f, Options{Workers: 2})
	if err != nil || rep.Skipped != 6 || f.calls.Load() != 6 {
		t.Fatalf("second call: %v, %+v, %d calls", err, rep, f.calls.Load())
	}
	// A record whose recipe does not hash to the run's ID does not count.
	rec, _ := ReadRecord(p.Runs[4])
	rec.Recipe = json.RawMessage(`{"lr":0.05,"seed":9}`)
	if err := writeRecord(p.Runs[4].Dir, rec); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p.Runs[5].Dir, RecordFile), []byte(`{"id": "torn`), 0o644)
	rep, err = Execute(context.Background(), p, f, Options{})
	if err != nil || rep.Skipped != 4 || rep.Done != 2 || rep.Runs[4].State != StateDone || rep.Runs[5].State != StateDone {
		t.Fatalf("after a wrong and a torn record: %v, %+v", err, rep)
	}
}

func TestExecuteIndex(t *testing.T) {
	p := testPlan(t)
	f := &fakeRunner{}
	rep, err := Execute(context.Background(), p, f, Options{Indexes: []int{4}})
	if err != nil || len(rep.Runs) != 1 || rep.Runs[0].Index != 4 || f.calls.Load() != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	if rep.Runs[0].Metrics["val_acc"] != Float(0.05*10+2.0/100) {
		t.Fatalf("metrics %v", rep.Runs[0].Metrics)
	}
	if _, err := Execute(context.Background(), p, f, Options{Indexes: []int{6}}); !errors.Is(err, ErrIndex) {
		t.Fatalf("index 6 of 6: %v", err)
	}
}

func TestExecuteCancelThenResume(t *testing.T) {
	p := testPlan(t)
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeRunner{block: make(chan struct{})}
	done := make(chan struct{})
	var rep *Report
	var err error
	go func() {
		rep, err = Execute(ctx, p, f, Options{Workers: 2})
		close(done)
	}()
	for f.active.Load() < 2 {
		runtime.Gosched() // until two runs are in progress
	}
	cancel()
	<-done
	if !errors.Is(err, context.Canceled) || rep.Cancelled != 2 || rep.Pending != 4 || f.calls.Load() != 2 {
		t.Fatalf("%v, %+v, %d calls", err, rep, f.calls.Load())
	}
	// The cancelled runs kept their checkpoints and resume from them.
	g := &fakeRunner{}
	if rep, err = Execute(context.Background(), p, g, Options{}); err != nil || rep.Done != 6 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if len(g.resumed) != 2 || !g.resumed[0] || !g.resumed[1] {
		t.Fatalf("resumed %v, want runs 0 and 1", g.resumed)
	}
}

func TestExecuteRetriesFromScratch(t *testing.T) {
	p := testPlan(t)
	f := &fakeRunner{fail: func(j Job) error {
		if j.Index == 2 && !j.Fresh {
			return errors.New("torn checkpoint")
		}
		if j.Index == 3 {
			return errors.New("always\nfails")
		}
		return nil
	}}
	rep, err := Execute(context.Background(), p, f, Options{Retries: 1})
	if !errors.Is(err, ErrRunsFailed) || rep.Done != 5 || rep.Failed != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	if o := rep.Runs[3]; o.State != StateFailed || o.Error != "always; fails" || !f.fresh[2] || f.calls.Load() != 8 {
		t.Fatalf("run 3 %+v, fresh %v, %d calls", o, f.fresh, f.calls.Load())
	}
	if _, ok := ReadRecord(p.Runs[3]); ok {
		t.Fatal("failed run has a record")
	}
}

func TestCollectSummarize(t *testing.T) {
	p := testPlan(t)
	if _, err := Execute(context.Background(), p, &fakeRunner{}, Options{Indexes: []int{0, 1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	tab := Collect(p)
	if len(tab.Rows) != 6 || tab.Rows[5].Done || !tab.Rows[4].Done {
		t.Fatalf("rows %+v", tab.Rows)
	}
	s, err := Summarize(tab, "val_acc", "")
	if err != nil {
		t.Fatal(err)
	}
	// Config 0: lr 0.01, seeds 1-3: 0.1 + {0.01, 0.02, 0.03}: mean 0.12, sd 0.01.
	// Config 1: lr 0.05, seeds 1-2 done: 0.5 + {0.01, 0.02}: mean 0.515, sd 0.01/√2.
	c0, c1 := s.Configs[0].Metrics["val_acc"], s.Configs[1].Metrics["val_acc"]
	near := func(a Float, b float64) bool { return math.Abs(float64(a)-b) < 1e-12 }
	if c0.N != 3 || !near(c0.Mean, 0.12) || !near(c0.SD, 0.01) || !near(c0.Min, 0.11) || !near(c0.Max, 0.13) {
		t.Fatalf("config 0 %+v", c0)
	}
	if c1.N != 2 || !near(c1.Mean, 0.515) || !near(c1.SD, 0.01/math.Sqrt2) || s.Configs[1].Done != 2 || s.Configs[1].Runs != 3 {
		t.Fatalf("config 1 %+v", s.Configs[1])
	}
	if s.Best == nil || s.Best.Config != 1 || s.Done != 5 {
		t.Fatalf("best %+v", s.Best)
	}
	if s, _ := Summarize(tab, "val_acc", "min"); s.Best.Config != 0 {
		t.Fatalf("min: best %d", s.Best.Config)
	}
	if _, ok := s.Configs[0].Metrics["val_loss"]; ok {
		t.Fatal("a metric that is NaN everywhere has a stat")
	}
	if _, err := Summarize(tab, "test_acc", ""); !errors.Is(err, ErrTestMetric) {
		t.Fatalf("test metric: %v", err)
	}
	var csv bytes.Buffer
	if err := tab.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if lines[0] != "index,id,config,lr,seed,done,status,seconds,test_acc,val_acc,val_loss" || len(lines) != 7 {
		t.Fatalf("csv:\n%s", csv.String())
	}
	if !strings.HasPrefix(lines[6], "5,"+p.Runs[5].ID+",1,0.05,3,false,,,,,") {
		t.Fatalf("unfinished row %q", lines[6])
	}
	files, err := PlotAxes(tab, "val_acc", filepath.Join(t.TempDir(), "plots"))
	if err != nil || len(files) != 1 || filepath.Base(files[0]) != "lr.png" {
		t.Fatalf("%v %v", files, err)
	}
	if b, err := os.ReadFile(files[0]); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("plot: %v", err)
	}
}
