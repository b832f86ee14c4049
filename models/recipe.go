package models

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/training"
)

// Recipe is everything that defines a training run: the model (registry
// name and configuration, regularizers included), the optimizer, the
// schedule, the batch size and epochs, early stopping, the held-out split
// and the seed. It is JSON-serialisable, validated in one place
// ([Recipe.Validate]), stored whole in every checkpoint's metadata and in
// result.json, and [Train] runs it bit for bit: the same recipe gives the
// same weights on any machine and for any GOMAXPROCS.
//
// A registry entry's Recipe is its default; start from a copy of it
// ([Lookup] then entry.Recipe) and change fields. Zero values mean the
// defaults documented on each field.
type Recipe struct {
	// Model is the registry name of the architecture, such as "mlp".
	Model string `json:"model"`
	// Config is the architecture and its regularizers (L1, L2, weight
	// elimination, max-norm, proximal L1).
	Config Config `json:"config"`
	// Seed seeds everything random, each from its own stream: the initial
	// weights, the validation split, the TrainLimit subset, the batch order
	// and the dropout masks.
	Seed uint64 `json:"seed"`
	// Optimizer is "sgd" (default), "adam" or "adamw".
	Optimizer string `json:"optimizer"`
	// LR is the base learning rate, > 0.
	LR float64 `json:"lr"`
	// Momentum is SGD's momentum (0: plain SGD); Nesterov selects Nesterov
	// momentum.
	Momentum float64 `json:"momentum,omitempty"`
	Nesterov bool    `json:"nesterov,omitempty"`
	// WeightDecay is the optimizer's weight decay on weights only: coupled
	// L2 (λ·w added to the gradient) for sgd and adam, decoupled for adamw
	// (where 0 means AdamW's default 0.01).
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// Schedule is the learning-rate schedule: "none" (also ""), "step"
	// (×Gamma every StepSize epochs), "exp" (×Gamma every epoch), "cosine"
	// (to 0 over Epochs) or "plateau" (×Gamma, default 0.1, after
	// PlateauPatience epochs without a lower val_loss).
	Schedule        string  `json:"schedule,omitempty"`
	StepSize        int     `json:"step_size,omitempty"`
	Gamma           float64 `json:"gamma,omitempty"`
	PlateauPatience int     `json:"plateau_patience,omitempty"`
	// ClipNorm > 0 clips the gradients' global L2 norm. Default 0: off.
	ClipNorm float64 `json:"clip_norm,omitempty"`
	// BatchSize is the training batch size, 1 to MaxBatchSize.
	BatchSize int `json:"batch_size"`
	// Epochs is the largest number of epochs, ≥ 1.
	Epochs int `json:"epochs"`
	// Patience > 0 turns on early stopping on Monitor ("val_loss", the
	// default, or "val_acc") with that patience and MinDelta; the best
	// epoch's weights are restored at the end unless KeepLast.
	Patience int     `json:"patience,omitempty"`
	Monitor  string  `json:"monitor,omitempty"`
	MinDelta float64 `json:"min_delta,omitempty"`
	KeepLast bool    `json:"keep_last,omitempty"`
	// ValFrac is the fraction of the training set held out for validation,
	// 0 ≤ ValFrac < 1, split by Split: "stratified" (default: random within
	// each class) or "tail" (the last samples, as Keras's validation_split).
	ValFrac float64 `json:"val_frac"`
	Split   string  `json:"split,omitempty"`
	// TrainLimit > 0 trains on a class-balanced subset of that many images
	// of the training split (a multiple of 10). Default 0: all.
	TrainLimit int `json:"train_limit,omitempty"`
}

// MaxBatchSize bounds Recipe.BatchSize: the training graph's activations
// are allocated for a whole batch (a billion-sample batch would ask for
// terabytes), and MNIST has 60000 training images.
const MaxBatchSize = 1 << 16

// Recipe values that Validate accepts.
var (
	Optimizers   = []string{training.AlgorithmSGD, training.AlgorithmAdam, training.AlgorithmAdamW}
	Schedules    = []string{"none", "step", "exp", "cosine", "plateau"}
	Monitors     = []string{"val_loss", "val_acc"}
	SplitMethods = []string{string(datasets.SplitStratified), string(datasets.SplitTail)}
)

// RecipeError is a recipe field with a value that cannot work. Field is the
// field's JSON name, so a command line can name its flag.
type RecipeError struct {
	Field string
	Err   error
}

