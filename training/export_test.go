package training

import (
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/datasets"
)

// Hooks for the external benchmarks of registry models (models imports
// training, so they cannot live in this package).

// BenchMNISTBatch and BenchUniform make benchmark batches.
var (
	BenchMNISTBatch = benchMNISTBatch
	BenchUniform    = benchUniform
)

// BenchRun is one Fit run's state, stepped by hand.
type BenchRun struct{ r *run }

// NewBenchRun prepares a run of m on ds without validation data.
func NewBenchRun(m Model, ds *datasets.Dataset, cfg Config) (*BenchRun, error) {
	r, err := newRun(m, ds, nil, cfg.withDefaults())
	if err != nil {
		return nil, err
	}
	return &BenchRun{r}, nil
}

// Step runs one training step on the first n samples of x and y.
func (b *BenchRun) Step(x []float32, y []int, n int) (float64, error) {
	loss, _, _, err := b.r.step(x, y, n)
	return loss, err
}

// Close releases the run.
func (b *BenchRun) Close() { b.r.close() }

// EvalLogits runs ev's graph on the first n samples of x, copied into the
// graph's input (copy) or read where they lie (bindView), and returns a copy
// of the logits and whether the input node was bound to x.
func EvalLogits(ev *Evaluator, x []float32, n int, copyIn bool) ([]float32, bool, error) {
	p := ev.p
	bound := false
	if copyIn {
		if err := p.load(x, nil, n); err != nil {
			return nil, false, err
		}
	} else {
		bound = p.bindView(x, n)
	}
	if err := p.prog.Run(); err != nil {
		return nil, bound, err
	}
	return slices.Clone(p.logits.Value().Data().([]float32)), bound, p.unbindView()
}

// EvalInputBound reports whether ev's input node is bound to a caller's samples.
func EvalInputBound(ev *Evaluator) bool { return ev.p.xn.Value() != G.Value(ev.p.x) }
