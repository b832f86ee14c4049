// Package regularizers provides zoo's weight regularizers: penalty terms
// added to the training loss, constraints and proximal steps applied to the
// parameters after each optimizer step, and pruning with a sparsity report.
//
// Pruning ranks weights by a [Criterion]: magnitude, Optimal Brain Damage's
// saliency ½·h_kk·w² with the exact diagonal of the Gauss-Newton matrix of
// the cross-entropy ([GaussNewtonDiagonal]), the first-order Taylor
// criterion |w·∂L/∂w|, or at random ([Saliency]); [Prune] and [PruneScores]
// remove a fraction of them globally or per layer and return a [Mask] that
// holds them at zero through further training; [IterativePrune] alternates
// pruning and retraining.
//
// Penalties ([L2], [L1], [ElasticNet], [WeightElimination]) build a scalar
// node in a [graph.Builder]'s graph over the selected parameters' nodes; the
// trainer adds it to the loss before symbolic differentiation, so their
// gradients come from Gorgonia like the data loss's. [Sum] combines several.
//
// Post-step actions ([MaxNorm], [FrobeniusNorm], [ProxL1] and a pruning
// [Mask]) implement [PostStep]: the trainer calls AfterStep on each after
// every optimizer update, and they change the store's tensors in place.
//
// Which parameters a regularizer touches is chosen by a [Selector]. The
// default everywhere is [WeightsOnly]: Linear matrices and convolution
// filters, not biases and not BatchNorm's γ and β. Buffers (running
// statistics) are never touched. [ByName], [Layers], [Roles], [And], [Or]
// and [Not] choose otherwise.
//
// Conventions that differ between frameworks:
//
//   - L2 is λ·Σw², without ½; its gradient is 2λw. PyTorch's SGD and Adam
//     weight_decay=wd add wd·w to the gradient, so they equal L2{Lambda: wd/2}
//     (on the parameters they are given, biases included unless excluded).
//   - Adam's weight_decay is this coupled L2; AdamW's decoupled decay is not a
//     penalty and belongs to the optimizer (package training).
//   - Gorgonia's solvers' own L1/L2 options regularise every parameter and are
//     wrong for several solvers (Momentum decays the velocity, not the
//     weights; AdamW never changes the weights); use these instead.
//   - Penalties are not divided by the batch size.
//   - Linear weights are (in, out), so one unit's incoming weights form a
//     column; convolution filters are (out, in, kh, kw), one filter per unit.
package regularizers
