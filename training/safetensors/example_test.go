package safetensors_test

import (
	"bytes"
	"fmt"

	"github.com/gozoo/zoo/training/safetensors"
	"gorgonia.org/tensor"
)

func Example() {
	w := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	b := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0.5, -0.5}))

	var buf bytes.Buffer
	err := safetensors.Write(&buf, []safetensors.Tensor{{Name: "fc/W", Dense: w}, {Name: "fc/b", Dense: b}},
		map[string]string{"model": "demo"})
	if err != nil {
		fmt.Println(err)
		return
	}
	tensors, meta, err := safetensors.Read(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range tensors {
		fmt.Println(t.Name, t.Dense.Dtype(), t.Dense.Shape(), t.Dense.Data())
	}
	fmt.Println(meta["model"])
	// Output:
	// fc/W float32 (2, 2) [1 2 3 4]
	// fc/b float64 (2) [0.5 -0.5]
	// demo
}
