package safetensors

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

func dense[T any](shape []int, data []T) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// sample returns tensors of every supported dtype and a few shapes.
func sample() []Tensor {
	tr := dense([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	if err := tr.T(); err != nil {
		panic(err)
	}
	return []Tensor{
		{"fc1/W", dense([]int{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25})},
		{"fc1/b", dense([]int{3}, []float64{math.Pi, -1e-300, math.MaxFloat64})},
		{"scalar", dense([]int{}, []float64{42})},
		{"empty", dense([]int{2, 0}, []float32{})},
		{"i64", dense([]int{2}, []int64{math.MinInt64, math.MaxInt64})},
		{"i32", dense([]int{1, 2}, []int32{-7, 1 << 30})},
		{"i16", dense([]int{2}, []int16{-3, 300})},
		{"i8", dense([]int{2}, []int8{-128, 127})},
		{"u64", dense([]int{1}, []uint64{math.MaxUint64})},
		{"u32", dense([]int{1}, []uint32{math.MaxUint32})},
		{"u16", dense([]int{1}, []uint16{65535})},
		{"u8", dense([]int{3}, []uint8{0, 1, 255})},
		{"bool", dense([]int{3}, []bool{true, false, true})},
		{"transposed", tr},
	}
}

func encode(t *testing.T, ts []Tensor, md map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, ts, md); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// sameTensor compares dtype, shape and values (bit patterns for floats).
func sameTensor(a, b *tensor.Dense) bool {
	if a.Dtype() != b.Dtype() || !a.Shape().Eq(b.Shape()) || len(a.Shape()) != len(b.Shape()) {
		return false
	}
	if a.IsMaterializable() {
		a = a.Materialize().(*tensor.Dense)
	}
	if b.IsMaterializable() {
		b = b.Materialize().(*tensor.Dense)
	}
	c, _ := codecByDtype(a.Dtype())
	n := a.Shape().TotalSize()
	ba, bb := make([]byte, n*c.size()), make([]byte, n*c.size())
	c.encode(ba, a, 0)
	c.encode(bb, b, 0)
	return bytes.Equal(ba, bb)
}

func TestRoundTrip(t *testing.T) {
	md := map[string]string{"format": "pt", "zoo": `{"epoch": 3}`, "<&>": "ünïcode"}
	for _, tc := range []struct {
		name string
		read func([]byte) ([]Tensor, map[string]string, error)
	}{
		{"bytes.Reader", func(b []byte) ([]Tensor, map[string]string, error) { return Read(bytes.NewReader(b)) }},
		{"unknown length", func(b []byte) ([]Tensor, map[string]string, error) {
			return Read(io.MultiReader(bytes.NewReader(b)))
		}},
		{"file", func(b []byte) ([]Tensor, map[string]string, error) {
			p := filepath.Join(t.TempDir(), "x.safetensors")
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return ReadFile(p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := sample()
			b := encode(t, in, md)
			n := binary.LittleEndian.Uint64(b)
			if n%8 != 0 {
				t.Errorf("header length %d not a multiple of 8", n)
			}
			out, gotMD, err := tc.read(b)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(out) != len(in) {
				t.Fatalf("read %d tensors, wrote %d", len(out), len(in))
			}
			for i := range in {
				if out[i].Name != in[i].Name {
					t.Errorf("tensor %d: name %q, want %q (file order)", i, out[i].Name, in[i].Name)
					continue
				}
				if !sameTensor(in[i].Dense, out[i].Dense) {
					t.Errorf("tensor %q: got %v %v, want %v %v", in[i].Name, out[i].Dense.Shape(), out[i].Dense, in[i].Dense.Shape(), in[i].Dense)
				}
			}
			if len(gotMD) != len(md) {
				t.Errorf("metadata %v, want %v", gotMD, md)
			}
			for k, v := range md {
				if gotMD[k] != v {
					t.Errorf("metadata[%q] = %q, want %q", k, gotMD[k], v)
				}
			}
			// Writing what was read gives the same bytes.
			if b2 := encode(t, out, gotMD); !bytes.Equal(b, b2) {
				t.Errorf("rewrite differs")
			}
		})
	}
}

// TestExactBytes checks the layout against a file assembled by hand from
// the format description.
func TestExactBytes(t *testing.T) {
	got := encode(t, []Tensor{{"a", dense([]int{2}, []float32{1, -2})}}, nil)
	header := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	want = append(want, header...)
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0) // 1.0f, -2.0f little-endian
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// file assembles a safetensors stream from a raw header and data.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestReadErrors(t *testing.T) {
	good := encode(t, sample(), map[string]string{"k": "v"})
	hlen := int(binary.LittleEndian.Uint64(good))
	eight := make([]byte, 8)
	huge := binary.LittleEndian.AppendUint64(nil, 1<<62)
	tooLong := binary.LittleEndian.AppendUint64(nil, 1000)
	tooLong = append(tooLong, "{}"...)
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"short length", []byte{1, 2, 3}, ErrTruncated},
		{"header length beyond limit", append(huge, "{}"...), ErrHeader},
		{"header length beyond input", tooLong, ErrTruncated},
		{"header cut", good[:8+hlen/2], ErrTruncated},
		{"data cut", good[:len(good)-1], ErrTruncated},
		{"data missing", good[:8+hlen], ErrTruncated},
		{"trailing byte", append(append([]byte{}, good...), 0), ErrTrailingData},
		{"zero header length", eight, ErrHeader},
		{"not JSON", file("{nope", nil), ErrHeader},
		{"not an object", file("[1, 2]  ", nil), ErrHeader},
		{"junk after object", file(`{} x`, nil), ErrHeader},
		{"two objects", file(`{}{}`, nil), ErrHeader},
		{"duplicate name", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), ErrHeader},
		{"unknown field", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, []byte{1}), ErrHeader},
		{"missing shape", file(`{"a":{"dtype":"U8","data_offsets":[0,1]}}`, []byte{1}), ErrHeader},
		{"three offsets", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, []byte{1}), ErrHeader},
		{"unknown dtype", file(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, []byte{1, 2}), ErrDtype},
		{"shape/size mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)), ErrHeader},
		{"shape overflow", file(`{"a":{"dtype":"U8","shape":[2147483647,2147483647,2147483647,4],"data_offsets":[0,1]}}`, []byte{1}), ErrHeader},
		{"negative dim", file(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`, []byte{1}), ErrHeader},
		{"fractional dim", file(`{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}`, []byte{1}), ErrHeader},
		{"reversed offsets", file(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}`, []byte{1}), ErrHeader},
		{"negative offsets", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, []byte{1}), ErrHeader},
		{"overlap", file(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, []byte{1, 2, 3}), ErrHeader},
		{"gap", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, []byte{1, 2, 3}), ErrHeader},
		{"not starting at 0", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), ErrHeader},
		{"uncovered tail", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1, 2}), ErrTrailingData},
		{"huge offsets", file(`{"a":{"dtype":"U8","shape":[4611686018427387904],"data_offsets":[0,4611686018427387904]}}`, []byte{1}), ErrHeader},
		{"huge data, small file", file(`{"a":{"dtype":"U8","shape":[1073741824],"data_offsets":[0,1073741824]}}`, []byte{1}), ErrTruncated},
		{"bad bool", file(`{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}`, []byte{2}), ErrData},
		{"metadata not strings", file(`{"__metadata__":{"a":1}}`, nil), ErrHeader},
		{"empty name", file(`{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1}), ErrHeader},
		{"invalid UTF-8", file("{\"\xff\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", []byte{1}), ErrHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, hide := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(tc.in)
				if hide {
					r = io.MultiReader(r) // no Len method: size unknown
				}
				ts, _, err := Read(r)
				if !errors.Is(err, tc.want) {
					t.Errorf("hide length %v: error %v (tensors %d), want %v", hide, err, len(ts), tc.want)
				}
			}
		})
	}
}

func TestReadFileErrorNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "broken.safetensors")
	good := encode(t, sample(), nil)
	if err := os.WriteFile(p, good[:len(good)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadFile(p)
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v: want ErrTruncated naming %s", err, p)
	}
	if _, _, err := ReadFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestValidEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []byte
		count int
	}{
		{"no tensors", file("{}      ", nil), 0},
		{"only metadata", file(`{"__metadata__":{"a":"b"}}`, nil), 0},
		{"null metadata", file(`{"__metadata__":null}`, nil), 0},
		{"zero-size tensors share an offset", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0,5],"data_offsets":[0,0]}}`, nil), 2},
		{"out-of-order header", file(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{7, 9}), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, _, err := Read(bytes.NewReader(tc.in))
			if err != nil || len(ts) != tc.count {
				t.Fatalf("got %d tensors, err %v; want %d", len(ts), err, tc.count)
			}
		})
	}
	ts, _, _ := Read(bytes.NewReader(file(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{7, 9})))
	if ts[0].Name != "a" || ts[0].Dense.Uint8s()[0] != 7 || ts[1].Name != "b" || ts[1].Dense.Uint8s()[0] != 9 {
		t.Errorf("tensors not in data order: %v", ts)
	}
}

