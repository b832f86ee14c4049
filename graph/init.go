package graph

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Fan is the number of inputs and outputs that feed one unit, used to scale
// initial weights. For a Linear layer it is (in, out); for a convolution with
// C input and O output channels and a kh×kw kernel it is (C·kh·kw, O·kh·kw).
type Fan struct{ In, Out int }

// Init fills dst with initial values drawn from rng. Every initialiser in zoo
// draws only from the rng it is given, never from the clock (Gorgonia's own
// initialisers seed from the clock), so a model's initial weights are a function of
// its seed.
type Init func(rng *rand.Rand, fan Fan, dst []float64) error

// Zeros fills with 0.
func Zeros(_ *rand.Rand, _ Fan, dst []float64) error { return Constant(0)(nil, Fan{}, dst) }

// Ones fills with 1.
func Ones(_ *rand.Rand, _ Fan, dst []float64) error { return Constant(1)(nil, Fan{}, dst) }

// Constant fills with c.
func Constant(c float64) Init {
	return func(_ *rand.Rand, _ Fan, dst []float64) error {
		for i := range dst {
			dst[i] = c
		}
		return nil
	}
}

// Uniform draws from U(-a, a).
func Uniform(a float64) Init {
	return func(rng *rand.Rand, _ Fan, dst []float64) error {
		if rng == nil {
			return ErrNoRand
		}
		for i := range dst {
			dst[i] = (2*rng.Float64() - 1) * a
		}
		return nil
	}
}

// Normal draws from N(0, std²).
func Normal(std float64) Init {
	return func(rng *rand.Rand, _ Fan, dst []float64) error {
		if rng == nil {
			return ErrNoRand
		}
		for i := range dst {
			dst[i] = rng.NormFloat64() * std
		}
		return nil
	}
}

// HeNormal draws from N(0, 2/fan_in) (He et al. 2015; PyTorch's
// kaiming_normal_ with its defaults), suited to ReLU layers.
func HeNormal(rng *rand.Rand, fan Fan, dst []float64) error {
	if fan.In <= 0 {
		return errors.Wrap(ErrConfig, "graph: HeNormal needs fan.In > 0")
	}
	return Normal(math.Sqrt(2/float64(fan.In)))(rng, fan, dst)
}

// HeUniform draws from U(-b, b) with b = √(6/fan_in).
func HeUniform(rng *rand.Rand, fan Fan, dst []float64) error {
	if fan.In <= 0 {
		return errors.Wrap(ErrConfig, "graph: HeUniform needs fan.In > 0")
	}
	return Uniform(math.Sqrt(6/float64(fan.In)))(rng, fan, dst)
}

// GlorotUniform draws from U(-b, b) with b = √(6/(fan_in+fan_out)) (Glorot &
// Bengio 2010), suited to sigmoid and tanh layers.
func GlorotUniform(rng *rand.Rand, fan Fan, dst []float64) error {
	if fan.In+fan.Out <= 0 {
		return errors.Wrap(ErrConfig, "graph: GlorotUniform needs fan.In+fan.Out > 0")
	}
	return Uniform(math.Sqrt(6/float64(fan.In+fan.Out)))(rng, fan, dst)
}

// TorchDefault draws from U(-1/√fan_in, 1/√fan_in): what PyTorch's nn.Linear
// and nn.Conv2d use for both weight (kaiming_uniform_ with a=√5) and bias.
func TorchDefault(rng *rand.Rand, fan Fan, dst []float64) error {
	if fan.In <= 0 {
		return errors.Wrap(ErrConfig, "graph: TorchDefault needs fan.In > 0")
	}
	return Uniform(1/math.Sqrt(float64(fan.In)))(rng, fan, dst)
}
