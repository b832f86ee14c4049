package experiments

import (
	"bytes"
	"context"
	"encoding/csv"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/training"
)

// TestExperimentsQuick runs every registered experiment in quick mode and
// checks its files: every CSV parses with a header and rows of equal
// length, every PNG decodes, summary.md states the claim and a verdict. It
// then runs the experiment again with the same seed into another directory
// and requires byte-identical CSV files (determinism), and checks that the
// Result's verdict matches summary.md.
func TestExperimentsQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST for about a minute")
	}
	for _, e := range List() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			dirA, dirB := t.TempDir(), t.TempDir()
			res, err := Run(ctx, e.Name, Options{Quick: true, Out: dirA, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			checkFiles(t, dirA, res)
			summary, err := os.ReadFile(filepath.Join(dirA, "summary.md"))
			if err != nil {
				t.Fatal(err)
			}
			verdict := "the claim HELD"
			if !res.Held {
				verdict = "the claim DID NOT HOLD"
			}
			for _, want := range []string{e.Claim, verdict, res.Verdict, e.Paper} {
				if !bytes.Contains(summary, []byte(want)) {
					t.Errorf("summary.md does not contain %q", want)
				}
			}
			if res.Name != e.Name || !res.Quick || res.Seed != 7 || res.Verdict == "" || len(res.Metrics) == 0 {
				t.Errorf("result bookkeeping: %+v", res)
			}
			// The verdict is the judge's on the run's own metrics.
			if held, verdict := e.Judge(res.Metrics); held != res.Held || verdict != res.Verdict {
				t.Errorf("Judge(metrics) = %v, %q; the run said %v, %q", held, verdict, res.Held, res.Verdict)
			}
			if strings.Contains(res.Verdict, "cannot be evaluated") {
				t.Errorf("the run's metrics lack inputs of the criterion: %s", res.Verdict)
			}
			t.Logf("%s: held=%v in %.1fs: %s", e.Name, res.Held, res.Seconds, res.Verdict)

			res2, err := Run(ctx, e.Name, Options{Quick: true, Out: dirB, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(res2.Files, ",") != strings.Join(res.Files, ",") {
				t.Fatalf("second run wrote %v, first %v", res2.Files, res.Files)
			}
			for _, f := range res.Files {
				if ext := filepath.Ext(f); ext != ".csv" && ext != ".safetensors" {
					continue
				}
				a, errA := os.ReadFile(filepath.Join(dirA, f))
				b, errB := os.ReadFile(filepath.Join(dirB, f))
				if errA != nil || errB != nil {
					t.Fatal(errA, errB)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs between two runs with the same seed", f)
				}
			}
			if res2.Held != res.Held || res2.Verdict != res.Verdict {
				t.Errorf("verdicts differ: %q vs %q", res.Verdict, res2.Verdict)
			}
		})
	}
}

// checkFiles checks the files an experiment reports.
func checkFiles(t *testing.T, dir string, res *Result) {
	t.Helper()
	var csvs, pngs int
	seen := map[string]bool{}
	for _, f := range res.Files {
		seen[f] = true
		path := filepath.Join(dir, f)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".csv":
			csvs++
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if len(rows) < 2 {
				t.Errorf("%s: %d rows, want a header and data", f, len(rows))
			}
		case ".png":
			pngs++
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if r := img.Bounds(); r.Dx() < 300 || r.Dy() < 200 {
				t.Errorf("%s: %v image", f, r)
			}
		case ".safetensors":
			c, err := training.LoadCheckpoint(path)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if len(c.Tensors) == 0 {
				t.Errorf("%s holds no tensors", f)
			}
		case ".md":
			if len(bytes.TrimSpace(b)) == 0 {
				t.Errorf("%s is empty", f)
			}
		default:
			t.Errorf("unexpected file %s", f)
		}
	}
	if csvs == 0 || pngs == 0 || !seen["summary.md"] {
		t.Errorf("files %v: want CSVs, PNGs and summary.md", res.Files)
	}
	// Nothing written that the result does not list.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !seen[e.Name()] {
			t.Errorf("%s written but not listed in the result", e.Name())
		}
	}
}

func TestRegistry(t *testing.T) {
	names := map[string]bool{}
	for _, e := range List() {
		names[e.Name] = true
		if e.Title == "" || e.Claim == "" || e.Paper == "" || e.Run == nil || e.Judge == nil {
			t.Errorf("%s: incomplete registration", e.Name)
		}
		got, err := Lookup(e.Name)
		if err != nil || got.Name != e.Name {
			t.Errorf("Lookup(%q) = %v, %v", e.Name, got.Name, err)
		}
	}
	for _, want := range []string{"l1-vs-l2", "early-stopping"} {
		if !names[want] {
			t.Errorf("%s is not registered", want)
		}
	}
	for _, e := range List() {
		// Without its inputs a judge does not hold the claim, and says why.
		if held, verdict := e.Judge(map[string]float64{}); held || !strings.Contains(verdict, "missing") {
			t.Errorf("%s: Judge(no metrics) = %v, %q", e.Name, held, verdict)
		}
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Lookup(nope): %v, want ErrUnknown", err)
	}
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		exp  string
		opts Options
		want error
	}{
		{"unknown experiment", "nope", Options{Out: t.TempDir()}, ErrUnknown},
		{"no output directory", "l1-vs-l2", Options{}, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(ctx, tt.exp, tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("Run: %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("missing data", func(t *testing.T) {
		_, err := Run(ctx, "l1-vs-l2", Options{Quick: true, Out: t.TempDir(), DataDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "MNIST") {
			t.Errorf("Run with an empty data directory: %v", err)
		}
	})
}