func TestWriteErrors(t *testing.T) {
	ok := dense([]int{1}, []float32{1})
	masked := dense([]int{1}, []float32{1})
	masked.SetMask([]bool{true})
	for _, tc := range []struct {
		name string
		in   []Tensor
		want error
	}{
		{"empty name", []Tensor{{"", ok}}, ErrTensor},
		{"reserved name", []Tensor{{"__metadata__", ok}}, ErrTensor},
		{"duplicate", []Tensor{{"a", ok}, {"a", ok}}, ErrTensor},
		{"nil", []Tensor{{"a", nil}}, ErrTensor},
		{"masked", []Tensor{{"a", masked}}, ErrTensor},
		{"complex", []Tensor{{"a", dense([]int{1}, []complex64{1})}}, ErrDtype},
		{"invalid UTF-8", []Tensor{{"\xff", ok}}, ErrTensor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.in, nil); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written before the error", buf.Len())
			}
		})
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteReportsWriterErrors(t *testing.T) {
	full := len(encode(t, sample(), nil))
	for _, n := range []int{0, 8, 20, full - 1} {
		if err := Write(&failWriter{n: n}, sample(), nil); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("limit %d: error %v", n, err)
		}
	}
}

// TestLargeTensor crosses the 64 KiB encoding buffer.
func TestLargeTensor(t *testing.T) {
	data := make([]float64, 20000)
	for i := range data {
		data[i] = float64(i) * 0.5
	}
	in := []Tensor{{"big", dense([]int{100, 200}, data)}}
	out, _, err := Read(io.MultiReader(bytes.NewReader(encode(t, in, nil))))
	if err != nil || !sameTensor(in[0].Dense, out[0].Dense) {
		t.Fatalf("err %v", err)
	}
}
