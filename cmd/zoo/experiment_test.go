package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
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

func TestParseSeedList(t *testing.T) {
	good := []struct {
		in   string
		want []uint64
	}{
		{"1,2,3", []uint64{1, 2, 3}},
		{"1-3", []uint64{1, 2, 3}},
		{"5", []uint64{5}},
		{" 3 , 1-2 ", []uint64{3, 1, 2}},
		{"0-1,10", []uint64{0, 1, 10}},
		{"7-7", []uint64{7}},
		{"18446744073709551614-18446744073709551615", []uint64{18446744073709551614, 18446744073709551615}},
	}
	for _, tt := range good {
		got, err := parseSeedList(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parseSeedList(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "empty list"},
		{" ", "empty list"},
		{"1,,2", "empty item"},
		{"1,", "empty item"},
		{"1,2,1", "seed 1 listed twice"},
		{"1-3,2", "seed 2 listed twice"},
		{"a", `"a" is not a seed`},
		{"-1", `"-1" is not a seed`},
		{"1-", `"1-" is not a seed`},
		{"1-2-3", `"1-2-3" is not a seed`},
		{"1.5", `"1.5" is not a seed`},
		{"3-1", "ends below its start"},
		{"0-18446744073709551615", "more than 1000 seeds"},
		{"1-600,601-1200", "more than 1000 seeds"},
	}
	for _, tt := range bad {
		if got, err := parseSeedList(tt.in); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("parseSeedList(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.msg)
		}
	}
}

// --seeds through the command line: usage errors for bad lists and with
// --seed, and one quick run of caruana over two seeds.
func TestExperimentSeeds(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"experiment", "caruana", "--quick", "--seeds", "1,1", "--out", dir},
		{"experiment", "caruana", "--quick", "--seeds", "", "--out", dir},
		{"experiment", "caruana", "--quick", "--seeds", "x", "--out", dir},
		{"experiment", "caruana", "--quick", "--seeds", "1-2", "--seed", "3", "--out", dir},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitUsage || out.Len() != 0 || !strings.Contains(errb.String(), "--seed") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"experiment", "caruana", "--quick", "--seeds", "1-2", "--out", dir}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var sr struct {
		Name       string             `json:"name"`
		Seeds      []uint64           `json:"seeds"`
		Runs       []json.RawMessage  `json:"runs"`
		Mean       map[string]float64 `json:"mean"`
		HeldOnMean *bool              `json:"held_on_mean"`
	}
	if err := json.Unmarshal(out.Bytes(), &sr); err != nil || sr.Name != "caruana" || !slices.Equal(sr.Seeds, []uint64{1, 2}) || len(sr.Runs) != 2 || len(sr.Mean) == 0 || sr.HeldOnMean == nil {
		t.Fatalf("result %v: %s", err, out.String())
	}
	for _, f := range []string{"seeds.csv", "seeds.json", "seeds.md", "seed-1/result.json", "seed-2/summary.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
