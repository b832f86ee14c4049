package regularizers_test

import (
	"fmt"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/regularizers"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A penalty node is added to the data loss before symbolic differentiation,
// so its gradient (here 2λw + λ1·sign(w)) comes with the loss's. The bias is
// not a weight, so the default selector leaves it out.
func ExampleSum() {
	s, _ := graph.NewStore(graph.Float64)
	w, _ := s.NewParam(graph.ParamSpec{Name: "fc/W", Shape: tensor.Shape{2, 2}, Init: graph.Constant(0.5)}, nil)
	_, _ = s.NewParam(graph.ParamSpec{Name: "fc/b", Role: graph.Bias, Shape: tensor.Shape{2}, Init: graph.Constant(1)}, nil)

	b := graph.NewBuilder(s, graph.Train, nil)
	x, xt := b.Input("x", 1, 2)
	copy(xt.Float64s(), []float64{1, 2})
	wn, _ := b.Var(w)
	loss := G.Must(G.Sum(G.Must(G.Mul(x, wn)))) // Σ_j (x·W)_j = 3

	// 0.1·Σw² + 0.01·Σ|w| = 0.1·4·0.25 + 0.01·4·0.5 = 0.12
	penalty, err := graph.AddPenalties(b, nil, regularizers.L2{Lambda: 0.1}, regularizers.L1{Lambda: 0.01})
	if err != nil {
		fmt.Println(err)
		return
	}
	if penalty != nil {
		loss = G.Must(G.Add(loss, penalty))
	}

	prog, err := graph.Compile(b, loss) // adds dloss/dW
	if err != nil {
		fmt.Println(err)
		return
	}
	defer prog.Close()
	if err := prog.Run(); err != nil {
		fmt.Println(err)
		return
	}
	vars := prog.Params()
	grad, _ := prog.Grad(0)
	fmt.Println("parameters:", vars[0].Name(), len(vars))
	fmt.Printf("penalty %.2f, loss %.2f\n", penalty.Value().Data(), loss.Value().Data())
	fmt.Printf("dloss/dW = x_i + 2·0.1·w + 0.01·sign(w) = %.2f\n", grad.Data())
	// Output:
	// parameters: fc/W 1
	// penalty 0.12, loss 3.12
	// dloss/dW = x_i + 2·0.1·w + 0.01·sign(w) = [1.11 1.11 2.11 2.11]
}

// MaxNorm rescales each unit's incoming weight vector (a column of a Linear
// weight) whose norm exceeds c, and leaves the others as they are.
func ExampleMaxNorm() {
	s, _ := graph.NewStore(graph.Float64)
	w, _ := s.NewParam(graph.ParamSpec{Name: "fc/W", Shape: tensor.Shape{3, 2}}, nil)
	copy(w.Value().Float64s(), []float64{
		3, 1,
		4, 0,
		0, 1,
	})
	before, _ := regularizers.UnitNorms(w)
	if err := (regularizers.MaxNorm{C: 2}).Apply(s); err != nil {
		fmt.Println(err)
		return
	}
	after, _ := regularizers.UnitNorms(w)
	fmt.Printf("norms before %.4f\n", before)
	fmt.Printf("norms after  %.4f\n", after)
	fmt.Printf("W after %.2f\n", w.Value().Float64s())
	// Output:
	// norms before [5.0000 1.4142]
	// norms after  [2.0000 1.4142]
	// W after [1.20 1.00 1.60 0.00 0.00 1.00]
}

// ProxL1 soft-thresholds the weights at η·λ after a step: small weights
// become exactly zero, the others shrink by η·λ.
func ExampleProxL1() {
	s, _ := graph.NewStore(graph.Float64)
	w, _ := s.NewParam(graph.ParamSpec{Name: "fc/W", Shape: tensor.Shape{2, 3}}, nil)
	copy(w.Value().Float64s(), []float64{0.5, -0.05, 0.1, -0.3, 0.02, 0.15})
	// η = 0.1, λ = 1: threshold 0.1.
	if err := (regularizers.ProxL1{Lambda: 1}).AfterStep(s, 0.1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f\n", w.Value().Float64s())
	// Output:
	// [0.40 0.00 0.00 -0.20 0.00 0.05]
}

// Prune zeroes the smallest half of the weights; its mask, run after every
// optimizer step, keeps them at zero; Report measures the sparsity.
func ExamplePrune() {
	s, _ := graph.NewStore(graph.Float32)
	w, _ := s.NewParam(graph.ParamSpec{Name: "fc/W", Shape: tensor.Shape{2, 3}}, nil)
	copy(w.Value().Float32s(), []float32{0.9, -0.1, 0.3, -0.7, 0.2, 0.05})
	mask, err := regularizers.Prune(s, 0.5, regularizers.Global, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("pruned:", w.Value().Float32s())

	// A simulated optimizer step moves every weight, then the mask re-applies.
	for i := range w.Value().Float32s() {
		w.Value().Float32s()[i] += 0.5
	}
	if err := graph.AfterSteps(s, 0.1, mask); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("after a step:", w.Value().Float32s())

	r, _ := regularizers.Report(s, 1e-3, 4, nil)
	fmt.Printf("%s: %d of %d zero (%.0f%%)\n", r.Layers[0].Name, r.Overall.Zeros, r.Overall.Count, 100*r.Overall.ZeroFraction)
	for name := range mask.Tensors() {
		fmt.Println("checkpoint tensor:", name)
	}
	// Output:
	// pruned: [0.9 0 0.3 -0.7 0 0]
	// after a step: [1.4 0 0.8 -0.19999999 0 0]
	// fc/W: 3 of 6 zero (50%)
	// checkpoint tensor: mask/fc/W
}
