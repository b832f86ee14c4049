package digitimage

import (
	"image"
	"image/color"
	"io"
)

// Raw reads a 28×28 PNG or JPEG pixel for pixel, with no normalisation:
// 784 values in [0, 1], row by row. A picture of another size is refused
// from its header (ErrSize). Gray pictures are read as they are; any
// other colour model is converted to grey by luminance (Go's
// color.Gray16Model, 0.299 R + 0.587 G + 0.114 B), and transparent pixels
// count as black (alpha-premultiplied, unlike Normalize). 8-bit grey
// values v become float32(v)/255 exactly as the MNIST loader scales its
// bytes, so an MNIST image saved as a grey PNG gives the same input; other
// values become Y/65535 of their 16-bit luminance Y. invert maps Y to
// 65535 − Y (v to 255 − v). opts.Polarity and opts.InkThreshold are not
// used.
func Raw(r io.Reader, invert bool, opts Options) ([]float32, error) {
	img, _, err := decode(r, opts, Side, Side)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	px := make([]float32, 0, Side*Side)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			y16 := gray16(img, x, y)
			if invert {
				y16 = 0xffff - y16
			}
			px = append(px, Unit(y16))
		}
	}
	return px, nil
}

// gray16 returns the pixel's 16-bit luminance.
func gray16(img image.Image, x, y int) uint16 {
	if g, ok := img.(*image.Gray); ok {
		return uint16(g.GrayAt(x, y).Y) * 257
	}
	return color.Gray16Model.Convert(img.At(x, y)).(color.Gray16).Y
}

// Unit scales a 16-bit luminance to [0, 1]; a value widened from 8 bits
// (a multiple of 257) is scaled as the MNIST loader scales its bytes,
// float32(v)/255.
func Unit(y16 uint16) float32 {
	if y16%257 == 0 {
		return float32(y16/257) / 255
	}
	return float32(float64(y16) / 65535)
}

// Image returns 784 values in [0, 1] as a 28×28 picture that Raw reads
// back to the same values: 8-bit grey when every value is a multiple of
// 1/255 as Unit makes them, 16-bit grey otherwise.
func Image(px []float32) image.Image {
	g := image.NewGray(image.Rect(0, 0, Side, Side))
	exact := len(px) == Side*Side
	for i, v := range px[:min(len(px), Side*Side)] {
		b := uint8(min(255, max(0, v*255+0.5)))
		if Unit(uint16(b)*257) != v {
			exact = false
			break
		}
		g.Pix[i] = b
	}
	if exact {
		return g
	}
	g16 := image.NewGray16(g.Rect)
	for i, v := range px[:min(len(px), Side*Side)] {
		g16.SetGray16(i%Side, i/Side, color.Gray16{Y: uint16(min(65535, max(0, float64(v)*65535+0.5)))})
	}
	return g16
}
