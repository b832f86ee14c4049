// Package models provides zoo's model registry: MLPs and convnets for MNIST,
// each with a typed configuration, a default training recipe, the paper it
// comes from and the test error the project measured for it.
//
// A [Model] declares its parameters into a graph.Store when it is built and
// can then be built into any number of training and evaluation graphs over
// those parameters (it implements training.Model). Regularization knobs in
// [Config] (dropout rates, BatchNorm, L1/L2/weight-elimination penalties,
// max-norm) turn into layers, penalty nodes and post-step constraints.
package models
