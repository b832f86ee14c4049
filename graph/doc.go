// Package graph provides zoo's layers as static Gorgonia computation graphs,
// built in a training or an evaluation mode over one set of parameter tensors.
//
// A model is declared once into a [Store]: its trainable parameters (weights,
// biases, BatchNorm γ/β) and its buffers (state that is not trained, such as
// BatchNorm's running mean and variance), each under a stable hierarchical name
// such as "conv1/W" or "bn1/running_mean". From the same layers, a [Builder]
// builds a training graph or an evaluation graph; both bind their parameter
// nodes to the store's tensors, so an optimizer step on the training graph is
// seen by the evaluation graph with no copy.
//
// The mode is decided when a graph is built, never by flipping a flag on an op
// afterwards: Gorgonia's own Dropout and BatchNorm keep their mode on the op and
// break when two machines share a graph (see the project's NOTES). Where
// Gorgonia's built-in ops are wrong (Dropout's gradient, BatchNorm's state,
// SoftMax's per-array maximum) this package brings its own ops, each verified
// against central finite differences and against PyTorch fixtures in
// testdata/golden.
//
// Randomness (initialisation, dropout masks) comes only from a *rand.Rand that
// the caller owns and passes in, so a run is reproducible bit for bit from its
// seed.
package graph
