package training

import (
	"encoding/json"
	"strings"

	"github.com/pkg/errors"
)

// ModelFile is the name under which zoo saves a model's final weights in a
// run's output directory (cmd/zoo and models.Train).
const ModelFile = "model.safetensors"

// SaveInfo is what [SaveModel] records beside a model's tensors.
type SaveInfo struct {
	// Recipe is the JSON recipe that trained the model (optional); it is
	// stored as the checkpoint's training configuration.
	Recipe json.RawMessage
	// Seed is the run's seed.
	Seed uint64
	// Epoch is the number of epochs the model was trained for.
	Epoch int
	// Metrics are scores of the saved weights by name (e.g. "test_acc").
	Metrics map[string]float64
	// Stopped is why training ended.
	Stopped StopReason
}

// SaveModel writes m's parameters and buffers — no optimizer state — to
// path atomically, with its name and configuration when m is [Named]
// (unnamed models are saved as "model") and info. It is the counterpart
// of PyTorch's torch.save(model.state_dict()); [LoadModel] reads it back.
func SaveModel(path string, m Model, info SaveInfo) error {
	c := &Checkpoint{
		ModelName: ModelName(m), TrainingConfig: info.Recipe, Seed: info.Seed, Epoch: info.Epoch,
		Metrics: info.Metrics, Stopped: info.Stopped, Tensors: StoreTensors(m.Store()),
	}
	if n, ok := m.(Named); ok {
		cfg, err := n.ConfigJSON()
		if err != nil {
			return errors.WithMessagef(err, "training: save %s", path)
		}
		c.ModelConfig = cfg
	}
	return SaveCheckpoint(path, c)
}

// LoadModel restores the parameters and buffers of m from a file written by
// [SaveModel], by [Fit]'s checkpoints (last.safetensors, best.safetensors)
// or by models.Save: the counterpart of PyTorch's load_state_dict. m must
// be built with the same architecture (the same model name, tensor names,
// shapes and dtype); the error names the file and lists every difference.
// The best-epoch copies inside a last.safetensors are ignored. It returns
// the checkpoint, without its tensors, for its metadata.
func LoadModel(path string, m Model) (*Checkpoint, error) {
	c, err := LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if err := c.RestoreModel(m); err != nil {
		return nil, err
	}
	c.Tensors = nil
	c.Optimizer = nil
	return c, nil
}

// RestoreModel copies the checkpoint's weights and buffers into m (see
// [LoadModel]), leaving out the best-epoch copies a last.safetensors keeps.
func (c *Checkpoint) RestoreModel(m Model) error {
	model := *c
	model.Tensors = nil
	for _, t := range c.Tensors {
		if !strings.HasPrefix(t.Name, BestTensorPrefix) {
			model.Tensors = append(model.Tensors, t)
		}
	}
	return model.Restore(ModelName(m), StoreTensors(m.Store()))
}
