package digitimage

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"github.com/pkg/errors"
)

// kinds are the errors Normalize and Raw may return for malformed input.
var kinds = []error{ErrFormat, ErrCorrupt, ErrTooLarge, ErrSize, ErrBlank}

func isKind(err error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// fuzzSeeds are valid and malformed PNGs and JPEGs: small digits, a
// transparent and a 16-bit picture, truncations and headers claiming
// huge sizes.
func fuzzSeeds(f *testing.F) [][]byte {
	d := image.NewGray(image.Rect(0, 0, 28, 28))
	for i := 8; i < 20; i++ {
		d.SetGray(i, i, color.Gray{Y: 255})
		d.SetGray(14, i, color.Gray{Y: 200})
	}
	g16 := image.NewNRGBA64(image.Rect(0, 0, 9, 5))
	g16.SetNRGBA64(3, 2, color.NRGBA64{R: 0x1234, A: 0x8000})
	p, j := encodePNG(f, d), encodeJPEG(f, d)
	return [][]byte{
		p, j, encodePNG(f, g16), encodePNG(f, uniform(3, 7, color.RGBA{10, 200, 30, 255})),
		p[:len(p)/2], j[:len(j)/2], pngHeader(40000, 40000, 8), pngHeader(1, 1, 16), jpegHeader(f, 60000, 3),
		{}, []byte("\x89PNG\r\n\x1a\n"), {0xff, 0xd8},
	}
}

// FuzzNormalize feeds arbitrary bytes to Normalize. It may not panic; every
// error must be one of the package's; a result must be a 28×28 picture
// whose report places a box with longer side 20 inside the field.
//
//	go test -run '^$' -fuzz FuzzNormalize -fuzztime 60s ./datasets/digitimage/
func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	opts := Options{MaxPixels: 1 << 16, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		g, rep, err := Normalize(bytes.NewReader(in), opts)
		if err != nil {
			if !isKind(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		p := rep.Placed
		if g.Bounds() != image.Rect(0, 0, Side, Side) || max(p.W, p.H) != Box || min(p.W, p.H) < 1 ||
			p.X < 0 || p.Y < 0 || p.X+p.W > Side || p.Y+p.H > Side || rep.Width*rep.Height > opts.MaxPixels {
			t.Fatalf("bad result: %v %+v", g.Bounds(), rep)
		}
		if c := rep.Crop; c.X < 0 || c.Y < 0 || c.W < 1 || c.H < 1 || c.X+c.W > rep.Width || c.Y+c.H > rep.Height {
			t.Fatalf("crop %+v outside %d×%d", c, rep.Width, rep.Height)
		}
	})
}

// FuzzRaw feeds arbitrary bytes to Raw: no panic, errors of the package's
// kinds, and 784 values in [0, 1] on success.
//
//	go test -run '^$' -fuzz FuzzRaw -fuzztime 60s ./datasets/digitimage/
func FuzzRaw(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		px, err := Raw(bytes.NewReader(in), len(in)%2 == 0, Options{MaxBytes: 1 << 20})
		if err != nil {
			if !isKind(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(px) != Side*Side {
			t.Fatalf("%d values", len(px))
		}
		for _, v := range px {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %v", v)
			}
		}
	})
}
