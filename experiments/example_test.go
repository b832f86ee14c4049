package experiments_test

import (
	"context"
	"fmt"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/experiments"
)

// Look up a registered experiment (experiments.List returns them all): its
// name, the claim it checks and the paper figure it reproduces.
func ExampleLookup() {
	e, err := experiments.Lookup("early-stopping")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Name)
	fmt.Println(e.Paper)
	_, err = experiments.Lookup("no-such-experiment")
	fmt.Println(errors.Is(err, experiments.ErrUnknown))
	// Output:
	// early-stopping
	// Prechelt (1998), Early stopping — but when?, in Neural Networks: Tricks of the Trade, LNCS 1524, Figures 1 and 2; Goodfellow, Bengio & Courville (2016), Deep Learning, §7.8, Figure 7.3
	// true
}

// Run an experiment in quick mode into a directory: it writes CSV files,
// PNG figures and summary.md there and returns the verdict. (Not run as a
// test: it trains for several seconds; experiments_test.go runs every
// experiment.)
func ExampleRun() {
	ctx := context.Background()
	res, err := experiments.Run(ctx, "l1-vs-l2", experiments.Options{Out: "runs/experiments/l1-vs-l2", Quick: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Held, res.Verdict, res.Files)
}
