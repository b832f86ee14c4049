package onnx

import (
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/onnx/onnxpb"
)

// exporter appends nodes and initializers to a graph, following the current
// tensor's name.
type exporter struct {
	opset int
	g     *onnxpb.GraphProto
	cur   string            // name of the tensor the next layer reads
	last  *onnxpb.NodeProto // node that produced cur, nil for the input
}

// node appends a node reading in and writing out, which becomes the current
// tensor.
func (e *exporter) node(name, op string, in []string, out string, attrs ...*onnxpb.AttributeProto) {
	n := &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: []string{out}, Attribute: attrs}
	e.g.Node = append(e.g.Node, n)
	e.cur, e.last = out, n
}

// init adds a float32 initializer of the given shape.
func (e *exporter) init(name string, shape []int, vals []float32) string {
	e.g.Initializer = append(e.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: int64s(shape), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: vals,
	})
	return name
}

// initInt64 adds an int64 initializer of shape [len(vals)].
func (e *exporter) initInt64(name string, vals []int64) string {
	e.g.Initializer = append(e.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(vals))}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: vals,
	})
	return name
}

// variable adds v's values, rounded to float32, under v's name with the given
// shape (v's own when nil).
func (e *exporter) variable(v *graph.Var, shape []int) string {
	if shape == nil {
		shape = []int(v.Shape())
	}
	return e.init(v.Name(), shape, float32s(v.Float64s()))
}

// layer appends l's evaluation-mode computation; in is its input shape
// without the batch axis.
func (e *exporter) layer(l nn.Layer, in []int) error {
	name := l.Name()
	x := e.cur
	switch l := l.(type) {
	case *nn.Linear:
		inputs := []string{x, e.variable(l.W, nil)}
		if l.B != nil {
			inputs = append(inputs, e.variable(l.B, nil))
		}
		e.node(name+"/Gemm", "Gemm", inputs, name)
	case *nn.Conv2D:
		inputs := []string{x, e.variable(l.W, nil)}
		if l.B != nil {
			inputs = append(inputs, e.variable(l.B, nil))
		}
		k, s, p := l.Kernel(), l.Stride(), l.Padding()
		e.node(name+"/Conv", "Conv", inputs, name,
			attrInts("kernel_shape", k[0], k[1]), attrInts("strides", s[0], s[1]), attrInts("pads", p[0], p[1], p[0], p[1]))
	case *nn.Pool2D:
		k, s, p := l.Kernel(), l.Stride(), l.Padding()
		attrs := []*onnxpb.AttributeProto{attrInts("kernel_shape", k[0], k[1]), attrInts("strides", s[0], s[1]), attrInts("pads", p[0], p[1], p[0], p[1])}
		if l.IsMax() {
			e.node(name+"/MaxPool", "MaxPool", []string{x}, name, attrs...)
		} else {
			e.node(name+"/AveragePool", "AveragePool", []string{x}, name, append(attrs, attrInt("count_include_pad", 1))...)
		}
	case *nn.Flatten:
		if len(in) > 1 {
			e.node(name+"/Flatten", "Flatten", []string{x}, name, attrInt("axis", 1))
		}
	case *nn.Activation:
		switch l.Kind() {
		case nn.ReLU("").Kind():
			e.node(name+"/Relu", "Relu", []string{x}, name)
		case nn.Sigmoid("").Kind():
			e.node(name+"/Sigmoid", "Sigmoid", []string{x}, name)
		case nn.Tanh("").Kind():
			e.node(name+"/Tanh", "Tanh", []string{x}, name)
		case nn.LeakyReLU(l.Slope()).Kind():
			e.node(name+"/LeakyRelu", "LeakyRelu", []string{x}, name, attrFloat("alpha", l.Slope()))
		default:
			return errors.Wrapf(ErrUnsupported, "layer %s: activation %s", name, l.Kind())
		}
	case *nn.Dropout:
		switch {
		case l.Rate() == 0 || l.Scaling() == nn.Inverted:
			// The identity at evaluation.
		case l.Scaling() == nn.WeightScaling:
			keep := e.init(graph.Join(name, "keep"), []int{}, []float32{float32(1 - l.Rate())})
			e.node(name+"/Mul", "Mul", []string{x, keep}, name)
		default:
			return errors.Wrapf(ErrUnsupported, "layer %s: dropout scaling %d", name, l.Scaling())
		}
	case *nn.BatchNorm:
		gamma, beta := e.affine(name, l.Gamma, l.Beta, l.Channels(), nil)
		e.node(name+"/BatchNormalization", "BatchNormalization",
			[]string{x, gamma, beta, e.variable(l.Mean, nil), e.variable(l.Var, nil)}, name, attrFloat("epsilon", l.Eps()))
	case *nn.GroupNorm:
		e.groupNorm(l, in)
	default:
		return errors.Wrapf(ErrUnsupported, "layer %s (%T)", name, l)
	}
	return nil
}

