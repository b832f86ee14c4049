package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"
	"unicode/utf8"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// MaxHeaderSize bounds the JSON header that Read accepts, in bytes. It is
// the reference implementation's limit (100 MB).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header entry holding string metadata.
const metadataKey = "__metadata__"

// Tensor is a named tensor as stored in a file.
type Tensor struct {
	Name  string
	Dense *tensor.Dense
}

// tensorInfo is one tensor's header entry.
type tensorInfo struct {
	Dtype       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// entry is a validated header entry.
type entry struct {
	name       string
	codec      codec
	shape      []int
	begin, end int64
}

// Write writes tensors and metadata in safetensors format. The tensors'
// data are laid out in the order given; views (slices, transposes) are
// materialised first. Names must be non-empty, unique and not
// "__metadata__"; masked tensors are refused. Metadata may be nil.
// Writing the same input twice gives the same bytes.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, dense, codecs, err := buildHeader(tensors, metadata)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return errors.Wrap(err, "safetensors: write header length")
	}
	if _, err := w.Write(header); err != nil {
		return errors.Wrap(err, "safetensors: write header")
	}
	scratch := make([]byte, 64<<10)
	for i, d := range dense {
		c := codecs[i]
		total := c.len(d)
		for from := 0; from < total; {
			k := c.encode(scratch, d, from)
			if _, err := w.Write(scratch[:k*c.size()]); err != nil {
				return errors.Wrapf(err, "safetensors: write tensor %q", tensors[i].Name)
			}
			from += k
		}
	}
	return nil
}

// buildHeader validates the input and returns the padded JSON header and
// the contiguous tensors with their codecs.
func buildHeader(tensors []Tensor, metadata map[string]string) ([]byte, []*tensor.Dense, []codec, error) {
	seen := make(map[string]bool, len(tensors))
	dense := make([]*tensor.Dense, len(tensors))
	cs := make([]codec, len(tensors))
	var buf bytes.Buffer
	buf.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(&buf, k)
			buf.WriteByte(':')
			writeJSONString(&buf, metadata[k])
		}
		buf.WriteByte('}')
	}
	var offset int64
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return nil, nil, nil, formatErr(ErrTensor, "tensor %d has an empty name", i)
		case t.Name == metadataKey:
			return nil, nil, nil, formatErr(ErrTensor, "tensor name %q is reserved", t.Name)
		case seen[t.Name]:
			return nil, nil, nil, formatErr(ErrTensor, "tensor name %q used twice", t.Name)
		case !utf8.ValidString(t.Name):
			return nil, nil, nil, formatErr(ErrTensor, "tensor name %q is not valid UTF-8", t.Name)
		case t.Dense == nil:
			return nil, nil, nil, formatErr(ErrTensor, "tensor %q is nil", t.Name)
		case len(t.Dense.Mask()) > 0:
			return nil, nil, nil, formatErr(ErrTensor, "tensor %q is masked", t.Name)
		}
		seen[t.Name] = true
		c, ok := codecByDtype(t.Dense.Dtype())
		if !ok {
			return nil, nil, nil, formatErr(ErrDtype, "tensor %q has dtype %v", t.Name, t.Dense.Dtype())
		}
		d := t.Dense
		if d.IsMaterializable() {
			m, ok := d.Materialize().(*tensor.Dense)
			if !ok {
				return nil, nil, nil, formatErr(ErrTensor, "tensor %q cannot be materialised", t.Name)
			}
			d = m
		}
		shape := d.Shape()
		if n := shape.TotalSize(); c.len(d) != n {
			return nil, nil, nil, formatErr(ErrTensor, "tensor %q holds %d elements for shape %v", t.Name, c.len(d), shape)
		}
		size := int64(c.len(d)) * int64(c.size())
		dense[i], cs[i] = d, c
		if i > 0 || len(metadata) > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(&buf, t.Name)
		buf.WriteString(`:{"dtype":"`)
		buf.WriteString(c.name())
		buf.WriteString(`","shape":[`)
		for j, s := range shape {
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(itoa(int64(s)))
		}
		buf.WriteString(`],"data_offsets":[`)
		buf.WriteString(itoa(offset))
		buf.WriteByte(',')
		buf.WriteString(itoa(offset + size))
		buf.WriteString("]}")
		offset += size
	}
	buf.WriteByte('}')
	for buf.Len()%8 != 0 {
		buf.WriteByte(' ')
	}
	return buf.Bytes(), dense, cs, nil
}

func itoa(x int64) string {
	b, _ := json.Marshal(x)
	return string(b)
}

