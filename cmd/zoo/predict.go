package main

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
)

const predictSynopsis = "classify 28×28 grayscale PNG digits with a checkpoint"

func init() {
	register(command{name: "predict", synopsis: predictSynopsis, run: runPredict})
}

// MNIST's image side and number of classes.
const (
	mnistSide    = 28
	mnistClasses = 10
)

// predictReport is the JSON result of zoo predict.
type predictReport struct {
	Checkpoint  string       `json:"checkpoint"`
	Model       string       `json:"model"`
	Predictions []prediction `json:"predictions"`
}

// prediction is one file's result: the most probable digit and every
// digit's probability.
type prediction struct {
	File          string   `json:"file"`
	Digit         int      `json:"digit"`
	Probabilities []number `json:"probabilities"`
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("predict", predictSynopsis+`.

zoo predict CHECKPOINT|ENSEMBLE_DIR FILE.png... [--invert]

An ensemble (the --out of zoo train --ensemble K) predicts the arithmetic
mean of its members' probabilities.

Each FILE must be a 28×28 PNG. Gray and 16-bit gray images are read as they
are; any other color model is converted to gray by luminance
(0.299 R + 0.587 G + 0.114 B, Go's color.Gray16Model), and transparent pixels
count as black. Pixels are scaled to [0, 1] as the MNIST loader does.
MNIST digits are white (or light) on a black background: a PNG must follow
that convention, or pass --invert for dark digits on a light background.
Other sizes are rejected, not resized. A file that is not a valid PNG exits 1
with a message naming it.`, stderr)
	invert := fs.Bool("invert", false, "invert the images (for black digits on white)")
	pos, code, done := parseArgs(fs, args, 2, -1, "checkpoint and at least one PNG file after it")
	if done {
		return code
	}
	ckpt, files := pos[0], pos[1:]
	ms, name, err := loadPredictors(ctx, ckpt)
	if err != nil {
		return failure(stderr, "predict", err)
	}
	x := make([]float32, 0, len(files)*mnistSide*mnistSide)
	for _, f := range files {
		px, err := readDigitPNG(f, *invert)
		if err != nil {
			return failure(stderr, "predict", err)
		}
		x = append(x, px...)
	}
	ds, err := datasets.New(x, make([]int, len(files)), datasets.Shape{C: 1, H: mnistSide, W: mnistSide}, mnistClasses)
	if err != nil {
		return failure(stderr, "predict", err)
	}
	probs, err := predictProbs(ctx, ms, ds)
	if err != nil {
		return failure(stderr, "predict", err)
	}
	if err := finiteRows(probs, mnistClasses, func(i int) string { return files[i] }); err != nil {
		return failure(stderr, "predict", err)
	}
	r := predictReport{Checkpoint: ckpt, Model: name}
	for i, f := range files {
		row := probs[i*mnistClasses : (i+1)*mnistClasses]
		p := prediction{File: f, Probabilities: numbers(row)}
		for j, v := range row {
			if v > row[p.Digit] {
				p.Digit = j
			}
		}
		r.Predictions = append(r.Predictions, p)
	}
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "predict", err)
	}
	return exitOK
}

// readDigitPNG reads a 28×28 PNG as 784 gray values in [0, 1], row by row.
// 8-bit gray values v become float32(v)/255 exactly as the MNIST loader
// scales its pixels, so an MNIST image saved as a gray PNG gives the same
// input; other values become Y/65535 of their 16-bit luminance Y. --invert
// maps Y to 65535 − Y (v to 255 − v).
func readDigitPNG(path string, invert bool) (px []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "image")
	}
	defer f.Close() // read only
	img, err := png.Decode(f)
	if err != nil {
		return nil, errors.Wrapf(err, "%s: not a valid PNG", path)
	}
	b := img.Bounds()
	if b.Dx() != mnistSide || b.Dy() != mnistSide {
		return nil, errors.Errorf("%s: image is %d×%d, want %d×%d (zoo predict does not resize)", path, b.Dx(), b.Dy(), mnistSide, mnistSide)
	}
	px = make([]float32, 0, mnistSide*mnistSide)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			y16 := gray16(img, x, y)
			if invert {
				y16 = 0xffff - y16
			}
			px = append(px, unit(y16))
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

// unit scales a 16-bit luminance to [0, 1]; a value widened from 8 bits
// (a multiple of 257) is scaled as the MNIST loader scales its bytes.
func unit(y16 uint16) float32 {
	if y16%257 == 0 {
		return float32(y16/257) / 255
	}
	return float32(float64(y16) / 65535)
}
