// Command customnet trains a custom MNIST net with zoo as a library:
// 784-256-128-10 with BatchNorm, dropout 0.3, L2 and max-norm, early
// stopping on a held-out split, test accuracy, save and reload into a fresh
// net with identical predictions. Run it with `go run ./examples/customnet`
// (a few minutes on one core); it writes net.safetensors.
package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"reflect"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

func newNet(seed uint64) (*nn.Sequential, error) {
	return nn.NewModel(graph.Float32, nn.Input(784), rand.New(rand.NewPCG(seed, 0)),
		nn.Dense(256, nn.NoBias()), nn.BatchNorm1D(), nn.ReLU(), nn.DropoutP(0.3),
		nn.Dense(128, nn.NoBias()), nn.BatchNorm1D(), nn.ReLU(), nn.DropoutP(0.3), nn.Dense(10))
}

func main() {
	ctx := context.Background()
	mnist := must(datasets.LoadMNIST(ctx, datasets.MNISTOptions{}))
	train, val, err := mnist.Train.Split(datasets.SplitStratified, 0.1, rand.New(rand.NewPCG(1, 0)))
	check(err)
	net := must(newNet(1))
	net.AddPenalties(regularizers.L2{Lambda: 1e-4})
	net.AddPostSteps(regularizers.MaxNorm{C: 3})
	hist := must(training.Fit(ctx, net, train, val, training.Config{Epochs: 20, Seed: 1,
		Optimizer:     must(training.NewSGD(training.SGDConfig{LR: 0.05, Momentum: 0.9})),
		EarlyStopping: &training.EarlyStoppingConfig{Monitor: "val_loss", Patience: 3}}))
	test := must(must(training.NewEvaluator(net, training.EvalOptions{})).Evaluate(ctx, mnist.Test, false))
	fmt.Printf("%s after %d epochs (best %d): test accuracy %.2f%%\n", hist.Stopped, len(hist.Epochs), hist.BestEpoch, 100*test.Accuracy)

	check(training.SaveModel("net.safetensors", net, training.SaveInfo{}))
	fresh := must(newNet(2))
	must(training.LoadModel("net.safetensors", fresh))
	a, b := must(training.Predict(ctx, net, mnist.Test.X)), must(training.Predict(ctx, fresh, mnist.Test.X))
	fmt.Println("reloaded net predicts identically:", reflect.DeepEqual(a, b))
}

func must[T any](v T, err error) T { check(err); return v }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
