package models

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/suggest"
)

// Measurement is a test error the project measured for an entry's default
// recipe on the full 10,000-image MNIST test set.
type Measurement struct {
	// TestError is in percent.
	TestError float64 `json:"test_error"`
	// Epochs is the number of epochs run.
	Epochs int `json:"epochs"`
	// Seconds is the wall time on 2 cores.
	Seconds float64 `json:"seconds"`
	// Command reproduces the measurement.
	Command string `json:"command"`
}

// Entry is one model of the zoo.
type Entry struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Paper is the source of the architecture and PaperError its reported
	// MNIST test error in percent (0 if the paper gives none).
	Paper      string  `json:"paper"`
	PaperError float64 `json:"paper_error,omitempty"`
	// Recipe is the default training recipe, with the default model
	// configuration in Recipe.Config and seed 1.
	Recipe Recipe `json:"recipe"`
	// Measured is what the default recipe reached here (nil: not yet measured).
	Measured *Measurement `json:"measured,omitempty"`
	arch     arch
	// mlp marks the entries built by mlp, whose sizes come from
	// Config.Hidden.
	mlp bool
}

// Build builds the entry's architecture with cfg, its initial weights drawn
// from seed.
func (e Entry) Build(cfg Config, seed uint64) (*Model, error) {
	return build(e.Name, e.arch, cfg, seed)
}

// Scalars returns the number of values in the parameters and buffers that
// Build(cfg, ·) allocates, without allocating them for an MLP (a convnet's
// sizes do not depend on cfg.Hidden and are small, so it is built). A
// checkpoint loader compares it with the values the file actually holds
// before building a model from the file's configuration.
func (e Entry) Scalars(cfg Config) (int, error) {
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	if !e.mlp {
		m, err := e.Build(cfg, 0)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, v := range m.store.Vars() {
			n += v.Value().Shape().TotalSize()
		}
		return n, nil
	}
	if len(cfg.Hidden) == 0 {
		return 0, errors.New("models: an MLP needs at least one hidden layer")
	}
	n := cfg.mlpWeights() + classes // the output layer's bias
	for _, h := range cfg.Hidden {
		if cfg.Norm == "group" && cfg.Groups > 0 && h%cfg.Groups != 0 {
			return 0, errors.Errorf("models: %d groups must divide %d channels", cfg.Groups, h)
		}
		switch cfg.Norm {
		case "":
			n += h // bias
		case "batch":
			n += 4 * h // γ, β, running mean and variance
		default:
			n += 2 * h // γ, β
		}
	}
	return n, nil
}

// NumParams returns the number of trainable scalars of the default config.
func (e Entry) NumParams() (int, error) {
	m, err := e.Build(e.Recipe.Config, 0)
	if err != nil {
		return 0, err
	}
	return m.NumParams(), nil
}

var registry = map[string]Entry{}

// clone returns a copy of e that shares no slice with the registry.
func (e Entry) clone() Entry {
	e.Recipe.Config.Hidden = append([]int(nil), e.Recipe.Config.Hidden...)
	return e
}

func register(e Entry) { registry[e.Name] = e }

