package onnx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/internal/testnets"
	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/onnx/onnxpb"
	"github.com/gozoo/zoo/training"
)

// testModel is a model Export and the evaluator both take.
type testModel interface {
	Model
	training.Model
}

// randomize gives γ, β and the BatchNorm buffers values away from their
// initial 1/0/0/1, so that a mix-up of any two of them changes the output.
func randomize(s *graph.Store, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, v := range s.Vars() {
		var lo, hi float64
		switch {
		case strings.HasSuffix(v.Name(), "/gamma"):
			lo, hi = 0.5, 1.5
		case strings.HasSuffix(v.Name(), "/beta"), strings.HasSuffix(v.Name(), "/running_mean"):
			lo, hi = -0.5, 0.5
		case strings.HasSuffix(v.Name(), "/running_var"):
			lo, hi = 0.5, 2
		default:
			continue
		}
		switch d := v.Value().Data().(type) {
		case []float32:
			for i := range d {
				d[i] = float32(lo + (hi-lo)*rng.Float64())
			}
		case []float64:
			for i := range d {
				d[i] = lo + (hi-lo)*rng.Float64()
			}
		}
	}
}

// noAffineNet has every normalisation without γ and β, and average pooling
// with padding.
func noAffineNet(t *testing.T) *testnets.Net {
	s, err := graph.NewStore(graph.Float32)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 0))
	must := func(l nn.Layer, err error) nn.Layer {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	layers := []nn.Layer{
		must(nn.NewConv2D(s, "conv1", 1, 4, [2]int{5, 5}, nn.Conv2DConfig{Stride: [2]int{2, 2}, Padding: [2]int{2, 2}}, rng)), // 14×14
		must(nn.NewBatchNorm(s, "bn1", 4, nn.BatchNormConfig{NoAffine: true, Eps: 1e-3})),
		must(nn.NewGroupNorm(s, "gn1", 4, 2, nn.NormConfig{NoAffine: true})),
		must(nn.NewInstanceNorm(s, "in1", 4, nn.NormConfig{NoAffine: true})),
		must(nn.NewLayerNorm(s, "ln1", 4, nn.NormConfig{NoAffine: true})),
		nn.Tanh("act1"),
		must(nn.NewAvgPool2D("pool1", [2]int{2, 2}, [2]int{}, [2]int{1, 1})), // 8×8
		nn.NewFlatten("flatten"),
		must(nn.NewLinear(s, "fc1", 4*8*8, 16, nn.LinearConfig{}, rng)),
		must(nn.NewLayerNorm(s, "ln2", 16, nn.NormConfig{NoAffine: true})),
		must(nn.NewInstanceNorm(s, "in2", 16, nn.NormConfig{})), // on (N, C): the output is β
		nn.LeakyReLU(0.3, "act2"),
		must(nn.NewDropout("drop2", 0.25, nn.Inverted)),
		must(nn.NewLinear(s, "fc2", 16, 10, nn.LinearConfig{}, rng)),
	}
	return testnets.Wrap("no-affine", s, []int{1, 28, 28}, layers...)
}

