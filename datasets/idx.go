package datasets

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"

	"github.com/pkg/errors"
)

// ElemType is an IDX element type: the third byte of the magic number.
type ElemType byte

// IDX element types (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
// Elements are stored big-endian.
const (
	UByte  ElemType = 0x08 // unsigned byte; the only type MNIST uses
	SByte  ElemType = 0x09 // signed byte
	Short  ElemType = 0x0B // int16
	Int    ElemType = 0x0C // int32
	Float  ElemType = 0x0D // float32
	Double ElemType = 0x0E // float64
)

// Size returns the size of one element in bytes, or 0 for an unknown type.
func (t ElemType) Size() int {
	switch t {
	case UByte, SByte:
		return 1
	case Short:
		return 2
	case Int, Float:
		return 4
	case Double:
		return 8
	}
	return 0
}

// String returns the IDX name of the type, e.g. "ubyte".
func (t ElemType) String() string {
	switch t {
	case UByte:
		return "ubyte"
	case SByte:
		return "byte"
	case Short:
		return "short"
	case Int:
		return "int"
	case Float:
		return "float"
	case Double:
		return "double"
	}
	return "unknown"
}

// DefaultMaxIDXBytes is the default cap on the data payload of one IDX file:
// 256 MiB, more than five times MNIST's largest file (47,040,000 bytes).
const DefaultMaxIDXBytes = 256 << 20

// maxDim is the largest accepted dimension size (it must fit an int on every
// platform).
const maxDim = math.MaxInt32

// IDX is a decoded IDX file: the element type, the dimensions (outermost
// first) and the raw big-endian element bytes, len(Data) ==
// product(Dims) * Type.Size().
type IDX struct {
	Type ElemType
	Dims []int
	Data []byte
}

// IDXOptions configures ReadIDX. The zero value is ready to use.
type IDXOptions struct {
	// MaxBytes caps the data payload the header may claim, in bytes.
	// 0 means DefaultMaxIDXBytes. Headers claiming more are rejected before
	// anything is allocated.
	MaxBytes int64
}

// Validate reports an invalid option.
func (o IDXOptions) Validate() error {
	if o.MaxBytes < 0 {
		return errorf(ErrConfig, "idx: MaxBytes %d is negative", o.MaxBytes)
	}
	return nil
}

func (o IDXOptions) maxBytes() int64 {
	if o.MaxBytes == 0 {
		return DefaultMaxIDXBytes
	}
	return o.MaxBytes
}

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = [2]byte{0x1f, 0x8b}

// ReadIDX reads one IDX file from r, raw or gzip-compressed. Compression is
// detected from the content (the gzip magic bytes 1f 8b), not from a name.
//
// The header is validated before any allocation that depends on it: the
// magic number must start with two zero bytes, the type must be known and
// the number of dimensions non-zero; the payload the dimensions imply must
// not exceed opts.MaxBytes. The payload is then read incrementally, so a
// header that claims more than the input holds costs at most about twice
// the bytes actually present. Missing data, bytes after the payload and
// corrupt gzip streams (including a bad CRC) are errors. ReadIDX never
// panics on malformed input.
func ReadIDX(r io.Reader, opts IDXOptions) (*IDX, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	br := bufio.NewReader(r)
	var src io.Reader = br
	if head, err := br.Peek(2); err == nil && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, classifyReadErr(err, "gzip header")
		}
		// gzip.Reader.Close only returns an error already seen by Read, and
		// every Read error is returned below, so its result adds nothing.
		defer zr.Close()
		src = zr
	}

	var magic [4]byte
	if _, err := io.ReadFull(src, magic[:]); err != nil {
		if err == io.EOF {
			return nil, errorf(ErrIDXTruncated, "empty input")
		}
		return nil, classifyReadErr(err, "magic number")
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, errorf(ErrIDXMagic, "got %02x%02x%02x%02x, want 0000TTNN (first two bytes zero)",
			magic[0], magic[1], magic[2], magic[3])
	}
	typ := ElemType(magic[2])
	if typ.Size() == 0 {
		return nil, errorf(ErrIDXType, "type code 0x%02x", magic[2])
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return nil, errorf(ErrIDXDims, "zero dimensions")
	}

	hdr := make([]byte, 4*ndims) // at most 1020 bytes
	if _, err := io.ReadFull(src, hdr); err != nil {
		return nil, classifyReadErr(err, "dimensions")
	}
	dims := make([]int, ndims)
	for i := range dims {
		d := binary.BigEndian.Uint32(hdr[4*i:])
		if d > maxDim {
			return nil, errorf(ErrIDXDims, "dimension %d is %d, above %d", i, d, maxDim)
		}
		dims[i] = int(d)
	}
	size, ok := payloadSize(typ, dims)
	if max := opts.maxBytes(); !ok || size > max {
		claim := fmt.Sprintf("%d bytes", size)
		if !ok {
			claim = "more than 2^63 bytes"
		}
		return nil, errorf(ErrIDXTooLarge, "dimensions %v imply %s, above the maximum %d", dims, claim, max)
	}

	data, err := readPayload(src, size)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errorf(ErrIDXTruncated, "header %v claims %d data bytes, only %d present", dims, size, len(data))
		}
		return nil, classifyReadErr(err, "data")
	}
	// Read past the end: catches trailing bytes, and makes gzip verify its CRC.
	var one [1]byte
	n, err := io.ReadFull(src, one[:])
	if n != 0 {
		return nil, errorf(ErrIDXTrailing, "bytes after the %d data bytes that header %v describes", size, dims)
	}
	if err != io.EOF {
		return nil, classifyReadErr(err, "end of data")
	}
	return &IDX{Type: typ, Dims: dims, Data: data}, nil
}

