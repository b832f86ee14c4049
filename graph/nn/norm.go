package nn

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/internal/ops"
)

// BatchNormConfig configures a [BatchNorm] layer. The zero value is PyTorch's
// default: ε = 1e-5, momentum 0.1, learnable γ and β.
type BatchNormConfig struct {
	// Eps is added to the variance before the square root. Default 1e-5.
	Eps float64
	// Momentum weights the NEW batch in the running statistics, PyTorch's
	// convention: running = (1 − m)·running + m·batch. Default 0.1. (Keras's
	// momentum is the weight of the OLD value: Keras 0.99 is PyTorch 0.01.)
	Momentum float64
	// NoAffine drops γ and β: y = x̂.
	NoAffine bool
}

func (c BatchNormConfig) withDefaults() BatchNormConfig {
	if c.Eps == 0 {
		c.Eps = 1e-5
	}
	if c.Momentum == 0 {
		c.Momentum = 0.1
	}
	return c
}

// Validate reports a configuration that cannot work.
func (c BatchNormConfig) Validate() error {
	c = c.withDefaults()
	if !(c.Eps > 0) {
		return errors.Wrapf(graph.ErrConfig, "batchnorm: eps %v must be positive", c.Eps)
	}
	if !(c.Momentum > 0 && c.Momentum <= 1) {
		return errors.Wrapf(graph.ErrConfig, "batchnorm: momentum %v not in (0, 1]", c.Momentum)
	}
	return nil
}

// BatchNorm normalises each feature of (N, C) inputs, or each channel of
// (N, C, H, W) inputs (Ioffe & Szegedy 2015): y = γ·(x − μ)/√(σ² + ε) + β.
//
// In [Train] mode μ and σ² are the batch's mean and biased variance, and
// after every run the running buffers are updated once with the batch mean
// and the unbiased variance σ²·m/(m−1), m = N·H·W (what PyTorch does). In
// [Eval] and [MonteCarlo] modes the running buffers are used and never
// changed. Variables: "<name>/gamma", "<name>/beta" (parameters),
// "<name>/running_mean", "<name>/running_var" (buffers, initially 0 and 1).
type BatchNorm struct {
	name        string
	channels    int
	cfg         BatchNormConfig
	Gamma, Beta *graph.Var
	Mean, Var   *graph.Var
}

var _ Layer = (*BatchNorm)(nil)

// NewBatchNorm declares a BatchNorm layer over the given number of features
// or channels.
func NewBatchNorm(s *graph.Store, name string, channels int, cfg BatchNormConfig) (*BatchNorm, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.WithMessage(err, name)
	}
	if channels <= 0 {
		return nil, errors.Wrapf(graph.ErrConfig, "batchnorm %s: %d channels", name, channels)
	}
	bn := &BatchNorm{name: name, channels: channels, cfg: cfg.withDefaults()}
	var err error
	if !cfg.NoAffine {
		if bn.Gamma, bn.Beta, err = affineParams(s, name, channels); err != nil {
			return nil, err
		}
	}
	if bn.Mean, err = s.NewBuffer(graph.Join(name, "running_mean"), tensor.Shape{channels}, 0); err != nil {
		return nil, err
	}
	if bn.Var, err = s.NewBuffer(graph.Join(name, "running_var"), tensor.Shape{channels}, 1); err != nil {
		return nil, err
	}
	return bn, nil
}

func affineParams(s *graph.Store, name string, channels int) (gamma, beta *graph.Var, err error) {
	if gamma, err = s.NewParam(graph.ParamSpec{Name: graph.Join(name, "gamma"), Role: graph.Scale, Shape: tensor.Shape{channels}, Init: graph.Ones}, nil); err != nil {
		return nil, nil, err
	}
	beta, err = s.NewParam(graph.ParamSpec{Name: graph.Join(name, "beta"), Role: graph.Shift, Shape: tensor.Shape{channels}, Init: graph.Zeros}, nil)
	return gamma, beta, err
}

// Name returns the layer's name.
func (bn *BatchNorm) Name() string { return bn.name }

// Channels returns the number of features or channels normalised.
func (bn *BatchNorm) Channels() int { return bn.channels }

// Eps returns ε, added to the variance before the square root.
func (bn *BatchNorm) Eps() float64 { return bn.cfg.Eps }

