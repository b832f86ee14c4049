package models

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/training"
)

// SaveInfo is what [Save] records beside the model's tensors and recipe.
type SaveInfo struct {
	// Epoch is the number of epochs the model was trained for.
	Epoch int
	// Metrics are scores of the saved weights by name (e.g. "test_acc").
	Metrics map[string]float64
	// Stopped is why training ended.
	Stopped training.StopReason
}

// Save writes m's parameters and buffers (no optimizer state) to path
// atomically, with its registry name and configuration and, if r is not
// nil, the recipe that trained it. [Load] reads it back.
func Save(path string, m *Model, r *Recipe, info SaveInfo) error {
	si := training.SaveInfo{Epoch: info.Epoch, Metrics: info.Metrics, Stopped: info.Stopped}
	if r != nil {
		b, err := r.JSON()
		if err != nil {
			return err
		}
		si.Recipe, si.Seed = b, r.Seed
	}
	return training.SaveModel(path, m, si)
}

// Load rebuilds the registry model a file was saved from — by [Save],
// [Train] (model.safetensors) or training.Fit (last.safetensors,
// best.safetensors) — and restores its parameters and buffers: a ready
// model for evaluation or prediction. It returns the checkpoint's metadata
// (without tensors) too, with the recipe when one was stored (nil
// otherwise). Every error names the file. The model is built from the
// configuration stored in the file, and its tensors are compared with the
// file's before anything is copied.
func Load(path string) (*Model, *training.Checkpoint, *Recipe, error) {
	c, err := training.LoadCheckpoint(path)
	if err != nil {
		return nil, nil, nil, err
	}
	m, r, err := FromCheckpoint(c)
	if err != nil {
		return nil, nil, nil, err
	}
	c.Tensors, c.Optimizer = nil, nil
	return m, c, r, nil
}

// FromCheckpoint is [Load] for a checkpoint already read (from an embedded
// file, say): it rebuilds the registry model named in c with c's model
// configuration, restores its parameters and buffers, and returns the
// recipe stored in c (nil if none). Errors name c.Path.
func FromCheckpoint(c *training.Checkpoint) (*Model, *Recipe, error) {
	e, err := Lookup(c.ModelName)
	if err != nil {
		return nil, nil, errors.WithMessagef(err, "checkpoint %s", c.Path)
	}
	if len(c.ModelConfig) == 0 {
		return nil, nil, errors.Errorf("checkpoint %s: no model configuration", c.Path)
	}
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(c.ModelConfig))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, nil, errors.Wrapf(err, "checkpoint %s: model configuration", c.Path)
	}
	// The configuration is only metadata: before it allocates a model,
	// bound it by the values the file actually holds.
	need, err := e.Scalars(cfg)
	if err != nil {
		return nil, nil, errors.WithMessagef(err, "checkpoint %s: model configuration", c.Path)
	}
	if have := modelScalars(c); need > have {
		return nil, nil, errors.WithMessagef(training.ErrIncompatibleCheckpoint,
			"checkpoint %s: its model configuration makes a %s of %d values, the file holds %d", c.Path, e.Name, need, have)
	}
	m, err := e.Build(cfg, 0)
	if err != nil {
		return nil, nil, errors.WithMessagef(err, "checkpoint %s", c.Path)
	}
	if err := c.RestoreModel(m); err != nil {
		return nil, nil, err
	}
	var r *Recipe
	if len(c.TrainingConfig) > 0 {
		if rec, err := ParseRecipe(c.TrainingConfig); err == nil {
			r = &rec
		}
	}
	return m, r, nil
}

// modelScalars counts the values of a checkpoint's model tensors (not the
// optimizer's, nor the best epoch's copies that training.Fit keeps).
func modelScalars(c *training.Checkpoint) int {
	n := 0
	for _, t := range c.Tensors {
		if !strings.HasPrefix(t.Name, training.BestTensorPrefix) {
			n += t.Dense.Shape().TotalSize()
		}
	}
	return n
}
