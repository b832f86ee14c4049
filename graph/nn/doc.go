// Package nn provides the layers and losses zoo's models are made of:
// [Linear], [Conv2D], max and average pooling ([Pool2D]), [Flatten],
// activations ([ReLU], [LeakyReLU], [Sigmoid], [Tanh]), [Dropout],
// [BatchNorm], [GroupNorm] (and [NewLayerNorm], [NewInstanceNorm]),
// [Sequential], and the losses [CrossEntropy] and [MeanSquaredError].
//
// Every layer has the same shape: a constructor that declares its
// parameters and buffers into a [graph.Store], and a Forward method that
// adds its computation to a [graph.Builder]'s graph in the builder's mode.
// Each op behind a layer is verified against central finite differences and
// against PyTorch fixtures (testdata/golden), on the executor that ships.
package nn
