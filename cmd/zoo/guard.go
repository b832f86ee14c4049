package main

import (
	"context"
	"math"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// interruptible runs f and returns its results, or ctx's error as soon as
// ctx is done. Opening or reading a FIFO that has no writer blocks in the
// kernel, where no context reaches; run in its own goroutine, such a read
// cannot keep the process from exiting on SIGINT or SIGTERM (the goroutine
// is abandoned and ends with the process).
func interruptible[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, errors.WithMessage(ctx.Err(), "cancelled while reading the input")
	}
}

// loadedModel is what loadModel returns.
type loadedModel struct {
	m *models.Model
	c *training.Checkpoint
}

// loadFiniteModel loads a checkpoint's model as loadModel does, but can be
// interrupted through ctx while the file is read, and refuses weights that
// are NaN or infinite, naming the file and the tensor.
func loadFiniteModel(ctx context.Context, path string) (*models.Model, *training.Checkpoint, error) {
	lm, err := interruptible(ctx, func() (loadedModel, error) {
		m, c, err := loadModel(path)
		return loadedModel{m, c}, err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := checkFinite(lm.m.Store().Vars()); err != nil {
		return nil, nil, errors.WithMessagef(err, "checkpoint %s", path)
	}
	return lm.m, lm.c, nil
}

// checkFinite returns an error naming the first variable holding a NaN or
// an infinity, with how many of its values are not finite.
func checkFinite(vars []*graph.Var) error {
	for _, v := range vars {
		bad, first, at := 0, 0.0, -1
		for i, x := range v.Float64s() {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				if bad == 0 {
					first, at = x, i
				}
				bad++
			}
		}
		if bad > 0 {
			return errors.Errorf("tensor %q has %d non-finite values of %d (the first, %v, at flat index %d); refusing to use it", v.Name(), bad, v.Shape().TotalSize(), first, at)
		}
	}
	return nil
}

// finiteRows returns an error when a row of probabilities holds a NaN or
// an infinity: the prediction made from it would mean nothing.
func finiteRows(probs []float64, k int, name func(i int) string) error {
	for i := 0; i*k < len(probs); i++ {
		for _, p := range probs[i*k : (i+1)*k] {
			if math.IsNaN(p) || math.IsInf(p, 0) {
				return errors.Errorf("%s: the model's output is not finite (%v): no prediction", name(i), p)
			}
		}
	}
	return nil
}
