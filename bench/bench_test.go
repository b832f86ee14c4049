package main

import (
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"one", []float64{7}, 7},
		{"nan ignored", []float64{math.NaN(), 5, 1, 3}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := median(tc.in); got != tc.want {
				t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestParseInts(t *testing.T) {
	got, err := parseInts("1, 2,4")
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 4 {
		t.Fatalf("parseInts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "1,x", "-2"} {
		if _, err := parseInts(bad); err == nil {
			t.Errorf("parseInts(%q): no error", bad)
		}
	}
}

func TestFlags(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		st, child, err := parseFlags(nil, io.Discard)
		if err != nil || child != nil {
			t.Fatal(err, child)
		}
		if st.reps != 3 || len(st.threads) != 2 || strings.Join(st.models, ",") != defaultModels || st.base.MinSeconds != 3 {
			t.Errorf("defaults: %+v", st)
		}
	})
	t.Run("quick keeps explicit flags", func(t *testing.T) {
		st, _, err := parseFlags([]string{"-quick", "-reps", "2"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if st.reps != 2 || st.base.MaxSteps != 2 || len(st.threads) != 1 || st.openblas != "none" || st.base.MinSeconds != 0 {
			t.Errorf("quick: %+v", st)
		}
	})
	t.Run("child", func(t *testing.T) {
		_, child, err := parseFlags([]string{"-child", `{"impl":"zoo","model":"mlp","threads":2}`}, io.Discard)
		if err != nil || child == nil || child.Model != "mlp" || child.Threads != 2 {
			t.Fatal(child, err)
		}
	})
	for _, bad := range [][]string{{"-models", "resnet"}, {"-reps", "0"}, {"-warmup", "0"}, {"-min-steps", "5", "-max-steps", "4"}, {"extra"}} {
		if _, _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): no error", bad)
		}
	}
}

func TestSummariseAndMarkdown(t *testing.T) {
	runs := []result{
		{Variant: variantZoo, Model: "mlp", Threads: 1, Rep: 0, TrainSPS: 100, EvalSPS: 1000, PeakRSSMiB: 300, AllocBytesPerStep: 2 << 20},
		{Variant: variantZoo, Model: "mlp", Threads: 1, Rep: 1, TrainSPS: 300, EvalSPS: 3000, PeakRSSMiB: 310, AllocBytesPerStep: 4 << 20},
		{Variant: variantZoo, Model: "mlp", Threads: 1, Rep: 2, TrainSPS: 200, EvalSPS: 2000, PeakRSSMiB: 320, AllocBytesPerStep: 3 << 20},
		{Variant: variantTorch, Model: "mlp", Threads: 1, Rep: 0, TrainSPS: 400, EvalSPS: 500, PeakRSSMiB: 400},
		{Variant: variantTorch, Model: "mlp", Threads: 1, Rep: 1, Error: "boom", TrainSPS: 1},
	}
	rows := summarise(runs, []string{"mlp"}, []int{1}, []string{variantZoo, variantTorch})
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	if r.TrainSPS[variantZoo] != 200 || r.EvalSPS[variantZoo] != 2000 || r.PeakRSSMiB[variantZoo] != 310 || r.AllocMBPerStep != 3 {
		t.Errorf("zoo medians: %+v", r)
	}
	if r.TrainSPS[variantTorch] != 400 || r.Reps[variantTorch] != 1 {
		t.Errorf("torch medians (the failed run must not count): %+v", r)
	}
	rep := &report{Settings: spec{Batch: 128, EvalBatch: 1000, Momentum: 0.9}, Reps: 3,
		Variants: []string{variantZoo, variantTorch}, Summary: rows, Runs: runs,
		Machine: machine{CPU: "Test CPU", LogicalCPU: 2, Date: time.Unix(0, 0).UTC().Format(time.RFC3339)}}
	var sb strings.Builder
	rep.markdown(&sb)
	md := sb.String()
	for _, want := range []string{"| mlp | 1 | 200 | 400 | 0.50 |", "| mlp | 1 | 2000 | 500 | 4.00 |", "| mlp | 1 | 310 | 400 | 0.78 |", "boom", "Test CPU"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestRotate(t *testing.T) {
	vs := []string{"a", "b", "c"}
	if got := strings.Join(rotate(vs, 1), ""); got != "bca" {
		t.Errorf("rotate = %s", got)
	}
	if got := strings.Join(rotate(vs, 3), ""); got != "abc" {
		t.Errorf("rotate = %s", got)
	}
}

func TestWithEnv(t *testing.T) {
	env := withEnv([]string{"A=1", "GOMAXPROCS=8", "B=2"}, "GOMAXPROCS", "1")
	if strings.Join(env, " ") != "A=1 B=2 GOMAXPROCS=1" {
		t.Errorf("withEnv = %v", env)
	}
}

// TestTorchEnv: only the torch+openblas child loses OpenBLAS's tuning
// variables; the pinned one keeps them; both get the library directory.
func TestTorchEnv(t *testing.T) {
	t.Setenv("OPENBLAS_CORETYPE", "Haswell")
	t.Setenv("OPENBLAS_L2_SIZE", "512")
	t.Setenv("LD_LIBRARY_PATH", "")
	has := func(env []string, kv string) bool { return slices.Contains(env, kv) }
	auto := torchEnv(variantOpenBLAS, 2, "/ob")
	if has(auto, "OPENBLAS_CORETYPE=Haswell") || has(auto, "OPENBLAS_L2_SIZE=512") || !has(auto, "LD_LIBRARY_PATH=/ob") || !has(auto, "OPENBLAS_NUM_THREADS=2") {
		t.Errorf("torch+openblas env: %v", auto)
	}
	pinned := torchEnv(variantPinned, 1, "/ob")
	if !has(pinned, "OPENBLAS_CORETYPE=Haswell") || !has(pinned, "OPENBLAS_L2_SIZE=512") || !has(pinned, "LD_LIBRARY_PATH=/ob") {
		t.Errorf("pinned env: %v", pinned)
	}
	if os.Getenv("OPENBLAS_CORETYPE") != "Haswell" {
		t.Error("the bench's own environment changed")
	}
}

// TestFastest: the headline column takes the fastest PyTorch variant of
// each row.
func TestFastest(t *testing.T) {
	runs := []result{
		{Variant: variantZoo, Model: "mlp", Threads: 1, TrainSPS: 300, EvalSPS: 900},
		{Variant: variantOpenBLAS, Model: "mlp", Threads: 1, TrainSPS: 200, EvalSPS: 1000},
		{Variant: variantPinned, Model: "mlp", Threads: 1, TrainSPS: 150, EvalSPS: 1200},
	}
	vs := []string{variantZoo, variantOpenBLAS, variantPinned}
	rep := &report{Settings: spec{Batch: 128, EvalBatch: 1000}, Reps: 1, Variants: vs,
		Summary: summarise(runs, []string{"mlp"}, []int{1}, vs), Runs: runs}
	var sb strings.Builder
	rep.markdown(&sb)
	for _, want := range []string{"| mlp | 1 | 300 | torch+openblas | **1.50** | 200 | 1.50 | 150 | 2.00 |",
		"| mlp | 1 | 900 | torch+openblas-pinned | **0.75** | 1000 | 0.90 | 1200 | 0.75 |"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, sb.String())
		}
	}
}

func TestLastJSONLine(t *testing.T) {
	got := string(lastJSONLine([]byte("warning: x\n{\"a\":1}\n{\"b\":2}\ntrailer\n")))
	if got != `{"b":2}` {
		t.Errorf("lastJSONLine = %q", got)
	}
}

func TestBenchModelsBuild(t *testing.T) {
	for _, bm := range benchModels {
		t.Run(bm.Name, func(t *testing.T) {
			m, err := buildZooModel(bm.Name, 1)
			if err != nil {
				t.Fatal(err)
			}
			if bm.Name == "mlp+dropout" {
				c := m.Config()
				if c.InputDropout != 0.2 || c.HiddenDropout != 0.5 || len(c.Hidden) != 2 || c.Hidden[0] != 800 {
					t.Errorf("mlp+dropout config %+v", c)
				}
			}
		})
	}
	if _, err := buildZooModel("nope", 1); err == nil {
		t.Error("unknown model: no error")
	}
}
