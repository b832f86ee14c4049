package training_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	stdpng "image/png"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// subset loads the real-MNIST subset in testdata and splits 20% off the
// training images for validation.
func subset(t testing.TB) (train, val, test *datasets.Dataset) {
	t.Helper()
	mn, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: "../testdata/mnist"})
	if err != nil {
		t.Fatal(err)
	}
	tr, va, err := datasets.StratifiedSplit(mn.Train.Y, 10, 0.2, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if train, err = mn.Train.Subset(tr); err != nil {
		t.Fatal(err)
	}
	if val, err = mn.Train.Subset(va); err != nil {
		t.Fatal(err)
	}
	return train, val, mn.Test
}

func smallMLP(t testing.TB, cfg models.Config, seed uint64) *models.Model {
	t.Helper()
	e, err := models.Lookup("mlp")
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Build(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func weightBits(s *graph.Store) []uint64 {
	var out []uint64
	for _, v := range s.Vars() {
		switch d := v.Value().Data().(type) {
		case []float32:
			for _, x := range d {
				out = append(out, uint64(math.Float32bits(x)))
			}
		case []float64:
			for _, x := range d {
				out = append(out, math.Float64bits(x))
			}
		}
	}
	return out
}

// stripTimes zeroes the wall-clock fields, the only ones allowed to differ
// between two runs with the same seed.
func stripTimes(h *training.History) training.History {
	c := *h
	c.Epochs = append([]training.EpochRecord(nil), h.Epochs...)
	for i := range c.Epochs {
		c.Epochs[i].Seconds, c.Epochs[i].SamplesPerSec = 0, 0
	}
	return c
}

func sgd(t testing.TB, lr float64) training.Optimizer {
	o, err := training.NewSGD(training.SGDConfig{LR: lr, Momentum: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestFitIsDeterministic: the same seeds give a bit-identical history and
// bit-identical weights, with dropout, BatchNorm and a short last batch.
func TestFitIsDeterministic(t *testing.T) {
	train, val, _ := subset(t)
	cfg := models.Config{Hidden: []int{32, 32}, InputDropout: 0.2, HiddenDropout: 0.3, Norm: "batch", L2: 1e-4, MaxNorm: 3}
	fit := func() (*training.History, []uint64) {
		m := smallMLP(t, cfg, 3)
		h, err := training.Fit(context.Background(), m, train, val, training.Config{
			Epochs: 2, BatchSize: 48, Seed: 11, Optimizer: sgd(t, 0.05),
		})
		if err != nil {
			t.Fatal(err)
		}
		return h, weightBits(m.Store())
	}
	h1, w1 := fit()
	h2, w2 := fit()
	if a, b := stripTimes(h1), stripTimes(h2); len(a.Epochs) != 2 || a.Epochs[0] != b.Epochs[0] || a.Epochs[1] != b.Epochs[1] || a.Stopped != b.Stopped {
		t.Fatalf("histories differ:\n%+v\n%+v", a, b)
	}
	if len(w1) != len(w2) {
		t.Fatal("weight counts differ")
	}
	for i := range w1 {
		if w1[i] != w2[i] {
			t.Fatalf("weight %d differs between runs with the same seed", i)
		}
	}
	if h1.Epochs[1].TrainLoss >= h1.Epochs[0].TrainLoss {
		t.Errorf("training loss did not fall: %+v", h1.Epochs)
	}
}

// TestFitArenaReusedByEvaluator trains with an arena passed in and scores
// the test set with an evaluator on that arena (as zoo train does), then
// repeats the run with memory of their own: the history, the weights and
// the test metrics must be the same bits. The hidden layer is wide enough
// (64×512) for its nodes to share memory.
func TestFitArenaReusedByEvaluator(t *testing.T) {
	train, val, test := subset(t)
	run := func(arena *graph.Arena) (training.History, []uint64, training.Metrics) {
		m := smallMLP(t, models.Config{Hidden: []int{512}, HiddenDropout: 0.3, Norm: "batch"}, 5)
		h, err := training.Fit(context.Background(), m, train, val, training.Config{
			Epochs: 2, BatchSize: 64, Seed: 3, Optimizer: sgd(t, 0.05), Arena: arena,
		})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := training.NewEvaluator(m, training.EvalOptions{Arena: arena})
		if err != nil {
			t.Fatal(err)
		}
		defer ev.Close()
		met, err := ev.Evaluate(context.Background(), test, false)
		if err != nil {
			t.Fatal(err)
		}
		return stripTimes(h), weightBits(m.Store()), met
	}
	h1, w1, m1 := run(new(graph.Arena))
	h2, w2, m2 := run(nil)
	if len(h1.Epochs) != 2 || h1.Epochs[0] != h2.Epochs[0] || h1.Epochs[1] != h2.Epochs[1] {
		t.Fatalf("histories differ:\n%+v\n%+v", h1, h2)
	}
	if !slices.Equal(w1, w2) {
		t.Error("the weights differ")
	}
	if m1.Loss != m2.Loss || m1.Accuracy != m2.Accuracy || m1.N != m2.N {
		t.Errorf("test metrics %+v on the arena, %+v without", m1, m2)
	}
}

// TestFitEarlyStoppingRestoresBest trains an over-parameterised MLP on 400
// images until the validation loss turns up; early stopping must fire and
// leave the best epoch's weights in place (so the validation loss measured
// afterwards is the best epoch's).
func TestFitEarlyStoppingRestoresBest(t *testing.T) {
	train, val, _ := subset(t)
	m := smallMLP(t, models.Config{Hidden: []int{256, 256}}, 5)
	h, err := training.Fit(context.Background(), m, train, val, training.Config{
		Epochs: 60, BatchSize: 32, Seed: 1, Optimizer: sgd(t, 0.05),
		EarlyStopping: &training.EarlyStoppingConfig{Monitor: "val_loss", Patience: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.Stopped != training.StopEarlyStopping {
		t.Fatalf("stopped: %s after %d epochs, want early_stopping", h.Stopped, len(h.Epochs))
	}
	last := len(h.Epochs) - 1
	if h.BestEpoch != last-3 || !h.Restored {
		t.Fatalf("best epoch %d, last %d, restored %v: want best = last − patience and restored", h.BestEpoch, last, h.Restored)
	}
	for _, e := range h.Epochs {
		if e.ValLoss < h.Epochs[h.BestEpoch].ValLoss {
			t.Fatalf("epoch %d has a lower val loss than the best epoch %d", e.Epoch, h.BestEpoch)
		}
	}
	ev, err := training.NewEvaluator(m, training.EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	got, err := ev.Evaluate(context.Background(), val, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := h.Epochs[h.BestEpoch].ValLoss; got.Loss != want {
		t.Fatalf("val loss after restore %v, best epoch's %v", got.Loss, want)
	}
	if got.N != val.Len() {
		t.Fatalf("evaluated %d samples, val has %d", got.N, val.Len())
	}
}

// TestFitDivergenceStops: at learning rate 1e30 the first step pushes float32
// weights past 3.4e38 to ±Inf, so the next loss is NaN.
func TestFitDivergenceStops(t *testing.T) {
	train, val, _ := subset(t)
	m := smallMLP(t, models.Config{Hidden: []int{64}}, 1)
	h, err := training.Fit(context.Background(), m, train, val, training.Config{Epochs: 5, Optimizer: sgd(t, 1e30)})
	if !errors.Is(err, training.ErrDiverged) {
		t.Fatalf("err = %v, want ErrDiverged", err)
	}
	if h == nil || h.Stopped != training.StopDiverged {
		t.Fatalf("history %+v, want stopped=diverged", h)
	}
}

func TestFitCancellation(t *testing.T) {
	train, val, _ := subset(t)
	m := smallMLP(t, models.Config{Hidden: []int{16}}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, err := training.Fit(ctx, m, train, val, training.Config{Epochs: 5, BatchSize: 16, OnBatch: func(p training.Progress) {
		if p.Batch == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || h.Stopped != training.StopCancelled {
		t.Fatalf("err %v, stopped %q: want context.Canceled and cancelled", err, h.Stopped)
	}
}

func TestEvaluatorCountsEverySampleOnce(t *testing.T) {
	_, val, test := subset(t)
	m := smallMLP(t, models.Config{Hidden: []int{16}}, 1)
	for _, bs := range []int{1, 7, 64, 1000} {
		ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: bs})
		if err != nil {
			t.Fatal(err)
		}
		for _, ds := range []*datasets.Dataset{val, test} {
			got, err := ev.Evaluate(context.Background(), ds, true)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != ds.Len() || len(got.Predictions) != ds.Len() {
				t.Fatalf("batch %d: scored %d samples (%d predictions) of %d", bs, got.N, len(got.Predictions), ds.Len())
			}
		}
		ev.Close()
	}
	// The score does not depend on the batch size.
	var losses []float64
	for _, bs := range []int{1, 7, 1000} {
		ev, _ := training.NewEvaluator(m, training.EvalOptions{BatchSize: bs})
		got, err := ev.Evaluate(context.Background(), test, false)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, got.Loss)
		ev.Close()
	}
	for _, l := range losses[1:] {
		if math.Abs(l-losses[0]) > 1e-5*losses[0] {
			t.Fatalf("test loss depends on the batch size: %v", losses)
		}
	}
}

func TestHistoryOutputs(t *testing.T) {
	h := &training.History{BestEpoch: 1, Stopped: training.StopEarlyStopping, Epochs: []training.EpochRecord{
		{Epoch: 0, TrainLoss: 1, TrainAcc: 0.5, ValLoss: 1.1, ValAcc: 0.45, LR: 0.1},
		{Epoch: 1, TrainLoss: 0.5, TrainAcc: 0.8, ValLoss: 0.7, ValAcc: 0.75, LR: 0.1},
		{Epoch: 2, TrainLoss: 0.3, TrainAcc: 0.9, ValLoss: 0.8, ValAcc: 0.74, LR: 0.05},
	}}
	dir := t.TempDir()
	png := dir + "/curves.png"
	if err := h.WriteCurvesPNG(png, "test"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := stdpng.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 200 {
		t.Fatalf("image %v too small", b)
	}
	var csvBuf, jsonl strings.Builder
	if err := h.WriteCSV(&csvBuf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(csvBuf.String())).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "epoch" || rows[3][6] != "0.05" {
		t.Fatalf("csv rows %v, err %v", rows, err)
	}
	if err := h.WriteJSONL(&jsonl); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(jsonl.String(), "\n"); n != 3 || !strings.Contains(jsonl.String(), `"val_acc":0.75`) {
		t.Fatalf("jsonl:\n%s", jsonl.String())
	}
	if err := (&training.History{}).WriteCurvesPNG(png, "empty"); err == nil {
		t.Fatal("empty history plotted")
	}
}

// TestHistoryJSONKeepsNonFinite: a diverged epoch's NaN/Inf values survive a
// JSON round trip (checkpoints store the history as JSON).
func TestHistoryJSONKeepsNonFinite(t *testing.T) {
	h := training.History{BestEpoch: -1, Epochs: []training.EpochRecord{{Epoch: 0, TrainLoss: 1.5, ValLoss: math.NaN(), ValAcc: math.Inf(1), LR: 0.1}}}
	b, err := json.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	var back training.History
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	e := back.Epochs[0]
	if e.TrainLoss != 1.5 || !math.IsNaN(e.ValLoss) || !math.IsInf(e.ValAcc, 1) || e.LR != 0.1 {
		t.Fatalf("round trip: %+v from %s", e, b)
	}
}

// TestEvaluatorReadsBatchesInPlace checks the evaluation graph reading a
// whole float32 batch where it lies: the logits are those of the batch
// copied into the graph's input, bit for bit; the samples are not written;
// a short last batch is copied; and after Evaluate the input node lets go
// of the caller's samples.
func TestEvaluatorReadsBatchesInPlace(t *testing.T) {
	_, _, test := subset(t)
	m := smallMLP(t, models.Config{Hidden: []int{32}, Norm: "batch"}, 2)
	const bs = 50
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: bs})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	feat := test.Features()
	x := test.X[3*feat : (3+bs)*feat]
	before := slices.Clone(x)
	copied, bound, err := training.EvalLogits(ev, x, bs, true)
	if err != nil || bound {
		t.Fatalf("copy: bound %v, %v", bound, err)
	}
	viewed, bound, err := training.EvalLogits(ev, x, bs, false)
	if err != nil || !bound {
		t.Fatalf("view: bound %v, %v", bound, err)
	}
	if !slices.Equal(bitsOf(copied), bitsOf(viewed)) {
		t.Error("logits of the batch read in place differ from those of the copied batch")
	}
	if !slices.Equal(bitsOf(before), bitsOf(x)) {
		t.Error("the evaluation wrote into the caller's samples")
	}
	if _, bound, _ = training.EvalLogits(ev, x, bs-1, false); bound {
		t.Error("a short batch was bound in place (the graph's batch is longer)")
	}
	if _, err := ev.Evaluate(context.Background(), test, false); err != nil {
		t.Fatal(err)
	}
	if training.EvalInputBound(ev) {
		t.Error("after Evaluate the input node still holds the caller's samples")
	}
}

func bitsOf(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}
