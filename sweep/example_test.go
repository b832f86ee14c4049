package sweep_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/gozoo/zoo/sweep"
)

// A grid of two learning rates over three seeds, run by a stand-in for the
// training (its "val_acc" is a function of the recipe), then summarised.
func ExampleExecute() {
	out, _ := os.MkdirTemp("", "sweep-example-")
	defer os.RemoveAll(out)
	spec, err := sweep.ParseSpec([]byte(`{
		"name": "lr", "out": "` + out + `",
		"base": {"model": "mlp", "epochs": 2},
		"axes": [{"path": "lr", "values": [0.01, 0.1]}],
		"seeds": {"values": [1, 2, 3]}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := spec.Plan(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	train := sweep.RunnerFunc(func(ctx context.Context, job sweep.Job) (sweep.Result, error) {
		var r struct {
			LR   float64 `json:"lr"`
			Seed int     `json:"seed"`
		}
		if err := json.Unmarshal(job.Recipe, &r); err != nil {
			return sweep.Result{}, err
		}
		acc := 0.9 + r.LR/2 + float64(r.Seed)/1000
		return sweep.Result{Status: "max_epochs", Metrics: map[string]sweep.Float{"val_acc": sweep.Float(acc)}}, nil
	})
	rep, err := sweep.Execute(context.Background(), plan, train, sweep.Options{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("runs:", len(plan.Runs), "done:", rep.Done)
	sum, err := sweep.Summarize(sweep.Collect(plan), plan.Metric, plan.Goal)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range sum.Configs {
		st := c.Metrics["val_acc"]
		fmt.Printf("lr=%s: val_acc %.4f ± %.4f over %d seeds\n", c.Values[0], st.Mean, st.SD, st.N)
	}
	fmt.Printf("best: lr=%s\n", sum.Best.Values[0])
	// Output:
	// runs: 6 done: 6
	// lr=0.01: val_acc 0.9070 ± 0.0010 over 3 seeds
	// lr=0.1: val_acc 0.9520 ± 0.0010 over 3 seeds
	// best: lr=0.1
}
