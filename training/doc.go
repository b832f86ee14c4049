// Package training provides the graph-independent parts of a training loop:
// optimizers that update parameters in place, gradient clipping,
// learning-rate schedules, early stopping, stop reasons and checkpoint files.
//
// # Parameters
//
// Optimizers see a model as a list of [Param] values: a name, the value
// tensor (updated in place), its gradient (read only) and a Decay flag that
// says whether weight decay applies. Callers set Decay for weight matrices
// and convolution filters only, not for biases or BatchNorm's γ and β, which
// is what most reference training recipes do. float32 and float64 tensors
// are supported; float32 parameters are updated in float32 arithmetic, as
// PyTorch does, with each hyperparameter rounded to float32 first.
//
// # Coupled L2 and decoupled weight decay
//
// Two different things are called "weight decay":
//
//   - Coupled L2 adds λ·w to the gradient before the optimizer sees it,
//     which is the gradient of the penalty ½·λ·‖w‖². PyTorch's
//     torch.optim.SGD and torch.optim.Adam do this with their weight_decay
//     argument, and so do [SGD] and [Adam] here. In Adam the added term is
//     then divided by √v̂ like the rest of the gradient, so weights with
//     large gradients are decayed less.
//   - Decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
//     Regularization", ICLR 2019) shrinks the weights directly,
//     w ← w·(1 − lr·λ), before the Adam step and independently of the
//     gradient. torch.optim.AdamW does this, and so does [AdamW] here.
//
// For plain SGD without momentum the two coincide; with momentum or Adam
// they do not. Gorgonia's own solvers are not used: they decay the wrong
// quantity or nothing at all.
//
// # Epochs
//
// Epochs are numbered from 1 wherever they are shown or recorded: the log,
// [Progress], [EpochRecord], history.csv and history.jsonl, and result.json
// (cmd/zoo and models.Train). Positions are 0-based: [History.BestEpoch]
// indexes History.Epochs, a checkpoint's Epoch counts the epochs done, and
// schedules and early stopping take the index of an epoch: epoch index e is
// the (e+1)-th pass over the training data. [Schedule.LR] gives the
// learning rate to use while training epoch e, which is PyTorch's learning
// rate after e calls of scheduler.step() at the end of each epoch.
// [EarlyStopping.Update] takes the index of the epoch that just finished, as
// Keras's on_epoch_end does.
package training
