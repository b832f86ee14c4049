package training_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// ExampleFit trains a small registry MLP with L2 and max-norm (declared by
// the model: Fit applies them) on the committed 500-image MNIST subset,
// with early stopping on a held-out split, then saves it, loads it back
// into a freshly built model and predicts one image with both.
func ExampleFit() {
	ctx := context.Background()
	data, err := datasets.LoadMNIST(ctx, datasets.MNISTOptions{Dir: filepath.Join("..", "testdata", "mnist")})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, _ := models.Lookup("mlp")
	m, err := e.Build(models.Config{Hidden: []int{64}, L2: 1e-4, MaxNorm: 3}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := models.Recipe{Seed: 1, ValFrac: 0.2}
	train, val, err := r.Splits(data.Train) // 400 training, 100 validation images
	if err != nil {
		fmt.Println(err)
		return
	}
	opt, _ := training.NewSGD(training.SGDConfig{LR: 0.05, Momentum: 0.9})
	hist, err := training.Fit(ctx, m, train, val, training.Config{
		Epochs: 30, BatchSize: 50, Seed: 1, Optimizer: opt,
		EarlyStopping: &training.EarlyStoppingConfig{Monitor: "val_loss", Patience: 3},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("stopped:", hist.Stopped, "restored:", hist.Restored)
	fmt.Println("penalty recorded:", hist.Last().Penalty > 0)

	dir, _ := os.MkdirTemp("", "zoo-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mlp.safetensors")
	if err := training.SaveModel(path, m, training.SaveInfo{Epoch: len(hist.Epochs)}); err != nil {
		fmt.Println(err)
		return
	}
	fresh, _ := e.Build(models.Config{Hidden: []int{64}, L2: 1e-4, MaxNorm: 3}, 99) // other initial weights
	if _, err := training.LoadModel(path, fresh); err != nil {
		fmt.Println(err)
		return
	}
	image := data.Test.Row(0) // 784 pixels in [0, 1]
	a, _ := training.Predict(ctx, m, image)
	b, _ := training.Predict(ctx, fresh, image)
	fmt.Println("label:", data.Test.Y[0], "same prediction after reload:", a[0].Class == b[0].Class && a[0].Probs[a[0].Class] == b[0].Probs[b[0].Class])
	// Output:
	// stopped: early_stopping restored: true
	// penalty recorded: true
	// label: 7 same prediction after reload: true
}
