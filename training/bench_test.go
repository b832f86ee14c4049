package training

import (
	"math/rand/v2"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
)

// Train-step benchmarks: one step of Fit (load the batch, run the training
// graph forward and backward, count correct predictions, SGD with momentum
// 0.9, post-steps) for each registry model at its default configuration,
// batch 128, float32. The data is one seeded batch of uniform pixels: the
// arithmetic does not depend on the values. The first step, which compiles
// the graph and creates the momentum buffers, runs before the timer.
//
// Profile a step with
//
//	go test -run '^$' -bench 'TrainStep/mlp$' -benchtime 50x -cpuprofile cpu.out -memprofile mem.out ./training
//	go tool pprof -top -nodecount 30 cpu.out

// benchSink keeps benchmark results alive.
var benchSink any

// benchData returns n samples of uniform features with labels i mod 10.
func benchData(b *testing.B, n int, shape datasets.Shape) *datasets.Dataset {
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float32, n*shape.Size())
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % 10
	}
	ds, err := datasets.New(x, y, shape, 10)
	if err != nil {
		b.Fatal(err)
	}
	return ds
}

// benchTrainStep times run.step on one batch of the named registry model.
func benchTrainStep(b *testing.B, name string, batch int) {
	e, err := models.Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	m, err := e.Build(e.Defaults, 1)
	if err != nil {
		b.Fatal(err)
	}
	in := m.InputShape()
	shape := datasets.Shape{C: 1, H: 1, W: in[0]}
	if len(in) == 3 {
		shape = datasets.Shape{C: in[0], H: in[1], W: in[2]}
	}
	ds := benchData(b, batch, shape)
	opt, err := NewSGD(SGDConfig{LR: 0.01, Momentum: 0.9})
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{BatchSize: batch, Optimizer: opt}
	for _, p := range m.Penalties() {
		cfg.Penalties = append(cfg.Penalties, p)
	}
	for _, p := range m.PostSteps() {
		cfg.PostSteps = append(cfg.PostSteps, p)
	}
	r, err := newRun(m, ds, nil, cfg.withDefaults())
	if err != nil {
		b.Fatal(err)
	}
	defer r.close()
	var loss float64
	if loss, _, _, err = r.step(ds.X, ds.Y, batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if loss, _, _, err = r.step(ds.X, ds.Y, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
	benchSink = loss
}

func BenchmarkTrainStepMLP128(b *testing.B)        { benchTrainStep(b, "mlp", 128) }
func BenchmarkTrainStepMLPDropout128(b *testing.B) { benchTrainStep(b, "mlp-dropout", 128) }
func BenchmarkTrainStepMLPSigmoid128(b *testing.B) { benchTrainStep(b, "mlp-sigmoid", 128) }
func BenchmarkTrainStepMLPBN128(b *testing.B)      { benchTrainStep(b, "mlp-bn", 128) }
func BenchmarkTrainStepLeNet5128(b *testing.B)     { benchTrainStep(b, "lenet5", 128) }
func BenchmarkTrainStepConvNetBN128(b *testing.B)  { benchTrainStep(b, "convnet-bn", 128) }
