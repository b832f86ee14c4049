package main

import (
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/pretrained"
	"github.com/gozoo/zoo/training"
)

// modelArgHelp describes the MODEL argument of the commands that read a
// trained model.
const modelArgHelp = `MODEL is a registry name with shipped weights (zoo list shows which; the
weights are embedded in zoo) or the path of a zoo checkpoint
(model.safetensors, best.safetensors or last.safetensors of a zoo train
run). An existing file of that name takes precedence over a registry name.`

// loadModel rebuilds a trained model: the shipped weights of a registry
// name (package pretrained), or the model a checkpoint file was saved from
// (models.Load). It returns the checkpoint's metadata too, whose Path is
// the file or "pretrained:NAME". Every error names the file or the model.
func loadModel(arg string) (*models.Model, *training.Checkpoint, error) {
	if _, err := os.Stat(arg); err != nil {
		if pretrained.Has(arg) {
			c, _, err := pretrained.Checkpoint(arg)
			if err != nil {
				return nil, nil, err
			}
			m, _, err := models.FromCheckpoint(c)
			return m, c, err
		}
		if _, lerr := models.Lookup(arg); lerr == nil {
			return nil, nil, errors.Errorf("model %s has no shipped weights (shipped: %s) and no file %s exists; train it with zoo train %s", arg, strings.Join(pretrained.Names(), ", "), arg, arg)
		}
		return nil, nil, errors.Wrap(err, "checkpoint")
	}
	m, c, _, err := models.Load(arg)
	if err != nil {
		if !strings.Contains(err.Error(), arg) {
			err = errors.WithMessagef(err, "checkpoint %s", arg)
		}
		return nil, nil, err
	}
	return m, c, nil
}
