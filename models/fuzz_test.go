package models

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gozoo/zoo/training"
)

// FuzzModelConfig feeds arbitrary JSON to the path a checkpoint's model
// configuration takes (strict decoding, Validate, Scalars, Build) for every
// registry entry. Nothing may panic; Scalars and Build must agree on
// whether the configuration is valid, and on the number of values for the
// configurations small enough to build here (larger ones are bounded by
// Validate before anything is allocated).
func FuzzModelConfig(f *testing.F) {
	for _, s := range []string{
		`{"hidden":[800,800]}`, `{"hidden":[100000,100000]}`, `{"hidden":[1000000000]}`,
		`{"hidden":[16],"norm":"batch","dtype":"float64"}`, `{"hidden":[8,8],"norm":"group","groups":3}`,
		`{"hidden":[-1]}`, `{"hidden":[]}`, `{"input_dropout":1}`, `{"l2":-1}`, `{"norm":"btach"}`, `{}`, `{"bogus":1}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var cfg Config
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.DisallowUnknownFields()
		if dec.Decode(&cfg) != nil {
			return
		}
		for _, e := range List() {
			n, err := e.Scalars(cfg)
			if err != nil {
				if _, berr := e.Build(cfg, 0); berr == nil {
					t.Fatalf("%s %+v: Scalars failed (%v) but Build succeeded", e.Name, cfg, err)
				}
				continue
			}
			if n > 1<<20 {
				continue // valid, but too large to build on every fuzz input
			}
			m, err := e.Build(cfg, 0)
			if err != nil {
				t.Fatalf("%s %+v: Scalars %d but Build failed: %v", e.Name, cfg, n, err)
			}
			have := 0
			for _, v := range m.Store().Vars() {
				have += v.Value().Shape().TotalSize()
			}
			if have != n {
				t.Fatalf("%s %+v: Scalars %d, built %d", e.Name, cfg, n, have)
			}
		}
	})
}

// FuzzLoad writes a small mlp's tensors under arbitrary checkpoint
// metadata (model name and configuration) and loads the file: Load must not
// panic, must never build a model larger than the file's tensors (so each
// input costs at most the file's size), and whatever it accepts must have
// exactly the file's tensors.
func FuzzLoad(f *testing.F) {
	e, _ := Lookup("mlp")
	m, err := e.Build(Config{Hidden: []int{8}}, 1)
	if err != nil {
		f.Fatal(err)
	}
	src := filepath.Join(f.TempDir(), "m.safetensors")
	if err := Save(src, m, nil, SaveInfo{}); err != nil {
		f.Fatal(err)
	}
	base, err := training.LoadCheckpoint(src)
	if err != nil {
		f.Fatal(err)
	}
	have := modelScalars(base)
	for _, s := range [][2]string{
		{"mlp", `{"hidden":[8]}`}, {"mlp", `{"hidden":[60000]}`}, {"mlp", `{"hidden":[100000,100000]}`},
		{"mlp-bn", `{"hidden":[8],"norm":"batch"}`}, {"lenet5", `{}`}, {"mlp", `{"hidden":[8],"dtype":"float64"}`},
		{"mlp", `{"hidden":[4,2]}`}, {"resnet", `{}`}, {"mlp", `not json`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, config string) {
		c := *base
		c.ModelName, c.ModelConfig = name, json.RawMessage(config)
		p := filepath.Join(t.TempDir(), "f.safetensors")
		if err := training.SaveCheckpoint(p, &c); err != nil {
			return // metadata the writer refuses (invalid JSON)
		}
		lm, _, _, err := Load(p)
		if err != nil {
			return
		}
		n := 0
		for _, v := range lm.Store().Vars() {
			n += v.Value().Shape().TotalSize()
		}
		if n != have {
			t.Fatalf("%s %s: loaded a model of %d values from a file of %d", name, config, n, have)
		}
	})
}
