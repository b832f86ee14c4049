package models

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
	"github.com/gozoo/zoo/regularizers"
)

// MNIST's input and output sizes.
const (
	imageSide = 28
	inputSize = imageSide * imageSide
	classes   = 10
)

// Model is a built zoo model: its layers, the store holding their
// parameters and buffers, and the penalties and constraints its Config asks
// for. It implements training.Model.
type Model struct {
	name      string
	cfg       Config
	store     *graph.Store
	net       *nn.Sequential
	input     []int
	penalties []graph.Penalty
	post      []graph.PostStep
}

// Name returns the registry name the model was built from.
func (m *Model) Name() string { return m.name }

// Config returns the configuration the model was built with.
func (m *Model) Config() Config { return m.cfg }

// Store returns the model's parameters and buffers.
func (m *Model) Store() *graph.Store { return m.store }

// Net returns the model's layers.
func (m *Model) Net() *nn.Sequential { return m.net }

// InputShape is one sample's shape: [784] for MLPs, [1 28 28] for convnets.
func (m *Model) InputShape() []int { return append([]int(nil), m.input...) }

// Forward maps a batch of inputs to logits (N, 10).
func (m *Model) Forward(b *graph.Builder, x *G.Node) (*G.Node, error) {
	return m.net.Forward(b, x)
}

// Penalties returns the penalty terms the model declares: those its config
// asks for (L1, L2, weight elimination), then any added with AddPenalties.
// training.Fit adds them to the loss.
func (m *Model) Penalties() []graph.Penalty { return m.penalties }

// PostSteps returns the post-steps the model declares: those its config asks
// for (max-norm, then proximal L1), then any added with AddPostSteps (a
// pruning mask, say). training.Fit applies them after every optimizer step.
func (m *Model) PostSteps() []graph.PostStep { return m.post }

// AddPenalties declares further penalties on the model.
func (m *Model) AddPenalties(p ...graph.Penalty) { m.penalties = append(m.penalties, p...) }

// AddPostSteps declares further post-steps on the model.
func (m *Model) AddPostSteps(p ...graph.PostStep) { m.post = append(m.post, p...) }

var _ graph.Regularized = (*Model)(nil)

// NumParams returns the number of trainable scalars.
func (m *Model) NumParams() int { return m.store.NumParams() }

// arch builds a model's layers into s.
type arch func(s *graph.Store, cfg Config, rng *rand.Rand) (layers []nn.Layer, input []int, err error)

func build(name string, a arch, cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := graph.NewStore(cfg.dtype())
	if err != nil {
		return nil, err
	}
	// The initial weights are a function of the seed alone.
	rng := rand.New(rand.NewPCG(seed, 0))
	layers, input, err := a(s, cfg, rng)
	if err != nil {
		return nil, errors.WithMessagef(err, "models: building %s", name)
	}
	m := &Model{name: name, cfg: cfg, store: s, net: nn.NewSequential(name, layers...), input: input}
	if cfg.L1 > 0 {
		m.penalties = append(m.penalties, regularizers.L1{Lambda: cfg.L1})
	}
	if cfg.L2 > 0 {
		m.penalties = append(m.penalties, regularizers.L2{Lambda: cfg.L2})
	}
	if cfg.WeightElimination > 0 {
		w0 := cfg.WeightEliminationW0
		if w0 == 0 {
			w0 = 1
		}
		m.penalties = append(m.penalties, regularizers.WeightElimination{Lambda: cfg.WeightElimination, W0: w0})
	}
	if cfg.MaxNorm > 0 {
		m.post = append(m.post, regularizers.MaxNorm{C: cfg.MaxNorm})
	}
	if cfg.ProxL1 > 0 {
		m.post = append(m.post, regularizers.ProxL1{Lambda: cfg.ProxL1})
	}
	return m, nil
}

// stack accumulates layers with the config's conventions.
type stack struct {
	s      *graph.Store
	cfg    Config
	rng    *rand.Rand
	layers []nn.Layer
	err    error
}

func (k *stack) add(l nn.Layer, err error) {
	if k.err != nil {
		return
	}
	if err != nil {
		k.err = err
		return
	}
	k.layers = append(k.layers, l)
}

func (k *stack) dropout(name string, rate float64) {
	if rate == 0 || k.err != nil {
		return
	}
	scaling := nn.Inverted
	if k.cfg.WeightScalingDropout {
		scaling = nn.WeightScaling
	}
	k.add(nn.NewDropout(name, rate, scaling))
}

func (k *stack) activation(name string) {
	switch k.cfg.Activation {
	case "sigmoid":
		k.add(nn.Sigmoid(name), nil)
	case "tanh":
		k.add(nn.Tanh(name), nil)
	default:
		k.add(nn.ReLU(name), nil)
	}
}

