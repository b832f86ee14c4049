package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
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
// models and checks that zoo predict --raw gives the digits and
// probabilities zoo eval computes for the same images.
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
			args := append([]string{"predict", "--raw", tr.Checkpoint}, files[kind]...)
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
	huge := filepath.Join(dir, "huge.png")
	must(t, os.WriteFile(huge, hugePNGHeader(), 0o644))
	missing := filepath.Join(dir, "missing.png")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no args", nil, exitUsage, []string{"missing model (or checkpoint) and at least one picture"}},
		{"no image", []string{tr.Checkpoint}, exitUsage, []string{"missing model (or checkpoint) and at least one picture"}},
		{"unknown flag", []string{"--resize", tr.Checkpoint, good}, exitUsage, []string{"unknown flag --", "-h' for usage"}},
		{"bad polarity", []string{"--polarity", "up", tr.Checkpoint, good}, exitUsage, []string{"--polarity"}},
		{"polarity with raw", []string{"--raw", "--polarity", "dark-on-light", tr.Checkpoint, good}, exitUsage, []string{"--invert"}},
		{"raw size", []string{"--raw", tr.Checkpoint, good, big}, exitFailure, []string{big, "32×28", "want 28×28"}},
		{"blank", []string{tr.Checkpoint, good}, exitFailure, []string{good, "no ink"}},
		{"text", []string{tr.Checkpoint, text}, exitFailure, []string{text, "not a PNG or JPEG"}},
		{"truncated", []string{tr.Checkpoint, truncated}, exitFailure, []string{truncated, "corrupt"}},
		{"jpeg", []string{tr.Checkpoint, jpeg}, exitFailure, []string{jpeg, "corrupt"}},
		{"huge", []string{tr.Checkpoint, huge}, exitFailure, []string{huge, "too large", "40000×40000"}},
		{"huge raw", []string{"--raw", tr.Checkpoint, huge}, exitFailure, []string{huge, "too large"}},
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

// hugePNGHeader returns a PNG signature and a valid IHDR claiming
// 40000×40000 8-bit RGBA pixels (6.4 GB decoded), then the end of file.
func hugePNGHeader() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte("IHDR\x00\x00\x9c\x40\x00\x00\x9c\x40\x08\x06\x00\x00\x00")
	_ = binary.Write(&b, binary.BigEndian, uint32(13)) // a bytes.Buffer never fails
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// TestPredictNormalized writes test digits as large light-on-dark and
// dark-on-light PNGs and as dark-on-light JPEGs on a coloured background,
// and checks that zoo predict
// inverts and crops them, reports it, and saves inputs that zoo predict
// --raw classifies with exactly the same probabilities; and that a
// dark-on-light and a light-on-dark picture of one digit give the same
// probabilities.
func TestPredictNormalized(t *testing.T) {
	tr := trainFixture(t)
	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: subsetDir})
	must(t, err)
	dir := t.TempDir()
	var files []string
	for i := 0; i < 4; i++ {
		white, black := color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255}
		light, dark := bigDigit(m.Test.Row(i), white, black), bigDigit(m.Test.Row(i), black, white)
		coloured := bigDigit(m.Test.Row(i), color.RGBA{10, 20, 90, 255}, color.RGBA{250, 240, 180, 255})
		for name, img := range map[string]image.Image{"light": light, "dark": dark} {
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, i))
			writePNG(t, p, img)
			files = append(files, p)
		}
		p := filepath.Join(dir, fmt.Sprintf("dark-%d.jpg", i))
		f, err := os.Create(p)
		must(t, err)
		must(t, jpeg.Encode(f, coloured, &jpeg.Options{Quality: 90}))
		must(t, f.Close())
		files = append(files, p)
	}
	saveDir := filepath.Join(dir, "inputs")
	code, stdout, stderr := runZoo(t, append([]string{"predict", "--save-input", saveDir, tr.Checkpoint}, files...)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r predictReport
	decodeStrict(t, stdout, &r)
	byFile := map[string]prediction{}
	var saved []string
	for _, p := range r.Predictions {
		byFile[filepath.Base(p.File)] = p
		in := p.Input
		dark := strings.Contains(p.File, "dark")
		if in.Mode != "normalized" || in.Report == nil || in.Inverted != dark || !in.Report.Cropped || in.Saved == "" {
			t.Fatalf("%s: input %+v", p.File, in)
		}
		if want := "inverted"; dark && !strings.Contains(in.Done, want) || !strings.Contains(in.Done, "cropped") {
			t.Errorf("%s: done %q", p.File, in.Done)
		}
		saved = append(saved, in.Saved)
	}
	for i := 0; i < 4; i++ {
		a, b := byFile[fmt.Sprintf("light-%d.png", i)], byFile[fmt.Sprintf("dark-%d.png", i)]
		if !slices.Equal(a.Probabilities, b.Probabilities) {
			t.Errorf("digit %d: light %v, dark %v", i, a.Probabilities, b.Probabilities)
		}
	}
	if filepath.Base(saved[2]) != "dark-0-2.png" {
		t.Errorf("saved names %v: want dark-0-2.png for the JPEG", saved)
	}
	code, stdout, stderr = runZoo(t, append([]string{"predict", "--raw", tr.Checkpoint}, saved...)...)
	if code != exitOK {
		t.Fatalf("--raw on saved inputs: exit %d\n%s", code, stderr)
	}
	var rr predictReport
	decodeStrict(t, stdout, &rr)
	for i, p := range rr.Predictions {
		if !slices.Equal(p.Probabilities, r.Predictions[i].Probabilities) {
			t.Fatalf("%s: --raw %v, normalized %v", p.File, p.Probabilities, r.Predictions[i].Probabilities)
		}
	}
}

// bigDigit draws a 28×28 MNIST row enlarged 6 times at (37, 21) on a
// 240×200 picture, ink fg on background bg.
func bigDigit(row []float32, fg, bg color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 240, 200))
	mix := func(a, b uint8, v float32) uint8 { return uint8(float32(a) + v*(float32(b)-float32(a)) + 0.5) }
	for y := 0; y < 200; y++ {
		for x := 0; x < 240; x++ {
			v := float32(0)
			if dx, dy := x-37, y-21; dx >= 0 && dy >= 0 && dx < 168 && dy < 168 {
				v = row[dy/6*28+dx/6]
			}
			img.SetRGBA(x, y, color.RGBA{mix(bg.R, fg.R, v), mix(bg.G, fg.G, v), mix(bg.B, fg.B, v), 255})
		}
	}
	return img
}