// payloadSize returns product(dims) * typ.Size(), or ok == false if that
// does not fit an int64.
func payloadSize(typ ElemType, dims []int) (size int64, ok bool) {
	if slices.Contains(dims, 0) {
		return 0, true
	}
	total := uint64(typ.Size())
	for _, d := range dims {
		hi, lo := bits.Mul64(total, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		total = lo
	}
	return int64(total), true
}

// readPayload reads exactly size bytes from r, growing its buffer as data
// arrives (starting at 1 MiB at most), so the allocation follows the data
// actually present rather than the size a header claims. On a short read it
// returns the bytes read and io.ErrUnexpectedEOF (or io.EOF if none).
func readPayload(r io.Reader, size int64) ([]byte, error) {
	const first = 1 << 20
	buf := make([]byte, 0, min(size, first))
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), size))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if int64(len(buf)) == size && err == io.EOF {
				break
			}
			if err == io.EOF && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// classifyReadErr turns an error from the underlying or gzip reader into one
// of this package's errors.
func classifyReadErr(err error, what string) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(ErrIDXTruncated, "input ends inside the %s", what)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &corrupt):
		return errorf(ErrIDXCompression, "%s: %v", what, err)
	}
	return errors.Wrapf(err, "datasets: idx: read %s", what)
}

// WriteIDX writes x to w as raw (uncompressed) IDX. It checks that len(x.Data)
// matches the type and dimensions.
func WriteIDX(w io.Writer, x *IDX) error {
	if x == nil {
		return errorf(ErrConfig, "idx: nil IDX")
	}
	if x.Type.Size() == 0 {
		return errorf(ErrIDXType, "type code 0x%02x", byte(x.Type))
	}
	if len(x.Dims) == 0 || len(x.Dims) > 255 {
		return errorf(ErrIDXDims, "%d dimensions, want 1..255", len(x.Dims))
	}
	for i, d := range x.Dims {
		if d < 0 || int64(d) > maxDim {
			return errorf(ErrIDXDims, "dimension %d is %d, want 0..%d", i, d, maxDim)
		}
	}
	if want, ok := payloadSize(x.Type, x.Dims); !ok || int64(len(x.Data)) != want {
		return errorf(ErrShape, "idx: %d data bytes, dimensions %v of %s need %d", len(x.Data), x.Dims, x.Type, want)
	}
	hdr := make([]byte, 4+4*len(x.Dims))
	hdr[2] = byte(x.Type)
	hdr[3] = byte(len(x.Dims))
	for i, d := range x.Dims {
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return errors.Wrap(err, "datasets: idx: write header")
	}
	if _, err := w.Write(x.Data); err != nil {
		return errors.Wrap(err, "datasets: idx: write data")
	}
	return nil
}