// writeJSONString writes s as a JSON string without HTML escaping.
func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // drop Encode's newline
}

// Read reads a safetensors stream: the tensors in the order of their data
// in the file, and the metadata (nil if the file has none). If r has a
// Len() int method (bytes.Reader, strings.Reader, bytes.Buffer), the
// header is checked against the remaining length before anything is
// allocated; otherwise buffers grow only as data arrives. Read consumes r
// to its end, to check that nothing follows the last tensor.
func Read(r io.Reader) ([]Tensor, map[string]string, error) {
	size := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len())
	}
	return read(r, size)
}

// ReadFile reads the safetensors file at path, checking the header against
// the file's size; a pipe or FIFO (zoo eval <(cat model.safetensors)) is
// read as a stream, as Read does. Errors name the file.
func ReadFile(path string) (tensors []Tensor, metadata map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errors.Wrap(err, "safetensors")
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = errors.Wrapf(cerr, "safetensors: close %s", path)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, errors.Wrap(err, "safetensors")
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		size = -1 // a pipe, FIFO or device: read as a stream of unknown length
	}
	tensors, metadata, err = read(bufio.NewReaderSize(f, 1<<16), size)
	if err != nil {
		return nil, nil, errors.WithMessage(err, path)
	}
	return tensors, metadata, nil
}

// read reads a stream of size bytes, or of unknown size if size < 0.
func read(r io.Reader, size int64) ([]Tensor, map[string]string, error) {
	var nb [8]byte
	if _, err := io.ReadFull(r, nb[:]); err != nil {
		return nil, nil, ioErr(err, "reading the 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if kind := knownFormat(nb[:]); kind != "" && (n > MaxHeaderSize || size >= 0 && n > uint64(size-8)) {
		return nil, nil, formatErr(ErrHeader, "not a safetensors file: it starts like %s", kind)
	}
	switch {
	case n > MaxHeaderSize:
		return nil, nil, formatErr(ErrHeader, "not a safetensors file: header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	case size >= 0 && n > uint64(size-8):
		return nil, nil, formatErr(ErrTruncated, "header length %d but only %d bytes follow", n, size-8)
	case n < 2:
		return nil, nil, formatErr(ErrHeader, "header length %d is too small", n)
	}
	header, err := readN(r, int64(n), size >= 0)
	if err != nil {
		return nil, nil, ioErr(err, "reading the header")
	}
	entries, metadata, err := parseHeader(header)
	if err != nil {
		return nil, nil, err
	}
	var dataLen int64
	if len(entries) > 0 {
		dataLen = entries[len(entries)-1].end
	}
	if size >= 0 {
		have := size - 8 - int64(n)
		if have < dataLen {
			return nil, nil, formatErr(ErrTruncated, "header announces %d data bytes, file has %d", dataLen, have)
		}
		if have > dataLen {
			return nil, nil, formatErr(ErrTrailingData, "%d bytes after the %d data bytes", have-dataLen, dataLen)
		}
	}
	tensors := make([]Tensor, len(entries))
	for i, e := range entries {
		buf, err := readN(r, e.end-e.begin, size >= 0)
		if err != nil {
			return nil, nil, ioErr(err, "reading tensor %q (bytes %d to %d of the data)", e.name, e.begin, e.end)
		}
		d, err := e.codec.decode(buf, e.shape)
		if err != nil {
			return nil, nil, formatErr(ErrData, "tensor %q: %v", e.name, err)
		}
		tensors[i] = Tensor{Name: e.name, Dense: d}
	}
	if size < 0 {
		var one [1]byte
		k, err := io.ReadFull(r, one[:])
		if k > 0 {
			return nil, nil, formatErr(ErrTrailingData, "data continue after the %d data bytes", dataLen)
		}
		if err != io.EOF {
			return nil, nil, errors.Wrap(err, "safetensors: read")
		}
	}
	return tensors, metadata, nil
}

// knownFormat names the kind of file whose first 8 bytes are b when they
// carry a common signature, for a clearer error than a header length.
func knownFormat(b []byte) string {
	for _, f := range []struct{ magic, name string }{
		{"\x89PNG\r\n\x1a\n", "a PNG image"},
		{"\xff\xd8\xff", "a JPEG image"},
		{"\x1f\x8b", "a gzip file"},
		{"PK\x03\x04", "a zip archive (a PyTorch .pt file?)"},
		{"\x80\x02", "a Python pickle"},
		{"\x93NUMPY", "a NumPy .npy file"},
		{"{", "a JSON text"},
	} {
		if bytes.HasPrefix(b, []byte(f.magic)) {
			return f.name
		}
	}
	return ""
}

// readN reads exactly n bytes. With exact set, n has been checked against
// the input's size and is allocated at once; otherwise the buffer grows
// with the data actually read, so a forged length costs nothing.
func readN(r io.Reader, n int64, exact bool) ([]byte, error) {
	if exact {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, err
	}
	if int64(len(buf)) < n {
		return nil, io.ErrUnexpectedEOF
	}
	return buf, nil
}

// ioErr turns a read error into ErrTruncated or wraps it.
func ioErr(err error, format string, args ...any) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return formatErr(ErrTruncated, "unexpected end of input "+format, args...)
	}
	return errors.Wrapf(err, "safetensors: "+format, args...)
}

