// Package safetensors provides a reader and writer for the safetensors
// file format of Hugging Face (https://github.com/huggingface/safetensors),
// for gorgonia.org/tensor dense tensors.
//
// A file is an 8-byte little-endian unsigned header length N, N bytes of
// UTF-8 JSON, and a byte buffer:
//
//	{"__metadata__": {"key": "value"},
//	 "fc1/W": {"dtype": "F32", "shape": [784, 100], "data_offsets": [0, 313600]}, …}
//
// data_offsets are relative to the start of the buffer, which follows the
// header; tensors are stored row-major, little-endian, back to back. The
// header is padded with spaces to a multiple of 8 bytes. Supported dtypes
// are F64, F32, I64, I32, I16, I8, U64, U32, U16, U8 and BOOL.
//
// [Read] checks everything before it trusts it: the header length against
// a bound and against the data actually present, the JSON (no duplicate
// names, no unknown fields), the dtypes, that each shape's size times its
// dtype's size equals its byte range, and that the byte ranges are in
// order, do not overlap and cover the buffer exactly with nothing after
// it. It never allocates more than the input actually contains.
//
// tools/safetensors_read.py in this repository reads and writes the same
// format with NumPy alone, for checking files from Python.
package safetensors
