package datasets_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gozoo/zoo/datasets"
)

// Load the MNIST subset in testdata (an explicit directory), hold out 10%
// of the training set stratified by class, and view the test set as an
// N×1×28×28 tensor for a convnet.
func ExampleLoadMNIST() {
	m, err := datasets.LoadMNIST(context.Background(), datasets.MNISTOptions{Dir: "../testdata/mnist"})
	if err != nil {
		fmt.Println(err)
		return
	}
	rng := rand.New(rand.NewPCG(1, 0))
	train, val, err := m.Train.Split(datasets.SplitStratified, 0.1, rng)
	if err != nil {
		fmt.Println(err)
		return
	}
	images, err := m.Test.Images()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train", train.Len(), "val", val.Len(), "test", m.Test.Len())
	fmt.Println("val classes", val.ClassCounts())
	fmt.Println("test tensor", images.Shape())
	fmt.Println("checksums match the originals:", m.ChecksumsOK)
	// Output:
	// train 450 val 50 test 200
	// val classes [5 7 5 5 5 4 4 5 4 6]
	// test tensor (200, 1, 28, 28)
	// checksums match the originals: false
}

// Iterate two shuffled epochs in batches of 4 over 10 samples, keeping the
// short last batch. The order of epoch e depends only on (Seed, e).
func ExampleBatches() {
	x := make([]float32, 10)
	y := make([]int, 10)
	for i := range x {
		x[i] = float32(i)
	}
	ds, err := datasets.New(x, y, datasets.Shape{C: 1, H: 1, W: 1}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	it, err := datasets.NewBatches(ds, datasets.BatchOptions{BatchSize: 4, Shuffle: true, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for epoch := 0; epoch < 2; epoch++ {
		if err := it.StartEpoch(epoch); err != nil {
			fmt.Println(err)
			return
		}
		var batches []string
		for xb, _, n := it.Next(); n > 0; xb, _, n = it.Next() {
			batches = append(batches, fmt.Sprint(xb))
		}
		fmt.Println(strings.Join(batches, " "))
	}
	// Output:
	// [7 6 1 3] [2 4 8 9] [0 5]
	// [2 5 8 3] [4 1 7 6] [0 9]
}

// Symmetric label noise: exactly round(0.3*10) = 3 labels change, each to
// one of the other classes.
func ExampleFlipLabels() {
	labels := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	noisy, changed, err := datasets.FlipLabels(labels, 10, 0.3, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(noisy)
	fmt.Println(changed)
	// Output:
	// [0 7 2 3 4 0 6 4 8 9]
	// [1 5 7]
}

// Standardize with statistics fitted on the training split only.
func ExampleStandardizer() {
	train, _ := datasets.New([]float32{0, 1, 2, 1, 4, 1}, []int{0, 0, 0}, datasets.Shape{C: 1, H: 1, W: 2}, 1)
	test, _ := datasets.New([]float32{3, 5}, []int{0}, datasets.Shape{C: 1, H: 1, W: 2}, 1)
	var s datasets.Standardizer // per feature
	if err := s.Fit(train); err != nil {
		fmt.Println(err)
		return
	}
	z, err := s.Apply(test)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Feature 1 is constant in training: scale 1, only centred.
	fmt.Printf("mean %v scale %.4f\n", s.Mean, s.Scale)
	fmt.Printf("test %.4f\n", z.X)
	// Output:
	// mean [2 1] scale [1.6330 1.0000]
	// test [0.6124 4.0000]
}

// Read an IDX file from memory; gzip would be detected from its content.
func ExampleReadIDX() {
	raw := []byte{0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1} // ubyte, 1 dimension of 3
	x, err := datasets.ReadIDX(bytes.NewReader(raw), datasets.IDXOptions{})
	fmt.Println(x.Type, x.Dims, x.Data, err)
	_, err = datasets.ReadIDX(bytes.NewReader(raw[:9]), datasets.IDXOptions{})
	fmt.Println(err)
	// Output:
	// ubyte [3] [7 2 1] <nil>
	// datasets: idx: truncated: header [3] claims 3 data bytes, only 1 present
}
