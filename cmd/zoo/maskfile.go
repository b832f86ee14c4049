package main

import (
	"bytes"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/models"
	"github.com/gozoo/zoo/regularizers"
	"github.com/gozoo/zoo/training/safetensors"
)

const (
	// maskFile holds the pruning mask beside the pruned model.safetensors.
	maskFile = "mask.safetensors"
	// maskFormat is the "format" metadata of a mask file; its "model"
	// metadata is the registry name of the model it was made for.
	maskFormat = "zoo-mask"
)

// saveMask writes the mask's tensors (regularizers.Mask.Tensors: 1 kept, 0
// pruned, named "mask/<parameter>") atomically as a safetensors file, with
// the name of the model it was made for; loadMask reads it back.
func saveMask(path string, mask *regularizers.Mask, model string) error {
	ts := mask.Tensors()
	names := make([]string, 0, len(ts))
	for name := range ts {
		names = append(names, name)
	}
	slices.Sort(names)
	var list []safetensors.Tensor
	for _, name := range names {
		list = append(list, safetensors.Tensor{Name: name, Dense: ts[name]})
	}
	var b bytes.Buffer
	if err := safetensors.Write(&b, list, map[string]string{"format": maskFormat, "model": model}); err != nil {
		return errors.WithMessage(err, "mask")
	}
	return errors.WithMessage(writeFileAtomic(path, b.Bytes()), "mask")
}

// loadMask reads a mask written by saveMask and checks it against m: it
// holds only mask tensors, one for each weight matrix and filter of m (the
// weights zoo prune ranks) and for nothing else, each of its parameter's
// shape with values 0 and 1, and it was made for a model of m's name.
// Errors name the file and the tensor.
func loadMask(path string, m *models.Model) (*regularizers.Mask, error) {
	ts, md, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, errors.WithMessagef(err, "mask %s", path)
	}
	if md["format"] != maskFormat {
		return nil, errors.Errorf("mask %s: format %q, want %q (the mask.safetensors zoo prune writes)", path, md["format"], maskFormat)
	}
	byName := make(map[string]*tensor.Dense, len(ts))
	for _, t := range ts {
		if !strings.HasPrefix(t.Name, regularizers.MaskPrefix) {
			return nil, errors.Errorf("mask %s: tensor %q is not a mask tensor (%s<parameter>)", path, t.Name, regularizers.MaskPrefix)
		}
		byName[t.Name] = t.Dense
	}
	mask, err := regularizers.MaskFromTensors(m.Store(), byName)
	if err == nil {
		sel := regularizers.WeightsOnly()
		for _, v := range m.Store().Params() {
			if _, ok := byName[regularizers.MaskPrefix+v.Name()]; !ok && sel.Selects(v) {
				err = errors.Errorf("no tensor %q for the weights %s", regularizers.MaskPrefix+v.Name(), v.Name())
				break
			}
		}
	}
	made := md["model"]
	if err != nil {
		if made != "" && made != m.Name() {
			err = errors.WithMessagef(err, "a mask of %s, the model is %s", made, m.Name())
		}
		return nil, errors.WithMessagef(err, "mask %s", path)
	}
	switch made {
	case m.Name():
	case "":
		return nil, errors.Errorf("mask %s: no model name in its metadata", path)
	default:
		return nil, errors.Errorf("mask %s: a mask of %s, the model is %s", path, made, m.Name())
	}
	return mask, nil
}
