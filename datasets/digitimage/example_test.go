package digitimage_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/gozoo/zoo/datasets/digitimage"
)

// A dark "1" drawn on a large white picture becomes a light-on-dark 28×28
// MNIST digit, fitted into 20×20 and centred by its centre of mass.
func ExampleNormalize() {
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = 255 // white paper
	}
	for y := 40; y < 160; y++ {
		for x := 100; x < 112; x++ {
			img.SetGray(x, y, color.Gray{Y: 0}) // a black bar, 12×120
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		fmt.Println(err)
		return
	}
	g, rep, err := digitimage.Normalize(&b, digitimage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep)
	fmt.Println(len(digitimage.Pixels(g)), "pixels")
	// Output:
	// 300×200 png, inverted (background 1.00), cropped to 12×120 at (100,40), scaled ×0.167 to 2×20, placed at (14,5)
	// 784 pixels
}
