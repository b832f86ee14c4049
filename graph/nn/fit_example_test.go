package nn_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

// The whole path for a net of one's own: a custom 784-256-128-10 net with BatchNorm, dropout 0.3, an L2 penalty
// and a max-norm constraint, trained with early stopping on a held-out 10%
// of the 500-image MNIST subset in testdata, scored on its 200 test images,
// saved, and reloaded into a fresh net that predicts exactly the same.
func ExampleSequential_earlyStoppingSaveLoad() {
	ctx := context.Background()
	mnist, err := datasets.LoadMNIST(ctx, datasets.MNISTOptions{Dir: "../../testdata/mnist"})
	if err != nil {
		fmt.Println(err)
		return
	}
	train, val, err := mnist.Train.Split(datasets.SplitStratified, 0.1, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	newNet := func(seed uint64) (*nn.Sequential, error) {
		return nn.NewModel(graph.Float32, nn.Input(784), rand.New(rand.NewPCG(seed, 0)),
			nn.Dense(256, nn.NoBias()), nn.BatchNorm1D(), nn.ReLU(), nn.DropoutP(0.3),
			nn.Dense(128, nn.NoBias()), nn.BatchNorm1D(), nn.ReLU(), nn.DropoutP(0.3),
			nn.Dense(10))
	}
	net, err := newNet(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	net.AddPenalties(regularizers.L2{Lambda: 1e-4})
	net.AddPostSteps(regularizers.MaxNorm{C: 3})

	opt, _ := training.NewSGD(training.SGDConfig{LR: 0.05, Momentum: 0.9})
	hist, err := training.Fit(ctx, net, train, val, training.Config{
		Epochs: 30, BatchSize: 50, Seed: 1, Optimizer: opt,
		EarlyStopping: &training.EarlyStoppingConfig{Monitor: "val_loss", Patience: 3},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("stopped: %s after %d epochs; epoch %d's weights restored: %t\n", hist.Stopped, len(hist.Epochs), hist.BestEpoch, hist.Restored)

	before, err := training.Predict(ctx, net, mnist.Test.X)
	if err != nil {
		fmt.Println(err)
		return
	}
	correct := 0
	for i, p := range before {
		if p.Class == mnist.Test.Y[i] {
			correct++
		}
	}
	fmt.Printf("test accuracy %d/%d\n", correct, len(before))

	dir, _ := os.MkdirTemp("", "zoo-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net.safetensors")
	if err := training.SaveModel(path, net, training.SaveInfo{}); err != nil {
		fmt.Println(err)
		return
	}
	fresh, _ := newNet(2) // other initial weights, all overwritten by the load
	if _, err := training.LoadModel(path, fresh); err != nil {
		fmt.Println(err)
		return
	}
	after, _ := training.Predict(ctx, fresh, mnist.Test.X)
	same := len(after) == len(before)
	for i := range after {
		same = same && after[i].Class == before[i].Class && slices.Equal(after[i].Probs, before[i].Probs)
	}
	fmt.Println("reloaded net predicts identically:", same)
	// Output:
	// stopped: early_stopping after 8 epochs; epoch 4's weights restored: true
	// test accuracy 182/200
	// reloaded net predicts identically: true
}
