package graph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/tensor"
)

// goldenDir is where tools/golden/make_golden.py writes the PyTorch fixtures,
// relative to this package's directory (the working directory of go test).
const goldenDir = "../testdata/golden"

// loadGolden reads testdata/golden/<group>/<case>/<name>.npy, a float64 array
// written by tools/golden/make_golden.py, and fails the test if it is missing.
func loadGolden(t testing.TB, group, name, array string) *tensor.Dense {
	t.Helper()
	path := filepath.Join(goldenDir, group, name, array+".npy")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden fixture: %v", err)
	}
	defer f.Close()
	d := new(tensor.Dense)
	if err := d.ReadNpy(f); err != nil {
		t.Fatalf("golden fixture %s: %v", path, err)
	}
	return d
}

// loadMeta reads testdata/golden/<group>/<case>/meta.json.
func loadMeta(t testing.TB, group, name string) map[string]any {
	t.Helper()
	path := filepath.Join(goldenDir, group, name, "meta.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden meta: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("golden meta %s: %v", path, err)
	}
	return m
}
