package main

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/zoo/datasets"
)

// writePNG encodes img to path.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	must(t, png.Encode(f, img))
	must(t, f.Close())
}

// digitImages returns test image i of the testdata subset as 8-bit gray,
// 16-bit gray, RGBA and inverted 8-bit gray images.
func digitImages(ds *datasets.Dataset, i int) (gray, gray16, rgba, inverted image.Image) {
	g := image.NewGray(image.Rect(0, 0, 28, 28))
	g16 := image.NewGray16(g.Rect)
	c := image.NewRGBA(g.Rect)
	inv := image.NewGray(g.Rect)
	for p, v := range ds.Row(i) {
		b := uint8(v*255 + 0.5)
		x, y := p%28, p/28
		g.SetGray(x, y, color.Gray{Y: b})
		g16.SetGray16(x, y, color.Gray16{Y: uint16(b) * 257})
		c.SetRGBA(x, y, color.RGBA{R: b, G: b, B: b, A: 255})
		inv.SetGray(x, y, color.Gray{Y: 255 - b})
	}
	return g, g16, c, inv
}

// TestPredictMatchesEval writes test images as PNGs in several color
// models and checks that zoo predict gives the digits and probabilities zoo
// eval computes for the same images.
func TestPredictMatchesEval(t *testing.T) {
	tr := trainFixture(t)
	dir := t.TempDir()
	pred := filepath.Join(dir, "pred.json")
	runEvalOK(t, tr.Checkpoint, "--predictions", pred)
	var want predictionsFile
	b, err := os.ReadFile(pred)
	must(t, err)
	must(t, json.Unmarshal(b, &want))

	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: subsetDir})
	must(t, err)
	const n = 8
	kinds := []string{"gray", "gray16", "rgba", "inverted"}
	files := map[string][]string{}
	for i := 0; i < n; i++ {
		imgs := [4]image.Image{}
		imgs[0], imgs[1], imgs[2], imgs[3] = digitImages(m.Test, i)
		for k, kind := range kinds {
			p := filepath.Join(dir, kind+"-"+string(rune('0'+i))+".png")
			writePNG(t, p, imgs[k])
			files[kind] = append(files[kind], p)
		}
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			args := append([]string{"predict", tr.Checkpoint}, files[kind]...)
			if kind == "inverted" {
				args = append(args, "--invert")
			}
			code, stdout, stderr := runZoo(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			var r predictReport
			decodeStrict(t, stdout, &r)
			if r.Model != "mlp" || r.Checkpoint != tr.Checkpoint || len(r.Predictions) != n {
				t.Fatalf("model %s checkpoint %s, %d predictions", r.Model, r.Checkpoint, len(r.Predictions))
			}
			for i, p := range r.Predictions {
				if p.File != files[kind][i] || p.Digit != want.Predictions[i] || len(p.Probabilities) != 10 {
					t.Fatalf("%s: digit %d, eval predicted %d", p.File, p.Digit, want.Predictions[i])
				}
				for d, v := range p.Probabilities {
					if float64(v) != want.Probabilities[i][d] {
						t.Fatalf("%s: p(%d) = %v, eval %v", p.File, d, v, want.Probabilities[i][d])
					}
				}
			}
		})
	}
}

func TestPredictErrors(t *testing.T) {
	tr := trainFixture(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	writePNG(t, good, image.NewGray(image.Rect(0, 0, 28, 28)))
	big := filepath.Join(dir, "big.png")
	writePNG(t, big, image.NewGray(image.Rect(0, 0, 32, 28)))
	text := filepath.Join(dir, "text.png")
	must(t, os.WriteFile(text, []byte("not a png"), 0o644))
	truncated := filepath.Join(dir, "truncated.png")
	b, err := os.ReadFile(good)
	must(t, err)
	must(t, os.WriteFile(truncated, b[:len(b)-10], 0o644))
	jpeg := filepath.Join(dir, "jpeg.png")
	must(t, os.WriteFile(jpeg, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), 0o644))
	missing := filepath.Join(dir, "missing.png")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no args", nil, exitUsage, []string{"missing checkpoint and at least one PNG file"}},
		{"no image", []string{tr.Checkpoint}, exitUsage, []string{"missing checkpoint and at least one PNG file"}},
		{"unknown flag", []string{"--resize", tr.Checkpoint, good}, exitUsage, []string{"unknown flag --", "-h' for usage"}},
		{"size", []string{tr.Checkpoint, good, big}, exitFailure, []string{big, "32×28", "want 28×28"}},
		{"text", []string{tr.Checkpoint, text}, exitFailure, []string{text, "not a valid PNG"}},
		{"truncated", []string{tr.Checkpoint, truncated}, exitFailure, []string{truncated, "not a valid PNG"}},
		{"jpeg", []string{tr.Checkpoint, jpeg}, exitFailure, []string{jpeg, "not a valid PNG"}},
		{"missing image", []string{tr.Checkpoint, missing}, exitFailure, []string{missing}},
		{"missing checkpoint", []string{filepath.Join(dir, "none.safetensors"), good}, exitFailure, []string{"none.safetensors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runZoo(t, append([]string{"predict"}, tt.args...)...)
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
}

// TestGrayLevels checks the pixel conversion against the MNIST loader's
// float32(b)/255 and the luminance weights of color.Gray16Model.
func TestGrayLevels(t *testing.T) {
	for b := 0; b < 256; b++ {
		if got, want := unit(uint16(b)*257), float32(b)/255; got != want {
			t.Fatalf("8-bit %d: %v, want %v", b, got, want)
		}
	}
	if got := unit(1); got != float32(1.0/65535) {
		t.Errorf("16-bit 1: %v", got)
	}
	// Pure red has luminance 0.299 (Gray16Model: (19595·R + 38470·G + 7471·B) >> 16).
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	if got := unit(gray16(img, 0, 0)); got < 0.2989 || got > 0.2991 {
		t.Errorf("red: %v, want 0.299", got)
	}
	// Transparent pixels are black (alpha-premultiplied).
	img.Set(0, 0, color.RGBA{})
	if got := gray16(img, 0, 0); got != 0 {
		t.Errorf("transparent: %v", got)
	}
}
