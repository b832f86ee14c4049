package digitimage

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"

	"github.com/pkg/errors"
)

// Defaults of Options.
const (
	// DefaultMaxPixels is the default of Options.MaxPixels: 25 million
	// pixels (a 6000×4000 photograph fits; decoding the largest 16-bit RGBA
	// PNG allowed takes 200 MB).
	DefaultMaxPixels = 25_000_000
	// DefaultMaxBytes is the default of Options.MaxBytes: 64 MiB.
	DefaultMaxBytes = 64 << 20
	// DefaultInkThreshold is the default of Options.InkThreshold.
	DefaultInkThreshold = 0.5
)

// Signatures of the formats read here.
var (
	pngSignature  = []byte("\x89PNG\r\n\x1a\n")
	jpegSignature = []byte{0xff, 0xd8}
)

// Polarity says how a picture's ink relates to its background.
type Polarity int

const (
	// Auto detects the polarity from the picture's border (the default).
	Auto Polarity = iota
	// LightOnDark is MNIST's own convention: the picture is never inverted.
	LightOnDark
	// DarkOnLight is ink on paper: the picture is always inverted.
	DarkOnLight
)

// String returns "auto", "light-on-dark" or "dark-on-light".
func (p Polarity) String() string {
	switch p {
	case Auto:
		return "auto"
	case LightOnDark:
		return "light-on-dark"
	case DarkOnLight:
		return "dark-on-light"
	}
	return "Polarity(" + strconv.Itoa(int(p)) + ")"
}

// Options configures reading a picture. The zero value is ready to use.
type Options struct {
	// MaxPixels is the largest width×height accepted, checked on the
	// picture's header before any pixel is decoded. Zero means
	// DefaultMaxPixels.
	MaxPixels int
	// MaxBytes is the largest file accepted, in bytes. Zero means
	// DefaultMaxBytes.
	MaxBytes int64
	// Polarity forces or detects the inversion (Normalize only). The zero
	// value, Auto, detects it.
	Polarity Polarity
	// InkThreshold is the level in (0, 1], after inversion and levels,
	// from which a pixel counts as ink for the bounding box (Normalize
	// only). Zero means DefaultInkThreshold, 0.5.
	InkThreshold float64
}

// Validate reports an invalid option, naming it.
func (o Options) Validate() error {
	switch {
	case o.MaxPixels < 0:
		return errorf(ErrConfig, "MaxPixels %d < 0", o.MaxPixels)
	case o.MaxBytes < 0:
		return errorf(ErrConfig, "MaxBytes %d < 0", o.MaxBytes)
	case o.Polarity < Auto || o.Polarity > DarkOnLight:
		return errorf(ErrConfig, "Polarity %d unknown", int(o.Polarity))
	case !(o.InkThreshold >= 0 && o.InkThreshold <= 1):
		return errorf(ErrConfig, "InkThreshold %v outside [0, 1]", o.InkThreshold)
	}
	return nil
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.MaxPixels == 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.InkThreshold == 0 {
		o.InkThreshold = DefaultInkThreshold
	}
	return o
}

// Decode reads a PNG or JPEG picture. It reads at most opts.MaxBytes bytes,
// recognises the format from the content, reads the header, refuses a
// picture of more than opts.MaxPixels pixels, and only then decodes the
// pixels. It returns the picture and its format, "png" or "jpeg".
func Decode(r io.Reader, opts Options) (image.Image, string, error) {
	return decode(r, opts, 0, 0)
}

// decode is Decode; a positive wantW, wantH refuses, from the header,
// a picture of another size (ErrSize).
func decode(r io.Reader, opts Options, wantW, wantH int) (image.Image, string, error) {
	if err := opts.Validate(); err != nil {
		return nil, "", err
	}
	opts = opts.withDefaults()
	b, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, "", errors.Wrap(err, "digitimage: read")
	}
	if int64(len(b)) > opts.MaxBytes {
		return nil, "", errorf(ErrTooLarge, "file larger than %d bytes", opts.MaxBytes)
	}
	var (
		format       string
		decodeConfig func(io.Reader) (image.Config, error)
		decodeImage  func(io.Reader) (image.Image, error)
	)
	switch {
	case bytes.HasPrefix(b, pngSignature):
		format, decodeConfig, decodeImage = "png", png.DecodeConfig, png.Decode
	case bytes.HasPrefix(b, jpegSignature):
		format, decodeConfig, decodeImage = "jpeg", jpeg.DecodeConfig, jpeg.Decode
	default:
		return nil, "", ErrFormat
	}
	cfg, err := decodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, "", errorf(ErrCorrupt, "%s header: %v", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", errorf(ErrCorrupt, "%s header: size %d×%d", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(opts.MaxPixels) {
		return nil, "", errorf(ErrTooLarge, "%s header claims %d×%d pixels, more than %d", format, cfg.Width, cfg.Height, opts.MaxPixels)
	}
	if wantW > 0 && (cfg.Width != wantW || cfg.Height != wantH) {
		return nil, "", errorf(ErrSize, "picture is %d×%d, want %d×%d", cfg.Width, cfg.Height, wantW, wantH)
	}
	img, err := decodeImage(bytes.NewReader(b))
	if err != nil {
		return nil, "", errorf(ErrCorrupt, "%s: %v", format, err)
	}
	return img, format, nil
}

// luminanceOnWhite returns the picture's 16-bit luminance, row by row,
// with transparent pixels composited on white: premultiplied channels
// c become c + (0xffff − α) before Go's color.Gray16Model weights
// (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16, i.e. 0.299/0.587/0.114.
// Gray pictures are read as they are and colour JPEGs (Y′CbCr) by their
// luma plane, which is that same weighting.
func luminanceOnWhite(img image.Image) (y []uint16, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	y = make([]uint16, w*h)
	switch m := img.(type) {
	case *image.Gray:
		for r := 0; r < h; r++ {
			row := m.Pix[r*m.Stride : r*m.Stride+w]
			for c, v := range row {
				y[r*w+c] = uint16(v) * 257
			}
		}
		return y, w, h
	case *image.YCbCr:
		for r := 0; r < h; r++ {
			o := r * m.YStride
			for c := 0; c < w; c++ {
				y[r*w+c] = uint16(m.Y[o+c]) * 257
			}
		}
		return y, w, h
	}
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			cr, cg, cb, ca := img.At(b.Min.X+c, b.Min.Y+r).RGBA()
			bg := 0xffff - ca
			g := color.RGBA64{R: uint16(cr + bg), G: uint16(cg + bg), B: uint16(cb + bg), A: 0xffff}
			y[r*w+c] = color.Gray16Model.Convert(g).(color.Gray16).Y
		}
	}
	return y, w, h
}
