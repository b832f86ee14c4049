package training_test

import (
	"context"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// benchModel builds the named registry model with its recipe's
// configuration and seed 1, and returns it with the shape of its samples.
func benchModel(b *testing.B, name string) (*models.Model, datasets.Shape) {
	e, err := models.Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	m, err := e.Build(e.Recipe.Config, 1)
	if err != nil {
		b.Fatal(err)
	}
	in := m.InputShape()
	shape := datasets.Shape{C: 1, H: 1, W: in[0]}
	if len(in) == 3 {
		shape = datasets.Shape{C: in[0], H: in[1], W: in[2]}
	}
	return m, shape
}

// Results kept so the compiler cannot drop the benchmarked work.
var (
	benchLoss float64
	benchHist *training.History
)

// benchTrainStep times run.step on one batch of the named registry model,
// of MNIST images or (dense) of uniform pixels.
func benchTrainStep(b *testing.B, name string, batch int, dense bool) {
	m, shape := benchModel(b, name)
	var ds *datasets.Dataset
	if dense {
		ds = training.BenchUniform(b, batch, shape)
	} else {
		ds = training.BenchMNISTBatch(b, batch, shape)
	}
	opt, err := training.NewSGD(training.SGDConfig{LR: 0.01, Momentum: 0.9})
	if err != nil {
		b.Fatal(err)
	}
	r, err := training.NewBenchRun(m, ds, training.Config{BatchSize: batch, Optimizer: opt})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var loss float64
	if loss, err = r.Step(ds.X, ds.Y, batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if loss, err = r.Step(ds.X, ds.Y, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
	benchLoss = loss
}

func BenchmarkTrainStepMLP128(b *testing.B)        { benchTrainStep(b, "mlp", 128, false) }
func BenchmarkTrainStepMLP128Dense(b *testing.B)   { benchTrainStep(b, "mlp", 128, true) }
func BenchmarkTrainStepMLPDropout128(b *testing.B) { benchTrainStep(b, "mlp-dropout", 128, false) }
func BenchmarkTrainStepMLPSigmoid128(b *testing.B) { benchTrainStep(b, "mlp-sigmoid", 128, false) }
func BenchmarkTrainStepMLPBN128(b *testing.B)      { benchTrainStep(b, "mlp-bn", 128, false) }
func BenchmarkTrainStepLeNet5128(b *testing.B)     { benchTrainStep(b, "lenet5", 128, false) }
func BenchmarkTrainStepConvNetBN128(b *testing.B)  { benchTrainStep(b, "convnet-bn", 128, false) }

func benchFitPrefetch(b *testing.B, noPrefetch bool) {
	ds := training.BenchMNISTBatch(b, 12000, datasets.Shape{C: 1, H: 1, W: 784})
	e, err := models.Lookup("mlp")
	if err != nil {
		b.Fatal(err)
	}
	var hist *training.History
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m, err := e.Build(models.Config{Hidden: []int{64}}, 1)
		if err != nil {
			b.Fatal(err)
		}
		opt, err := training.NewSGD(training.SGDConfig{LR: 0.05, Momentum: 0.9})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		hist, err = training.Fit(context.Background(), m, ds, nil, training.Config{Epochs: 1, BatchSize: 40, Seed: 1, Optimizer: opt, NoPrefetch: noPrefetch})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ds.Len()*b.N)/b.Elapsed().Seconds(), "samples/s")
	benchHist = hist
}

func BenchmarkFitPrefetch(b *testing.B)   { benchFitPrefetch(b, false) }
func BenchmarkFitNoPrefetch(b *testing.B) { benchFitPrefetch(b, true) }

// benchEvaluate times Evaluator.Evaluate on batch MNIST test-shaped images
// of the named registry model: what the bench's zoo evaluation runs.
func benchEvaluate(b *testing.B, name string, batch int) {
	m, shape := benchModel(b, name)
	ds := training.BenchMNISTBatch(b, batch, shape)
	ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: batch})
	if err != nil {
		b.Fatal(err)
	}
	defer ev.Close()
	ctx := context.Background()
	var met training.Metrics
	if met, err = ev.Evaluate(ctx, ds, false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if met, err = ev.Evaluate(ctx, ds, false); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
	benchLoss = met.Loss
}

func BenchmarkEvaluateMLP1000(b *testing.B)   { benchEvaluate(b, "mlp", 1000) }
func BenchmarkEvaluateMLPBN1000(b *testing.B) { benchEvaluate(b, "mlp-bn", 1000) }
