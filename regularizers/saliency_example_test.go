package regularizers_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/regularizers"
)

// net is a 4-3-2 ReLU MLP, enough for a regularizers.Network.
type net struct {
	s   *graph.Store
	seq *nn.Sequential
}

func (n net) Store() *graph.Store { return n.s }
func (n net) InputShape() []int   { return []int{4} }
func (n net) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	return n.seq.Forward(b, x)
}

// Score a small network's weights by Optimal Brain Damage on 8 samples and
// remove the half with the lowest saliency.
func ExampleSaliency() {
	s, _ := graph.NewStore(graph.Float64)
	rng := rand.New(rand.NewPCG(1, 2))
	fc1, _ := nn.NewLinear(s, "fc1", 4, 3, nn.LinearConfig{}, rng)
	fc2, _ := nn.NewLinear(s, "fc2", 3, 2, nn.LinearConfig{}, rng)
	m := net{s: s, seq: nn.NewSequential("mlp", fc1, nn.ReLU("relu1"), fc2)}

	x := make([]float32, 8*4)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	data, _ := datasets.New(x, []int{0, 1, 0, 1, 1, 0, 1, 0}, datasets.Shape{C: 1, H: 1, W: 4}, 2)

	sc, err := regularizers.Saliency(context.Background(), m, data, regularizers.SaliencyConfig{Criterion: regularizers.OBD})
	if err != nil {
		fmt.Println(err)
		return
	}
	mask, err := regularizers.PruneScores(s, sc, 0.5, regularizers.Global)
	if err != nil {
		fmt.Println(err)
		return
	}
	pruned, total := mask.Count()
	fmt.Println("scored:", sc.Names)
	fmt.Printf("pruned %d of %d weights\n", pruned, total)
	// Output:
	// scored: [fc1/W fc2/W]
	// pruned 9 of 18 weights
}
