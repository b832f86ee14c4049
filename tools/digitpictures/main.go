// Command digitpictures writes pictures made from MNIST test digits, the
// kinds of pictures people hand to zoo predict, to measure how predict
// copes with them:
//
//	go run ./tools/digitpictures -n 100 -out /tmp/pictures
//	zoo predict lenet5 /tmp/pictures/enlarged/*.png
//
// For each of the first n test digits it writes one picture per variant,
// in a directory per variant, named dNNNN-labelL.EXT (L the true digit):
//
//	plain28      28×28 grey PNG, as MNIST stores it (light on dark)
//	inverted28   28×28 grey PNG, dark on light
//	shifted28    28×28 grey PNG, the digit moved 5 right and 4 up
//	colour28     28×28 JPEG (quality 90), dark blue ink on light yellow
//	enlarged     280×280 grey PNG, ×10, light on dark
//	offcentre    400×300 PNG, ×6 at (30, 40), black on white
//	colour-jpeg  320×260 JPEG (quality 90), ×8 at (90, 20), dark blue on light yellow
//	transparent  200×200 PNG, ×5 at (40, 30), black ink whose alpha is the grey level
//
// Enlargement is by pixel replication.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"

	"github.com/gozoo/zoo/datasets"
)

func main() {
	n := flag.Int("n", 100, "number of test digits")
	out := flag.String("out", "pictures", "output directory")
	data := flag.String("data", "", "MNIST directory (default: $ZOO_MNIST_DIR, else the module cache)")
	flag.Parse()
	if err := run(*n, *out, *data); err != nil {
		fmt.Fprintln(os.Stderr, "digitpictures:", err)
		os.Exit(1)
	}
}

var (
	white  = color.RGBA{255, 255, 255, 255}
	black  = color.RGBA{0, 0, 0, 255}
	ink    = color.RGBA{20, 30, 120, 255}
	yellow = color.RGBA{250, 240, 170, 255}
)

type variant struct {
	name, ext string
	draw      func(d []float32) image.Image
}

var variants = []variant{
	{"plain28", "png", func(d []float32) image.Image { return canvas(d, 1, 28, 28, 0, 0, white, black) }},
	{"inverted28", "png", func(d []float32) image.Image { return canvas(d, 1, 28, 28, 0, 0, black, white) }},
	{"shifted28", "png", func(d []float32) image.Image { return canvas(d, 1, 28, 28, 5, -4, white, black) }},
	{"colour28", "jpg", func(d []float32) image.Image { return canvas(d, 1, 28, 28, 0, 0, ink, yellow) }},
	{"enlarged", "png", func(d []float32) image.Image { return canvas(d, 10, 280, 280, 0, 0, white, black) }},
	{"offcentre", "png", func(d []float32) image.Image { return canvas(d, 6, 400, 300, 30, 40, black, white) }},
	{"colour-jpeg", "jpg", func(d []float32) image.Image { return canvas(d, 8, 320, 260, 90, 20, ink, yellow) }},
	{"transparent", "png", func(d []float32) image.Image { return alpha(d, 5, 200, 200, 40, 30) }},
}

func run(n int, out, data string) error {
	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: data})
	if err != nil {
		return err
	}
	n = min(n, m.Test.Len())
	for _, v := range variants {
		dir := filepath.Join(out, v.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			path := filepath.Join(dir, fmt.Sprintf("d%04d-label%d.%s", i, m.Test.Y[i], v.ext))
			if err := write(path, v.draw(m.Test.Row(i)), v.ext); err != nil {
				return err
			}
		}
	}
	fmt.Printf("%d pictures of each of %d variants in %s\n", n, len(variants), out)
	return nil
}

// canvas draws the 28×28 digit d enlarged k times with its top-left corner
// at (x0, y0) on a w×h picture: grey level v blends bg into fg.
func canvas(d []float32, k, w, h, x0, y0 int, fg, bg color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	mix := func(a, b uint8, v float32) uint8 { return uint8(float32(a) + v*(float32(b)-float32(a)) + 0.5) }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := float32(0)
			if dx, dy := x-x0, y-y0; dx >= 0 && dy >= 0 && dx < 28*k && dy < 28*k {
				v = d[dy/k*28+dx/k]
			}
			img.SetRGBA(x, y, color.RGBA{mix(bg.R, fg.R, v), mix(bg.G, fg.G, v), mix(bg.B, fg.B, v), 255})
		}
	}
	if fg == white && bg == black || fg == black && bg == white {
		g := image.NewGray(img.Rect)
		for i := range g.Pix {
			g.Pix[i] = img.Pix[4*i]
		}
		return g
	}
	return img
}

// alpha draws black ink whose opacity is the grey level on a transparent
// picture.
func alpha(d []float32, k, w, h, x0, y0 int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if dx, dy := x-x0, y-y0; dx >= 0 && dy >= 0 && dx < 28*k && dy < 28*k {
				img.SetNRGBA(x, y, color.NRGBA{A: uint8(d[dy/k*28+dx/k]*255 + 0.5)})
			}
		}
	}
	return img
}

func write(path string, img image.Image, ext string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if ext == "jpg" {
		return jpeg.Encode(f, img, &jpeg.Options{Quality: 90})
	}
	return png.Encode(f, img)
}