// List returns every entry, sorted by name.
func List() []Entry {
	out := make([]Entry, 0, len(registry))
	for _, e := range registry {
		out = append(out, e.clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ErrUnknownModel is returned by Lookup for a name that is not registered.
var ErrUnknownModel = errors.New("models: unknown model")

// unknownModelError names the model asked for, the closest registered name
// and every registered name. It matches ErrUnknownModel with errors.Is.
type unknownModelError struct {
	name  string
	names []string
}

func (e *unknownModelError) Error() string {
	return fmt.Sprintf("models: unknown model %q%s; have %s", e.name, suggest.Hint(e.name, e.names), strings.Join(e.names, ", "))
}

func (e *unknownModelError) Is(target error) bool { return target == ErrUnknownModel }

// Lookup returns the entry registered under name.
func Lookup(name string) (Entry, error) {
	e, ok := registry[name]
	if !ok {
		names := make([]string, 0, len(registry))
		for _, e := range List() {
			names = append(names, e.Name)
		}
		return Entry{}, &unknownModelError{name: name, names: names}
	}
	return e.clone(), nil
}

// Default is the model `zoo train` trains when no model is named.
const Default = "mlp"

func init() {
	register(Entry{
		Name:        "mlp",
		Description: "784-800-800-10 ReLU MLP, no regularization",
		Paper:       "Simard, Steinkraus & Platt (2003), Best practices for convolutional neural networks applied to visual document analysis",
		PaperError:  1.6,
		// 12 epochs with a cosine schedule: ≥ 98.28% test accuracy over seeds
		// 1-3 in about 3 CPU-minutes (early stopping on val_loss with patience
		// 5 stopped seed 2 at 97.95% while val accuracy was still rising).
		Recipe: Recipe{Model: "mlp", Config: Config{Hidden: []int{800, 800}}, Seed: 1, Optimizer: "sgd", LR: 0.05, Momentum: 0.9, BatchSize: 128, Epochs: 12, Schedule: "cosine", ValFrac: 0.1},
		// Measured from a fresh clone on 2 shared cores (load about 2), CPU
		// time 114 s.
		Measured: &Measurement{TestError: 1.67, Epochs: 12, Seconds: 71, Command: "go run ./cmd/zoo train mlp --seed 1"},
		arch:     mlp, mlp: true,
	})
	register(Entry{
		Name:        "mlp-dropout",
		Description: "784-1024-1024-2048-10 ReLU MLP, dropout 0.2 on inputs and 0.5 on hidden units, max-norm 3",
		Paper:       "Srivastava et al. (2014), Dropout: a simple way to prevent neural networks from overfitting, Table 9",
		PaperError:  1.05,
		Recipe:      Recipe{Model: "mlp-dropout", Config: Config{Hidden: []int{1024, 1024, 2048}, InputDropout: 0.2, HiddenDropout: 0.5, MaxNorm: 3}, Seed: 1, Optimizer: "sgd", LR: 0.1, Momentum: 0.9, BatchSize: 128, Epochs: 60, Schedule: "exp", Gamma: 0.95, ValFrac: 0.1, Patience: 10, Monitor: "val_acc"},
		// Early stopping ended it at epoch 58 and restored epoch 48; 2 shared
		// cores at load 4-10.
		Measured: &Measurement{TestError: 1.23, Epochs: 58, Seconds: 2693, Command: "go run ./cmd/zoo train mlp-dropout --seed 1"},
		arch:     mlp, mlp: true,
	})
	register(Entry{
		Name:        "mlp-sigmoid",
		Description: "3×100 sigmoid MLP without BatchNorm (the baseline of Ioffe & Szegedy's Figure 1)",
		Paper:       "Ioffe & Szegedy (2015), Batch normalization, §4.1",
		Recipe:      Recipe{Model: "mlp-sigmoid", Config: Config{Hidden: []int{100, 100, 100}, Activation: "sigmoid"}, Seed: 1, Optimizer: "sgd", LR: 0.5, BatchSize: 60, Epochs: 10, ValFrac: 0.1},
		Measured:    &Measurement{TestError: 3.19, Epochs: 10, Seconds: 43, Command: "go run ./cmd/zoo train mlp-sigmoid --seed 1"},
		arch:        mlp, mlp: true,
	})
	register(Entry{
		Name:        "mlp-bn",
		Description: "3×100 sigmoid MLP with BatchNorm before each nonlinearity (no bias where BN follows)",
		Paper:       "Ioffe & Szegedy (2015), Batch normalization, §4.1",
		Recipe:      Recipe{Model: "mlp-bn", Config: Config{Hidden: []int{100, 100, 100}, Activation: "sigmoid", Norm: "batch"}, Seed: 1, Optimizer: "sgd", LR: 0.5, BatchSize: 60, Epochs: 10, ValFrac: 0.1},
		Measured:    &Measurement{TestError: 2.34, Epochs: 10, Seconds: 46, Command: "go run ./cmd/zoo train mlp-bn --seed 1"},
		arch:        mlp, mlp: true,
	})
	register(Entry{
		Name:        "lenet5",
		Description: "LeNet-5: conv 6@5×5, pool, conv 16@5×5, pool, FC 120-84-10 (ReLU, max pooling)",
		Paper:       "LeCun, Bottou, Bengio & Haffner (1998), Gradient-based learning applied to document recognition",
		PaperError:  0.95,
		Recipe:      Recipe{Model: "lenet5", Config: Config{}, Seed: 1, Optimizer: "sgd", LR: 0.05, Momentum: 0.9, BatchSize: 128, Epochs: 15, Schedule: "cosine", ValFrac: 0.1},
		Measured:    &Measurement{TestError: 0.95, Epochs: 15, Seconds: 347, Command: "go run ./cmd/zoo train lenet5 --seed 1"},
		arch:        lenet5,
	})
	register(Entry{
		Name:        "convnet-bn",
		Description: "2×(3×3 conv–BN–ReLU)×2 blocks of 32 and 64 channels with max pooling, FC 128 with dropout 0.5, FC 10",
		Paper:       "Ioffe & Szegedy (2015) BatchNorm in a small modern convnet",
		// lenet5's recipe (SGD with momentum on a cosine schedule, no early
		// stopping) with weight decay, 12 epochs to fit a 2-core budget.
		Recipe: Recipe{Model: "convnet-bn", Config: Config{Norm: "batch", HiddenDropout: 0.5}, Seed: 1, Optimizer: "sgd", LR: 0.05, Momentum: 0.9, WeightDecay: 5e-4, BatchSize: 128, Epochs: 12, Schedule: "cosine", ValFrac: 0.1},
		// 2 shared cores at load 4-10 (CPU time about 60% of it).
		Measured: &Measurement{TestError: 0.42, Epochs: 12, Seconds: 3309, Command: "go run ./cmd/zoo train convnet-bn --seed 1"},
		arch:     convnet,
	})
}
