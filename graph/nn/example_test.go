package nn_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
)

// A small MLP declared once and built into a training graph and an
// evaluation graph over the same parameter tensors.
func Example() {
	store, _ := graph.NewStore(graph.Float32)
	rng := rand.New(rand.NewPCG(1, 0)) // initial weights come from this seed
	fc1, _ := nn.NewLinear(store, "fc1", 784, 32, nn.LinearConfig{NoBias: true}, rng)
	bn1, _ := nn.NewBatchNorm(store, "bn1", 32, nn.BatchNormConfig{})
	drop, _ := nn.NewDropout("drop1", 0.5, nn.Inverted)
	fc2, _ := nn.NewLinear(store, "fc2", 32, 10, nn.LinearConfig{}, rng)
	mlp := nn.NewSequential("mlp", fc1, bn1, nn.ReLU("relu1"), drop, fc2)

	for _, v := range store.Vars() {
		fmt.Printf("%-16s %-9s %v\n", v.Name(), v.Kind(), v.Shape())
	}
	fmt.Println("trainable scalars:", store.NumParams())

	// The training graph draws dropout masks from its own seeded source and
	// updates BatchNorm's running statistics after each run.
	train := graph.NewBuilder(store, graph.Train, rand.New(rand.NewPCG(2, 0)))
	x, _ := train.Input("x", 64, 784)
	labels, _ := train.Input("labels", 64)
	logits, _ := mlp.Forward(train, x)
	loss, _ := nn.CrossEntropy(logits, labels)
	prog, err := graph.Compile(train, loss) // adds the symbolic gradients
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	var names []string
	for _, p := range prog.Params() {
		names = append(names, p.Name())
	}
	fmt.Println(strings.Join(names, " "))

	// The evaluation graph works at any batch size: dropout is the identity
	// and BatchNorm reads (never writes) the running statistics.
	eval := graph.NewBuilder(store, graph.Eval, nil)
	x1, _ := eval.Input("x", 1, 784)
	out, _ := mlp.Forward(eval, x1)
	probs, _ := nn.Softmax(out)
	fmt.Println("eval output:", probs.Shape())

	// Output:
	// fc1/W            parameter (784, 32)
	// bn1/gamma        parameter (32)
	// bn1/beta         parameter (32)
	// bn1/running_mean buffer    (32)
	// bn1/running_var  buffer    (32)
	// fc2/W            parameter (32, 10)
	// fc2/b            parameter (10)
	// trainable scalars: 25482
	// fc1/W bn1/gamma bn1/beta fc2/W fc2/b
	// eval output: (1, 10)
}
