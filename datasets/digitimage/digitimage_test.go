package digitimage

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"testing"

	"github.com/pkg/errors"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	must(t, png.Encode(&b, img))
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	must(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}))
	return b.Bytes()
}

// pngHeader returns a PNG signature and IHDR chunk claiming w×h 8-bit
// RGBA (a valid header), followed by a truncated IDAT.
func pngHeader(w, h uint32, depth byte) []byte {
	var b bytes.Buffer
	b.Write(pngSignature)
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, 6 // bit depth, colour type RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x62})
	return b.Bytes()
}

// jpegHeader returns a valid 16×16 JPEG whose SOF0 claims w×h.
func jpegHeader(t testing.TB, w, h uint16) []byte {
	b := encodeJPEG(t, image.NewGray(image.Rect(0, 0, 16, 16)))
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// TestRefusedFromHeader checks that pictures whose header claims more than
// MaxPixels are refused without decoding: the allocation stays far below
// the claimed picture's size (40000×40000 RGBA is 6.4 GB).
func TestRefusedFromHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"png 40000x40000", pngHeader(40000, 40000, 8)},
		{"png16 100000x100000", pngHeader(100000, 100000, 16)},
		{"jpeg 40000x40000", jpegHeader(t, 40000, 40000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := Normalize(bytes.NewReader(tc.in), Options{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err %v, want ErrTooLarge", err)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
				t.Errorf("allocated %d bytes before refusing", a)
			}
			_, err = Raw(bytes.NewReader(tc.in), false, Options{})
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Raw: err %v, want ErrTooLarge", err)
			}
		})
	}
	// Within the limit but not 28×28: Raw refuses from the header.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Raw(bytes.NewReader(pngHeader(4000, 4000, 16)), false, Options{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrSize) {
		t.Fatalf("Raw 4000×4000: %v, want ErrSize", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
		t.Errorf("Raw allocated %d bytes before refusing", a)
	}
	// MaxPixels and MaxBytes are honoured.
	small := encodePNG(t, image.NewGray(image.Rect(0, 0, 30, 30)))
	if _, _, err := Normalize(bytes.NewReader(small), Options{MaxPixels: 899}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxPixels 899 for 900 pixels: %v", err)
	}
	if _, _, err := Normalize(bytes.NewReader(small), Options{MaxBytes: int64(len(small) - 1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxBytes: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encodePNG(t, image.NewGray(image.Rect(0, 0, 28, 28)))
	for _, tc := range []struct {
		name string
		in   []byte
		kind error
	}{
		{"text", []byte("not a picture"), ErrFormat},
		{"empty", nil, ErrFormat},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ErrFormat},
		{"truncated png", good[:len(good)-10], ErrCorrupt},
		{"png header only", good[:20], ErrCorrupt},
		{"jpeg header only", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), ErrCorrupt},
		{"white", encodePNG(t, uniform(50, 40, color.Gray{Y: 255})), ErrBlank},
		{"black", encodePNG(t, uniform(50, 40, color.Gray{})), ErrBlank},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Normalize(bytes.NewReader(tc.in), Options{})
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err %v, want %v", err, tc.kind)
			}
		})
	}
	for _, o := range []Options{{MaxPixels: -1}, {MaxBytes: -1}, {Polarity: 3}, {InkThreshold: 1.5}, {InkThreshold: math.NaN()}} {
		if _, _, err := Normalize(bytes.NewReader(good), o); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", o, err)
		}
	}
}

func uniform(w, h int, c color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

// TestNormalizeRectangle works one case by hand: a black 2×4 bar at (3,2)
// on a white 10×10 picture is inverted (background 1), cropped to 2×4,
// scaled ×5 to 10×20 (a constant stays 1 under any normalised filter),
// and its centre of mass in pixel indices, (4.5, 9.5), goes to (14, 14):
// placed at (round(9.5), round(4.5)) = (10, 5).
func TestNormalizeRectangle(t *testing.T) {
	img := uniform(10, 10, color.White)
	for y := 2; y < 6; y++ {
		for x := 3; x < 5; x++ {
			img.Set(x, y, color.Black)
		}
	}
	g, rep, err := Normalize(bytes.NewReader(encodePNG(t, img)), Options{})
	must(t, err)
	want := Report{Format: "png", Width: 10, Height: 10, Background: 1, Inverted: true, Ink: 1,
		Crop: Rect{3, 2, 2, 4}, Cropped: true, Scale: 5, Placed: Rect{10, 5, 10, 20}}
	if rep != want {
		t.Fatalf("report\n%+v, want\n%+v", rep, want)
	}
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			w := uint8(0)
			if x >= 10 && x < 20 && y >= 5 && y < 25 {
				w = 255
			}
			if v := g.GrayAt(x, y).Y; v != w {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, v, w)
			}
		}
	}
	if s := rep.String(); s != "10×10 png, inverted (background 1.00), cropped to 2×4 at (3,2), scaled ×5 to 10×20, placed at (10,5)" {
		t.Errorf("String: %q", s)
	}
}

