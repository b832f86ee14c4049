package main

import (
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/training"
)

// loadModel is models.Load with every error naming the file.
func loadModel(path string) (*models.Model, *training.Checkpoint, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, errors.Wrap(err, "checkpoint")
	}
	m, c, _, err := models.Load(path)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			err = errors.WithMessagef(err, "checkpoint %s", path)
		}
		return nil, nil, err
	}
	return m, c, nil
}
