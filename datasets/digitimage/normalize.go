package digitimage

import (
	"fmt"
	"image"
	"io"
	"math"
	"slices"
)

// MNIST's geometry: a 28×28 field with the digit fitted into a 20×20 box.
const (
	Side = 28 // side of the field, pixels
	Box  = 20 // side of the box the ink's bounding box is fitted into
)

// Rect is a rectangle of pixels: its top-left corner and size.
type Rect struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Report says what Normalize did to a picture.
type Report struct {
	Format string `json:"format"` // "png" or "jpeg"
	Width  int    `json:"width"`  // of the picture, pixels
	Height int    `json:"height"` // of the picture, pixels
	// Background is the picture's background luminance in [0, 1] (the
	// median of its outermost ring of pixels), before any inversion.
	Background float64 `json:"background"`
	// Inverted reports that the picture was dark on light and was inverted.
	Inverted bool `json:"inverted"`
	// Ink is the brightest ink level in [0, 1] after inversion; levels
	// map Background (or 1 − Background if inverted) to 0 and Ink to 1.
	Ink float64 `json:"ink"`
	// Crop is the bounding box of the ink, in the picture's pixels.
	Crop Rect `json:"crop"`
	// Cropped reports that Crop is smaller than the picture.
	Cropped bool `json:"cropped"`
	// Scale is the factor applied to the crop's longer side to make it
	// Box pixels (above 1: enlarged).
	Scale float64 `json:"scale"`
	// Placed is where the scaled box went in the 28×28 field.
	Placed Rect `json:"placed"`
}

// String describes the report in one line, e.g. "280×280 png, inverted
// (background 0.96), cropped to 120×190 at (80,45), scaled ×0.105 to 13×20,
// placed at (8,4)".
func (r Report) String() string {
	s := fmt.Sprintf("%d×%d %s, ", r.Width, r.Height, r.Format)
	if r.Inverted {
		s += fmt.Sprintf("inverted (background %.2f)", r.Background)
	} else {
		s += fmt.Sprintf("not inverted (background %.2f)", r.Background)
	}
	if r.Cropped {
		s += fmt.Sprintf(", cropped to %d×%d at (%d,%d)", r.Crop.W, r.Crop.H, r.Crop.X, r.Crop.Y)
	} else {
		s += ", not cropped"
	}
	return s + fmt.Sprintf(", scaled ×%.3g to %d×%d, placed at (%d,%d)", r.Scale, r.Placed.W, r.Placed.H, r.Placed.X, r.Placed.Y)
}

// minContrast is the smallest difference between the brightest ink and the
// background, as a fraction of the full range, below which a picture is
// blank (ErrBlank): 8 grey levels of 255.
const minContrast = 8.0 / 255

// Normalize reads a PNG or JPEG picture of a digit (see Decode) and brings
// it to MNIST's format as the package documentation describes. It returns
// the 28×28 picture and what was done.
func Normalize(r io.Reader, opts Options) (*image.Gray, Report, error) {
	img, format, err := Decode(r, opts)
	if err != nil {
		return nil, Report{}, err
	}
	g, rep, err := NormalizeImage(img, opts)
	rep.Format = format
	return g, rep, err
}

