package onnx

import (
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/onnx/onnxpb"
)

// The exported interface.
const (
	// InputName is the graph's input: float32 [N, 1, 28, 28] in [0, 1].
	InputName = "input"
	// LogitsName is the first output: float32 [N, 10].
	LogitsName = "logits"
	// ProbabilitiesName is the second output: float32 [N, 10], the softmax
	// of the logits.
	ProbabilitiesName = "probabilities"
	// BatchDim is the symbolic name of the dynamic batch dimension.
	BatchDim = "N"
)

// Opsets that Export writes: MinOpset to MaxOpset of the default ("ai.onnx")
// domain. MaxOpset is the newest opset of ONNX 1.12, whose checker and
// onnx.proto zoo is verified against; onnxruntime 1.17 runs all of them.
const (
	MinOpset     = 13
	MaxOpset     = 17
	DefaultOpset = MaxOpset
)

// Metadata keys Export writes into the model's metadata_props.
const (
	MetaModel     = "zoo.model"
	MetaRecipe    = "zoo.recipe"
	MetaTestError = "zoo.test_error"
)

// The fixed shapes of the interface.
var (
	imageShape = []int{1, 28, 28}
	classes    = 10
)

// Model is what Export reads: models.Model implements it.
type Model interface {
	// Name is the model's name, written to the metadata (zoo.model) and
	// the graph's name.
	Name() string
	// Net is the model's layers.
	Net() *nn.Sequential
	// InputShape is one sample's shape: [784] (an MLP) or [1 28 28].
	InputShape() []int
	// Store holds the layers' parameters and buffers.
	Store() *graph.Store
}

// Options configures Export. The zero value writes opset 17 with the model's
// name as the only metadata.
type Options struct {
	// Opset is the ONNX opset of the default domain, MinOpset to MaxOpset.
	// Default DefaultOpset (17).
	Opset int
	// Recipe is the training recipe as JSON, written to the metadata key
	// zoo.recipe. Default: not written.
	Recipe json.RawMessage
	// TestError is the test error in percent, written to zoo.test_error.
	// Default nil: not written.
	TestError *float64
	// Metadata are further metadata_props entries. Keys must not be one of
	// the zoo.* keys above.
	Metadata map[string]string
	// DocString is the model's doc_string. Default: a one-line description
	// of the interface.
	DocString string
}

// Validate names the first bad value.
func (o Options) Validate() error {
	if o.Opset != 0 && (o.Opset < MinOpset || o.Opset > MaxOpset) {
		return errors.Wrapf(ErrOptions, "opset %d not in [%d, %d]", o.Opset, MinOpset, MaxOpset)
	}
	if len(o.Recipe) > 0 && !json.Valid(o.Recipe) {
		return errors.Wrap(ErrOptions, "recipe is not valid JSON")
	}
	if o.TestError != nil && (math.IsNaN(*o.TestError) || math.IsInf(*o.TestError, 0)) {
		return errors.Wrapf(ErrOptions, "test error %v", *o.TestError)
	}
	for k := range o.Metadata {
		switch k {
		case MetaModel, MetaRecipe, MetaTestError:
			return errors.Wrapf(ErrOptions, "metadata key %q is written by Export", k)
		}
	}
	return nil
}

// Write exports m as Export does and writes the serialised ModelProto to w.
func Write(w io.Writer, m Model, opts Options) error {
	mp, err := Export(m, opts)
	if err != nil {
		return err
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		return errors.Wrap(err, "onnx: marshal")
	}
	_, err = w.Write(b)
	return errors.Wrap(err, "onnx: write")
}

