package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/datasets/digitimage"
)

const predictSynopsis = "classify pictures of digits (PNG or JPEG, any size) with a trained model"

func init() {
	register(command{name: "predict", synopsis: predictSynopsis, run: runPredict})
}

// MNIST's image side and number of classes.
const (
	mnistSide    = digitimage.Side
	mnistClasses = 10
)

// predictReport is the JSON result of zoo predict.
type predictReport struct {
	Checkpoint  string       `json:"checkpoint"`
	Model       string       `json:"model"`
	Predictions []prediction `json:"predictions"`
}

// prediction is one file's result: the most probable digit, every digit's
// probability, and what was done to the picture.
type prediction struct {
	File          string     `json:"file"`
	Digit         int        `json:"digit"`
	Probabilities []number   `json:"probabilities"`
	Input         inputTrace `json:"input"`
}

// inputTrace says how a picture became the 28×28 input: "normalized"
// (Report says how) or "raw" (read pixel for pixel, inverted on request).
type inputTrace struct {
	Mode     string             `json:"mode"`
	Done     string             `json:"done"`
	Inverted bool               `json:"inverted"`
	Report   *digitimage.Report `json:"report,omitempty"`
	Saved    string             `json:"saved,omitempty"`
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("predict", predictSynopsis+`.

zoo predict MODEL|ENSEMBLE_DIR FILE... [--raw] [--invert] [--polarity P] [--save-input DIR]

An ensemble (the --out of zoo train --ensemble K) predicts the arithmetic
mean of its members' probabilities.

`+modelArgHelp+`

By default each FILE, a PNG or JPEG of any size (grey or colour;
transparent pixels are composited on white), is brought to MNIST's format
the way the data set was made: light-on-dark or dark-on-light is detected
from the picture's border and the picture inverted if needed, the
background is mapped to black and the brightest ink to white, the ink's
bounding box is fitted into 20×20 pixels preserving its aspect ratio (with
antialiasing) and centred by its centre of mass in a 28×28 field
(package datasets/digitimage). Each prediction's "input" says what was
done (inverted, cropped, scaled, placed). A picture whose header claims
more than 25 million pixels is refused before it is decoded.

--raw reads 28×28 pictures pixel for pixel instead: grey values as they
are, other colour models by luminance (0.299 R + 0.587 G + 0.114 B),
transparent pixels as black, scaled to [0, 1] as the MNIST loader does;
MNIST digits are light on dark, so pass --invert for dark digits on a
light background. Other sizes are refused, not resized.

--save-input DIR writes the 28×28 picture each FILE was classified as to
DIR/NAME.png (NAME: the file's base name without extension); zoo predict
--raw on a saved picture classifies exactly the same input. A file that
cannot be read exits 1 with a message naming it.`, stderr)
	raw := fs.Bool("raw", false, "read 28×28 pictures pixel for pixel, without normalisation")
	invert := fs.Bool("invert", false, "invert the pictures (with --raw: for dark digits on light; otherwise the same as --polarity dark-on-light)")
	polarity := fs.String("polarity", "auto", "auto (detect from the border), light-on-dark or dark-on-light (not with --raw)")
	saveDir := fs.String("save-input", "", "write each 28×28 input to `DIR` as PNG")
	pos, code, done := parseArgs(fs, args, 2, -1, "model (or checkpoint) and at least one picture")
	if done {
		return code
	}
	opts := digitimage.Options{}
	switch *polarity {
	case "auto":
	case "light-on-dark":
		opts.Polarity = digitimage.LightOnDark
	case "dark-on-light":
		opts.Polarity = digitimage.DarkOnLight
	default:
		fmt.Fprintf(stderr, "predict: --polarity %q: want auto, light-on-dark or dark-on-light\n", *polarity)
		return exitUsage
	}
	if *invert {
		if opts.Polarity == digitimage.LightOnDark {
			fmt.Fprintln(stderr, "predict: --invert contradicts --polarity light-on-dark")
			return exitUsage
		}
		opts.Polarity = digitimage.DarkOnLight
	}
	if *raw && *polarity != "auto" {
		fmt.Fprintln(stderr, "predict: --polarity applies to normalised pictures; with --raw use --invert")
		return exitUsage
	}
	ckpt, files := pos[0], pos[1:]
	ms, name, err := loadPredictors(ctx, ckpt)
	if err != nil {
		return failure(stderr, "predict", err)
	}
	x := make([]float32, 0, len(files)*mnistSide*mnistSide)
	traces := make([]inputTrace, len(files))
	saved := map[string]bool{}
	for i, f := range files {
		px, tr, err := readPicture(f, *raw, *invert, opts)
		if err != nil {
			return failure(stderr, "predict", err)
		}
		if *saveDir != "" {
			if tr.Saved, err = saveInput(*saveDir, f, px, saved); err != nil {
				return failure(stderr, "predict", err)
			}
		}
		x = append(x, px...)
		traces[i] = tr
	}
	ds, err := datasets.New(x, make([]int, len(files)), datasets.Shape{C: 1, H: mnistSide, W: mnistSide}, mnistClasses)
	if err != nil {
		return failure(stderr, "predict", err)
	}
	flat, err := predictProbs(ctx, ms, ds)
	if err != nil {
		return failure(stderr, "predict", err)
	}
	if err := finiteRows(flat, mnistClasses, func(i int) string { return files[i] }); err != nil {
		return failure(stderr, "predict", err)
	}
	r := predictReport{Checkpoint: ckpt, Model: name}
	for i, f := range files {
		row := flat[i*mnistClasses : (i+1)*mnistClasses]
		p := prediction{File: f, Probabilities: numbers(row), Input: traces[i]}
		for j, v := range row {
			if v > row[p.Digit] {
				p.Digit = j
			}
		}
		r.Predictions = append(r.Predictions, p)
		fmt.Fprintf(stderr, "zoo predict: %s: %d (p %.3f); %s\n", f, p.Digit, row[p.Digit], p.Input.Done)
	}
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "predict", err)
	}
	return exitOK
}

