package training_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// TestFitPrefetchIsBitIdentical trains the same model twice, with the next
// batch gathered on a goroutine of its own (the default) and on Fit's own
// goroutine (NoPrefetch): the histories and the final weights must be equal
// bit for bit. Dropout, BatchNorm, Adam, a short last batch and a
// validation split whose last batch is short too exercise every consumer of
// the batches.
func TestFitPrefetchIsBitIdentical(t *testing.T) {
	train, val, _ := subset(t)
	mcfg := models.Config{Hidden: []int{24}, InputDropout: 0.1, HiddenDropout: 0.3, Norm: "batch"}
	fit := func(noPrefetch bool) (*training.History, []uint64) {
		m := smallMLP(t, mcfg, 9)
		opt, err := training.NewAdam(training.AdamConfig{LR: 3e-3})
		if err != nil {
			t.Fatal(err)
		}
		h, err := training.Fit(context.Background(), m, train, val, training.Config{
			Epochs: 2, BatchSize: 70, EvalBatchSize: 130, Seed: 4, Optimizer: opt, NoPrefetch: noPrefetch,
		})
		if err != nil {
			t.Fatal(err)
		}
		return h, weightBits(m.Store())
	}
	hp, wp := fit(false)
	hs, ws := fit(true)
	if train.Len()%70 == 0 || val.Len()%130 == 0 {
		t.Fatalf("%d training and %d validation samples: no short last batch", train.Len(), val.Len())
	}
	a, b := stripTimes(hp), stripTimes(hs)
	if len(a.Epochs) != len(b.Epochs) {
		t.Fatalf("%d epochs with prefetch, %d without", len(a.Epochs), len(b.Epochs))
	}
	for i := range a.Epochs {
		if a.Epochs[i] != b.Epochs[i] {
			t.Fatalf("epoch %d differs:\nprefetch    %+v\nno prefetch %+v", i, a.Epochs[i], b.Epochs[i])
		}
	}
	for i := range wp {
		if wp[i] != ws[i] {
			t.Fatalf("weight %d differs", i)
		}
	}
}

// TestFitLeavesNoGoroutines ends Fit in each way it can end (all epochs,
// cancellation in the middle of an epoch, divergence in the middle of an
// epoch) and checks that no prefetching goroutine outlives it.
func TestFitLeavesNoGoroutines(t *testing.T) {
	train, val, _ := subset(t)
	for _, tt := range []struct {
		name   string
		lr     float64
		cancel bool
		want   error
	}{
		{"all epochs", 0.05, false, nil},
		{"cancelled", 0.05, true, context.Canceled},
		{"diverged", 1e30, false, training.ErrDiverged},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := training.Config{Epochs: 2, BatchSize: 50, Optimizer: sgd(t, tt.lr)}
			if tt.cancel {
				cfg.OnBatch = func(p training.Progress) {
					if p.Epoch == 2 && p.Batch == 2 {
						cancel()
					}
				}
			}
			_, err := training.Fit(ctx, smallMLP(t, models.Config{Hidden: []int{16}}, 1), train, val, cfg)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > base; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					buf := make([]byte, 1<<16)
					t.Fatalf("%d goroutines after Fit, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
				}
			}
		})
	}
}