func (e *RecipeError) Error() string { return "models: recipe: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *RecipeError) Unwrap() error { return e.Err }

func recipeErr(field, format string, args ...any) error {
	return &RecipeError{Field: field, Err: errors.Errorf(format, args...)}
}

func oneOf(field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return recipeErr(field, "%q: want %s", v, strings.Join(allowed, ", "))
}

// withDefaults fills in the documented defaults of empty fields.
func (r Recipe) withDefaults() Recipe {
	if r.Optimizer == "" {
		r.Optimizer = training.AlgorithmSGD
	}
	if r.Schedule == "" {
		r.Schedule = "none"
	}
	if r.Monitor == "" {
		r.Monitor = training.DefaultMonitor
	}
	if r.Split == "" {
		r.Split = string(datasets.SplitStratified)
	}
	if r.Schedule == "plateau" && r.PlateauPatience == 0 {
		r.PlateauPatience = 2
	}
	return r
}

// Normalized returns r with every default spelled out, the form stored in
// checkpoints and results.
func (r Recipe) Normalized() Recipe {
	r = r.withDefaults()
	r.Config.Hidden = append([]int(nil), r.Config.Hidden...)
	return r
}

// Validate names the first field whose value cannot work, as a
// *RecipeError.
func (r Recipe) Validate() error {
	r = r.withDefaults()
	if _, err := Lookup(r.Model); err != nil {
		return &RecipeError{Field: "model", Err: err}
	}
	if err := r.Config.Validate(); err != nil {
		return &RecipeError{Field: "config", Err: err}
	}
	switch {
	case r.Epochs < 1:
		return recipeErr("epochs", "%d: want ≥ 1", r.Epochs)
	case r.BatchSize < 1 || r.BatchSize > MaxBatchSize:
		return recipeErr("batch_size", "%d: want 1 to %d", r.BatchSize, MaxBatchSize)
	case !(r.LR > 0) || math.IsInf(r.LR, 0):
		return recipeErr("lr", "%v: want a finite number > 0", r.LR)
	case r.Patience < 0:
		return recipeErr("patience", "%d: want ≥ 0", r.Patience)
	case r.PlateauPatience < 0:
		return recipeErr("plateau_patience", "%d: want ≥ 0", r.PlateauPatience)
	case r.TrainLimit < 0 || r.TrainLimit%classes != 0:
		return recipeErr("train_limit", "%d: want a multiple of %d, ≥ 0", r.TrainLimit, classes)
	case !(r.Momentum >= 0) || math.IsInf(r.Momentum, 0):
		return recipeErr("momentum", "%v: want a finite number ≥ 0", r.Momentum)
	case !(r.WeightDecay >= 0) || math.IsInf(r.WeightDecay, 0):
		return recipeErr("weight_decay", "%v: want a finite number ≥ 0", r.WeightDecay)
	case !(r.ClipNorm >= 0) || math.IsInf(r.ClipNorm, 0):
		return recipeErr("clip_norm", "%v: want a finite number ≥ 0", r.ClipNorm)
	case math.IsNaN(r.MinDelta) || math.IsInf(r.MinDelta, 0):
		return recipeErr("min_delta", "%v: want a finite number", r.MinDelta)
	case math.IsNaN(r.Gamma) || math.IsInf(r.Gamma, 0) || r.Gamma < 0:
		return recipeErr("gamma", "%v: want a finite number ≥ 0", r.Gamma)
	case r.StepSize < 0:
		return recipeErr("step_size", "%d: want ≥ 0", r.StepSize)
	}
	if err := oneOf("optimizer", r.Optimizer, Optimizers); err != nil {
		return err
	}
	if r.Optimizer != training.AlgorithmSGD && (r.Momentum != 0 || r.Nesterov) {
		return recipeErr("momentum", "momentum and nesterov apply to sgd, not %s", r.Optimizer)
	}
	if err := oneOf("schedule", r.Schedule, Schedules); err != nil {
		return err
	}
	if err := oneOf("monitor", r.Monitor, Monitors); err != nil {
		return err
	}
	if err := oneOf("split", r.Split, SplitMethods); err != nil {
		return err
	}
	if err := datasets.ValidateFraction(r.ValFrac); err != nil {
		return &RecipeError{Field: "val_frac", Err: err}
	}
	if (r.Patience > 0 || r.Schedule == "plateau") && r.ValFrac == 0 {
		return recipeErr("val_frac", "early stopping (patience > 0) and the plateau schedule need a validation split: val_frac > 0")
	}
	_, err := r.TrainingConfig()
	return err
}

// TrainingConfig returns the part of the recipe that training.Fit takes:
// epochs, batch size, seed, optimizer, schedule, clipping and early
// stopping (no logging, checkpoints or callbacks). The model's regularizers
// are not in it: Fit takes them from the model.
func (r Recipe) TrainingConfig() (training.Config, error) {
	r = r.withDefaults()
	cfg := training.Config{Epochs: r.Epochs, BatchSize: r.BatchSize, Seed: r.Seed, ClipNorm: r.ClipNorm}
	var err error
	switch r.Optimizer {
	case training.AlgorithmSGD:
		cfg.Optimizer, err = training.NewSGD(training.SGDConfig{LR: r.LR, Momentum: r.Momentum, Nesterov: r.Nesterov, WeightDecay: r.WeightDecay})
	case training.AlgorithmAdam:
		cfg.Optimizer, err = training.NewAdam(training.AdamConfig{LR: r.LR, WeightDecay: r.WeightDecay})
	case training.AlgorithmAdamW:
		cfg.Optimizer, err = training.NewAdamW(training.AdamWConfig{LR: r.LR, WeightDecay: r.WeightDecay})
	default:
		return cfg, oneOf("optimizer", r.Optimizer, Optimizers)
	}
	if err != nil {
		return cfg, &RecipeError{Field: "optimizer", Err: err}
	}
	switch r.Schedule {
	case "none":
	case "step":
		cfg.Schedule = training.StepLR{StepSize: r.StepSize, Gamma: r.Gamma}
	case "exp":
		cfg.Schedule = training.ExponentialLR{Gamma: r.Gamma}
	case "cosine":
		cfg.Schedule = training.CosineAnnealingLR{TMax: r.Epochs}
	case "plateau":
		cfg.Plateau = &training.ReduceLROnPlateauConfig{Factor: r.Gamma, Patience: r.PlateauPatience}
	default:
		return cfg, oneOf("schedule", r.Schedule, Schedules)
	}
	if r.Patience > 0 {
		cfg.EarlyStopping = &training.EarlyStoppingConfig{Monitor: r.Monitor, MinDelta: r.MinDelta, Patience: r.Patience, KeepLast: r.KeepLast}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &RecipeError{Field: "schedule", Err: err}
	}
	return cfg, nil
}

// Build builds the recipe's model with its configuration, its initial
// weights drawn from the recipe's seed.
func (r Recipe) Build() (*Model, error) {
	e, err := Lookup(r.Model)
	if err != nil {
		return nil, err
	}
	return e.Build(r.Config, r.Seed)
}

// JSON returns the normalized recipe as JSON.
func (r Recipe) JSON() (json.RawMessage, error) {
	b, err := json.Marshal(r.Normalized())
	return b, errors.Wrap(err, "models: recipe")
}

// ParseRecipe decodes a JSON recipe strictly (unknown fields are errors)
// and validates it.
func ParseRecipe(b []byte) (Recipe, error) {
	var r Recipe
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, errors.Wrap(err, "models: recipe")
	}
	return r, r.Validate()
}

// ReadRecipe reads a recipe from a JSON file (a recipe, or a run's
// result.json, whose "recipe" it takes) or from a zoo checkpoint (its
// stored recipe); the error names the file.
func ReadRecipe(path string) (Recipe, error) {
	if strings.HasSuffix(path, ".safetensors") {
		c, err := training.LoadCheckpoint(path)
		if err != nil {
			return Recipe{}, err
		}
		if len(c.TrainingConfig) == 0 {
			return Recipe{}, errors.Errorf("models: %s holds no recipe", path)
		}
		r, err := ParseRecipe(c.TrainingConfig)
		return r, errors.WithMessagef(err, "%s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Recipe{}, errors.Wrap(err, "models: recipe")
	}
	var result struct {
		Recipe json.RawMessage `json:"recipe"`
	}
	if json.Unmarshal(b, &result) == nil && len(result.Recipe) > 0 && result.Recipe[0] == '{' {
		b = result.Recipe
	}
	r, err := ParseRecipe(b)
	return r, errors.WithMessagef(err, "%s", path)
}
