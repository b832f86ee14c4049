package training_test

import (
	"context"
	"math"
	"testing"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// countdownCtx is a context whose Err turns into context.Canceled on its
// n-th call: a deterministic way to cancel between two checks.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	c.n--
	if c.n <= 0 {
		return context.Canceled
	}
	return nil
}

// TestEvaluateChecksContextBetweenPasses: with Monte-Carlo dropout on one
// batch, the context is checked before the batch and before every pass
// after the first, so cancelling after the first pass stops the
// evaluation (a check per batch alone would finish all 50 passes).
func TestEvaluateChecksContextBetweenPasses(t *testing.T) {
	_, _, test := subset(t)
	one, err := test.Subset([]int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	m := smallMLP(t, models.Config{Hidden: []int{16}, HiddenDropout: 0.5}, 1)
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: 4, MCSamples: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ctx := &countdownCtx{Context: context.Background(), n: 3} // batch check, pass 2 check, then cancelled at pass 3
	if _, err := ev.Evaluate(ctx, one, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("Evaluate: %v, want context.Canceled", err)
	}
	if ctx.n != 0 {
		t.Fatalf("context checked %d times, want 3", 3-ctx.n)
	}
	if _, err := ev.Probabilities(&countdownCtx{Context: context.Background(), n: 2}, one); !errors.Is(err, context.Canceled) {
		t.Fatalf("Probabilities: %v, want context.Canceled", err)
	}
}

// TestEvaluateEmptyIsNaN: nothing measured is NaN (null in JSON), not 0.
func TestEvaluateEmptyIsNaN(t *testing.T) {
	empty, err := datasets.New(nil, nil, datasets.Shape{C: 1, H: 28, W: 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	m := smallMLP(t, models.Config{Hidden: []int{8}}, 1)
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	got, err := ev.Evaluate(context.Background(), empty, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.N != 0 || !math.IsNaN(got.Loss) || !math.IsNaN(got.Accuracy) {
		t.Fatalf("empty data: %+v, want n 0 and NaN loss and accuracy", got)
	}
}
