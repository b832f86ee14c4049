// Package nn provides the layers and losses zoo's models are made of:
// [Linear], [Conv2D], max and average pooling ([Pool2D]), [Flatten],
// activations ([ReLU], [LeakyReLU], [Sigmoid], [Tanh]), [Dropout],
// [BatchNorm], [GroupNorm] (and [NewLayerNorm], [NewInstanceNorm]),
// [Sequential], and the losses [CrossEntropy] and [MeanSquaredError].
//
// A net is defined as in PyTorch's nn.Sequential or Keras's Sequential:
// [NewModel] takes the input shape and a list of layer specs ([Dense],
// [Conv], [MaxPool], [AvgPool], nn.Flatten{}, [BatchNorm1D], [BatchNorm2D],
// [DropoutP] and the activations), infers each layer's input size, names
// the layers, and returns one error naming the layer at fault. The model it
// returns is what training.Fit trains, with the penalties and post-steps
// attached to it (see ExampleSequential).
//
// Underneath, every layer has the same shape: a constructor that declares
// its parameters and buffers into a [graph.Store] (NewLinear, NewConv2D,
// NewBatchNorm, …), and a Forward method that adds its computation to a
// [graph.Builder]'s graph in the builder's mode. Each op behind a layer is
// verified against central finite differences and against PyTorch fixtures
// (testdata/golden), on the executor that ships.
package nn
