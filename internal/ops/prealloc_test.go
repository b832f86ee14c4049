package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/zootest"
)

// TestUsePreallocDo checks every zoo op that implements UsePreallocDo: given
// a prealloc of the right dtype and shape filled with NaN, it returns that
// very tensor holding exactly (bit for bit) what Do returns; given one of
// another shape, it leaves it alone and returns a new, correct tensor.
func TestUsePreallocDo(t *testing.T) {
	type opCase struct {
		name string
		op   G.UsePreallocDoer
		in   [][]int // input shapes; a (0) shape marks a label vector, see below
	}
	const n, c, h, w = 4, 6, 3, 5
	cases := []opCase{
		{"biasAdd/2d", biasAddOp{dims: 2}, [][]int{{n, c}, {c}}},
		{"biasAdd/4d", biasAddOp{dims: 4}, [][]int{{n, c, h, w}, {c}}},
		{"channelSum/2d", channelSumOp{dims: 2}, [][]int{{n, c}}},
		{"channelSum/4d", channelSumOp{dims: 4}, [][]int{{n, c, h, w}}},
		{"relu", actOp{kind: actReLU}, [][]int{{n, c}}},
		{"reluGrad", actGradOp{kind: actReLU}, [][]int{{n, c}, {n, c}}},
		{"sigmoid", actOp{kind: actSigmoid}, [][]int{{n, c, h, w}}},
		{"sigmoidGrad", actGradOp{kind: actSigmoid}, [][]int{{n, c}, {n, c}}},
		{"leakyReLU", actOp{kind: actLeakyReLU, slope: 0.1}, [][]int{{n, c, h, w}}},
		{"leakyReLUGrad", actGradOp{kind: actLeakyReLU, slope: 0.1}, [][]int{{n, c}, {n, c}}},
		{"maskMul", maskMulOp{}, [][]int{{n, c}, {n, c}}},
		{"bnBatchStats", &bnBatchStatsOp{dims: 4, eps: 1e-5, id: 1,
			stats: &BatchStats{mean: make([]float64, c), varU: make([]float64, c)}}, [][]int{{n, c, h, w}}},
		{"bnEvalStats", bnEvalStatsOp{eps: 1e-5}, [][]int{{c}, {c}}},
		{"bnNorm/affine", bnNormOp{dims: 4, affine: true, train: true}, [][]int{{n, c, h, w}, {2, c}, {c}, {c}}},
		{"bnNorm/2d", bnNormOp{dims: 2}, [][]int{{n, c}, {2, c}}},
		{"bnReduce", bnReduceOp{dims: 4}, [][]int{{n, c, h, w}, {2, c}, {n, c, h, w}}},
		{"bnDx/train", bnDxOp{dims: 4, affine: true, train: true}, [][]int{{n, c, h, w}, {2, c}, {n, c, h, w}, {2, c}, {c}}},
		{"bnDx/eval", bnDxOp{dims: 2}, [][]int{{n, c}, {2, c}, {n, c}}},
		{"normRow", normRowOp{row: 1}, [][]int{{2, c}}},
		{"gnStats", gnStatsOp{dims: 4, groups: 2, eps: 1e-5}, [][]int{{n, c, h, w}}},
		{"gnNorm", gnNormOp{dims: 4, groups: 2, affine: true}, [][]int{{n, c, h, w}, {2, n * 2}, {c}, {c}}},
		{"gnParamGrad", gnParamGradOp{dims: 4, groups: 3}, [][]int{{n, c, h, w}, {2, n * 3}, {n, c, h, w}}},
		{"gnDx", gnDxOp{dims: 4, groups: 3, affine: true}, [][]int{{n, c, h, w}, {2, n * 3}, {n, c, h, w}, {c}}},
		{"softmax", softmaxRowsOp{}, [][]int{{n, c}}},
		{"logSoftmax", logSoftmaxRowsOp{}, [][]int{{n, c}}},
		{"softmaxGrad", softmaxRowsGradOp{}, [][]int{{n, c}, {n, c}}},
		{"logSoftmaxGrad", logSoftmaxRowsGradOp{}, [][]int{{n, c}, {n, c}}},
		{"softmaxCEGrad", softmaxCEGradOp{}, [][]int{{n, c}, {0}, {1}}},
	}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%v", tc.name, dt), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, 4))
				vals := make([]G.Value, len(tc.in))
				for i, s := range tc.in {
					v := make([]float64, tensor.Shape(s).TotalSize())
					if s[0] == 0 { // class labels in [0, c) for the n rows
						v = make([]float64, n)
						for j := range v {
							v[j] = float64(rng.IntN(c))
						}
						s = []int{n}
					}
					for j := range v {
						if tc.in[i][0] != 0 {
							v[j] = rng.NormFloat64()
						}
					}
					vals[i] = tensor.New(tensor.WithShape(s...), tensor.WithBacking(zootest.CastSlice(dt, v)))
				}
				want, err := tc.op.(G.Op).Do(vals...)
				if err != nil {
					t.Fatal(err)
				}
				wd := want.(*tensor.Dense)
				pre := tensor.New(tensor.Of(dt), tensor.WithShape(wd.Shape().Clone()...))
				if err := pre.Memset(castNaN(dt)); err != nil {
					t.Fatal(err)
				}
				got, err := tc.op.UsePreallocDo(pre, vals...)
				if err != nil {
					t.Fatal(err)
				}
				if got != G.Value(pre) {
					t.Fatalf("UsePreallocDo returned a new tensor, not prealloc")
				}
				if !sameBits(zootest.Floats(t, pre), zootest.Floats(t, wd)) {
					t.Fatalf("UsePreallocDo wrote %v, Do returned %v", zootest.Floats(t, pre), zootest.Floats(t, wd))
				}
				wrong := tensor.New(tensor.Of(dt), tensor.WithShape(wd.Shape().TotalSize()+1))
				got, err = tc.op.UsePreallocDo(wrong, vals...)
				if err != nil {
					t.Fatal(err)
				}
				if got == G.Value(wrong) || !sameBits(zootest.Floats(t, got.(*tensor.Dense)), zootest.Floats(t, wd)) {
					t.Fatalf("with a prealloc of the wrong shape: got %v, want a new tensor %v", got, wd)
				}
				for _, v := range zootest.Floats(t, wrong) {
					if v != 0 {
						t.Fatalf("a prealloc of the wrong shape was written to")
					}
				}
			})
		}
	}
}

func castNaN(dt tensor.Dtype) any {
	if dt == tensor.Float32 {
		return float32(math.NaN())
	}
	return math.NaN()
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
