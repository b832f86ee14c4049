package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/errors"
)

// idxKinds are the errors ReadIDX may return for malformed input.
var idxKinds = []error{ErrIDXMagic, ErrIDXType, ErrIDXDims, ErrIDXTooLarge, ErrIDXTruncated, ErrIDXTrailing, ErrIDXCompression}

func isKind(err error, kinds ...error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// FuzzReadIDX feeds arbitrary bytes to ReadIDX and FromIDX. Neither may
// panic; every error must be one of the package's IDX errors; a successful
// read must be self-consistent and survive a WriteIDX/ReadIDX round trip.
// Seeds: hand-made valid and malformed files, gzipped and raw, and the real
// MNIST label files of testdata/mnist.
//
//	go test -run '^$' -fuzz FuzzReadIDX -fuzztime 70s ./datasets/
func FuzzReadIDX(f *testing.F) {
	img := idxBytes(0x08, []uint32{2, 3, 3}, seq(18))
	lab := idxBytes(0x08, []uint32{2}, []byte{3, 9})
	seeds := [][]byte{
		img, lab, gzipBytes(f, img), gzipBytes(f, lab),
		idxBytes(0x0D, []uint32{2}, seq(8)),
		idxBytes(0x0E, []uint32{1, 1}, seq(8)),
		idxBytes(0x08, []uint32{60000, 28, 28}, seq(16)),
		img[:len(img)-1], append(append([]byte(nil), img...), 0),
		{0, 0, 8, 0}, {}, {0x1f, 0x8b},
	}
	for _, name := range []string{"train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "mnist", name))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	opts := IDXOptions{MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in), opts)
		if err != nil {
			if !isKind(err, idxKinds...) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		size, ok := payloadSize(x.Type, x.Dims)
		if !ok || int64(len(x.Data)) != size || size > opts.MaxBytes {
			t.Fatalf("type %v dims %v: %d data bytes, want %d", x.Type, x.Dims, len(x.Data), size)
		}
		var out bytes.Buffer
		if err := WriteIDX(&out, x); err != nil {
			t.Fatalf("WriteIDX of a read IDX: %v", err)
		}
		y, err := ReadIDX(&out, opts)
		if err != nil || y.Type != x.Type || !bytes.Equal(y.Data, x.Data) || len(y.Dims) != len(x.Dims) {
			t.Fatalf("round trip failed: %v", err)
		}
		// As images or as labels, FromIDX must fail cleanly or agree. The
		// companion file is made to match; with a zero dimension the count
		// can be huge while the data is empty, so cap what we allocate.
		var labels, images *IDX
		if x.Dims[0] > 1<<16 {
			return
		}
		switch len(x.Dims) {
		case 3:
			images = x
			labels = &IDX{Type: UByte, Dims: []int{x.Dims[0]}, Data: make([]byte, x.Dims[0])}
		case 1:
			labels = x
			images = &IDX{Type: UByte, Dims: []int{x.Dims[0], 1, 1}, Data: make([]byte, x.Dims[0])}
		default:
			return
		}
		ds, err := FromIDX(images, labels, MNISTClasses)
		if err != nil {
			if !isKind(err, ErrIDXType, ErrIDXDims, ErrLabelRange, ErrCountMismatch) {
				t.Fatalf("FromIDX: unexpected error kind: %v", err)
			}
			return
		}
		if err := ds.Validate(); err != nil {
			t.Fatalf("FromIDX returned an invalid dataset: %v", err)
		}
	})
}
