package digitimage

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"testing"

	"github.com/gozoo/zoo/datasets"
)

// testDigits returns the first n test digits of testdata/mnist as 28×28
// grey pictures, light on dark as MNIST stores them.
func testDigits(t testing.TB, n int) []*image.Gray {
	t.Helper()
	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: filepath.Join("..", "..", "testdata", "mnist")})
	must(t, err)
	out := make([]*image.Gray, n)
	for i := range out {
		g := image.NewGray(image.Rect(0, 0, Side, Side))
		for p, v := range m.Test.Row(i) {
			g.Pix[p] = uint8(v*255 + 0.5)
		}
		out[i] = g
	}
	return out
}

// picture draws a 28×28 digit enlarged k times (pixel replication) at
// (x0, y0) on a w×h canvas: ink colour fg over background bg, the digit's
// grey level v blending them as bg + v·(fg − bg).
func picture(d *image.Gray, k, w, h, x0, y0 int, fg, bg color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	mix := func(a, b uint8, v float64) uint8 { return uint8(math.Round(float64(a) + v*(float64(b)-float64(a)))) }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 0.0
			if dx, dy := x-x0, y-y0; dx >= 0 && dy >= 0 && dx < Side*k && dy < Side*k {
				v = float64(d.GrayAt(dx/k, dy/k).Y) / 255
			}
			img.SetRGBA(x, y, color.RGBA{mix(bg.R, fg.R, v), mix(bg.G, fg.G, v), mix(bg.B, fg.B, v), 255})
		}
	}
	return img
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
)

func normalized(t *testing.T, b []byte) (*image.Gray, Report) {
	t.Helper()
	g, rep, err := Normalize(bytes.NewReader(b), Options{})
	must(t, err)
	return g, rep
}

// TestNormalizeInvariance checks exact invariances on real MNIST digits:
// inverting a picture, moving the digit on its canvas and compositing a
// transparent canvas on white change nothing in the result, since levels
// and the crop undo them exactly.
func TestNormalizeInvariance(t *testing.T) {
	for i, d := range testDigits(t, 10) {
		light := picture(d, 6, 300, 240, 20, 30, white, black)
		base, rep := normalized(t, encodePNG(t, light))
		if rep.Inverted || !rep.Cropped || rep.Background != 0 {
			t.Fatalf("digit %d light on dark: %+v", i, rep)
		}
		dark := picture(d, 6, 300, 240, 20, 30, black, white)
		moved := picture(d, 6, 300, 240, 100, 50, black, white)
		transparent := image.NewNRGBA(dark.Rect) // black ink with alpha = grey level
		for p := 0; p < len(dark.Pix); p += 4 {
			transparent.Pix[p+3] = 255 - dark.Pix[p]
		}
		for name, img := range map[string]image.Image{"dark on light": dark, "moved": moved, "transparent": transparent} {
			g, rep := normalized(t, encodePNG(t, img))
			if !rep.Inverted {
				t.Fatalf("digit %d %s: not inverted: %+v", i, name, rep)
			}
			if !bytes.Equal(g.Pix, base.Pix) {
				t.Fatalf("digit %d %s: differs from the light-on-dark picture", i, name)
			}
		}
	}
}

// TestNormalizeGeometry checks MNIST's geometry on real digits enlarged,
// moved, coloured and saved as JPEG: the placed box's longer side is 20,
// inside the field, with the ink's centre of mass in pixel indices within
// one pixel of (14, 14) (half a pixel from rounding the translation, plus
// the quantisation to bytes).
func TestNormalizeGeometry(t *testing.T) {
	ink, paper := color.RGBA{20, 30, 120, 255}, color.RGBA{250, 240, 170, 255}
	for i, d := range testDigits(t, 10) {
		img := picture(d, 5, 200, 180, 30+i, 10, ink, paper)
		for _, enc := range []struct {
			name string
			b    []byte
		}{{"png", encodePNG(t, img)}, {"jpeg", encodeJPEG(t, img)}} {
			g, rep := normalized(t, enc.b)
			if rep.Format != enc.name || !rep.Inverted || rep.Width != 200 || rep.Height != 180 {
				t.Fatalf("digit %d %s: %+v", i, enc.name, rep)
			}
			p := rep.Placed
			if max(p.W, p.H) != Box || p.X < 0 || p.Y < 0 || p.X+p.W > Side || p.Y+p.H > Side {
				t.Fatalf("digit %d %s: placed %+v", i, enc.name, p)
			}
			var m, mx, my float64
			for y := 0; y < Side; y++ {
				for x := 0; x < Side; x++ {
					v := float64(g.GrayAt(x, y).Y)
					m += v
					mx += v * float64(x)
					my += v * float64(y)
				}
			}
			if cx, cy := mx/m, my/m; math.Abs(cx-14) > 1 || math.Abs(cy-14) > 1 {
				t.Errorf("digit %d %s: centre of mass (%.2f, %.2f)", i, enc.name, cx, cy)
			}
		}
	}
}

// TestNormalizeNearMNIST measures how close a normalised, enlarged,
// inverted digit comes to the MNIST original, which was made the same way
// from other scans: the cosine similarity must exceed 0.98 for each digit
// (0.987 to 0.995 measured; the pictures differ by the crop threshold and
// resampling), and the
// plain 28×28 digit must give a higher similarity than any other digit.
func TestNormalizeNearMNIST(t *testing.T) {
	digits := testDigits(t, 10)
	cos := func(a, b []uint8) float64 {
		var ab, aa, bb float64
		for i := range a {
			ab += float64(a[i]) * float64(b[i])
			aa += float64(a[i]) * float64(a[i])
			bb += float64(b[i]) * float64(b[i])
		}
		return ab / math.Sqrt(aa*bb)
	}
	for i, d := range digits {
		g, _ := normalized(t, encodePNG(t, picture(d, 7, 280, 280, 40, 50, black, white)))
		s := cos(g.Pix, d.Pix)
		if s < 0.98 {
			t.Errorf("digit %d: cosine %.3f with the original", i, s)
		}
		for j, o := range digits {
			if j != i && cos(g.Pix, o.Pix) >= s {
				t.Errorf("digit %d: closer to digit %d (%.3f) than to itself (%.3f)", i, j, cos(g.Pix, o.Pix), s)
			}
		}
	}
}
