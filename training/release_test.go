package training_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// liveHeap returns the bytes of live heap after a full collection (two, so
// that objects freed by finalizers are gone too).
func liveHeap() uint64 {
	var ms runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestClosedGraphsAreFreed compiles and closes evaluators, and runs Fit,
// over and over on one model, and checks that the live heap does not grow
// with them. Each evaluator's input tensor alone is 4000·784 float32
// (12.5 MB), so ten kept alive would add 125 MB; the bound allows 40 MB.
// Before Close dropped its reference to the program, every one was kept
// (a reference cycle through Gorgonia's TapeMachine, which has a
// finalizer): the early-stopping experiment grew by 6 MB per evaluation.
func TestClosedGraphsAreFreed(t *testing.T) {
	train, _, _ := subset(t)
	m := smallMLP(t, models.Config{Hidden: []int{16}}, 1)
	ds, err := datasets.New(make([]float32, 4000*784), make([]int, 4000), datasets.Shape{C: 1, H: 28, W: 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		run  func() error
	}{
		{"evaluator", func() error {
			ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: 4000})
			if err != nil {
				return err
			}
			if _, err := ev.Evaluate(context.Background(), ds, false); err != nil {
				return err
			}
			return ev.Close()
		}},
		{"fit", func() error {
			// The validation evaluator is compiled at batch 4000 too.
			_, err := training.Fit(context.Background(), m, train, ds, training.Config{Epochs: 1, BatchSize: 100, EvalBatchSize: 4000})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); err != nil { // warm-up: pools, free lists
				t.Fatal(err)
			}
			before := liveHeap()
			for range 10 {
				if err := tt.run(); err != nil {
					t.Fatal(err)
				}
			}
			if after := liveHeap(); after > before+40<<20 {
				t.Fatalf("live heap grew from %d MB to %d MB over 10 runs", before>>20, after>>20)
			}
		})
	}
}
