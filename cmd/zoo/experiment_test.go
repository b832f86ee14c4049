package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExperimentCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"experiment", "list"}, &out, &errb); code != 0 {
		t.Fatalf("list: exit %d: %s", code, errb.String())
	}
	var list struct {
		Experiments []experimentInfo `json:"experiments"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list.Experiments) == 0 {
		t.Fatalf("list: %v\n%s", err, out.String())
	}
	for _, args := range [][]string{{"experiment"}, {"experiment", "no-such-experiment"}, {"experiment", "--bogus", "x"}} {
		out.Reset()
		errb.Reset()
		if code := run(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	// One real quick run through the command line: caruana, the cheapest
	// (synthetic data); the experiments package tests run every experiment
	// in quick mode.
	dir := t.TempDir()
	out.Reset()
	errb.Reset()
	code := run(context.Background(), []string{"experiment", "caruana", "--quick", "--out", dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Name  string   `json:"name"`
		Files []string `json:"files"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Name != "caruana" || len(res.Files) == 0 {
		t.Fatalf("result %v: %s", err, out.String())
	}
	for _, f := range res.Files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("listed file %s: %v", f, err)
		}
	}
	if !strings.Contains(strings.Join(res.Files, " "), "summary.md") {
		t.Errorf("no summary.md in %v", res.Files)
	}
}

// A quick run's default folder is its own: it never overwrites the full
// run's results.
func TestExperimentDefaultOut(t *testing.T) {
	full, quick := defaultExperimentOut("dropout", false), defaultExperimentOut("dropout", true)
	if full != filepath.Join("runs", "experiments", "dropout") || quick != filepath.Join("runs", "experiments", "dropout-quick") {
		t.Fatalf("default folders %q and %q", full, quick)
	}
}
