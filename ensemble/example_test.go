package ensemble_test

import (
	"fmt"

	"github.com/gozoo/zoo/ensemble"
)

// Two members' class probabilities for one sample, combined both ways.
func ExampleCombineProbs() {
	probs := [][]float64{{0.8, 0.2}, {0.5, 0.5}}
	for _, c := range []ensemble.Combine{ensemble.Arithmetic, ensemble.Geometric} {
		p, err := ensemble.CombineProbs(probs, 2, c)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-10s %.4f\n", c, p)
	}
	// Output:
	// arithmetic [0.6500 0.3500]
	// geometric  [0.6667 0.3333]
}
