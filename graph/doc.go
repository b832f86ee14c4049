// Package graph provides zoo's runtime for static Gorgonia computation
// graphs: the [Store] of a model's variables, the [Builder] that builds a
// graph in a training, evaluation or Monte-Carlo mode, and the [Program]
// that runs it on zoo's executor. The layers and losses that users compose
// live in package [github.com/gozoo/zoo/graph/nn]; the Gorgonia ops and
// kernels behind them in an internal package.
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
// break when two machines share a graph.
//
// Randomness (initialisation, dropout masks) comes only from a *rand.Rand that
// the caller owns and passes in, so a run is reproducible bit for bit from its
// seed.
//
// # What is Gorgonia's and what is zoo's
//
//	Gorgonia                                  zoo
//	ExprGraph, nodes and the type system      Store, Var, Builder and the modes
//	G.Grad's symbolic reverse walk            Program and its executor (exec.go)
//	matrix product, reshape, element-wise     ops with PyTorch's semantics: bias add,
//	  nodes (Mul, Add, Square, Tanh, …)         ReLU/LeakyReLU/sigmoid, softmax and
//	                                            cross-entropy, BatchNorm, GroupNorm,
//	                                            conv2d, pooling, dropout masks
//	BLAS interface (gorgonia.Use)             FastBLAS: zoo's deterministic GEMM
//	                                          initialisers (init.go), optimizers
//	                                            (package training)
//
// Gorgonia's TapeMachine is not used to run programs: zoo's executor runs
// the forward pass and only the gradient nodes the parameters need, keeps
// every node's output tensor between runs and hands it back to the op, so a
// training step allocates almost nothing. With [CompileOptions].ShareBuffers
// a node whose readers have all run hands its memory on to a later node,
// and an [Arena] lets programs that take turns (a training and an
// evaluation graph) hold their buffers in the same memory.
package graph
