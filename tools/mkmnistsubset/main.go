// Command mkmnistsubset writes the first -train training and -test test
// samples of the original MNIST files as gzipped IDX files, the small real
// subset that tests read from testdata/mnist. It reads the originals from
// the Go module cache (or $ZOO_MNIST_DIR) and checks their checksums.
//
// Regenerate testdata/mnist with, from the repository root:
//
//	go run ./tools/mkmnistsubset -train 500 -test 200 -out testdata/mnist
//
// The output is deterministic: gzip level 9, no name, zero modification time.
package main

import (
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gozoo/zoo/datasets"
	"github.com/pkg/errors"
)

func main() {
	nTrain := flag.Int("train", 500, "number of training samples to keep (the first ones)")
	nTest := flag.Int("test", 200, "number of test samples to keep (the first ones)")
	out := flag.String("out", filepath.Join("testdata", "mnist"), "output directory")
	flag.Parse()
	if err := run(*nTrain, *nTest, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkmnistsubset:", err)
		os.Exit(1)
	}
}

func run(nTrain, nTest int, out string) error {
	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Strict: true})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return errors.Wrap(err, "create output directory")
	}
	names := datasets.MNISTFileNames()
	sets := []struct {
		ds *datasets.Dataset
		n  int
	}{{m.Train, nTrain}, {m.Test, nTest}}
	for k, s := range sets {
		if s.n <= 0 || s.n > s.ds.Len() {
			return errors.Errorf("want 1..%d samples, got %d", s.ds.Len(), s.n)
		}
		sh := s.ds.Shape
		pix := make([]byte, s.n*sh.Size())
		for i := range pix {
			// Exact inverse of datasets.FromIDX's p/255 for p in 0..255.
			pix[i] = byte(s.ds.X[i]*255 + 0.5)
		}
		lab := make([]byte, s.n)
		for i := range lab {
			lab[i] = byte(s.ds.Y[i])
		}
		images := &datasets.IDX{Type: datasets.UByte, Dims: []int{s.n, sh.H, sh.W}, Data: pix}
		labels := &datasets.IDX{Type: datasets.UByte, Dims: []int{s.n}, Data: lab}
		if err := writeGzipIDX(filepath.Join(out, names[2*k]+".gz"), images); err != nil {
			return err
		}
		if err := writeGzipIDX(filepath.Join(out, names[2*k+1]+".gz"), labels); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "mkmnistsubset: wrote %d training and %d test samples to %s\n", nTrain, nTest, out)
	return nil
}

func writeGzipIDX(path string, x *datasets.IDX) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "create")
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = errors.Wrapf(cerr, "close %s", path)
		}
	}()
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return errors.Wrap(err, "gzip")
	}
	if err := datasets.WriteIDX(zw, x); err != nil {
		return errors.WithMessagef(err, "write %s", path)
	}
	return errors.Wrapf(zw.Close(), "finish %s", path)
}