// Export builds the ONNX model of m's evaluation graph with the interface
// described in the package documentation. A layer with no ONNX form is an
// error wrapping ErrUnsupported and naming the layer.
func Export(m Model, opts Options) (*onnxpb.ModelProto, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Opset == 0 {
		opts.Opset = DefaultOpset
	}
	flat := slices.Equal(m.InputShape(), []int{imageShape[0] * imageShape[1] * imageShape[2]})
	if !flat && !slices.Equal(m.InputShape(), imageShape) {
		return nil, errors.Wrapf(ErrUnsupported, "model %s: input shape %v (the exported interface takes [N 1 28 28]; want [784] or [1 28 28])", m.Name(), m.InputShape())
	}
	layers := flatten(m.Net())
	shapes, err := traceShapes(m, layers)
	if err != nil {
		return nil, err
	}
	e := &exporter{opset: opts.Opset, g: &onnxpb.GraphProto{Name: proto.String(m.Name())}, cur: InputName}
	e.g.Input = []*onnxpb.ValueInfoProto{valueInfo(InputName, append([]int{-1}, imageShape...))}
	if flat {
		e.node("input/Flatten", "Flatten", []string{InputName}, "input/flatten", attrInt("axis", 1))
	}
	inShape := m.InputShape()
	for i, l := range layers {
		if err := e.layer(l, inShape); err != nil {
			return nil, errors.WithMessagef(err, "model %s", m.Name())
		}
		inShape = shapes[i]
	}
	if !slices.Equal(inShape, []int{classes}) {
		return nil, errors.Wrapf(ErrUnsupported, "model %s: output shape %v, the exported interface gives [N %d]", m.Name(), inShape, classes)
	}
	if e.last != nil && e.last.Output[0] == e.cur {
		e.last.Output[0] = LogitsName
	} else {
		e.node("logits/Identity", "Identity", []string{e.cur}, LogitsName)
	}
	e.node("probabilities/Softmax", "Softmax", []string{LogitsName}, ProbabilitiesName, attrInt("axis", 1))
	e.g.Output = []*onnxpb.ValueInfoProto{valueInfo(LogitsName, []int{-1, classes}), valueInfo(ProbabilitiesName, []int{-1, classes})}

	doc := opts.DocString
	if doc == "" {
		doc = "zoo model " + m.Name() + ": input float32 [N,1,28,28] pixel values in [0,1]; outputs logits [N,10] and probabilities [N,10]"
	}
	meta := []*onnxpb.StringStringEntryProto{{Key: proto.String(MetaModel), Value: proto.String(m.Name())}}
	if len(opts.Recipe) > 0 {
		meta = append(meta, &onnxpb.StringStringEntryProto{Key: proto.String(MetaRecipe), Value: proto.String(string(opts.Recipe))})
	}
	if opts.TestError != nil {
		meta = append(meta, &onnxpb.StringStringEntryProto{Key: proto.String(MetaTestError), Value: proto.String(strconv.FormatFloat(*opts.TestError, 'g', -1, 64))})
	}
	keys := make([]string, 0, len(opts.Metadata))
	for k := range opts.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		meta = append(meta, &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(opts.Metadata[k])})
	}
	return &onnxpb.ModelProto{
		IrVersion:     proto.Int64(int64(onnxpb.Version_IR_VERSION)),
		OpsetImport:   []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(int64(opts.Opset))}},
		ProducerName:  proto.String("github.com/gozoo/zoo"),
		DocString:     proto.String(doc),
		Graph:         e.g,
		MetadataProps: meta,
	}, nil
}

// flatten lists the layers of s, nested Sequentials expanded in place.
func flatten(s *nn.Sequential) []nn.Layer {
	var out []nn.Layer
	for _, l := range s.Layers() {
		if inner, ok := l.(*nn.Sequential); ok {
			out = append(out, flatten(inner)...)
			continue
		}
		out = append(out, l)
	}
	return out
}

// traceShapes builds the layers into an evaluation graph for one sample and
// returns each layer's output shape without the batch axis: the shapes come
// from zoo's own layers, not from a second copy of their shape rules.
// Nothing is computed.
func traceShapes(m Model, layers []nn.Layer) ([][]int, error) {
	b := graph.NewBuilder(m.Store(), graph.Eval, rand.New(rand.NewPCG(0, 0)))
	x, _ := b.Input("x", append([]int{1}, m.InputShape()...)...)
	_, trace, err := nn.NewSequential(m.Name(), layers...).Trace(b, x)
	if err != nil {
		return nil, errors.WithMessagef(err, "onnx: model %s", m.Name())
	}
	out := make([][]int, len(trace))
	for i, t := range trace {
		out[i] = []int(t.OutputShape())[1:]
	}
	return out, nil
}
