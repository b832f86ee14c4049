package training_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/training"
	"github.com/gozoo/zoo/training/safetensors"
)

// AdamW decays only the parameters marked Decay; the bias keeps its value
// apart from the Adam step.
func ExampleAdamW() {
	w := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, -1}))
	b := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1}))
	zero := func(n int) *tensor.Dense { return tensor.New(tensor.WithShape(n), tensor.Of(tensor.Float64)) }
	opt, err := training.NewAdamW(training.AdamWConfig{LR: 0.1, WeightDecay: 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	params := []training.Param{
		{Name: "fc/W", Value: w, Grad: zero(2), Decay: true},
		{Name: "fc/b", Value: b, Grad: zero(1)},
	}
	if err := opt.Step(params); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Float64s(), b.Float64s()) // w·(1 − 0.1·0.5)
	fmt.Println(opt.State().Keys())
	// Output:
	// [0.95 -0.95] [1]
	// [exp_avg/fc/W exp_avg/fc/b exp_avg_sq/fc/W exp_avg_sq/fc/b]
}

func ExampleClipGlobalNorm() {
	g := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{3, 4}))
	norm, err := training.ClipGlobalNorm([]training.Param{{Name: "w", Grad: g}}, 1)
	fmt.Printf("%v %v %.6f\n", norm, err, g.Float64s())
	// Output: 5 <nil> [0.600000 0.800000]
}

func ExampleEarlyStopping() {
	es, err := training.NewEarlyStopping(training.EarlyStoppingConfig{Monitor: "val_loss", Patience: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for epoch, valLoss := range []float64{0.9, 0.7, 0.75, 0.72, 0.6} {
		improved, stop := es.Update(epoch, valLoss)
		fmt.Println(epoch, valLoss, improved, stop)
		if stop {
			break
		}
	}
	fmt.Println("best epoch", es.BestEpoch(), "restore", es.RestoreBest())
	// Output:
	// 0 0.9 true false
	// 1 0.7 true false
	// 2 0.75 false true
	// best epoch 1 restore true
}

func ExampleSchedule() {
	schedules := []training.Schedule{
		training.StepLR{StepSize: 2, Gamma: 0.5},
		training.ExponentialLR{Gamma: 0.5},
		training.CosineAnnealingLR{TMax: 4},
	}
	for _, s := range schedules {
		var lrs []string
		for epoch := range 5 {
			lrs = append(lrs, fmt.Sprintf("%.4f", s.LR(epoch, 0.1)))
		}
		fmt.Println(strings.Join(lrs, " "))
	}
	// Output:
	// 0.1000 0.1000 0.0500 0.0500 0.0250
	// 0.1000 0.0500 0.0250 0.0125 0.0063
	// 0.1000 0.0854 0.0500 0.0146 0.0000
}

func ExampleReduceLROnPlateau() {
	p, err := training.NewReduceLROnPlateau(training.ReduceLROnPlateauConfig{Factor: 0.5, Patience: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	lr := 0.1
	var lrs []float64
	for _, valLoss := range []float64{1, 0.8, 0.8, 0.8, 0.8} {
		lr, _ = p.Step(valLoss, lr)
		lrs = append(lrs, lr)
	}
	fmt.Println(lrs)
	// Output: [0.1 0.1 0.1 0.05 0.05]
}

func ExampleSaveCheckpoint() {
	dir, err := os.MkdirTemp("", "zoo-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "last.safetensors")

	w := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	model := []safetensors.Tensor{{Name: "fc/W", Dense: w}}
	err = training.SaveCheckpoint(path, &training.Checkpoint{
		ModelName: "tiny", Epoch: 3, Metrics: map[string]float64{"val_loss": 0.25}, Tensors: model,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ckpt, err := training.LoadCheckpoint(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ckpt.ModelName, ckpt.Epoch, ckpt.Metrics["val_loss"], ckpt.Tensor("fc/W").Data())
	fmt.Println(ckpt.CheckCompatible("tiny", model) == nil)
	fmt.Println(ckpt.CheckCompatible("other", model) != nil)
	// Output:
	// tiny 3 0.25 [1 2 3 4]
	// true
	// true
}