// affine returns the names of γ and β, ones and zeros for a layer without
// them, in the given shape ([channels] when nil).
func (e *exporter) affine(name string, gamma, beta *graph.Var, channels int, shape []int) (string, string) {
	if shape == nil {
		shape = []int{channels}
	}
	if gamma == nil {
		return e.init(graph.Join(name, "ones"), shape, fill(channels, 1)), e.init(graph.Join(name, "zeros"), shape, fill(channels, 0))
	}
	return e.variable(gamma, shape), e.variable(beta, shape)
}

// groupNorm exports a GroupNorm, LayerNorm or InstanceNorm (see the package
// documentation for which ONNX operators each becomes).
func (e *exporter) groupNorm(l *nn.GroupNorm, in []int) {
	name, x, c, g := l.Name(), e.cur, l.Channels(), l.Groups()
	eps := attrFloat("epsilon", l.Eps())
	switch {
	case g == 1 && len(in) == 1 && e.opset >= 17:
		gamma, beta := e.affine(name, l.Gamma, l.Beta, c, nil)
		e.node(name+"/LayerNormalization", "LayerNormalization", []string{x, gamma, beta}, name, attrInt("axis", 1), eps)
		return
	case g == c && len(in) == 3:
		gamma, beta := e.affine(name, l.Gamma, l.Beta, c, nil)
		e.node(name+"/InstanceNormalization", "InstanceNormalization", []string{x, gamma, beta}, name, eps)
		return
	}
	// (N, C, …) → (N, G, C/G·…): InstanceNormalization normalises each
	// (sample, group) over the last axis.
	grouped := e.initInt64(graph.Join(name, "grouped_shape"), []int64{0, int64(g), -1})
	e.node(name+"/Reshape", "Reshape", []string{x, grouped}, graph.Join(name, "grouped"))
	ones, zeros := e.init(graph.Join(name, "group_ones"), []int{g}, fill(g, 1)), e.init(graph.Join(name, "group_zeros"), []int{g}, fill(g, 0))
	e.node(name+"/InstanceNormalization", "InstanceNormalization", []string{e.cur, ones, zeros}, graph.Join(name, "normalized"), eps)
	back := e.initInt64(graph.Join(name, "shape"), append([]int64{0}, int64s(in)...))
	if l.Gamma == nil {
		e.node(name+"/Reshape_1", "Reshape", []string{e.cur, back}, name)
		return
	}
	e.node(name+"/Reshape_1", "Reshape", []string{e.cur, back}, graph.Join(name, "ungrouped"))
	// γ and β broadcast per channel: (C) for (N, C), (C, 1, 1) for (N, C, H, W).
	shape := []int{c}
	for range in[1:] {
		shape = append(shape, 1)
	}
	gamma, beta := e.affine(name, l.Gamma, l.Beta, c, shape)
	e.node(name+"/Mul", "Mul", []string{e.cur, gamma}, graph.Join(name, "scaled"))
	e.node(name+"/Add", "Add", []string{e.cur, beta}, name)
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrInts(name string, v ...int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: int64s(v)}
}

func attrFloat(name string, v float64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(float32(v))}
}

// valueInfo describes a float32 tensor; a −1 dimension is the batch
// dimension BatchDim.
func valueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	dims := make([]*onnxpb.TensorShapeProto_Dimension, len(shape))
	for i, d := range shape {
		if d < 0 {
			dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: BatchDim}}
		} else {
			dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}
		}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: dims},
	}}}}
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func fill(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}
