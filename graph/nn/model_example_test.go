package nn_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training"
)

// A LeNet-style convnet defined layer by layer: the channels and features
// each layer takes are inferred from the input shape, and unnamed layers
// are named after their kind.
func ExampleNewModel() {
	net, err := nn.NewModel(graph.Float32, nn.Input(1, 28, 28), rand.New(rand.NewPCG(1, 0)),
		nn.Conv(6, 5, nn.Pad(2)), nn.ReLU(), nn.MaxPool(2),
		nn.Conv(16, 5), nn.ReLU(), nn.MaxPool(2),
		nn.Flatten{},
		nn.Dense(120), nn.ReLU(),
		nn.Named("logits", nn.Dense(10)),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	var names []string
	for _, l := range net.Layers() {
		names = append(names, l.Name())
	}
	fmt.Println(strings.Join(names, " "))
	// conv1 6·1·5·5+6, conv2 16·6·5·5+16, dense1 16·5·5·120+120, logits 120·10+10
	fmt.Println("trainable scalars:", net.NumParams())

	// A layer that cannot take its input is reported once, by name.
	_, err = nn.NewModel(graph.Float32, nn.Input(1, 28, 28), rand.New(rand.NewPCG(1, 0)),
		nn.Conv(6, 5), nn.Dense(10))
	fmt.Println(err)
	// Output:
	// conv1 relu1 maxpool1 conv2 relu2 maxpool2 flatten1 dense1 relu3 logits
	// trainable scalars: 51902
	// nn: model: layer 2 (dense1): dense dense1: input [6 24 24], want flat features (add nn.Flatten{} after a convolution): graph: shape mismatch
}

// A 784-64-10 MLP with BatchNorm and dropout, an L2 penalty and a max-norm
// constraint attached to the model, trained for three epochs on the
// 500-image MNIST subset in testdata and scored on its 200 test images.
// training.Fit applies the model's own penalty and constraint.
func ExampleSequential() {
	mnist, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: "../../testdata/mnist"})
	if err != nil {
		fmt.Println(err)
		return
	}
	net, err := nn.NewModel(graph.Float32, nn.Input(784), rand.New(rand.NewPCG(1, 0)),
		nn.Dense(64, nn.NoBias()), nn.BatchNorm1D(), nn.ReLU(), nn.DropoutP(0.3),
		nn.Dense(10),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	net.AddPenalties(regularizers.L2{Lambda: 1e-4})
	net.AddPostSteps(regularizers.MaxNorm{C: 3})

	opt, _ := training.NewSGD(training.SGDConfig{LR: 0.1, Momentum: 0.9})
	hist, err := training.Fit(context.Background(), net, mnist.Train, nil, training.Config{Epochs: 3, BatchSize: 50, Seed: 1, Optimizer: opt})
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, _ := training.NewEvaluator(net, training.EvalOptions{})
	defer ev.Close()
	test, _ := ev.Evaluate(context.Background(), mnist.Test, false)
	last := hist.Last()
	fmt.Printf("after %d epochs: train loss %.3f, penalty %.4f\n", len(hist.Epochs), last.TrainLoss, last.Penalty)
	fmt.Printf("test accuracy %.3f on %d images\n", test.Accuracy, test.N)
	// Output:
	// after 3 epochs: train loss 0.318, penalty 0.0090
	// test accuracy 0.860 on 200 images
}
