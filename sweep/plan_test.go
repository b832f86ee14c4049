package sweep

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func mustSpec(t *testing.T, text string) *Spec {
	t.Helper()
	s, err := ParseSpec([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlanGridTimesSeeds(t *testing.T) {
	s := mustSpec(t, `{"name": "g", "out": "/o",
		"base": {"model": "mlp", "plan": {"epochs": 2}},
		"axes": [{"path": "plan.lr", "values": [0.1, 0.01]}, {"path": "config.norm", "values": ["batch", "none", "layer"]}],
		"seeds": {"path": "plan.seed", "values": [1, 2]}}`)
	p, err := s.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 2*3*2 {
		t.Fatalf("%d runs, want 12", len(p.Runs))
	}
	// First axis slowest, seeds fastest.
	want := []string{
		"plan.lr=0.1 config.norm=\"batch\" plan.seed=1", "plan.lr=0.1 config.norm=\"batch\" plan.seed=2",
		"plan.lr=0.1 config.norm=\"none\" plan.seed=1",
	}
	for i, w := range want {
		if got := p.Describe(p.Runs[i]); got != w {
			t.Errorf("run %d: %s, want %s", i, got, w)
		}
	}
	last := p.Runs[11]
	if p.Describe(last) != "plan.lr=0.01 config.norm=\"layer\" plan.seed=2" || last.Config != 5 || last.Index != 11 {
		t.Errorf("last run %+v", last)
	}
	if string(last.Recipe) != `{"config":{"norm":"layer"},"model":"mlp","plan":{"epochs":2,"lr":0.01,"seed":2}}` {
		t.Errorf("recipe %s", last.Recipe)
	}
	if last.Dir != "/o/"+last.ID {
		t.Errorf("dir %s", last.Dir)
	}
	// The plan is deterministic: planning again gives the same IDs.
	q, _ := mustSpec(t, `{"name": "g", "out": "/o",
		"base": {"plan": {"epochs": 2.0}, "model": "mlp"},
		"axes": [{"path": "plan.lr", "values": [1e-1, 0.01]}, {"path": "config.norm", "values": ["batch", "none", "layer"]}],
		"seeds": {"path": "plan.seed", "values": [1, 2]}}`).Plan(nil)
	for i := range p.Runs {
		if p.Runs[i].ID != q.Runs[i].ID {
			t.Fatalf("run %d: ID %s, then %s", i, p.Runs[i].ID, q.Runs[i].ID)
		}
	}
}

func TestPlanRandomDraws(t *testing.T) {
	text := `{"base": {}, "samples": 200, "sample_seed": 5,
		"axes": [{"path": "lr", "dist": "log-uniform", "min": 1e-4, "max": 1},
		         {"path": "p", "dist": "uniform", "min": 0.2, "max": 0.5},
		         {"path": "act", "dist": "choice", "values": ["relu", "tanh"]},
		         {"path": "batch", "values": [32, 64]}]}`
	p, err := mustSpec(t, text).Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 400 {
		t.Fatalf("%d runs, want 2 grid points × 200 samples", len(p.Runs))
	}
	below := 0 // log-uniform on [1e-4, 1): P(lr < 1e-2) = 1/2
	acts := map[string]int{}
	for i, r := range p.Runs[:200] {
		var lr, q float64
		var act string
		json.Unmarshal(r.Values[0], &lr)
		json.Unmarshal(r.Values[1], &q)
		json.Unmarshal(r.Values[2], &act)
		if lr < 1e-4 || lr >= 1 || q < 0.2 || q >= 0.5 {
			t.Fatalf("run %d: lr %v, p %v out of range", i, lr, q)
		}
		if lr < 1e-2 {
			below++
		}
		acts[act]++
		// Every grid point gets the same draws.
		if o := p.Runs[i+200]; string(o.Values[0]) != string(r.Values[0]) || string(o.Values[3]) != "64" {
			t.Fatalf("run %d and %d: %s %s", i, i+200, r.Values, o.Values)
		}
	}
	// Binomial(200, 1/2): 5 standard deviations is ±35.
	if below < 65 || below > 135 || acts["relu"] < 65 || acts["tanh"] < 65 {
		t.Fatalf("%d of 200 log-uniform draws below 1e-2, choices %v", below, acts)
	}
	// Same seed, same draws; another seed, other draws.
	again, _ := mustSpec(t, text).Plan(nil)
	other, _ := mustSpec(t, strings.Replace(text, `"sample_seed": 5`, `"sample_seed": 6`, 1)).Plan(nil)
	if again.Runs[7].ID != p.Runs[7].ID || other.Runs[7].ID == p.Runs[7].ID {
		t.Fatal("draws do not follow sample_seed")
	}
}

func TestPlanResolverAndDuplicates(t *testing.T) {
	s := mustSpec(t, `{"base": {"a": 1}, "axes": [{"path": "b", "values": [1, 2]}]}`)
	p, err := s.Plan(func(r json.RawMessage) (json.RawMessage, error) {
		var m map[string]any
		json.Unmarshal(r, &m)
		m["default"] = "filled"
		return json.Marshal(m)
	})
	if err != nil || string(p.Runs[1].Recipe) != `{"a":1,"b":2,"default":"filled"}` {
		t.Fatalf("%v, %s", err, p.Runs[1].Recipe)
	}
	_, err = s.Plan(func(json.RawMessage) (json.RawMessage, error) { return nil, errors.New("bad field") })
	if err == nil || !strings.Contains(err.Error(), "run 0 (b=1)") {
		t.Fatalf("resolver error: %v", err)
	}
	// 1 and 1.0 are one value: two runs with one recipe.
	dup := mustSpec(t, `{"base": {}, "axes": [{"path": "b", "values": [1, 1.0]}]}`)
	if _, err := dup.Plan(nil); !errors.Is(err, ErrSpec) {
		t.Fatalf("duplicate recipes: %v", err)
	}
}

func TestSpecValidate(t *testing.T) {
	for name, text := range map[string]string{
		"no base":          `{}`,
		"array base":       `{"base": [1]}`,
		"unknown field":    `{"base": {}, "axis": []}`,
		"no values":        `{"base": {}, "axes": [{"path": "a"}]}`,
		"no path":          `{"base": {}, "axes": [{"values": [1]}]}`,
		"twice":            `{"base": {}, "axes": [{"path": "a", "values": [1]}, {"path": "a", "values": [2]}]}`,
		"no samples":       `{"base": {}, "axes": [{"path": "a", "dist": "uniform", "min": 0, "max": 1}]}`,
		"samples, no dist": `{"base": {}, "samples": 3, "axes": [{"path": "a", "values": [1]}]}`,
		"bad dist":         `{"base": {}, "samples": 1, "axes": [{"path": "a", "dist": "normal", "min": 0, "max": 1}]}`,
		"min > max":        `{"base": {}, "samples": 1, "axes": [{"path": "a", "dist": "uniform", "min": 1, "max": 0}]}`,
		"log of 0":         `{"base": {}, "samples": 1, "axes": [{"path": "a", "dist": "log-uniform", "min": 0, "max": 1}]}`,
		"seed twice":       `{"base": {}, "seeds": {"values": [1, 1]}}`,
		"seed is an axis":  `{"base": {}, "axes": [{"path": "seed", "values": [1]}], "seeds": {"values": [1]}}`,
		"bad goal":         `{"base": {}, "goal": "up"}`,
	} {
		if _, err := ParseSpec([]byte(text)); !errors.Is(err, ErrSpec) {
			t.Errorf("%s: %v, want ErrSpec", name, err)
		}
	}
	if _, err := ParseSpec([]byte(`{"base": {}, "metric": "test_acc"}`)); !errors.Is(err, ErrTestMetric) {
		t.Errorf("test metric: %v", err)
	}
	s := mustSpec(t, `{"base": {}, "metric": "val_loss"}`)
	if m, g, _ := s.objective(); m != "val_loss" || g != "min" {
		t.Errorf("val_loss: goal %s", g)
	}
}
