package onnx_test

import (
	"bytes"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/onnx"
	"github.com/gozoo/zoo/onnx/onnxpb"
)

// Export LeNet-5 (here with its initial weights) at the default opset and
// list its operators, interface and metadata.
func ExampleExport() {
	e, err := models.Lookup("lenet5")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := e.Build(e.Recipe.Config, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	testErr := 0.95
	mp, err := onnx.Export(m, onnx.Options{TestError: &testErr})
	if err != nil {
		fmt.Println(err)
		return
	}
	g := mp.GetGraph()
	var ops []string
	for _, n := range g.GetNode() {
		ops = append(ops, n.GetOpType())
	}
	fmt.Println(strings.Join(ops, " "))
	fmt.Println("opset", mp.GetOpsetImport()[0].GetVersion(), "input", g.GetInput()[0].GetName(),
		"outputs", g.GetOutput()[0].GetName(), g.GetOutput()[1].GetName())
	for _, p := range mp.GetMetadataProps() {
		fmt.Println(p.GetKey(), "=", p.GetValue())
	}
	// Output:
	// Conv Relu MaxPool Conv Relu MaxPool Flatten Gemm Relu Gemm Relu Gemm Softmax
	// opset 17 input input outputs logits probabilities
	// zoo.model = lenet5
	// zoo.test_error = 0.95
}

// Write serialises the model; parsed back, its initializers carry the
// model's variable names (mlp-bn: no bias where BatchNorm follows).
func ExampleWrite() {
	e, err := models.Lookup("mlp-bn")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := e.Build(e.Recipe.Config, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := onnx.Write(&buf, m, onnx.Options{Opset: 13}); err != nil {
		fmt.Println(err)
		return
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range mp.GetGraph().GetInitializer()[:5] {
		fmt.Println(t.GetName(), t.GetDims())
	}
	// Output:
	// fc1/W [784 100]
	// norm1/gamma [100]
	// norm1/beta [100]
	// norm1/running_mean [100]
	// norm1/running_var [100]
}
