package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

// idxBytes builds a raw IDX file by hand: magic 00 00 typ len(dims), the
// dimensions big-endian, then data. Independent of WriteIDX on purpose.
func idxBytes(typ byte, dims []uint32, data []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestReadIDXValid(t *testing.T) {
	tests := []struct {
		name string
		typ  byte
		dims []uint32
	}{
		{"ubyte images", 0x08, []uint32{3, 4, 5}},
		{"ubyte labels", 0x08, []uint32{7}},
		{"sbyte", 0x09, []uint32{2, 2}},
		{"short", 0x0B, []uint32{3}},
		{"int", 0x0C, []uint32{2, 3}},
		{"float", 0x0D, []uint32{4}},
		{"double", 0x0E, []uint32{1, 1, 1, 2}},
		{"zero count", 0x08, []uint32{0, 28, 28}},
	}
	sizes := map[byte]int{0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}
	for _, tt := range tests {
		n := sizes[tt.typ]
		for _, d := range tt.dims {
			n *= int(d)
		}
		data := seq(n)
		raw := idxBytes(tt.typ, tt.dims, data)
		for _, form := range []string{"raw", "gzip"} {
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				in := raw
				if form == "gzip" {
					in = gzipBytes(t, raw)
				}
				x, err := ReadIDX(bytes.NewReader(in), IDXOptions{})
				if err != nil {
					t.Fatalf("ReadIDX: %v", err)
				}
				if byte(x.Type) != tt.typ || len(x.Dims) != len(tt.dims) || !bytes.Equal(x.Data, data) {
					t.Fatalf("got type %v dims %v %d bytes, want 0x%02x %v %d bytes", x.Type, x.Dims, len(x.Data), tt.typ, tt.dims, len(data))
				}
				for i, d := range tt.dims {
					if x.Dims[i] != int(d) {
						t.Fatalf("dims %v, want %v", x.Dims, tt.dims)
					}
				}
				var out bytes.Buffer
				if err := WriteIDX(&out, x); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), raw) {
					t.Fatal("WriteIDX(ReadIDX(b)) != b")
				}
			})
		}
	}
}

