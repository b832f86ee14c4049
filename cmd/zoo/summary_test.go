package main

import (
	"slices"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	type row struct {
		layer, kind string
		shape       []int
		params      int
		buffers     int
	}
	tests := []struct {
		model   string
		args    []string
		input   []int
		rows    []row
		buffers int
	}{
		{"mlp", nil, []int{1, 784}, []row{
			{"fc1", "Linear", []int{1, 800}, 784*800 + 800, 0},
			{"act1", "ReLU", []int{1, 800}, 0, 0},
			{"fc2", "Linear", []int{1, 800}, 800*800 + 800, 0},
			{"act2", "ReLU", []int{1, 800}, 0, 0},
			{"fc3", "Linear", []int{1, 10}, 800*10 + 10, 0},
		}, 0},
		{"mlp-bn", []string{"--hidden", "50", "--input-dropout", "0.2"}, []int{1, 784}, []row{
			{"drop0", "Dropout", []int{1, 784}, 0, 0},
			{"fc1", "Linear", []int{1, 50}, 784 * 50, 0},
			{"norm1", "BatchNorm", []int{1, 50}, 2 * 50, 2 * 50},
			{"act1", "Sigmoid", []int{1, 50}, 0, 0},
			{"fc2", "Linear", []int{1, 10}, 50*10 + 10, 0},
		}, 100},
		// Conv output side (in + 2·pad − k) + 1, pooling halves it.
		{"lenet5", nil, []int{1, 1, 28, 28}, []row{
			{"conv1", "Conv2D", []int{1, 6, 28, 28}, 6*25 + 6, 0},
			{"cact1", "ReLU", []int{1, 6, 28, 28}, 0, 0},
			{"pool1", "Pool2D", []int{1, 6, 14, 14}, 0, 0},
			{"conv2", "Conv2D", []int{1, 16, 10, 10}, 16*6*25 + 16, 0},
			{"cact2", "ReLU", []int{1, 16, 10, 10}, 0, 0},
			{"pool2", "Pool2D", []int{1, 16, 5, 5}, 0, 0},
			{"flatten", "Flatten", []int{1, 400}, 0, 0},
			{"fc1", "Linear", []int{1, 120}, 400*120 + 120, 0},
			{"act1", "ReLU", []int{1, 120}, 0, 0},
			{"fc2", "Linear", []int{1, 84}, 120*84 + 84, 0},
			{"act2", "ReLU", []int{1, 84}, 0, 0},
			{"fc3", "Linear", []int{1, 10}, 84*10 + 10, 0},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, append([]string{"summary", tt.model}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var r summaryReport
			decodeStrict(t, stdout, &r)
			if r.Model != tt.model || !slices.Equal(r.InputShape, tt.input) || r.Dtype != "float32" || len(r.Layers) != len(tt.rows) {
				t.Fatalf("model %s input %v dtype %s, %d layers", r.Model, r.InputShape, r.Dtype, len(r.Layers))
			}
			total := 0
			for i, l := range r.Layers {
				w := tt.rows[i]
				if l.Layer != w.layer || l.Kind != w.kind || !slices.Equal(l.OutputShape, w.shape) || l.Params != w.params || l.Buffers != w.buffers {
					t.Errorf("row %d: %+v, want %+v", i, l, w)
				}
				total += l.Params
			}
			if r.TotalParams != total || r.TotalBuffers != tt.buffers || r.Bytes != 4*(total+tt.buffers) {
				t.Errorf("totals %d params %d buffers %d bytes; rows add up to %d", r.TotalParams, r.TotalBuffers, r.Bytes, total)
			}
		})
	}
	t.Run("float64", func(t *testing.T) {
		_, stdout, _ := runZoo(t, "summary", "mlp", "--dtype", "float64")
		var r summaryReport
		decodeStrict(t, stdout, &r)
		if r.Dtype != "float64" || r.Bytes != 8*r.TotalParams {
			t.Fatalf("dtype %s bytes %d params %d", r.Dtype, r.Bytes, r.TotalParams)
		}
	})
	t.Run("table", func(t *testing.T) {
		e := mustLookup(t, "lenet5")
		m, err := e.Build(e.Recipe.Config, 0)
		must(t, err)
		r, err := summarize(m)
		must(t, err)
		var b strings.Builder
		printSummaryTable(&b, r)
		for _, s := range []string{"conv1", "Conv2D", "[1 6 28 28]", "156", "total: 61706 parameters"} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("table lacks %q:\n%s", s, b.String())
			}
		}
	})
}

func TestSummaryErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no model", nil, "missing model name"},
		{"unknown model", []string{"vgg"}, `"vgg"`},
		{"two models", []string{"mlp", "mlp"}, "unexpected argument"},
		{"bad norm", []string{"mlp", "--norm", "batchy"}, "batchy"},
		{"unknown flag", []string{"mlp", "--lrate", "0.1"}, "unknown flag --lrate"},
		{"groups", []string{"mlp", "--norm", "group", "--groups", "3"}, "3 groups must divide 800 channels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, append([]string{"summary"}, tt.args...)...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
			}
		})
	}
}
