package experiments

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

// RunSeeds on caruana (synthetic data, about a second per quick run) with
// two seeds: the files parse, the statistics follow from the per-seed
// metrics by their formulas, the verdict on the mean is the judge's on the
// mean, and a second call reuses the seeds' directories.
func TestRunSeeds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{Quick: true, Out: dir}
	seeds := []uint64{3, 1}
	sr, err := RunSeeds(ctx, "caruana", opts, seeds)
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Runs) != 2 || sr.Runs[0].Seed != 3 || sr.Runs[1].Seed != 1 || !sr.Quick || sr.Name != "caruana" {
		t.Fatalf("runs: %+v", sr)
	}
	a, b := sr.Runs[0].Metrics, sr.Runs[1].Metrics
	if !reflect.DeepEqual(metricKeys(sr.Runs[:1]), metricKeys(sr.Runs[1:])) {
		t.Errorf("the seeds report different metrics: %v and %v", metricKeys(sr.Runs[:1]), metricKeys(sr.Runs[1:]))
	}
	held := 0
	for _, r := range sr.Runs {
		if r.Held {
			held++
		}
	}
	if sr.HeldSeeds != held {
		t.Errorf("HeldSeeds %d, want %d", sr.HeldSeeds, held)
	}
	for k, x := range a {
		y := b[k]
		// Two values: mean (x+y)/2, sample sd |x−y|/√2.
		mean, sd := (x+y)/2, math.Abs(x-y)/math.Sqrt2
		if d := math.Abs(sr.Mean[k] - mean); d > 1e-12*math.Max(1, math.Abs(mean)) {
			t.Errorf("%s: mean %g, want %g", k, sr.Mean[k], mean)
		}
		if d := math.Abs(sr.SD[k] - sd); d > 1e-12*math.Max(1, sd) {
			t.Errorf("%s: sd %g, want %g", k, sr.SD[k], sd)
		}
		if sr.Min[k] != math.Min(x, y) || sr.Max[k] != math.Max(x, y) {
			t.Errorf("%s: min %g max %g of %g, %g", k, sr.Min[k], sr.Max[k], x, y)
		}
	}
	e, err := Lookup("caruana")
	if err != nil {
		t.Fatal(err)
	}
	if h, v := e.Judge(sr.Mean); h != sr.HeldOnMean || v != sr.VerdictOnMean || v == "" {
		t.Errorf("on the mean: %v %q, the judge says %v %q", sr.HeldOnMean, sr.VerdictOnMean, h, v)
	}

	// seeds.csv: the seeds, then mean, sd, min, max; every number reads
	// back as the one in the result.
	raw, err := os.ReadFile(filepath.Join(dir, "seeds.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+2+4 || rows[0][0] != "seed" || rows[0][1] != "held" {
		t.Fatalf("seeds.csv: %d rows, header %v", len(rows), rows[0])
	}
	want := []map[string]float64{a, b, sr.Mean, sr.SD, sr.Min, sr.Max}
	for i, first := range []string{"3", "1", "mean", "sd", "min", "max"} {
		row := rows[1+i]
		if row[0] != first {
			t.Errorf("row %d starts %q, want %q", 1+i, row[0], first)
		}
		for j, k := range rows[0][2:] {
			v, err := strconv.ParseFloat(row[2+j], 64)
			if err != nil || v != want[i][k] {
				t.Errorf("row %s, %s: %q, want %v", first, k, row[2+j], want[i][k])
			}
		}
	}
	if rows[3][1] != strconv.FormatBool(sr.HeldOnMean) {
		t.Errorf("mean row's held %q, want %v", rows[3][1], sr.HeldOnMean)
	}

	// seeds.json is the result; seeds.md states the verdicts.
	var got SeedsResult
	raw, err = os.ReadFile(filepath.Join(dir, "seeds.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, sr) {
		t.Errorf("seeds.json differs from the result")
	}
	md, err := os.ReadFile(filepath.Join(dir, "seeds.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{e.Claim, sr.VerdictOnMean, sr.Runs[0].Verdict, sr.Runs[1].Verdict, "criterion evaluated on the mean", "| poly_overfit_ratio |", "--seeds 3,1"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("seeds.md lacks %q", w)
		}
	}
	for _, s := range []string{"seed-3", "seed-1"} {
		if _, err := os.Stat(filepath.Join(dir, s, "summary.md")); err != nil {
			t.Error(err)
		}
	}

	// A second call finds both runs finished and reuses them: the same
	// result, and the seeds' files untouched.
	csvPath := filepath.Join(dir, "seed-3", "caruana_polynomials.csv")
	if err := os.WriteFile(csvPath, []byte("marker"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := RunSeeds(ctx, "caruana", opts, seeds)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, sr) {
		t.Errorf("the second call's result differs from the first")
	}
	if b, _ := os.ReadFile(csvPath); string(b) != "marker" {
		t.Errorf("seed 3 was run again")
	}
}

func TestRunSeedsErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		exp   string
		opts  Options
		seeds []uint64
		want  error
	}{
		{"no seeds", "caruana", Options{Out: t.TempDir()}, nil, ErrConfig},
		{"duplicate seed", "caruana", Options{Out: t.TempDir()}, []uint64{1, 2, 1}, ErrConfig},
		{"no output directory", "caruana", Options{}, []uint64{1}, ErrConfig},
		{"unknown experiment", "nope", Options{Out: t.TempDir()}, []uint64{1}, ErrUnknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := RunSeeds(ctx, tt.exp, tt.opts, tt.seeds); !errors.Is(err, tt.want) {
				t.Errorf("RunSeeds: %v, want %v", err, tt.want)
			}
		})
	}
}

// A single seed has no standard deviation.
func TestSeedStats(t *testing.T) {
	runs := []*Result{{Metrics: map[string]float64{"x": 1, "y": 2}}, {Metrics: map[string]float64{"x": 3, "y": 2}}, {Metrics: map[string]float64{"x": 8, "y": 2}}}
	mean, sd, lo, hi := seedStats(runs)
	// x: mean 4, deviations −3, −1, 4, sum of squares 26, sd √(26/2).
	if mean["x"] != 4 || sd["x"] != math.Sqrt(13) || lo["x"] != 1 || hi["x"] != 8 || sd["y"] != 0 {
		t.Errorf("stats %v %v %v %v", mean, sd, lo, hi)
	}
	if _, sd, _, _ := seedStats(runs[:1]); len(sd) != 0 {
		t.Errorf("sd of one seed: %v", sd)
	}
}