// TestFilterWeights checks the triangle filter against hand-computed
// weights. Shrinking 4 → 2: output 0 is centred at 1.0 with radius 2; input
// centres 0.5, 1.5, 2.5 weigh 1 − 0.5/2, 1 − 0.5/2, 1 − 1.5/2 = 0.75,
// 0.75, 0.25, normalised by 1.75. Enlarging 2 → 4 (radius 1): output 1 is
// centred at 0.75, between input centres 0.5 and 1.5: weights 0.75, 0.25.
// Equal sizes are the identity.
func TestFilterWeights(t *testing.T) {
	check := func(name string, got taps, first int, want ...float64) {
		t.Helper()
		if got.first != first || len(got.w) != len(want) {
			t.Fatalf("%s: %+v, want first %d weights %v", name, got, first, want)
		}
		for i := range want {
			if math.Abs(got.w[i]-want[i]) > 1e-15 {
				t.Fatalf("%s: %+v, want %v", name, got, want)
			}
		}
	}
	down := filterWeights(4, 2)
	check("4→2 [0]", down[0], 0, 0.75/1.75, 0.75/1.75, 0.25/1.75)
	check("4→2 [1]", down[1], 1, 0.25/1.75, 0.75/1.75, 0.75/1.75)
	up := filterWeights(2, 4)
	check("2→4 [0]", up[0], 0, 1) // centre 0.25: only input 0 (input 1 at distance 1.25)
	check("2→4 [1]", up[1], 0, 0.75, 0.25)
	check("2→4 [2]", up[2], 0, 0.25, 0.75)
	for i, tp := range filterWeights(7, 7) {
		check("identity", tp, i, 1)
	}
	src := []float64{1, 2, 3, 4, 5, 6}
	out := resample(src, 3, 2, 3, 2)
	for i := range src {
		if out[i] != src[i] {
			t.Fatalf("identity resample: %v", out)
		}
	}
}

// TestBorderMedian: the ring of a 3×3 plane is its 8 outer pixels.
func TestBorderMedian(t *testing.T) {
	y := []uint16{1, 2, 3, 4, 1000, 5, 6, 7, 8}
	if got := borderMedian(y, 3, 3); got != 4 { // sorted 1..8: lower median 4
		t.Errorf("3×3: %d, want 4", got)
	}
	if got := borderMedian([]uint16{9}, 1, 1); got != 9 {
		t.Errorf("1×1: %d", got)
	}
	if got := borderMedian([]uint16{3, 1, 2}, 1, 3); got != 2 {
		t.Errorf("1×3: %d", got)
	}
}

func TestQuantizeAndUnit(t *testing.T) {
	for b := 0; b < 256; b++ {
		if got := quantize(float64(b) / 255); got != uint8(b) {
			t.Fatalf("quantize(%d/255) = %d", b, got)
		}
		if got, want := Unit(uint16(b)*257), float32(b)/255; got != want {
			t.Fatalf("Unit 8-bit %d: %v, want %v", b, got, want)
		}
	}
	if got := Unit(1); got != float32(1.0/65535) {
		t.Errorf("Unit(1) = %v", got)
	}
	if quantize(-0.1) != 0 || quantize(1.2) != 255 {
		t.Error("quantize does not clamp")
	}
}

// TestGrayLevels checks Raw's conversion against the luminance weights of
// color.Gray16Model: pure red has luminance 0.299; transparent is black.
func TestGrayLevels(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	if got := Unit(gray16(img, 0, 0)); got < 0.2989 || got > 0.2991 {
		t.Errorf("red: %v, want 0.299", got)
	}
	img.Set(0, 0, color.RGBA{})
	if got := gray16(img, 0, 0); got != 0 {
		t.Errorf("transparent: %v", got)
	}
	// Normalize composites on white instead: (0.299·255 + 0) over white → 1.
	y, _, _ := luminanceOnWhite(img)
	if y[0] != 0xffff {
		t.Errorf("transparent on white: %d", y[0])
	}
	img.Set(0, 0, color.NRGBA{R: 255, A: 128}) // half-transparent red on white
	y, _, _ = luminanceOnWhite(img)
	// premultiplied R = G = B = 0x8080·(1, 0, 0); plus 0xffff − 0x8080 = 0x7f7f.
	want := color.Gray16Model.Convert(color.RGBA64{R: 0xffff, G: 0x7f7f, B: 0x7f7f, A: 0xffff}).(color.Gray16).Y
	if y[0] != want {
		t.Errorf("half-transparent red on white: %d, want %d", y[0], want)
	}
}

func TestImageRoundTrip(t *testing.T) {
	px := make([]float32, Side*Side)
	for i := range px {
		px[i] = float32(i%256) / 255
	}
	for _, wantGray16 := range []bool{false, true} {
		if wantGray16 {
			px[5] = Unit(12345)
		}
		img := Image(px)
		if _, ok := img.(*image.Gray16); ok != wantGray16 {
			t.Fatalf("Image: %T", img)
		}
		got, err := Raw(bytes.NewReader(encodePNG(t, img)), false, Options{})
		must(t, err)
		for i := range px {
			if got[i] != px[i] {
				t.Fatalf("pixel %d: %v, want %v", i, got[i], px[i])
			}
		}
	}
}
