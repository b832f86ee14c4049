package models

import (
	"bytes"
	"encoding/json"
	"testing"
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