func TestReadIDXMalformed(t *testing.T) {
	img := idxBytes(0x08, []uint32{2, 3, 3}, seq(18))
	badCRC := gzipBytes(t, img)
	badCRC[len(badCRC)-8] ^= 0xff // first byte of the CRC-32 trailer
	badSize := gzipBytes(t, img)
	badSize[len(badSize)-1] ^= 0x01 // ISIZE trailer
	gz := gzipBytes(t, img)
	tests := []struct {
		name string
		in   []byte
		opts IDXOptions
		kind error
		msg  string // substring of the message
	}{
		{"empty", nil, IDXOptions{}, ErrIDXTruncated, "empty input"},
		{"short magic", []byte{0, 0, 8}, IDXOptions{}, ErrIDXTruncated, "magic"},
		{"wrong magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, IDXOptions{}, ErrIDXMagic, "01000801"},
		{"png magic", []byte{0x89, 'P', 'N', 'G', 0, 0, 0, 0}, IDXOptions{}, ErrIDXMagic, "first two bytes zero"},
		{"unknown type", idxBytes(0x07, []uint32{1}, []byte{1}), IDXOptions{}, ErrIDXType, "0x07"},
		{"zero dims", []byte{0, 0, 8, 0}, IDXOptions{}, ErrIDXDims, "zero dimensions"},
		{"truncated dims", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, IDXOptions{}, ErrIDXTruncated, "dimensions"},
		{"dim above int32", idxBytes(0x08, []uint32{0xffffffff}, nil), IDXOptions{}, ErrIDXDims, "4294967295"},
		{"product overflows", idxBytes(0x0E, []uint32{0x7fffffff, 0x7fffffff, 0x7fffffff}, nil), IDXOptions{}, ErrIDXTooLarge, "imply more than"},
		{"above max", idxBytes(0x08, []uint32{60000, 28, 28}, nil), IDXOptions{MaxBytes: 1 << 20}, ErrIDXTooLarge, "47040000 bytes"},
		{"claims more than file", idxBytes(0x08, []uint32{60000, 28, 28}, seq(100)), IDXOptions{}, ErrIDXTruncated, "claims 47040000 data bytes, only 100 present"},
		{"no data", idxBytes(0x08, []uint32{10}, nil), IDXOptions{}, ErrIDXTruncated, "only 0 present"},
		{"one byte short", img[:len(img)-1], IDXOptions{}, ErrIDXTruncated, "claims 18 data bytes, only 17"},
		{"trailing byte", append(append([]byte(nil), img...), 0), IDXOptions{}, ErrIDXTrailing, "18 data bytes"},
		{"gzip truncated", gz[:len(gz)-10], IDXOptions{}, ErrIDXTruncated, ""},
		{"gzip claims more", gzipBytes(t, idxBytes(0x08, []uint32{60000, 28, 28}, seq(100))), IDXOptions{}, ErrIDXTruncated, "only 100 present"},
		{"gzip bad crc", badCRC, IDXOptions{}, ErrIDXCompression, "checksum"},
		{"gzip bad size", badSize, IDXOptions{}, ErrIDXCompression, "checksum"},
		{"gzip bad header", []byte{0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0}, IDXOptions{}, ErrIDXCompression, "gzip header"},
		{"gzip trailing garbage", append(append([]byte(nil), gz...), 'x', 'y', 'z', 'w', 'v', 'u', 't', 's', 'r', 'q'), IDXOptions{}, ErrIDXCompression, ""},
		{"gzip of trailing", gzipBytes(t, append(append([]byte(nil), img...), 1, 2)), IDXOptions{}, ErrIDXTrailing, ""},
		{"negative max", img, IDXOptions{MaxBytes: -1}, ErrConfig, "MaxBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := ReadIDX(bytes.NewReader(tt.in), tt.opts)
			if err == nil {
				t.Fatalf("ReadIDX returned %+v, want an error", x)
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error %q is not %q", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "datasets: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestReadIDXAllocationFollowsData checks that a header claiming 256 MiB
// (the default maximum) with 10 bytes behind it does not allocate 256 MiB:
// the payload buffer starts at 1 MiB and grows with the data.
func TestReadIDXAllocationFollowsData(t *testing.T) {
	for _, form := range []string{"raw", "gzip"} {
		t.Run(form, func(t *testing.T) {
			in := idxBytes(0x08, []uint32{256, 1024, 1024}, seq(10))
			if form == "gzip" {
				in = gzipBytes(t, in)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadIDX(bytes.NewReader(in), IDXOptions{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrIDXTruncated) {
				t.Fatalf("error %v, want truncated", err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
				t.Fatalf("allocated %d bytes for a 10-byte payload", got)
			}
		})
	}
}

func TestWriteIDXRejects(t *testing.T) {
	tests := []struct {
		name string
		x    *IDX
		kind error
	}{
		{"nil", nil, ErrConfig},
		{"bad type", &IDX{Type: 0x01, Dims: []int{1}, Data: []byte{0}}, ErrIDXType},
		{"no dims", &IDX{Type: UByte, Data: nil}, ErrIDXDims},
		{"negative dim", &IDX{Type: UByte, Dims: []int{-1}}, ErrIDXDims},
		{"short data", &IDX{Type: Short, Dims: []int{2}, Data: []byte{1, 2, 3}}, ErrShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := WriteIDX(&bytes.Buffer{}, tt.x); !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want %v", err, tt.kind)
			}
		})
	}
}

func TestFromIDX(t *testing.T) {
	images := &IDX{Type: UByte, Dims: []int{2, 2, 3}, Data: []byte{0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 1}}
	labels := &IDX{Type: UByte, Dims: []int{2}, Data: []byte{9, 0}}
	ds, err := FromIDX(images, labels, MNISTClasses)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 2 || ds.Shape != (Shape{1, 2, 3}) || ds.Y[0] != 9 || ds.Y[1] != 0 {
		t.Fatalf("got %d samples shape %+v labels %v", ds.Len(), ds.Shape, ds.Y)
	}
	// p/255: 51/255 = 0.2, 204/255 = 0.8 exactly in decimal.
	want := []float32{0, 0.2, 0.4, 0.6, 0.8, 1, 1, 0, 0, 0, 0, float32(1) / 255}
	for i := range want {
		if ds.X[i] != want[i] {
			t.Fatalf("X[%d] = %v, want %v", i, ds.X[i], want[i])
		}
	}

	bad := []struct {
		name           string
		images, labels *IDX
		kind           error
		msg            string
	}{
		{"count mismatch", images, &IDX{Type: UByte, Dims: []int{3}, Data: []byte{1, 2, 3}}, ErrCountMismatch, "2 images, 3 labels"},
		{"label above 9", images, &IDX{Type: UByte, Dims: []int{2}, Data: []byte{3, 10}}, ErrLabelRange, "label 10 at index 1"},
		{"float images", &IDX{Type: Float, Dims: []int{1, 1, 1}, Data: make([]byte, 4)}, labels, ErrIDXType, "want ubyte"},
		{"short labels", images, &IDX{Type: Short, Dims: []int{2}, Data: make([]byte, 4)}, ErrIDXType, "labels are short"},
		{"2-d images", &IDX{Type: UByte, Dims: []int{2, 6}, Data: make([]byte, 12)}, labels, ErrIDXDims, "want 3"},
		{"2-d labels", images, &IDX{Type: UByte, Dims: []int{2, 1}, Data: make([]byte, 2)}, ErrIDXDims, "want 1"},
		{"zero rows", &IDX{Type: UByte, Dims: []int{2, 0, 3}}, labels, ErrIDXDims, "0x3"},
		{"nil", nil, labels, ErrConfig, "nil"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromIDX(tt.images, tt.labels, MNISTClasses)
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, tt.kind, tt.msg)
			}
		})
	}
}