// norm adds the configured normalisation over channels, if any.
func (k *stack) norm(name string, channels int) {
	switch k.cfg.Norm {
	case "batch":
		k.add(nn.NewBatchNorm(k.s, name, channels, nn.BatchNormConfig{}))
	case "group":
		g := k.cfg.Groups
		if g == 0 {
			g = gcd(8, channels) // the largest of 1, 2, 4, 8 that divides the channels
		}
		k.add(nn.NewGroupNorm(k.s, name, channels, g, nn.NormConfig{}))
	case "layer":
		k.add(nn.NewLayerNorm(k.s, name, channels, nn.NormConfig{}))
	case "instance":
		k.add(nn.NewInstanceNorm(k.s, name, channels, nn.NormConfig{}))
	}
}

// hidden adds Linear → [norm] → activation → [dropout].
func (k *stack) hidden(i, in, out int) {
	k.add(nn.NewLinear(k.s, fmt.Sprintf("fc%d", i), in, out, nn.LinearConfig{NoBias: k.cfg.Norm != ""}, k.rng))
	k.norm(fmt.Sprintf("norm%d", i), out)
	k.activation(fmt.Sprintf("act%d", i))
	k.dropout(fmt.Sprintf("drop%d", i), k.cfg.HiddenDropout)
}

// conv adds Conv2D (k×k, padding pad) → [norm] → activation.
func (k *stack) conv(i, in, out, size, pad int) {
	k.add(nn.NewConv2D(k.s, fmt.Sprintf("conv%d", i), in, out, [2]int{size, size}, nn.Conv2DConfig{Padding: [2]int{pad, pad}, NoBias: k.cfg.Norm != ""}, k.rng))
	k.norm(fmt.Sprintf("cnorm%d", i), out)
	k.activation(fmt.Sprintf("cact%d", i))
}

func (k *stack) maxPool(name string) {
	k.add(nn.NewMaxPool2D(name, [2]int{2, 2}, [2]int{2, 2}, [2]int{}))
}

func (k *stack) output(i, in int) {
	k.add(nn.NewLinear(k.s, fmt.Sprintf("fc%d", i), in, classes, nn.LinearConfig{}, k.rng))
}

// mlp is 784 → [input dropout] → hidden layers → 10.
func mlp(s *graph.Store, cfg Config, rng *rand.Rand) ([]nn.Layer, []int, error) {
	if len(cfg.Hidden) == 0 {
		return nil, nil, errors.New("models: an MLP needs at least one hidden layer")
	}
	k := &stack{s: s, cfg: cfg, rng: rng}
	k.dropout("drop0", cfg.InputDropout)
	in := inputSize
	for i, h := range cfg.Hidden {
		k.hidden(i+1, in, h)
		in = h
	}
	k.output(len(cfg.Hidden)+1, in)
	return k.layers, []int{inputSize}, k.err
}

// lenet5 is LeCun et al. (1998)'s LeNet-5 on 28×28 inputs padded by 2 (the
// paper's 32×32): conv 6@5×5, pool, conv 16@5×5, pool, FC 120-84-10, with
// ReLU and max pooling in place of the paper's scaled tanh and subsampling.
func lenet5(s *graph.Store, cfg Config, rng *rand.Rand) ([]nn.Layer, []int, error) {
	k := &stack{s: s, cfg: cfg, rng: rng}
	k.conv(1, 1, 6, 5, 2)  // 28×28
	k.maxPool("pool1")     // 14×14
	k.conv(2, 6, 16, 5, 0) // 10×10
	k.maxPool("pool2")     // 5×5
	k.add(nn.NewFlatten("flatten"), nil)
	k.hidden(1, 16*5*5, 120)
	k.hidden(2, 120, 84)
	k.output(3, 84)
	return k.layers, []int{1, imageSide, imageSide}, k.err
}

// convnet is a small modern MNIST convnet: two blocks of two 3×3 conv–norm–ReLU
// layers (32 then 64 channels) each followed by 2×2 max pooling, then FC 128
// (with the hidden dropout after it) and the output layer.
func convnet(s *graph.Store, cfg Config, rng *rand.Rand) ([]nn.Layer, []int, error) {
	k := &stack{s: s, cfg: cfg, rng: rng}
	k.conv(1, 1, 32, 3, 1)
	k.conv(2, 32, 32, 3, 1)
	k.maxPool("pool1") // 14×14
	k.conv(3, 32, 64, 3, 1)
	k.conv(4, 64, 64, 3, 1)
	k.maxPool("pool2") // 7×7
	k.add(nn.NewFlatten("flatten"), nil)
	k.hidden(1, 64*7*7, 128)
	k.output(2, 128)
	return k.layers, []int{1, imageSide, imageSide}, k.err
}

// ConfigJSON returns the model's configuration as JSON, for checkpoints.
func (m *Model) ConfigJSON() (json.RawMessage, error) {
	b, err := json.Marshal(m.cfg)
	return b, errors.Wrap(err, "models: config")
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
