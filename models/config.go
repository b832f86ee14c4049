package models

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/suggest"
)

// Config is a model's architecture and regularization. The zero value of
// every regularization field is "off"; an entry's default Config sets the
// architecture.
type Config struct {
	// Hidden are the widths of an MLP's hidden layers (ignored by convnets).
	Hidden []int `json:"hidden,omitempty"`
	// Activation is "relu" (default), "sigmoid" or "tanh".
	Activation string `json:"activation,omitempty"`
	// InputDropout is the drop probability on an MLP's inputs. Default 0.
	InputDropout float64 `json:"input_dropout,omitempty"`
	// HiddenDropout is the drop probability after each hidden fully
	// connected layer. Default 0.
	HiddenDropout float64 `json:"hidden_dropout,omitempty"`
	// WeightScalingDropout trains without scaling and multiplies by the
	// retain probability at test (Srivastava et al. 2014) instead of
	// inverted dropout. Default false.
	WeightScalingDropout bool `json:"weight_scaling_dropout,omitempty"`
	// Norm is the normalisation after each hidden linear or convolution
	// layer, before its nonlinearity: "" (none), "batch", "group", "layer"
	// or "instance". A layer followed by a normalisation has no bias.
	Norm string `json:"norm,omitempty"`
	// Groups is GroupNorm's number of groups. Default: the largest of 8, 4,
	// 2, 1 that divides the layer's channel count.
	Groups int `json:"groups,omitempty"`
	// L1, L2 are penalty coefficients λ on the weights: λ·Σ|w| and λ·Σw².
	L1 float64 `json:"l1,omitempty"`
	L2 float64 `json:"l2,omitempty"`
	// WeightElimination is λ of Weigend et al.'s penalty λ·Σ(w/w0)²/(1+(w/w0)²),
	// with w0 = WeightEliminationW0 (default 1).
	WeightElimination   float64 `json:"weight_elimination,omitempty"`
	WeightEliminationW0 float64 `json:"weight_elimination_w0,omitempty"`
	// MaxNorm > 0 bounds each unit's incoming weight vector's L2 norm after
	// every step (Srivastava et al. 2014 use 3 to 4). Default 0: off.
	MaxNorm float64 `json:"max_norm,omitempty"`
	// ProxL1 > 0 soft-thresholds the weights by lr·ProxL1 after every step
	// (proximal L1: exact zeros), instead of the L1 subgradient penalty.
	// Default 0: off.
	ProxL1 float64 `json:"prox_l1,omitempty"`
	// Dtype is "float32" (default) or "float64".
	Dtype string `json:"dtype,omitempty"`
}

func (c Config) dtype() tensor.Dtype {
	if c.Dtype == "float64" {
		return graph.Float64
	}
	return graph.Float32
}

// Size limits that Validate enforces, so that no flag and no checkpoint
// metadata can make Build allocate more than a workstation holds. An MLP
// of the largest size has MaxWeights float32 weights (512 MiB), and
// training keeps two to four more tensors of that size (gradients,
// momentum, Adam's moments).
const (
	// MaxHidden is the widest hidden layer.
	MaxHidden = 1 << 16
	// MaxHiddenLayers is the largest number of hidden layers.
	MaxHiddenLayers = 64
	// MaxWeights bounds the number of weights of an MLP's fully connected
	// layers, Σ in·out from the 784 inputs through Hidden to the 10 outputs.
	MaxWeights = 1 << 27
)

// Validate names the first bad value.
func (c Config) Validate() error {
	if len(c.Hidden) > MaxHiddenLayers {
		return errors.Errorf("models: %d hidden layers, the limit is %d", len(c.Hidden), MaxHiddenLayers)
	}
	for _, h := range c.Hidden {
		if h <= 0 {
			return errors.Errorf("models: hidden width %d must be positive", h)
		}
		if h > MaxHidden {
			return errors.Errorf("models: hidden width %d exceeds the limit of %d", h, MaxHidden)
		}
	}
	if w := c.mlpWeights(); w > MaxWeights {
		return errors.Errorf("models: hidden widths %v make %d weights, the limit is %d", c.Hidden, w, MaxWeights)
	}
	switch c.Activation {
	case "", "relu", "sigmoid", "tanh":
	default:
		return errors.Errorf("models: unknown activation %q%s (want relu, sigmoid or tanh)", c.Activation, suggest.Hint(c.Activation, []string{"relu", "sigmoid", "tanh"}))
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"input dropout", c.InputDropout}, {"hidden dropout", c.HiddenDropout}} {
		if !(p.v >= 0 && p.v < 1) {
			return errors.Errorf("models: %s %v not in [0, 1)", p.name, p.v)
		}
	}
	switch c.Norm {
	case "", "batch", "group", "layer", "instance":
	default:
		return errors.Errorf("models: unknown norm %q%s (want batch, group, layer, instance, or empty for none)", c.Norm, suggest.Hint(c.Norm, []string{"batch", "group", "layer", "instance"}))
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"l1", c.L1}, {"l2", c.L2}, {"weight elimination", c.WeightElimination}, {"weight elimination w0", c.WeightEliminationW0}, {"max norm", c.MaxNorm}, {"prox l1", c.ProxL1}} {
		if !(p.v >= 0) || math.IsInf(p.v, 0) {
			return errors.Errorf("models: %s %v must be a finite number ≥ 0", p.name, p.v)
		}
	}
	if c.Groups < 0 {
		return errors.Errorf("models: groups %d is negative", c.Groups)
	}
	switch c.Dtype {
	case "", "float32", "float64":
	default:
		return errors.Errorf("models: dtype %q (want float32 or float64)", c.Dtype)
	}
	return nil
}

// mlpWeights is Σ in·out over the fully connected layers of an MLP with
// c.Hidden, from the 784 inputs to the 10 classes. With at most
// MaxHiddenLayers layers of at most MaxHidden units it cannot overflow.
func (c Config) mlpWeights() int {
	in, n := inputSize, 0
	for _, h := range c.Hidden {
		if h <= 0 || h > MaxHidden || len(c.Hidden) > MaxHiddenLayers {
			return 0 // reported by Validate
		}
		n += in * h
		in = h
	}
	return n + in*classes
}
