package models

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/training"
)

// TestScalarsMatchesBuild checks the closed-form count of Scalars against
// the values a built model's store actually holds, for every entry and for
// MLPs with each normalisation.
func TestScalarsMatchesBuild(t *testing.T) {
	type tc struct {
		e   Entry
		cfg Config
	}
	var cases []tc
	for _, e := range List() {
		cases = append(cases, tc{e, e.Recipe.Config})
	}
	mlpEntry, _ := Lookup("mlp")
	for _, norm := range []string{"", "batch", "group", "layer", "instance"} {
		cases = append(cases, tc{mlpEntry, Config{Hidden: []int{24, 16, 8}, Norm: norm}})
	}
	for _, c := range cases {
		got, err := c.e.Scalars(c.cfg)
		if err != nil {
			t.Fatalf("%s %+v: %v", c.e.Name, c.cfg, err)
		}
		m, err := c.e.Build(c.cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, v := range m.Store().Vars() {
			want += v.Value().Shape().TotalSize()
		}
		if got != want {
			t.Errorf("%s %+v: Scalars %d, the built store holds %d", c.e.Name, c.cfg, got, want)
		}
	}
}

// TestValidateBoundsSizes: sizes beyond the limits are refused by Validate,
// hence by Build and Scalars, before anything is allocated (a 100000-wide
// layer would otherwise allocate 10^10 weights).
func TestValidateBoundsSizes(t *testing.T) {
	mlpEntry, _ := Lookup("mlp")
	tests := []struct {
		hidden []int
		want   string
	}{
		{[]int{100000, 100000}, "exceeds the limit of 65536"},
		{[]int{1_000_000_000}, "exceeds the limit"},
		{[]int{65536, 65536}, "weights, the limit is 134217728"}, // 784·65536 + 65536² + 655360 > 2^27
		{make([]int, MaxHiddenLayers+1), "hidden layers, the limit is 64"},
		{[]int{0}, "must be positive"},
	}
	for _, tt := range tests {
		cfg := Config{Hidden: tt.hidden}
		for name, err := range map[string]error{"Validate": cfg.Validate(), "Build": buildErr(mlpEntry, cfg), "Scalars": scalarsErr(mlpEntry, cfg)} {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s(hidden %v) = %v, want an error containing %q", name, shortHidden(tt.hidden), err, tt.want)
			}
		}
	}
	// The largest layer allowed by width alone, 784·w + 10·w ≤ 2^27: fine.
	if err := (Config{Hidden: []int{MaxHidden}}).Validate(); err != nil {
		t.Errorf("one hidden layer of %d: %v", MaxHidden, err)
	}
}

func buildErr(e Entry, cfg Config) error   { _, err := e.Build(cfg, 0); return err }
func scalarsErr(e Entry, cfg Config) error { _, err := e.Scalars(cfg); return err }

func shortHidden(h []int) []int {
	if len(h) > 4 {
		return h[:4]
	}
	return h
}

func TestValidateSuggests(t *testing.T) {
	err := Config{Norm: "btach"}.Validate()
	if err == nil || !strings.Contains(err.Error(), `did you mean "batch"`) || !strings.Contains(err.Error(), "empty for none") {
		t.Errorf("norm btach: %v", err)
	}
	err = Config{Activation: "rleu"}.Validate()
	if err == nil || !strings.Contains(err.Error(), `did you mean "relu"`) {
		t.Errorf("activation rleu: %v", err)
	}
}

// TestLoadBoundsConfigByTensors: a checkpoint whose metadata claims a
// model far larger than the tensors it holds is refused before the model
// is built (hidden [60000] passes Validate, and would allocate 190 MB).
func TestLoadBoundsConfigByTensors(t *testing.T) {
	e, _ := Lookup("mlp")
	m, err := e.Build(Config{Hidden: []int{8}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, m, nil, SaveInfo{}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Load(path); err != nil {
		t.Fatalf("the honest file: %v", err)
	}
	c, err := training.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	c.ModelConfig = json.RawMessage(`{"hidden":[60000]}`)
	if err := training.SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	// 784·8 + 8 + 8·10 + 10 = 6370 values in the file.
	_, _, _, err = Load(path)
	if !errors.Is(err, training.ErrIncompatibleCheckpoint) || !strings.Contains(err.Error(), "makes a mlp of 47700010 values, the file holds 6370") || !strings.Contains(err.Error(), path) {
		t.Fatalf("forged configuration: %v", err)
	}
	c.ModelConfig = json.RawMessage(`{"hidden":[100000,100000]}`)
	if err := training.SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err = Load(path); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 65536") {
		t.Fatalf("configuration beyond the limits: %v", err)
	}
}
