package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/models"
)

const dataSynopsis = "load MNIST, split off a validation set and report counts, class histograms and checksums"

func init() {
	register(command{name: "data", synopsis: dataSynopsis, run: runData})
}

// dataFlags are the data flags shared by every subcommand that trains or
// evaluates on MNIST.
type dataFlags struct {
	dir     string
	valFrac float64
	seed    uint64
	split   string
	strict  bool
}

// register defines the flags on fs.
func (f *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "data", "", "directory holding the four MNIST files, raw or gzipped (default: $"+datasets.EnvMNISTDir+", else the GoMNIST module in the Go module cache)")
	fs.Float64Var(&f.valFrac, "val-frac", 0.1, "fraction of the training set held out for validation, 0 <= f < 1")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the stratified split")
	fs.StringVar(&f.split, "split", string(datasets.SplitStratified), "held-out split: stratified (random within each class) or tail (the last samples, as Keras's validation_split)")
	fs.BoolVar(&f.strict, "strict", false, "fail, rather than warn, when files in --data or $"+datasets.EnvMNISTDir+" differ from the original MNIST")
}

// validate reports a bad flag value (a usage error).
func (f *dataFlags) validate() error {
	if err := datasets.ValidateFraction(f.valFrac); err != nil {
		return errors.WithMessage(err, "--val-frac")
	}
	if _, err := datasets.ParseSplitMethod(f.split); err != nil {
		return errors.WithMessage(err, "--split")
	}
	return nil
}

// splits is MNIST divided into training, validation and test sets.
type splits struct {
	mnist            *datasets.MNIST
	train, val, test *datasets.Dataset
}

// loadMNIST loads MNIST from dir (or $ZOO_MNIST_DIR, or the module
// cache) and logs progress and checksum warnings to stderr.
func loadMNIST(ctx context.Context, dir string, strict bool, stderr io.Writer) (*datasets.MNIST, error) {
	start := time.Now()
	m, err := datasets.LoadMNIST(ctx, datasets.MNISTOptions{Dir: dir, Strict: strict})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "zoo: loaded MNIST from %s (%s): %d training, %d test images in %v\n",
		m.Dir, m.Source, m.Train.Len(), m.Test.Len(), time.Since(start).Round(time.Millisecond))
	if !m.ChecksumsOK {
		for _, c := range m.Files {
			if !c.OK {
				fmt.Fprintf(stderr, "zoo: warning: %s differs from the original MNIST file (md5 %s, original %s)\n", c.Path, c.MD5, c.ExpectedMD5)
			}
		}
		fmt.Fprintln(stderr, "zoo: warning: checksums_ok=false; fine for a subset, use --strict to make it an error")
	}
	return m, nil
}

// loadSplits loads MNIST as the flags say and splits the training set as a
// recipe with these split settings would (models.Recipe.Splits).
func loadSplits(ctx context.Context, f dataFlags, stderr io.Writer) (*splits, error) {
	m, err := loadMNIST(ctx, f.dir, f.strict, stderr)
	if err != nil {
		return nil, err
	}
	r := models.Recipe{Seed: f.seed, ValFrac: f.valFrac, Split: f.split}
	train, val, err := r.Splits(m.Train)
	if err != nil {
		return nil, err
	}
	return &splits{mnist: m, train: train, val: val, test: m.Test}, nil
}

// dataReport is the JSON result of zoo data.
type dataReport struct {
	Source      string               `json:"source"` // dir, env or module-cache
	Dir         string               `json:"dir"`
	Module      string               `json:"module"` // module@version that ships MNIST
	ChecksumsOK bool                 `json:"checksums_ok"`
	Files       []datasets.FileCheck `json:"files"`
	Split       struct {
		Method  string  `json:"method"`
		ValFrac float64 `json:"val_frac"`
		Seed    uint64  `json:"seed"`
	} `json:"split"`
	Shape          datasets.Shape `json:"shape"`
	Classes        int            `json:"classes"`
	Counts         splitCounts    `json:"counts"`
	ClassHistogram splitHists     `json:"class_histogram"`
}

type splitCounts struct {
	Train int `json:"train"`
	Val   int `json:"val"`
	Test  int `json:"test"`
}

type splitHists struct {
	Train []int `json:"train"`
	Val   []int `json:"val"`
	Test  []int `json:"test"`
}

func runData(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("data", dataSynopsis+".", stderr)
	var f dataFlags
	f.register(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if err := f.validate(); err != nil {
		return usageError(fs, err)
	}
	s, err := loadSplits(ctx, f, stderr)
	if err != nil {
		return failure(stderr, "data", err)
	}
	var r dataReport
	r.Source = string(s.mnist.Source)
	r.Dir = s.mnist.Dir
	r.Module = datasets.GoMNISTModule + "@" + datasets.GoMNISTVersionInUse()
	r.ChecksumsOK = s.mnist.ChecksumsOK
	r.Files = s.mnist.Files
	r.Split.Method, r.Split.ValFrac, r.Split.Seed = f.split, f.valFrac, f.seed
	r.Shape = s.train.Shape
	r.Classes = s.train.NumClasses
	r.Counts = splitCounts{Train: s.train.Len(), Val: s.val.Len(), Test: s.test.Len()}
	r.ClassHistogram = splitHists{Train: s.train.ClassCounts(), Val: s.val.ClassCounts(), Test: s.test.ClassCounts()}
	if err := writeJSON(stdout, r); err != nil {
		return failure(stderr, "data", err)
	}
	return exitOK
}