// cases are every registry model (default config, float32 and float64 for
// mlp-bn), the nets of internal/testnets and noAffineNet, all with
// randomized γ/β and BatchNorm statistics.
func cases(t *testing.T) []testModel {
	var out []testModel
	for _, e := range models.List() {
		m, err := e.Build(e.Recipe.Config, 1)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	e, err := models.Lookup("mlp-bn")
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Recipe.Config
	cfg.Dtype = "float64"
	m64, err := e.Build(cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, m64)
	for _, name := range testnets.Names() {
		n, err := testnets.New(name, 1)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	out = append(out, noAffineNet(t))
	for i, m := range out {
		randomize(m.Store(), uint64(i))
	}
	return out
}

func testImages(t *testing.T, n int) *datasets.Dataset {
	t.Helper()
	mn, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: "../testdata/mnist"})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	ds, err := mn.Test.Subset(idx)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// roundTrip exports m and parses the serialised bytes back.
func roundTrip(t *testing.T, m Model, opts Options) *onnxpb.ModelProto {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, m, opts); err != nil {
		t.Fatalf("%s: %+v", m.Name(), err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		t.Fatal(err)
	}
	return &mp
}

// The exported graph, run by the reference interpreter in float64, gives
// zoo's evaluation probabilities on real MNIST images to 1e-5 with the same
// argmax, and its probabilities are the softmax of its logits, at the oldest
// and newest opset.
func TestExportMatchesZoo(t *testing.T) {
	const n = 8
	ds := testImages(t, n)
	x := tensor{[]int{n, 1, 28, 28}, make([]float64, n*784)}
	for i, v := range ds.X {
		x.data[i] = float64(v)
	}
	for _, m := range cases(t) {
		ev, err := training.NewEvaluator(m, training.EvalOptions{BatchSize: n})
		if err != nil {
			t.Fatal(err)
		}
		want, err := ev.Probabilities(context.Background(), ds)
		ev.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, opset := range []int{MinOpset, MaxOpset} {
			name := fmt.Sprintf("%s/%v/opset%d", m.Name(), m.Store().Dtype(), opset)
			t.Run(name, func(t *testing.T) {
				mp := roundTrip(t, m, Options{Opset: opset})
				env, err := evalGraph(mp.GetGraph(), map[string]tensor{InputName: x})
				if err != nil {
					t.Fatal(err)
				}
				p, z := env[ProbabilitiesName], env[LogitsName]
				if !slices.Equal(p.shape, []int{n, 10}) || !slices.Equal(z.shape, []int{n, 10}) {
					t.Fatalf("output shapes %v %v, want [%d 10]", p.shape, z.shape, n)
				}
				maxDiff := 0.0
				for i := 0; i < n; i++ {
					if a, b := argmax(p.data[i*10:(i+1)*10]), argmax(want[i*10:(i+1)*10]); a != b {
						t.Errorf("image %d: ONNX class %d, zoo %d", i, a, b)
					}
					if argmax(z.data[i*10:(i+1)*10]) != argmax(p.data[i*10:(i+1)*10]) {
						t.Errorf("image %d: logits and probabilities disagree", i)
					}
					for j := 0; j < 10; j++ {
						maxDiff = math.Max(maxDiff, math.Abs(p.data[i*10+j]-want[i*10+j]))
					}
				}
				if !(maxDiff <= 1e-5) {
					t.Errorf("max |Δp| %.3g, want ≤ 1e-5", maxDiff)
				}
			})
		}
	}
}

func argmax(row []float64) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

func opTypes(mp *onnxpb.ModelProto) []string {
	var ops []string
	for _, n := range mp.GetGraph().GetNode() {
		ops = append(ops, n.GetOpType())
	}
	return ops
}

func dims(vi *onnxpb.ValueInfoProto) []string {
	var out []string
	for _, d := range vi.GetType().GetTensorType().GetShape().GetDim() {
		if p := d.GetDimParam(); p != "" {
			out = append(out, p)
		} else {
			out = append(out, strconv.FormatInt(d.GetDimValue(), 10))
		}
	}
	return out
}

// The registry models become the operator sequences their architectures
// (models/model.go) and the package documentation's table say.
func TestExportOperators(t *testing.T) {
	want := map[string][]string{
		"mlp":         {"Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"},
		"mlp-dropout": {"Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"},
		"mlp-sigmoid": {"Flatten", "Gemm", "Sigmoid", "Gemm", "Sigmoid", "Gemm", "Sigmoid", "Gemm", "Softmax"},
		"mlp-bn": {"Flatten", "Gemm", "BatchNormalization", "Sigmoid", "Gemm", "BatchNormalization", "Sigmoid",
			"Gemm", "BatchNormalization", "Sigmoid", "Gemm", "Softmax"},
		"lenet5": {"Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"},
		"convnet-bn": {"Conv", "BatchNormalization", "Relu", "Conv", "BatchNormalization", "Relu", "MaxPool",
			"Conv", "BatchNormalization", "Relu", "Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "Gemm", "BatchNormalization", "Relu", "Gemm", "Softmax"},
	}
	for _, e := range models.List() {
		m, err := e.Build(e.Recipe.Config, 1)
		if err != nil {
			t.Fatal(err)
		}
		w, ok := want[e.Name]
		if !ok {
			t.Errorf("%s: no expected operators in this test", e.Name)
			continue
		}
		if got := opTypes(roundTrip(t, m, Options{})); !slices.Equal(got, w) {
			t.Errorf("%s: operators %v\nwant %v", e.Name, got, w)
		}
	}
	// Weight-scaling dropout is a Mul by 1−p; inverted dropout is no node.
	e, _ := models.Lookup("mlp-dropout")
	cfg := e.Recipe.Config
	cfg.WeightScalingDropout = true
	m, err := e.Build(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	mp := roundTrip(t, m, Options{})
	if got := opTypes(mp); !slices.Equal(got, []string{"Flatten", "Mul", "Gemm", "Relu", "Mul", "Gemm", "Relu", "Mul", "Gemm", "Relu", "Mul", "Gemm", "Softmax"}) {
		t.Errorf("weight-scaling dropout: %v", got)
	}
	keep := map[string]float32{}
	for _, in := range mp.GetGraph().GetInitializer() {
		if strings.HasSuffix(in.GetName(), "/keep") {
			keep[in.GetName()] = in.GetFloatData()[0]
		}
	}
	if len(keep) != 4 || keep["drop0/keep"] != float32(1-0.2) || keep["drop1/keep"] != float32(1-0.5) {
		t.Errorf("keep factors %v, want drop0 0.8 and drop1-3 0.5", keep)
	}
	// LayerNorm on features is LayerNormalization from opset 17 only.
	n, err := testnets.New("norms-mlp", 1)
	if err != nil {
		t.Fatal(err)
	}
	for opset, has := range map[int]bool{16: false, 17: true} {
		if got := slices.Contains(opTypes(roundTrip(t, n, Options{Opset: opset})), "LayerNormalization"); got != has {
			t.Errorf("opset %d: LayerNormalization present %v, want %v", opset, got, has)
		}
	}
}

// The interface is fixed: input [N,1,28,28] float32, outputs logits and
// probabilities [N,10]; opset, IR version and metadata as asked.
func TestExportInterface(t *testing.T) {
	e, _ := models.Lookup("lenet5")
	m, err := e.Build(e.Recipe.Config, 1)
	if err != nil {
		t.Fatal(err)
	}
	recipe, _ := json.Marshal(e.Recipe)
	testErr := 0.95
	mp := roundTrip(t, m, Options{Opset: 15, Recipe: recipe, TestError: &testErr, Metadata: map[string]string{"source": "x"}})
	g := mp.GetGraph()
	if len(g.GetInput()) != 1 || g.GetInput()[0].GetName() != "input" || !slices.Equal(dims(g.GetInput()[0]), []string{"N", "1", "28", "28"}) {
		t.Errorf("inputs %v", g.GetInput())
	}
	if g.GetInput()[0].GetType().GetTensorType().GetElemType() != int32(onnxpb.TensorProto_FLOAT) {
		t.Errorf("input type %v", g.GetInput()[0].GetType())
	}
	if len(g.GetOutput()) != 2 || g.GetOutput()[0].GetName() != "logits" || g.GetOutput()[1].GetName() != "probabilities" {
		t.Fatalf("outputs %v", g.GetOutput())
	}
	for _, o := range g.GetOutput() {
		if !slices.Equal(dims(o), []string{"N", "10"}) {
			t.Errorf("output %s dims %v", o.GetName(), dims(o))
		}
	}
	if len(mp.GetOpsetImport()) != 1 || mp.GetOpsetImport()[0].GetDomain() != "" || mp.GetOpsetImport()[0].GetVersion() != 15 {
		t.Errorf("opset import %v", mp.GetOpsetImport())
	}
	if mp.GetIrVersion() != 8 {
		t.Errorf("IR version %d, want 8 (ONNX 1.12)", mp.GetIrVersion())
	}
	meta := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		meta[p.GetKey()] = p.GetValue()
	}
	wantMeta := map[string]string{"zoo.model": "lenet5", "zoo.recipe": string(recipe), "zoo.test_error": "0.95", "source": "x"}
	if len(meta) != len(wantMeta) {
		t.Errorf("metadata %v, want %v", meta, wantMeta)
	}
	for k, v := range wantMeta {
		if meta[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, meta[k], v)
		}
	}
	// Every variable of the store is an initializer under its own name with
	// its own values; Linear keeps zoo's (in, out) layout.
	inits := map[string]*onnxpb.TensorProto{}
	for _, in := range g.GetInitializer() {
		inits[in.GetName()] = in
	}
	for _, v := range m.Store().Vars() {
		in, ok := inits[v.Name()]
		if !ok {
			t.Errorf("variable %s is not an initializer", v.Name())
			continue
		}
		if got := in.GetDims(); !slices.Equal(got, int64s(v.Shape())) {
			t.Errorf("%s: dims %v, want %v", v.Name(), got, v.Shape())
		}
		if !slices.Equal(in.GetFloatData(), v.Value().Data().([]float32)) {
			t.Errorf("%s: values differ", v.Name())
		}
	}
}

type custom struct{}

func (custom) Name() string { return "mystery" }
func (custom) Forward(_ *graph.Builder, x *G.Node) (*G.Node, error) {
	return x, nil
}

// A layer the exporter does not know is an error naming it, and nothing is
// written.
func TestExportUnsupportedLayer(t *testing.T) {
	s, err := graph.NewStore(graph.Float32)
	if err != nil {
		t.Fatal(err)
	}
	l, err := nn.NewLinear(s, "fc", 784, 10, nn.LinearConfig{}, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	m := testnets.Wrap("net", s, []int{784}, l, custom{})
	var buf bytes.Buffer
	err = Write(&buf, m, Options{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "mystery") {
		t.Errorf("error %v, want ErrUnsupported naming layer mystery", err)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written", buf.Len())
	}
	// An input shape outside the interface is refused too.
	m = testnets.Wrap("net", s, []int{392, 2}, l)
	if _, err := Export(m, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("input [392 2]: error %v, want ErrUnsupported", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"opset 13", Options{Opset: 13}, true},
		{"opset 12", Options{Opset: 12}, false},
		{"opset 18", Options{Opset: 18}, false},
		{"bad recipe", Options{Recipe: json.RawMessage("{")}, false},
		{"NaN test error", Options{TestError: &nan}, false},
		{"reserved key", Options{Metadata: map[string]string{MetaModel: "x"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrOptions) {
				t.Errorf("error %v does not wrap ErrOptions", err)
			}
		})
	}
}
