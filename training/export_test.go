package training

import "github.com/gozoo/zoo/datasets"

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
