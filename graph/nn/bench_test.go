package nn

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
)

// Layer benchmarks: one compiled graph per benchmark, input (or input
// parameter) → layer → Σy, run on a TapeMachine as training runs it.
// Fwd benchmarks compile the forward pass only; FwdBwd benchmarks add the
// symbolic gradient of Σy with respect to the layer's parameters (and, for
// layers that have none, or with benchInputGrad, the input). Program.Run
// includes the layer's hooks (dropout masks, BatchNorm buffer updates) and
// the zeroing of the gradients, as in a training step.
//
// Compare runs with benchstat:
//
//	go test -run '^$' -bench . -count 6 ./graph > old.txt

// benchSink keeps benchmark results alive.
var benchSink any

// benchLayer describes one layer benchmark.
type benchLayer struct {
	in       []int // input shape
	mode     graph.Mode
	backward bool // forward and backward, else forward only
	// inputGrad also differentiates with respect to the input (the input
	// is then a parameter); always on for layers without parameters.
	inputGrad bool
	// zeros is the fraction of input elements set to 0 (gonum's sgemm
	// skips zeros of its left operand, FastBLAS does not; MNIST pixels are
	// 81% zeros, ReLU outputs about half).
	zeros float64
	// flops is the forward product's floating-point operations of a layer
	// with weights (0: not reported); the benchmark reports GFLOP/s,
	// counting the weight gradient and the input gradient as one forward
	// each.
	flops float64
	build func(s *graph.Store, rng *rand.Rand) (Layer, error)
}

