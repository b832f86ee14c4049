// Package ops provides the Gorgonia ops behind zoo's layers and their
// kernels: bias add, ReLU/LeakyReLU/sigmoid, softmax, log-softmax and
// softmax cross-entropy with a per-row maximum, mean squared error,
// BatchNorm (training and evaluation), GroupNorm, conv2d (im2col on zoo's
// GEMM), max and average pooling, and the dropout mask product.
//
// Each op implements gorgonia.Op and SDOp (its symbolic gradient is another
// op of this package) and UsePreallocDo, so zoo's executor can hand it the
// output tensor of the previous run (see prealloc.go). Ops report graph's
// sentinel errors (graph.ErrShape, …).
package ops
