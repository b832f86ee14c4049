package onnx

import "github.com/pkg/errors"

// ErrUnsupported is returned for a layer or model the exporter cannot express
// in ONNX; the message names the layer.
var ErrUnsupported = errors.New("onnx: cannot export")

// ErrOptions is returned for invalid [Options].
var ErrOptions = errors.New("onnx: invalid options")
