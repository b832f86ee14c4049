package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSplitPassesMatchOneGoroutine checks that the element-wise passes
// split between goroutines (activations forward and backward, bias add,
// channel sums) give the bits of one goroutine, on tensors large enough to
// be split, with NaN, ±0 and ±Inf among the values.
func TestSplitPassesMatchOneGoroutine(t *testing.T) {
	type run func(vals ...G.Value) (G.Value, error)
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1)}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		fill := func(shape ...int) *tensor.Dense {
			n := tensor.Shape(shape).TotalSize()
			if dt == tensor.Float32 {
				d := make([]float32, n)
				for i := range d {
					d[i] = float32(rng.NormFloat64())
					if i%97 == 0 {
						d[i] = float32(special[i%len(special)])
					}
				}
				return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
			}
			d := make([]float64, n)
			for i := range d {
				d[i] = rng.NormFloat64()
				if i%97 == 0 {
					d[i] = special[i%len(special)]
				}
			}
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
		}
		// At least two parts of minSplit, so that the passes are split.
		x, gy := fill(2100, 257), fill(2100, 257)
		img := fill(200, 16, 13, 13)
		if x.Shape().TotalSize() < 2*minSplit || img.Shape().TotalSize() < 2*minSplit {
			t.Fatalf("test tensors below 2·minSplit (%d): nothing would be split", 2*minSplit)
		}
		cases := []struct {
			name string
			f    run
			in   []G.Value
		}{
			{"relu", actOp{kind: actReLU}.Do, []G.Value{x}},
			{"sigmoid", actOp{kind: actSigmoid}.Do, []G.Value{x}},
			{"leaky", actOp{kind: actLeakyReLU, slope: 0.01}.Do, []G.Value{x}},
			{"relu-grad", actGradOp{kind: actReLU}.Do, []G.Value{x, gy}},
			{"sigmoid-grad", actGradOp{kind: actSigmoid}.Do, []G.Value{x, gy}},
			{"leaky-grad", actGradOp{kind: actLeakyReLU, slope: 0.01}.Do, []G.Value{x, gy}},
			{"bias", biasAddOp{dims: 2}.Do, []G.Value{x, fill(257)}},
			{"bias-image", biasAddOp{dims: 4}.Do, []G.Value{img, fill(16)}},
			{"channel-sum", channelSumOp{dims: 2}.Do, []G.Value{x}},
			{"channel-sum-image", channelSumOp{dims: 4}.Do, []G.Value{img}},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				want := bitsOf(t, runAt(t, 1, c.f, c.in))
				for _, procs := range []int{2, 3, 8} {
					got := bitsOf(t, runAt(t, procs, c.f, c.in))
					if len(got) != len(want) {
						t.Fatalf("GOMAXPROCS %d: %d values, want %d", procs, len(got), len(want))
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("GOMAXPROCS %d: element %d has bits %#x, want %#x", procs, i, got[i], want[i])
						}
					}
				}
			})
		}
	}
}

func runAt(t *testing.T, procs int, f func(...G.Value) (G.Value, error), in []G.Value) G.Value {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	v, err := f(in...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func bitsOf(t *testing.T, v G.Value) []uint64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float32:
		b := make([]uint64, len(d))
		for i, x := range d {
			b[i] = uint64(math.Float32bits(x))
		}
		return b
	case []float64:
		b := make([]uint64, len(d))
		for i, x := range d {
			b[i] = math.Float64bits(x)
		}
		return b
	}
	t.Fatalf("unexpected data %T", v.Data())
	return nil
}

// TestBatchNormSplitMatchesOneGoroutine: batch normalisation's output,
// split by samples between goroutines, has the bits of one goroutine's for
// (N, C) and (N, C, H, W) inputs with and without γ, β, with NaN, ±0 and
// ±Inf among the values.
func TestBatchNormSplitMatchesOneGoroutine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	special := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1)}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		fill := func(positive bool, shape ...int) *tensor.Dense {
			n := tensor.Shape(shape).TotalSize()
			v := make([]float64, n)
			for i := range v {
				v[i] = rng.NormFloat64() * 3
				if positive {
					v[i] = 0.1 + rng.Float64()
				} else if i%97 == 0 {
					v[i] = special[i%len(special)]
				}
			}
			if dt == tensor.Float32 {
				d := make([]float32, n)
				for i, x := range v {
					d[i] = float32(x)
				}
				return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
			}
			return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
		}
		// All but (3, 7) large enough to be split (two parts of minSplit).
		for _, shape := range [][]int{{6000, 100}, {3, 7}, {2100, 257}, {200, 16, 13, 13}} {
			c := shape[1]
			x := fill(false, shape...)
			st := fill(true, 2, c) // [μ; 1/σ]
			for _, affine := range []bool{false, true} {
				in := []G.Value{x, st}
				if affine {
					in = append(in, fill(false, c), fill(false, c))
				}
				t.Run(fmt.Sprintf("%v/%v/affine=%t", dt, shape, affine), func(t *testing.T) {
					op := bnNormOp{dims: len(shape), affine: affine}
					want := bitsOf(t, runAt(t, 1, op.Do, in))
					for _, procs := range []int{2, 3, 8} {
						got := bitsOf(t, runAt(t, procs, op.Do, in))
						for i := range got {
							if got[i] != want[i] {
								t.Fatalf("GOMAXPROCS %d: element %d has bits %#x, want %#x", procs, i, got[i], want[i])
							}
						}
					}
				})
			}
		}
	}
}