// Forward normalises x in the builder's mode.
func (bn *BatchNorm) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	if s := x.Shape(); (s.Dims() != 2 && s.Dims() != 4) || s[1] != bn.channels {
		return nil, errors.Wrapf(graph.ErrShape, "batchnorm %s: input %v, want (N, %d) or (N, %d, H, W)", bn.name, s, bn.channels, bn.channels)
	}
	gamma, beta, err := affineNodes(b, bn.Gamma, bn.Beta)
	if err != nil {
		return nil, err
	}
	if b.Mode() != graph.Train {
		mean, err := b.Var(bn.Mean)
		if err != nil {
			return nil, err
		}
		variance, err := b.Var(bn.Var)
		if err != nil {
			return nil, err
		}
		y, err := ops.BatchNormEval(x, gamma, beta, mean, variance, bn.cfg.Eps)
		return y, errors.WithMessagef(err, "batchnorm %s", bn.name)
	}
	y, stats, err := ops.BatchNormTrain(x, gamma, beta, bn.cfg.Eps)
	if err != nil {
		return nil, errors.WithMessagef(err, "batchnorm %s", bn.name)
	}
	b.AfterRun(func() error {
		return errors.WithMessagef(stats.Update(bn.Mean.Value(), bn.Var.Value(), bn.cfg.Momentum), "batchnorm %s", bn.name)
	})
	return y, nil
}

func affineNodes(b *graph.Builder, gamma, beta *graph.Var) (g, bt *G.Node, err error) {
	if gamma == nil {
		return nil, nil, nil
	}
	if g, err = b.Var(gamma); err != nil {
		return nil, nil, err
	}
	bt, err = b.Var(beta)
	return g, bt, err
}

// NormConfig configures [GroupNorm], [NewLayerNorm] and [NewInstanceNorm].
// The zero value is ε = 1e-5 with learnable per-channel γ and β.
type NormConfig struct {
	// Eps is added to the variance before the square root. Default 1e-5.
	Eps float64
	// NoAffine drops γ and β.
	NoAffine bool
}

// GroupNorm normalises each sample over groups of channels (Wu & He 2018):
// the C channels are split into G groups, and each (sample, group) is
// normalised by its own mean and biased variance over the group's channels
// and all positions, then scaled and shifted per channel. It behaves the same
// in every mode and keeps no running statistics, so it does not depend on the
// batch size.
//
// LayerNorm is GroupNorm with one group (for (N, D) inputs exactly PyTorch's
// nn.LayerNorm(D)); InstanceNorm is GroupNorm with one channel per group
// (PyTorch's InstanceNorm2d with affine=True).
// Variables: "<name>/gamma", "<name>/beta".
type GroupNorm struct {
	name             string
	channels, groups int
	eps              float64
	Gamma, Beta      *graph.Var
}

var _ Layer = (*GroupNorm)(nil)

// NewGroupNorm declares a GroupNorm layer with the given number of groups,
// which must divide channels.
func NewGroupNorm(s *graph.Store, name string, channels, groups int, cfg NormConfig) (*GroupNorm, error) {
	if channels <= 0 || groups <= 0 || channels%groups != 0 {
		return nil, errors.Wrapf(graph.ErrConfig, "groupnorm %s: %d groups must divide %d channels", name, groups, channels)
	}
	if cfg.Eps < 0 {
		return nil, errors.Wrapf(graph.ErrConfig, "groupnorm %s: eps %v", name, cfg.Eps)
	}
	if cfg.Eps == 0 {
		cfg.Eps = 1e-5
	}
	gn := &GroupNorm{name: name, channels: channels, groups: groups, eps: cfg.Eps}
	if !cfg.NoAffine {
		var err error
		if gn.Gamma, gn.Beta, err = affineParams(s, name, channels); err != nil {
			return nil, err
		}
	}
	return gn, nil
}

// NewLayerNorm declares a LayerNorm: GroupNorm with one group.
func NewLayerNorm(s *graph.Store, name string, channels int, cfg NormConfig) (*GroupNorm, error) {
	return NewGroupNorm(s, name, channels, 1, cfg)
}

// NewInstanceNorm declares an InstanceNorm: GroupNorm with a group per channel.
func NewInstanceNorm(s *graph.Store, name string, channels int, cfg NormConfig) (*GroupNorm, error) {
	return NewGroupNorm(s, name, channels, channels, cfg)
}

// Name returns the layer's name.
func (gn *GroupNorm) Name() string { return gn.name }

// Groups returns the number of groups.
func (gn *GroupNorm) Groups() int { return gn.groups }

// Channels returns the number of channels.
func (gn *GroupNorm) Channels() int { return gn.channels }

// Eps returns ε, added to the variance before the square root.
func (gn *GroupNorm) Eps() float64 { return gn.eps }

// Forward normalises x of shape (N, C) or (N, C, H, W).
func (gn *GroupNorm) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	if s := x.Shape(); (s.Dims() != 2 && s.Dims() != 4) || s[1] != gn.channels {
		return nil, errors.Wrapf(graph.ErrShape, "groupnorm %s: input %v, want (N, %d) or (N, %d, H, W)", gn.name, s, gn.channels, gn.channels)
	}
	gamma, beta, err := affineNodes(b, gn.Gamma, gn.Beta)
	if err != nil {
		return nil, err
	}
	y, err := ops.GroupNorm(x, gamma, beta, gn.groups, gn.eps)
	return y, errors.WithMessagef(err, "groupnorm %s", gn.name)
}
