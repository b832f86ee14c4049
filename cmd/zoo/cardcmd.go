package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/card"
	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/pretrained"
)

const cardSynopsis = "make a model card: test error with its 95% interval, per-class accuracy, confusion, calibration, size, speed, paper"

func init() {
	register(command{name: "card", synopsis: cardSynopsis, run: runCard})
}

func runCard(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("card", cardSynopsis+`.

zoo card MODEL [--md FILE] [--diagram FILE.png] [--markdown] [--data DIR]

`+modelArgHelp+`

The card (package card) evaluates the model on MNIST's 10,000 test images
when it is made: test error with a 95% Wilson interval, per-class accuracy,
confusion matrix, expected calibration error over 15 confidence bins,
parameters and bytes, evaluation speed on this machine, the recipe and the
paper's number beside zoo's. It is printed on stdout as JSON, or as
Markdown with --markdown. --md FILE also writes the Markdown to FILE, with
the reliability diagram as FILE's name with -reliability.png beside it
(or --diagram FILE.png).`, stderr)
	dir := fs.String("data", "", "directory holding the four MNIST files, raw or gzipped (default: $"+datasets.EnvMNISTDir+", else the GoMNIST module in the Go module cache)")
	md := fs.String("md", "", "also write the card as Markdown to `FILE` (and its reliability diagram beside it)")
	diagram := fs.String("diagram", "", "write the reliability diagram to `FILE.png`")
	printMD := fs.Bool("markdown", false, "print the card as Markdown on stdout instead of JSON")
	bins := fs.Int("bins", 15, "number of calibration bins, ≥ 1")
	pos, code, done := parseArgs(fs, args, 1, 1, "model name or checkpoint file")
	if done {
		return code
	}
	if *bins < 1 {
		return usageError(fs, errors.Errorf("--bins %d: want ≥ 1", *bins))
	}
	m, c, err := loadModel(pos[0])
	if err != nil {
		return failure(stderr, "card", err)
	}
	src := card.Source{Checkpoint: c, Weights: card.Weights{Source: c.Path}}
	if name, ok := strings.CutPrefix(c.Path, "pretrained:"); ok {
		man, err := pretrained.ManifestOf(name)
		if err != nil {
			return failure(stderr, "card", err)
		}
		src.Weights.SHA256, src.Weights.FileBytes, src.Weights.ZooCommit, src.Command = man.SHA256, man.Bytes, man.ZooCommit, man.Command
		src.Recipe, src.Epochs = &man.Recipe, man.Epochs
	} else if src.Weights.SHA256, src.Weights.FileBytes, err = pretrained.FileSHA256(c.Path); err != nil {
		return failure(stderr, "card", err)
	}
	s, err := loadSplits(ctx, dataFlags{dir: *dir, split: string(datasets.SplitStratified)}, stderr)
	if err != nil {
		return failure(stderr, "card", err)
	}
	cd, err := card.Make(ctx, m, src, s.test, card.Options{Bins: *bins})
	if err != nil {
		return failure(stderr, "card", err)
	}
	if *diagram == "" && *md != "" {
		*diagram = strings.TrimSuffix(*md, filepath.Ext(*md)) + "-reliability.png"
	}
	for _, f := range []string{*md, *diagram} {
		if f != "" {
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return failure(stderr, "card", errors.Wrap(err, "card"))
			}
		}
	}
	if *diagram != "" {
		if err := cd.WriteReliabilityPNG(*diagram); err != nil {
			return failure(stderr, "card", err)
		}
		cd.Calibration.Diagram = *diagram
	}
	var rel string
	if *diagram != "" {
		base := "."
		if *md != "" {
			base = filepath.Dir(*md)
		}
		if rel, err = filepath.Rel(base, *diagram); err != nil {
			rel = *diagram
		}
	}
	if *md != "" {
		var b bytes.Buffer
		if err := cd.WriteMarkdown(&b, filepath.ToSlash(rel)); err != nil {
			return failure(stderr, "card", err)
		}
		if err := os.WriteFile(*md, b.Bytes(), 0o644); err != nil {
			return failure(stderr, "card", errors.Wrap(err, "card"))
		}
	}
	if *printMD {
		if err := cd.WriteMarkdown(stdout, filepath.ToSlash(rel)); err != nil {
			return failure(stderr, "card", err)
		}
		return exitOK
	}
	if err := writeJSON(stdout, cd); err != nil {
		return failure(stderr, "card", err)
	}
	return exitOK
}