// runBenchLayer builds and compiles the graph, then times Program.Run.
func runBenchLayer(b *testing.B, lb benchLayer) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	s, err := graph.NewStore(graph.Float32)
	if err != nil {
		b.Fatal(err)
	}
	l, err := lb.build(s, rng)
	if err != nil {
		b.Fatal(err)
	}
	var inVar *graph.Var
	if lb.inputGrad {
		if inVar, err = s.NewParam(graph.ParamSpec{Name: "x", Shape: tensor.Shape(lb.in), Init: graph.Uniform(1)}, rng); err != nil {
			b.Fatal(err)
		}
	}
	bd := graph.NewBuilder(s, lb.mode, rng)
	var x *G.Node
	if inVar != nil {
		if x, err = bd.Var(inVar); err != nil {
			b.Fatal(err)
		}
	} else {
		var xt *tensor.Dense
		x, xt = bd.Input("x", lb.in...)
		for i, d := 0, xt.Data().([]float32); i < len(d); i++ {
			d[i] = rng.Float32()*2 - 1
		}
	}
	if lb.zeros > 0 {
		d := x.Value().Data().([]float32)
		for i := range d {
			if rng.Float64() < lb.zeros {
				d[i] = 0
			}
		}
	}
	y, err := l.Forward(bd, x)
	if err != nil {
		b.Fatal(err)
	}
	var cost *G.Node
	if lb.backward {
		if cost, err = G.Sum(y); err != nil {
			b.Fatal(err)
		}
	}
	prog, err := graph.Compile(bd, cost)
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	if err := prog.Run(); err != nil { // first run allocates the registers
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
	benchSink = y.Value()
	if lb.flops > 0 {
		passes := 1.0 // forward
		if lb.backward {
			passes++ // weight gradient
			if lb.inputGrad {
				passes++ // input gradient
			}
		}
		b.ReportMetric(lb.flops*passes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}

func benchLinear(b *testing.B, n, in, out int, backward bool, zeros float64) {
	runBenchLayer(b, benchLayer{in: []int{n, in}, backward: backward, inputGrad: true, zeros: zeros, flops: 2 * float64(n*in*out),
		build: func(s *graph.Store, rng *rand.Rand) (Layer, error) {
			return NewLinear(s, "fc", in, out, LinearConfig{}, rng)
		}})
}

// Dense inputs, and inputs as sparse as MNIST pixels (81% zeros) or ReLU
// outputs (50%). GFLOP/s counts the dense work.
func BenchmarkLinearFwd128x784x800(b *testing.B)           { benchLinear(b, 128, 784, 800, false, 0) }
func BenchmarkLinearFwdBwd128x784x800(b *testing.B)        { benchLinear(b, 128, 784, 800, true, 0) }
func BenchmarkLinearFwd128x784x800Zeros81(b *testing.B)    { benchLinear(b, 128, 784, 800, false, 0.81) }
func BenchmarkLinearFwdBwd128x784x800Zeros81(b *testing.B) { benchLinear(b, 128, 784, 800, true, 0.81) }
func BenchmarkLinearFwd128x800x800(b *testing.B)           { benchLinear(b, 128, 800, 800, false, 0) }
func BenchmarkLinearFwdBwd128x800x800(b *testing.B)        { benchLinear(b, 128, 800, 800, true, 0) }
func BenchmarkLinearFwdBwd128x800x800Zeros50(b *testing.B) { benchLinear(b, 128, 800, 800, true, 0.5) }
func BenchmarkLinearFwd1000x784x800(b *testing.B)          { benchLinear(b, 1000, 784, 800, false, 0) }

// benchConv2D: n images of c channels h×w, o filters k×k, padding pad,
// stride 1. inputGrad is off for a first layer (its input is the data).
func benchConv2D(b *testing.B, n, c, h, w, o, k, pad int, backward, inputGrad bool) {
	oh, ow := h+2*pad-k+1, w+2*pad-k+1
	runBenchLayer(b, benchLayer{in: []int{n, c, h, w}, backward: backward, inputGrad: inputGrad,
		flops: 2 * float64(n*o*oh*ow*c*k*k),
		build: func(s *graph.Store, rng *rand.Rand) (Layer, error) {
			return NewConv2D(s, "conv", c, o, [2]int{k, k}, Conv2DConfig{Padding: [2]int{pad, pad}}, rng)
		}})
}

// LeNet-5's conv1 (1→6, 5×5, pad 2 on 28×28) and conv2 (6→16, 5×5 on
// 14×14), and convnet-bn's conv3 (32→64, 3×3, pad 1 on 14×14).
func BenchmarkConv2DFwd128x1x28x28o6k5p2(b *testing.B) {
	benchConv2D(b, 128, 1, 28, 28, 6, 5, 2, false, false)
}
func BenchmarkConv2DFwdBwd128x1x28x28o6k5p2(b *testing.B) {
	benchConv2D(b, 128, 1, 28, 28, 6, 5, 2, true, false)
}
func BenchmarkConv2DFwd128x6x14x14o16k5(b *testing.B) {
	benchConv2D(b, 128, 6, 14, 14, 16, 5, 0, false, true)
}
func BenchmarkConv2DFwdBwd128x6x14x14o16k5(b *testing.B) {
	benchConv2D(b, 128, 6, 14, 14, 16, 5, 0, true, true)
}
func BenchmarkConv2DFwd128x32x14x14o64k3p1(b *testing.B) {
	benchConv2D(b, 128, 32, 14, 14, 64, 3, 1, false, true)
}
func BenchmarkConv2DFwdBwd128x32x14x14o64k3p1(b *testing.B) {
	benchConv2D(b, 128, 32, 14, 14, 64, 3, 1, true, true)
}

// convnet-bn's conv2 (32→32, 3×3, pad 1 on 28×28), its largest layer.
func BenchmarkConv2DFwd128x32x28x28o32k3p1(b *testing.B) {
	benchConv2D(b, 128, 32, 28, 28, 32, 3, 1, false, true)
}
func BenchmarkConv2DFwdBwd128x32x28x28o32k3p1(b *testing.B) {
	benchConv2D(b, 128, 32, 28, 28, 32, 3, 1, true, true)
}

func benchMaxPool(b *testing.B, n, c, h, w int, backward bool) {
	runBenchLayer(b, benchLayer{in: []int{n, c, h, w}, backward: backward, inputGrad: backward,
		build: func(*graph.Store, *rand.Rand) (Layer, error) {
			return NewMaxPool2D("pool", [2]int{2, 2}, [2]int{2, 2}, [2]int{})
		}})
}

// LeNet-5's pool1 and convnet-bn's pool1, 2×2 stride 2.
func BenchmarkMaxPool2DFwd128x6x28x28(b *testing.B)     { benchMaxPool(b, 128, 6, 28, 28, false) }
func BenchmarkMaxPool2DFwdBwd128x6x28x28(b *testing.B)  { benchMaxPool(b, 128, 6, 28, 28, true) }
func BenchmarkMaxPool2DFwd128x32x28x28(b *testing.B)    { benchMaxPool(b, 128, 32, 28, 28, false) }
func BenchmarkMaxPool2DFwdBwd128x32x28x28(b *testing.B) { benchMaxPool(b, 128, 32, 28, 28, true) }

// benchBatchNorm over (N, C) or (N, C, H, W) inputs; the input gradient is
// computed too, as for any layer inside a network.
func benchBatchNorm(b *testing.B, mode graph.Mode, backward bool, in ...int) {
	runBenchLayer(b, benchLayer{in: in, mode: mode, backward: backward, inputGrad: backward,
		build: func(s *graph.Store, _ *rand.Rand) (Layer, error) {
			return NewBatchNorm(s, "bn", in[1], BatchNormConfig{})
		}})
}

func BenchmarkBatchNormFwd128x100(b *testing.B)     { benchBatchNorm(b, graph.Train, false, 128, 100) }
func BenchmarkBatchNormFwdBwd128x100(b *testing.B)  { benchBatchNorm(b, graph.Train, true, 128, 100) }
func BenchmarkBatchNormEvalFwd128x100(b *testing.B) { benchBatchNorm(b, graph.Eval, false, 128, 100) }
func BenchmarkBatchNormFwd128x32x14x14(b *testing.B) {
	benchBatchNorm(b, graph.Train, false, 128, 32, 14, 14)
}
func BenchmarkBatchNormFwdBwd128x32x14x14(b *testing.B) {
	benchBatchNorm(b, graph.Train, true, 128, 32, 14, 14)
}
func BenchmarkBatchNormEvalFwd128x32x14x14(b *testing.B) {
	benchBatchNorm(b, graph.Eval, false, 128, 32, 14, 14)
}

func benchDropout(b *testing.B, n, d int, rate float64, backward bool) {
	runBenchLayer(b, benchLayer{in: []int{n, d}, backward: backward, inputGrad: backward,
		build: func(*graph.Store, *rand.Rand) (Layer, error) {
			return NewDropout("drop", rate, Inverted)
		}})
}

func BenchmarkDropoutFwd128x800(b *testing.B)    { benchDropout(b, 128, 800, 0.5, false) }
func BenchmarkDropoutFwdBwd128x800(b *testing.B) { benchDropout(b, 128, 800, 0.5, true) }
func BenchmarkDropoutFwd128x784(b *testing.B)    { benchDropout(b, 128, 784, 0.2, false) }

// benchCELayer adapts CrossEntropy (logits, fixed labels) to a Layer.
type benchCELayer struct{ n, k int }

func (benchCELayer) Name() string { return "ce" }

func (l benchCELayer) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	y, yt := b.Input("labels", l.n)
	for i, d := 0, yt.Data().([]float32); i < len(d); i++ {
		d[i] = float32(i % l.k)
	}
	return CrossEntropy(x, y)
}

func benchCrossEntropy(b *testing.B, n, k int, backward bool) {
	runBenchLayer(b, benchLayer{in: []int{n, k}, backward: backward, inputGrad: backward,
		build: func(*graph.Store, *rand.Rand) (Layer, error) { return benchCELayer{n, k}, nil }})
}

func BenchmarkCrossEntropyFwd128x10(b *testing.B)    { benchCrossEntropy(b, 128, 10, false) }
func BenchmarkCrossEntropyFwdBwd128x10(b *testing.B) { benchCrossEntropy(b, 128, 10, true) }

func benchActivation(b *testing.B, act *Activation, n, d int, backward bool) {
	runBenchLayer(b, benchLayer{in: []int{n, d}, backward: backward, inputGrad: backward,
		build: func(*graph.Store, *rand.Rand) (Layer, error) { return act, nil }})
}

func BenchmarkReLUFwdBwd128x800(b *testing.B)    { benchActivation(b, ReLU("relu"), 128, 800, true) }
func BenchmarkSigmoidFwdBwd128x100(b *testing.B) { benchActivation(b, Sigmoid("sig"), 128, 100, true) }

// Forward only, as in evaluation (batch 1000, mlp's hidden width).
func BenchmarkReLUFwd1000x800(b *testing.B)    { benchActivation(b, ReLU("relu"), 1000, 800, false) }
func BenchmarkSigmoidFwd1000x800(b *testing.B) { benchActivation(b, Sigmoid("sig"), 1000, 800, false) }
