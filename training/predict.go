package training

import (
	"context"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
)

// Prediction is a model's answer for one sample.
type Prediction struct {
	// Class is the most probable class (the first one on ties).
	Class int
	// Probs are the class probabilities.
	Probs []float64
}

// Predict classifies the samples whose features x holds back to back
// (len(x) a multiple of the model's input size: 784 pixels in [0, 1] per
// MNIST image), in m's evaluation graph, in batches of at most 1000. A
// single image is a 784-value slice; no Dataset is needed.
func Predict(ctx context.Context, m Model, x []float32) ([]Prediction, error) {
	feat := tensor.Shape(m.InputShape()).TotalSize()
	if feat == 0 || len(x) == 0 || len(x)%feat != 0 {
		return nil, errors.Errorf("training: predict: %d values are not a whole number of samples of %d features", len(x), feat)
	}
	n := len(x) / feat
	ds := &datasets.Dataset{X: x, Y: make([]int, n), Shape: datasets.Shape{C: 1, H: 1, W: feat}, NumClasses: 1}
	ev, err := NewEvaluator(m, EvalOptions{BatchSize: min(1000, n)})
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	probs, err := ev.Probabilities(ctx, ds)
	if err != nil {
		return nil, err
	}
	k := len(probs) / n
	out := make([]Prediction, n)
	for i := range out {
		p := probs[i*k : (i+1)*k : (i+1)*k]
		best := 0
		for c, v := range p {
			if v > p[best] {
				best = c
			}
		}
		out[i] = Prediction{Class: best, Probs: p}
	}
	return out, nil
}
