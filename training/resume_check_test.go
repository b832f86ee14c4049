package training

import (
	"math"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/training/safetensors"
)

func TestCheckFiniteTensors(t *testing.T) {
	ok := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{1, 2, 3}))
	bad := tensor.New(tensor.WithShape(4), tensor.WithBacking([]float64{0, math.Inf(-1), 1, math.NaN()}))
	if err := checkFiniteTensors([]safetensors.Tensor{{Name: "a", Dense: ok}}); err != nil {
		t.Fatal(err)
	}
	err := checkFiniteTensors([]safetensors.Tensor{{Name: "a", Dense: ok}, {Name: "fc1/W", Dense: bad}})
	if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), `"fc1/W" has 2 non-finite values of 4 (the first at flat index 1)`) {
		t.Fatalf("got %v", err)
	}
}

func TestCheckOptimizerCovers(t *testing.T) {
	w := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	b := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	params := []Param{{Name: "fc1/W", Value: w}, {Name: "fc1/b", Value: b}}
	z := func(shape ...int) *tensor.Dense {
		return tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	}
	nan := z(2)
	nan.Float32s()[1] = float32(math.NaN())
	tests := []struct {
		name    string
		tensors map[string]*tensor.Dense
		want    string // "" for no error
	}{
		{"plain sgd", nil, ""},
		{"complete", map[string]*tensor.Dense{"momentum/fc1/W": z(2, 2), "momentum/fc1/b": z(2)}, ""},
		{"one removed", map[string]*tensor.Dense{"momentum/fc1/W": z(2, 2)}, `momentum state for parameter "fc1/b" is missing`},
		{"wrong shape", map[string]*tensor.Dense{"momentum/fc1/W": z(4), "momentum/fc1/b": z(2)}, `state for "fc1/W" is float32 (4)`},
		{"NaN", map[string]*tensor.Dense{"momentum/fc1/W": z(2, 2), "momentum/fc1/b": nan}, `"fc1/b" has 1 non-finite values`},
		{"stranger", map[string]*tensor.Dense{"momentum/fc1/W": z(2, 2), "momentum/fc1/b": z(2), "momentum/fc9/W": z(1)}, `"fc9/W", which is not a parameter`},
		{"adam slot missing", map[string]*tensor.Dense{"exp_avg/fc1/W": z(2, 2), "exp_avg/fc1/b": z(2), "exp_avg_sq/fc1/W": z(2, 2)}, `exp_avg_sq state for parameter "fc1/b" is missing`},
	}
	for _, tt := range tests {
		err := checkOptimizerCovers(OptimizerState{Algorithm: AlgorithmSGD, LR: 0.1, Tensors: tt.tensors}, params)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckPosition(t *testing.T) {
	good := position{Batch: 3, Seen: 150, Correct: 20}
	tests := []struct {
		name          string
		epoch, epochs int
		p             position
		want          string
	}{
		{"mid-epoch", 2, 10, good, ""},
		{"end", 10, 10, position{}, ""},
		{"negative epoch", -1, 10, good, "epoch -1 outside"},
		{"epoch 2^62", 1 << 62, 10, good, "epoch 4611686018427387904 outside"},
		{"batch 10^15", 2, 10, position{Batch: 1_000_000_000_000_000}, "batch 1000000000000000 outside 0 to 12"},
		{"batch -5", 2, 10, position{Batch: -5}, "batch -5 outside"},
		{"seen", 2, 10, position{Batch: 1, Seen: 51}, "51 samples seen after 1 batches of 50"},
		{"correct", 2, 10, position{Batch: 1, Seen: 5, Correct: 6}, "6 correct of 5"},
	}
	for _, tt := range tests {
		err := checkPosition(tt.epoch, tt.epochs, tt.p, 12, 50)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
