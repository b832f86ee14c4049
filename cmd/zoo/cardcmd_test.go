package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/zoo/card"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/pretrained"
)

// TestByName runs the commands that read a trained model with a registry
// name of shipped weights, on the testdata subset.
func TestByName(t *testing.T) {
	name := pretrained.Names()[0]
	man, err := pretrained.ManifestOf(name)
	must(t, err)
	dir := t.TempDir()

	code, stdout, stderr := runZoo(t, "eval", name, "--data", subsetDir)
	if code != exitOK {
		t.Fatalf("eval %s: exit %d\n%s", name, code, stderr)
	}
	var ev evalReport
	decodeStrict(t, stdout, &ev)
	if ev.Checkpoint != "pretrained:"+name || ev.Model != name || ev.N != 200 {
		t.Errorf("eval: checkpoint %q model %q n %d", ev.Checkpoint, ev.Model, ev.N)
	}

	onnxFile := filepath.Join(dir, name+".onnx")
	if code, _, stderr := runZoo(t, "export", name, "-o", onnxFile); code != exitOK {
		t.Errorf("export %s: exit %d\n%s", name, code, stderr)
	} else if _, err := os.Stat(onnxFile); err != nil {
		t.Errorf("export %s: %v", name, err)
	}

	code, stdout, stderr = runZoo(t, "sparsity", name)
	if code != exitOK || !strings.Contains(stdout, `"checkpoint": "pretrained:`+name+`"`) {
		t.Errorf("sparsity %s: exit %d\n%s", name, code, stderr)
	}

	code, stdout, stderr = runZoo(t, "list")
	var l listReport
	decodeStrict(t, stdout, &l)
	shipped := 0
	for _, e := range l.Models {
		if e.Shipped != nil {
			shipped++
			if !pretrained.Has(e.Name) {
				t.Errorf("list: %s shipped?", e.Name)
			}
		}
		if e.Name == name && (e.Shipped == nil || e.Shipped.SHA256 != man.SHA256) {
			t.Errorf("list: %s: %+v", name, e.Shipped)
		}
	}
	if code != exitOK || shipped != len(pretrained.Names()) {
		t.Errorf("list: exit %d, %d shipped, want %d\n%s", code, shipped, len(pretrained.Names()), stderr)
	}

	md := filepath.Join(dir, "cards", name+".md")
	code, stdout, stderr = runZoo(t, "card", name, "--data", subsetDir, "--md", md)
	if code != exitOK {
		t.Fatalf("card %s: exit %d\n%s", name, code, stderr)
	}
	var cd card.Card
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	must(t, dec.Decode(&cd))
	if cd.Model != name || cd.Test.N != 200 || cd.Weights.SHA256 != man.SHA256 || cd.Training.Command != man.Command || cd.Architecture.Parameters != man.Parameters {
		t.Errorf("card: %+v", cd)
	}
	b, err := os.ReadFile(md)
	must(t, err)
	if !strings.Contains(string(b), "# Model card: `"+name+"`") || !strings.Contains(string(b), "("+name+"-reliability.png)") {
		t.Errorf("card markdown:\n%s", b)
	}
	f, err := os.Open(filepath.Join(dir, "cards", name+"-reliability.png"))
	must(t, err)
	defer f.Close()
	if _, err := png.DecodeConfig(f); err != nil {
		t.Errorf("reliability diagram: %v", err)
	}
	code, stdout, _ = runZoo(t, "card", name, "--data", subsetDir, "--markdown")
	if code != exitOK || !strings.HasPrefix(stdout, "# Model card: `"+name+"`") {
		t.Errorf("card --markdown: exit %d\n%s", code, stdout)
	}

	for _, e := range models.List() {
		if !pretrained.Has(e.Name) {
			code, _, stderr := runZoo(t, "eval", e.Name, "--data", subsetDir)
			if code != exitFailure || !strings.Contains(stderr, "no shipped weights") || !strings.Contains(stderr, "zoo train "+e.Name) {
				t.Errorf("eval %s (not shipped): exit %d\n%s", e.Name, code, stderr)
			}
			break
		}
	}
}
