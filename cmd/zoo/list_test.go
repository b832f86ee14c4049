package main

import (
	"testing"

	"github.com/gozoo/zoo/models"
)

func TestList(t *testing.T) {
	code, stdout, stderr := runZoo(t, "list")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r struct {
		Default string `json:"default"`
		Models  []struct {
			Name        string              `json:"name"`
			Description string              `json:"description"`
			Params      int                 `json:"params"`
			Paper       string              `json:"paper"`
			PaperError  *float64            `json:"paper_error"`
			TestError   *float64            `json:"test_error"`
			Measured    *models.Measurement `json:"measured"`
			Recipe      models.Recipe       `json:"recipe"`
		} `json:"models"`
	}
	decodeStrict(t, stdout, &r)
	if r.Default != models.Default {
		t.Fatalf("default %q", r.Default)
	}
	entries := models.List()
	if len(r.Models) != len(entries) {
		t.Fatalf("%d models, registry has %d", len(r.Models), len(entries))
	}
	// Parameter counts from the layer sizes: Linear in·out+out, Conv2D
	// out·in·k·k+out, BatchNorm 2 per feature (no bias before it).
	known := map[string]int{
		"mlp":         784*800 + 800 + 800*800 + 800 + 800*10 + 10,
		"mlp-bn":      784*100 + 2*100 + 100*100 + 2*100 + 100*100 + 2*100 + 100*10 + 10,
		"mlp-sigmoid": 784*100 + 100 + 100*100 + 100 + 100*100 + 100 + 100*10 + 10,
		"lenet5":      6*1*25 + 6 + 16*6*25 + 16 + 400*120 + 120 + 120*84 + 84 + 84*10 + 10, // 61,706 as in LeCun et al. (1998)
	}
	for i, m := range r.Models {
		e := entries[i]
		if m.Name != e.Name || m.Description != e.Description || m.Paper != e.Paper || m.Recipe.Optimizer != e.Recipe.Optimizer {
			t.Errorf("entry %d: %+v, registry %+v", i, m, e)
		}
		if want, ok := known[m.Name]; ok && m.Params != want {
			t.Errorf("%s: %d parameters, want %d", m.Name, m.Params, want)
		}
		if (m.PaperError == nil) != (e.PaperError == 0) || (m.PaperError != nil && *m.PaperError != e.PaperError) {
			t.Errorf("%s: paper_error %v, registry %v", m.Name, m.PaperError, e.PaperError)
		}
		if (m.TestError == nil) != (e.Measured == nil) || (m.Measured == nil) != (e.Measured == nil) {
			t.Errorf("%s: test_error %v measured %v, registry %v", m.Name, m.TestError, m.Measured, e.Measured)
		}
	}
	if code, _, _ := runZoo(t, "list", "extra"); code != exitUsage {
		t.Errorf("zoo list extra: exit %d", code)
	}
}
