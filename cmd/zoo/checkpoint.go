package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// bestTensorPrefix prefixes the best epoch's copy of every variable that
// training.Fit keeps inside last.safetensors, for resuming; a model is
// restored from the other tensors.
const bestTensorPrefix = "best/"

// loadModel rebuilds the model a checkpoint was saved from (the registry
// entry named in the checkpoint, built with the checkpoint's model
// configuration) and restores its parameters and buffers. Every error names
// the file.
func loadModel(path string) (*models.Model, *training.Checkpoint, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, errors.Wrap(err, "checkpoint")
	}
	c, err := training.LoadCheckpoint(path)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			err = errors.WithMessagef(err, "checkpoint %s", path)
		}
		return nil, nil, err
	}
	e, err := models.Lookup(c.ModelName)
	if err != nil {
		return nil, nil, errors.WithMessagef(err, "checkpoint %s", path)
	}
	var cfg models.Config
	if len(c.ModelConfig) == 0 {
		return nil, nil, errors.Errorf("checkpoint %s: no model configuration", path)
	}
	dec := json.NewDecoder(bytes.NewReader(c.ModelConfig))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, nil, errors.Wrapf(err, "checkpoint %s: model configuration", path)
	}
	m, err := e.Build(cfg, 0)
	if err != nil {
		return nil, nil, errors.WithMessagef(err, "checkpoint %s", path)
	}
	model := *c
	model.Tensors = nil
	for _, t := range c.Tensors {
		if !strings.HasPrefix(t.Name, bestTensorPrefix) {
			model.Tensors = append(model.Tensors, t)
		}
	}
	if err := model.Restore(m.Name(), training.StoreTensors(m.Store())); err != nil {
		return nil, nil, err
	}
	return m, c, nil
}