// NormalizeImage brings a decoded picture to MNIST's format; Normalize
// calls it after decoding. The Report's Format is left empty.
func NormalizeImage(img image.Image, opts Options) (*image.Gray, Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, Report{}, err
	}
	opts = opts.withDefaults()
	y, w, h := luminanceOnWhite(img)
	rep := Report{Width: w, Height: h}
	if w == 0 || h == 0 {
		return nil, rep, errorf(ErrBlank, "empty picture")
	}

	// Polarity from the border's median.
	bg := borderMedian(y, w, h)
	rep.Background = float64(bg) / 0xffff
	switch opts.Polarity {
	case Auto:
		rep.Inverted = bg > 0x7fff
	case DarkOnLight:
		rep.Inverted = true
	}
	if rep.Inverted {
		for i, v := range y {
			y[i] = 0xffff - v
		}
		bg = 0xffff - bg
	}

	// Levels: background to 0, brightest ink to 1.
	ink := slices.Max(y)
	rep.Ink = float64(ink) / 0xffff
	if float64(ink)-float64(bg) < minContrast*0xffff {
		return nil, rep, errorf(ErrBlank, "brightest ink %.3f, background %.3f", rep.Ink, float64(bg)/0xffff)
	}
	lo, span := float64(bg), float64(ink)-float64(bg)
	level := func(v uint16) float64 { return min(1, max(0, (float64(v)-lo)/span)) }

	// Bounding box of the ink.
	x0, y0, x1, y1 := w, h, -1, -1
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			if level(y[r*w+c]) >= opts.InkThreshold {
				x0, x1 = min(x0, c), max(x1, c)
				y0, y1 = min(y0, r), max(y1, r)
			}
		}
	}
	if x1 < 0 {
		return nil, rep, errorf(ErrBlank, "no pixel reaches the ink threshold %v", opts.InkThreshold)
	}
	cw, ch := x1-x0+1, y1-y0+1
	rep.Crop = Rect{X: x0, Y: y0, W: cw, H: ch}
	rep.Cropped = cw < w || ch < h

	// Fit into Box×Box, preserving the aspect ratio.
	long := max(cw, ch)
	rep.Scale = float64(Box) / float64(long)
	sw := max(1, int(math.Round(float64(cw)*rep.Scale)))
	sh := max(1, int(math.Round(float64(ch)*rep.Scale)))
	crop := make([]float64, cw*ch)
	for r := 0; r < ch; r++ {
		for c := 0; c < cw; c++ {
			crop[r*cw+c] = level(y[(y0+r)*w+x0+c])
		}
	}
	scaled := resample(crop, cw, ch, sw, sh)

	// Centre of mass of the scaled box in pixel indices, moved to pixel
	// (14, 14) of the field.
	var m, mx, my float64
	for r := 0; r < sh; r++ {
		for c := 0; c < sw; c++ {
			v := scaled[r*sw+c]
			m += v
			mx += v * float64(c)
			my += v * float64(r)
		}
	}
	ox, oy := (Side-sw)/2, (Side-sh)/2
	if m > 0 {
		ox = int(math.Round(Side/2 - mx/m))
		oy = int(math.Round(Side/2 - my/m))
	}
	ox = min(max(ox, 0), Side-sw)
	oy = min(max(oy, 0), Side-sh)
	rep.Placed = Rect{X: ox, Y: oy, W: sw, H: sh}

	out := image.NewGray(image.Rect(0, 0, Side, Side))
	for r := 0; r < sh; r++ {
		for c := 0; c < sw; c++ {
			out.Pix[(oy+r)*out.Stride+ox+c] = quantize(scaled[r*sw+c])
		}
	}
	return out, rep, nil
}

// quantize maps v in [0, 1] to the nearest of 0..255.
func quantize(v float64) uint8 {
	return uint8(min(255, max(0, math.Floor(v*255+0.5))))
}

// borderMedian returns the median of the outermost ring of pixels (the
// lower median for an even count).
func borderMedian(y []uint16, w, h int) uint16 {
	ring := make([]uint16, 0, 2*(w+h))
	for c := 0; c < w; c++ {
		ring = append(ring, y[c])
		if h > 1 {
			ring = append(ring, y[(h-1)*w+c])
		}
	}
	for r := 1; r < h-1; r++ {
		ring = append(ring, y[r*w])
		if w > 1 {
			ring = append(ring, y[r*w+w-1])
		}
	}
	slices.Sort(ring)
	return ring[(len(ring)-1)/2]
}

// Pixels returns a 28×28 picture's pixels row by row as float32 in [0, 1],
// byte/255, as the MNIST loader scales its bytes.
func Pixels(g *image.Gray) []float32 {
	b := g.Bounds()
	px := make([]float32, 0, b.Dx()*b.Dy())
	for r := 0; r < b.Dy(); r++ {
		for _, v := range g.Pix[r*g.Stride : r*g.Stride+b.Dx()] {
			px = append(px, float32(v)/255)
		}
	}
	return px
}
