package main

import (
	"encoding/json"
	"flag"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/models"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		min, max int
		pos      []string
		n        int
		code     int
		done     bool
	}{
		{"flags after", []string{"mlp", "--n", "3"}, 0, 1, []string{"mlp"}, 3, exitOK, false},
		{"flags before", []string{"--n", "3", "mlp"}, 0, 1, []string{"mlp"}, 3, exitOK, false},
		{"between", []string{"a", "--n=4", "b", "c"}, 1, -1, []string{"a", "b", "c"}, 4, exitOK, false},
		{"dash dash", []string{"a", "--", "--n", "5"}, 0, -1, []string{"a", "--n", "5"}, 0, exitOK, false},
		{"none", nil, 0, 1, nil, 0, exitOK, false},
		{"too few", []string{"--n", "1"}, 1, 1, nil, 0, exitUsage, true},
		{"too many", []string{"a", "b"}, 1, 1, nil, 0, exitUsage, true},
		{"bad flag", []string{"a", "--m"}, 0, 1, nil, 0, exitUsage, true},
		{"help", []string{"a", "-h"}, 0, 1, nil, 0, exitOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			n := fs.Int("n", 0, "")
			pos, code, done := parseArgs(fs, tt.args, tt.min, tt.max, "things")
			if code != tt.code || done != tt.done || !slices.Equal(pos, tt.pos) || (!done && *n != tt.n) {
				t.Fatalf("pos %q n %d code %d done %v; want %q %d %d %v", pos, *n, code, done, tt.pos, tt.n, tt.code, tt.done)
			}
		})
	}
}

func TestNumberJSON(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0.5, "0.5"}, {1e-5, "0.00001"}, {1e-7, "1e-7"}, {46.5, "46.5"}, {math.NaN(), "null"}, {math.Inf(1), "null"}, {math.Inf(-1), "null"}} {
		var b strings.Builder
		must(t, writeJSON(&b, []number{number(c.v)}))
		if got := strings.Join(strings.Fields(b.String()), ""); got != "["+c.want+"]" {
			t.Errorf("%v: %s, want [%s]", c.v, got, c.want)
		}
	}
}

func TestTrainResolve(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(r models.Recipe) bool
	}{
		{"recipe", nil, func(r models.Recipe) bool {
			return r.Model == "mlp" && r.Optimizer == "sgd" && r.LR == 0.05 && r.Momentum == 0.9 && r.BatchSize == 128 && r.Epochs == 12 &&
				r.Patience == 0 && r.Monitor == "val_loss" && r.Schedule == "cosine" && r.ValFrac == 0.1 && r.Seed == 1 && !r.KeepLast
		}},
		{"another model's recipe", []string{"lenet5", "--epochs", "2"}, func(r models.Recipe) bool {
			return r.Model == "lenet5" && r.Epochs == 2 && r.Schedule == "cosine" && r.LR == 0.05
		}},
		{"flags before the model bind to its recipe", []string{"--hidden-dropout", "0.3", "mlp-dropout"}, func(r models.Recipe) bool {
			return r.Model == "mlp-dropout" && r.Config.HiddenDropout == 0.3 && r.Config.MaxNorm == 3 && r.Epochs == 60
		}},
		{"another optimizer drops the recipe's lr and momentum", []string{"--optimizer", "adam"}, func(r models.Recipe) bool {
			return r.Optimizer == "adam" && r.LR == 0.001 && r.Momentum == 0
		}},
		{"same optimizer keeps them", []string{"--optimizer", "sgd"}, func(r models.Recipe) bool { return r.LR == 0.05 && r.Momentum == 0.9 }},
		{"explicit lr wins", []string{"--lr", "0.3", "--optimizer", "adamw"}, func(r models.Recipe) bool { return r.Optimizer == "adamw" && r.LR == 0.3 }},
		{"patience 0 turns early stopping off", []string{"--patience", "0"}, func(r models.Recipe) bool { return r.Patience == 0 }},
		{"plateau", []string{"--schedule", "plateau", "--plateau-patience", "4"}, func(r models.Recipe) bool {
			return r.Schedule == "plateau" && r.PlateauPatience == 4
		}},
		{"restore-best=false keeps the last epoch", []string{"--restore-best=false"}, func(r models.Recipe) bool { return r.KeepLast }},
		{"prox-l1 is a model regularizer", []string{"--prox-l1", "1e-4"}, func(r models.Recipe) bool { return r.Config.ProxL1 == 1e-4 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, code, done := parseTrain(tt.args, io.Discard)
			if done {
				t.Fatalf("parse: code %d", code)
			}
			if !tt.check(r) {
				t.Fatalf("recipe %+v", r)
			}
			cfg, err := r.TrainingConfig()
			must(t, err)
			if (cfg.EarlyStopping != nil) != (r.Patience > 0) || (cfg.Plateau != nil) != (r.Schedule == "plateau") {
				t.Fatalf("config %+v", cfg)
			}
		})
	}
}

func TestCompactArrays(t *testing.T) {
	v := map[string]any{
		"shape": []int{1, 784}, "empty": []int{}, "mixed": []any{1, "a,\n b"}, "nested": [][]float64{{1.5, -2e-07}, {3}},
		"flags": []any{true, nil, false}, "s": "[\n1\n]",
	}
	var b strings.Builder
	must(t, writeJSON(&b, v))
	want := `{
  "empty": [],
  "flags": [true, null, false],
  "mixed": [
    1,
    "a,\n b"
  ],
  "nested": [
    [1.5, -2e-7],
    [3]
  ],
  "s": "[\n1\n]",
  "shape": [1, 784]
}
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	var back map[string]any
	must(t, json.Unmarshal([]byte(b.String()), &back))
}