// readPicture reads one file as 784 values in [0, 1]: pixel for pixel if
// raw (inverted if invert), else normalised to MNIST's format. Every error
// names the file.
func readPicture(path string, raw, invert bool, opts digitimage.Options) (px []float32, tr inputTrace, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, tr, errors.Wrap(err, "picture")
	}
	defer f.Close() // read only
	if raw {
		px, err = digitimage.Raw(f, invert, opts)
		if err != nil {
			return nil, tr, errors.WithMessage(err, path)
		}
		tr = inputTrace{Mode: "raw", Inverted: invert, Done: "read 28×28 pixel for pixel"}
		if invert {
			tr.Done += ", inverted"
		}
		return px, tr, nil
	}
	g, rep, err := digitimage.Normalize(f, opts)
	if err != nil {
		return nil, tr, errors.WithMessage(err, path)
	}
	return digitimage.Pixels(g), inputTrace{Mode: "normalized", Inverted: rep.Inverted, Done: rep.String(), Report: &rep}, nil
}

// saveInput writes the 28×28 input px of file to dir as NAME.png, NAME
// being the file's base name without extension, made unique among the
// names already used in this run (NAME-2.png, …). It returns the path.
func saveInput(dir, file string, px []float32, used map[string]bool) (path string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", errors.Wrap(err, "save input")
	}
	stem := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	name := stem + ".png"
	for n := 2; used[name]; n++ {
		name = fmt.Sprintf("%s-%d.png", stem, n)
	}
	used[name] = true
	path = filepath.Join(dir, name)
	return path, writePNGFile(path, digitimage.Image(px))
}

// writePNGFile encodes img to path, keeping the Close error.
func writePNGFile(path string, img image.Image) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "save input")
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = errors.Wrap(cerr, "save input")
		}
	}()
	return errors.Wrapf(png.Encode(f, img), "save input %s", path)
}
