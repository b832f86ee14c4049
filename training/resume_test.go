package training_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// TestResumeIsBitIdentical interrupts a run in the middle of its second
// epoch (Ctrl-C is a cancelled context), resumes it from the checkpoint it
// saved, and compares the final weights and history with a run that was
// never interrupted: they must be equal bit for bit. The model has dropout
// (random masks), BatchNorm (buffers) and the run uses Adam (state), early
// stopping and a short last batch, so every piece of state is exercised.
func TestFitResumeIsBitIdentical(t *testing.T) {
	train, val, _ := subset(t)
	mcfg := models.Config{Hidden: []int{24}, InputDropout: 0.1, HiddenDropout: 0.3, Norm: "batch"}
	cfgFor := func(dir string) training.Config {
		opt, err := training.NewAdam(training.AdamConfig{LR: 3e-3})
		if err != nil {
			t.Fatal(err)
		}
		return training.Config{
			Epochs: 3, BatchSize: 50, Seed: 4, Optimizer: opt,
			EarlyStopping: &training.EarlyStoppingConfig{Monitor: "val_loss", Patience: 5},
			Checkpoints:   &training.CheckpointConfig{Dir: dir},
		}
	}
	ref := smallMLP(t, mcfg, 9)
	hRef, err := training.Fit(context.Background(), ref, train, val, cfgFor(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	m := smallMLP(t, mcfg, 9)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := cfgFor(dir)
	cfg.OnBatch = func(p training.Progress) {
		if p.Epoch == 2 && p.Batch == 3 {
			cancel()
		}
	}
	h, err := training.Fit(ctx, m, train, val, cfg)
	if !errors.Is(err, context.Canceled) || h.Stopped != training.StopCancelled {
		t.Fatalf("interrupted run: err %v, stopped %q", err, h.Stopped)
	}
	last := filepath.Join(dir, training.LastCheckpoint)
	if _, err := os.Stat(last); err != nil {
		t.Fatalf("no checkpoint after cancellation: %v", err)
	}

	resumed := smallMLP(t, mcfg, 1234) // different initial weights: all must come from the checkpoint
	cfg = cfgFor(dir)
	cfg.Resume = last
	h2, err := training.Fit(context.Background(), resumed, train, val, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, b := stripTimes(hRef), stripTimes(h2)
	if len(a.Epochs) != len(b.Epochs) || a.BestEpoch != b.BestEpoch || a.Stopped != b.Stopped {
		t.Fatalf("histories differ:\n%+v\n%+v", a, b)
	}
	for i := range a.Epochs {
		if a.Epochs[i] != b.Epochs[i] {
			t.Fatalf("epoch %d differs:\n%+v\n%+v", i, a.Epochs[i], b.Epochs[i])
		}
	}
	wa, wb := weightBits(ref.Store()), weightBits(resumed.Store())
	for i := range wa {
		if wa[i] != wb[i] {
			t.Fatalf("weight %d differs after resume", i)
		}
	}
}

func TestFitResumeRejectsOtherModel(t *testing.T) {
	train, val, _ := subset(t)
	dir := t.TempDir()
	m := smallMLP(t, models.Config{Hidden: []int{8}}, 1)
	if _, err := training.Fit(context.Background(), m, train, val, training.Config{Epochs: 1, Checkpoints: &training.CheckpointConfig{Dir: dir}}); err != nil {
		t.Fatal(err)
	}
	other := smallMLP(t, models.Config{Hidden: []int{9}}, 1)
	_, err := training.Fit(context.Background(), other, train, val, training.Config{Epochs: 2, Resume: filepath.Join(dir, training.LastCheckpoint)})
	if !errors.Is(err, training.ErrIncompatibleCheckpoint) {
		t.Fatalf("err = %v, want ErrIncompatibleCheckpoint", err)
	}
	_, err = training.Fit(context.Background(), m, train, val, training.Config{Epochs: 2, Resume: filepath.Join(dir, training.BestCheckpoint)})
	if !errors.Is(err, training.ErrCheckpoint) {
		t.Fatalf("resuming from best: err = %v, want ErrCheckpoint", err)
	}
}
