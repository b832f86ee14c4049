package experiments_test

import (
	"context"
	"fmt"

	"github.com/gozoo/zoo/experiments"
)

// List the registered experiments. Each one is run with
// experiments.Run(ctx, name, experiments.Options{Out: dir, Quick: true}).
func ExampleList() {
	for _, e := range experiments.List() {
		fmt.Println(e.Name)
	}
	// Output:
	// early-stopping
	// l1-vs-l2
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