// parseHeader decodes and validates the JSON header and returns its
// entries sorted by data offset.
func parseHeader(header []byte) ([]entry, map[string]string, error) {
	if header[0] != '{' {
		return nil, nil, formatErr(ErrHeader, "header does not start with '{'")
	}
	if !utf8.Valid(header) {
		return nil, nil, formatErr(ErrHeader, "header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, nil, formatErr(ErrHeader, "%v", err)
	}
	var (
		entries  []entry
		metadata map[string]string
		seen     = make(map[string]bool)
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, formatErr(ErrHeader, "%v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, formatErr(ErrHeader, "unexpected token %v", tok)
		}
		if seen[name] {
			return nil, nil, formatErr(ErrHeader, "name %q appears twice", name)
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&metadata); err != nil {
				return nil, nil, formatErr(ErrHeader, "__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var info tensorInfo
		if err := dec.Decode(&info); err != nil {
			return nil, nil, formatErr(ErrHeader, "tensor %q: %v", name, err)
		}
		e, err := checkInfo(name, info)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return nil, nil, formatErr(ErrHeader, "%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, formatErr(ErrHeader, "data after the header object")
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.name < b.name
	})
	var next int64
	for _, e := range entries {
		switch {
		case e.begin < next:
			return nil, nil, formatErr(ErrHeader, "tensor %q (bytes %d to %d) overlaps the previous tensor ending at %d", e.name, e.begin, e.end, next)
		case e.begin > next:
			return nil, nil, formatErr(ErrHeader, "gap in the data: bytes %d to %d belong to no tensor", next, e.begin)
		}
		next = e.end
	}
	return entries, metadata, nil
}

// checkInfo validates one header entry.
func checkInfo(name string, info tensorInfo) (entry, error) {
	e := entry{name: name}
	switch {
	case name == "":
		return e, formatErr(ErrHeader, "empty tensor name")
	case info.Dtype == nil || info.Shape == nil || info.DataOffsets == nil:
		return e, formatErr(ErrHeader, "tensor %q lacks dtype, shape or data_offsets", name)
	case len(*info.DataOffsets) != 2:
		return e, formatErr(ErrHeader, "tensor %q: data_offsets has %d values, want 2", name, len(*info.DataOffsets))
	}
	c, ok := codecByName(*info.Dtype)
	if !ok {
		return e, formatErr(ErrDtype, "tensor %q has dtype %q", name, *info.Dtype)
	}
	e.codec = c
	e.begin, e.end = (*info.DataOffsets)[0], (*info.DataOffsets)[1]
	if e.begin < 0 || e.end < e.begin {
		return e, formatErr(ErrHeader, "tensor %q: data_offsets [%d, %d] are not an ordered pair of non-negative offsets", name, e.begin, e.end)
	}
	limit := uint64(e.end-e.begin) / uint64(c.size())
	count, tooBig, zero := uint64(1), false, false
	e.shape = make([]int, len(*info.Shape))
	for i, d := range *info.Shape {
		if d < 0 || d > math.MaxInt32 {
			return e, formatErr(ErrHeader, "tensor %q: dimension %d is %d", name, i, d)
		}
		e.shape[i] = int(d)
		zero = zero || d == 0
		if hi, lo := bits.Mul64(count, uint64(d)); hi != 0 || lo > limit {
			tooBig = true // more elements than the byte range holds
		} else {
			count = lo
		}
	}
	if zero {
		count, tooBig = 0, false
	}
	if tooBig || int64(count)*int64(c.size()) != e.end-e.begin {
		return e, formatErr(ErrHeader, "tensor %q: shape %v of %s does not fit data_offsets [%d, %d]", name, *info.Shape, c.name(), e.begin, e.end)
	}
	return e, nil
}
