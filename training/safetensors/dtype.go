package safetensors

import (
	"encoding/binary"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// codec converts one dtype between tensor.Dense and little-endian bytes.
type codec interface {
	name() string          // safetensors dtype name, e.g. "F32"
	dtype() tensor.Dtype   // tensor element type
	size() int             // bytes per element
	len(*tensor.Dense) int // number of elements in the backing slice
	// encode writes elements from, from+1, … of t into dst until dst is
	// full or t is exhausted and returns the number of elements written.
	encode(dst []byte, t *tensor.Dense, from int) int
	// decode returns a tensor of the given shape holding the elements of
	// src, whose length is a multiple of size().
	decode(src []byte, shape []int) (*tensor.Dense, error)
}

type numCodec[T any] struct {
	n     string
	dt    tensor.Dtype
	sz    int
	slice func(*tensor.Dense) []T
	put   func([]byte, T)
	get   func([]byte) (T, bool) // false for an invalid encoding
}

func (c numCodec[T]) name() string            { return c.n }
func (c numCodec[T]) dtype() tensor.Dtype     { return c.dt }
func (c numCodec[T]) size() int               { return c.sz }
func (c numCodec[T]) len(t *tensor.Dense) int { return len(c.slice(t)) }

func (c numCodec[T]) encode(dst []byte, t *tensor.Dense, from int) int {
	data := c.slice(t)[from:]
	n := min(len(data), len(dst)/c.sz)
	for i, v := range data[:n] {
		c.put(dst[i*c.sz:], v)
	}
	return n
}

func (c numCodec[T]) decode(src []byte, shape []int) (*tensor.Dense, error) {
	data := make([]T, len(src)/c.sz)
	for i := range data {
		v, ok := c.get(src[i*c.sz:])
		if !ok {
			return nil, errors.Errorf("%s element %d is %#02x", c.n, i, src[i*c.sz])
		}
		data[i] = v
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)), nil
}

var le = binary.LittleEndian

// codecs lists the supported dtypes.
var codecs = []codec{
	numCodec[float64]{"F64", tensor.Float64, 8, (*tensor.Dense).Float64s,
		func(b []byte, v float64) { le.PutUint64(b, math.Float64bits(v)) },
		func(b []byte) (float64, bool) { return math.Float64frombits(le.Uint64(b)), true }},
	numCodec[float32]{"F32", tensor.Float32, 4, (*tensor.Dense).Float32s,
		func(b []byte, v float32) { le.PutUint32(b, math.Float32bits(v)) },
		func(b []byte) (float32, bool) { return math.Float32frombits(le.Uint32(b)), true }},
	numCodec[int64]{"I64", tensor.Int64, 8, (*tensor.Dense).Int64s,
		func(b []byte, v int64) { le.PutUint64(b, uint64(v)) },
		func(b []byte) (int64, bool) { return int64(le.Uint64(b)), true }},
	numCodec[int32]{"I32", tensor.Int32, 4, (*tensor.Dense).Int32s,
		func(b []byte, v int32) { le.PutUint32(b, uint32(v)) },
		func(b []byte) (int32, bool) { return int32(le.Uint32(b)), true }},
	numCodec[int16]{"I16", tensor.Int16, 2, (*tensor.Dense).Int16s,
		func(b []byte, v int16) { le.PutUint16(b, uint16(v)) },
		func(b []byte) (int16, bool) { return int16(le.Uint16(b)), true }},
	numCodec[int8]{"I8", tensor.Int8, 1, (*tensor.Dense).Int8s,
		func(b []byte, v int8) { b[0] = byte(v) },
		func(b []byte) (int8, bool) { return int8(b[0]), true }},
	numCodec[uint64]{"U64", tensor.Uint64, 8, (*tensor.Dense).Uint64s,
		func(b []byte, v uint64) { le.PutUint64(b, v) },
		func(b []byte) (uint64, bool) { return le.Uint64(b), true }},
	numCodec[uint32]{"U32", tensor.Uint32, 4, (*tensor.Dense).Uint32s,
		func(b []byte, v uint32) { le.PutUint32(b, v) },
		func(b []byte) (uint32, bool) { return le.Uint32(b), true }},
	numCodec[uint16]{"U16", tensor.Uint16, 2, (*tensor.Dense).Uint16s,
		func(b []byte, v uint16) { le.PutUint16(b, v) },
		func(b []byte) (uint16, bool) { return le.Uint16(b), true }},
	numCodec[uint8]{"U8", tensor.Uint8, 1, (*tensor.Dense).Uint8s,
		func(b []byte, v uint8) { b[0] = v },
		func(b []byte) (uint8, bool) { return b[0], true }},
	numCodec[bool]{"BOOL", tensor.Bool, 1, (*tensor.Dense).Bools,
		func(b []byte, v bool) {
			b[0] = 0
			if v {
				b[0] = 1
			}
		},
		func(b []byte) (bool, bool) { return b[0] == 1, b[0] <= 1 }},
}

func codecByName(name string) (codec, bool) {
	for _, c := range codecs {
		if c.name() == name {
			return c, true
		}
	}
	return nil, false
}

func codecByDtype(dt tensor.Dtype) (codec, bool) {
	for _, c := range codecs {
		if c.dtype() == dt {
			return c, true
		}
	}
	return nil, false
}
