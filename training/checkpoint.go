package training

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/training/safetensors"
)

// Version is the library version recorded in checkpoints.
const Version = "0.1.0"

// CheckpointFormat is the version of the checkpoint layout that
// SaveCheckpoint writes and LoadCheckpoint accepts.
const CheckpointFormat = 1

// checkpointMetaKey is the safetensors metadata entry holding the JSON
// metadata of a checkpoint.
const checkpointMetaKey = "zoo_checkpoint"

// OptimizerTensorPrefix prefixes the names of optimizer state tensors in a
// checkpoint file: "optimizer/exp_avg/fc1/W".
const OptimizerTensorPrefix = "optimizer/"

// Checkpoint is everything needed to resume or reuse a training run. On
// disk it is one safetensors file: the model's tensors under their own
// names, the optimizer's state tensors under "optimizer/<slot>/<param>",
// and the rest as JSON in the metadata entry "zoo_checkpoint". Any
// safetensors reader can load the weights.
type Checkpoint struct {
	// ModelName identifies the architecture, e.g. "mlp-784-800-800-10".
	ModelName string
	// ModelConfig and TrainingConfig are the JSON-encoded configurations
	// that built the model and ran the training (opaque here).
	ModelConfig    json.RawMessage
	TrainingConfig json.RawMessage
	// Seed is the run's seed.
	Seed uint64
	// Epoch is the number of completed epochs, which is the 0-based
	// index of the epoch a resumed run trains next.
	Epoch int
	// Metrics holds the latest metrics by name (e.g. "val_loss"); NaN and
	// ±Inf are kept.
	Metrics map[string]float64
	// Version is the library version that wrote the checkpoint.
	// SaveCheckpoint fills in [Version] when it is empty.
	Version string
	// RNG holds the states of the run's random generators by name, e.g.
	// "shuffle" → the bytes of (*rand.PCG).MarshalBinary. Stored base64.
	RNG map[string][]byte
	// Stopped is why the run ended, empty while it is going on.
	Stopped StopReason
	// Tensors are the model's parameters and buffers by the model's names.
	// Names must not start with "optimizer/".
	Tensors []safetensors.Tensor
	// Optimizer is the optimizer's state, or nil.
	Optimizer *OptimizerState
	// EarlyStopping and Plateau are the states of early stopping and of
	// ReduceLROnPlateau, or nil.
	EarlyStopping *EarlyStoppingState
	Plateau       *PlateauState
	// Extra holds further JSON values by name (a training history, say).
	Extra map[string]json.RawMessage

	// Path is the file LoadCheckpoint read, for error messages; it is not
	// saved.
	Path string
}

// checkpointMeta is the JSON form of a checkpoint's metadata.
type checkpointMeta struct {
	Format         int                        `json:"format"`
	Version        string                     `json:"version"`
	ModelName      string                     `json:"model_name"`
	ModelConfig    json.RawMessage            `json:"model_config,omitempty"`
	TrainingConfig json.RawMessage            `json:"training_config,omitempty"`
	Seed           uint64                     `json:"seed"`
	Epoch          int                        `json:"epoch"`
	Metrics        map[string]jsonFloat       `json:"metrics,omitempty"`
	RNG            map[string][]byte          `json:"rng,omitempty"`
	Stopped        StopReason                 `json:"stopped,omitempty"`
	Optimizer      *optimizerMeta             `json:"optimizer,omitempty"`
	EarlyStopping  *EarlyStoppingState        `json:"early_stopping,omitempty"`
	Plateau        *PlateauState              `json:"plateau,omitempty"`
	Extra          map[string]json.RawMessage `json:"extra,omitempty"`
}

// optimizerMeta is the non-tensor part of an OptimizerState.
type optimizerMeta struct {
	Algorithm string           `json:"algorithm"`
	LR        jsonFloat        `json:"lr"`
	Steps     map[string]int64 `json:"steps,omitempty"`
}

// SaveCheckpoint writes c to path atomically: it writes a temporary file
// in the same directory, syncs it, renames it over path and syncs the
// directory, so path holds either the old checkpoint or the new one, never
// a mixture, and no temporary file is left behind on error.
func SaveCheckpoint(path string, c *Checkpoint) (err error) {
	if c == nil {
		return errors.WithMessagef(ErrCheckpoint, "save %s: nil checkpoint", path)
	}
	tensors, meta, err := c.encode()
	if err != nil {
		return errors.WithMessagef(err, "training: save checkpoint %s", path)
	}
	if err := writeAtomic(path, func(w *bufio.Writer) error {
		return safetensors.Write(w, tensors, map[string]string{checkpointMetaKey: meta})
	}); err != nil {
		return errors.WithMessagef(err, "training: save checkpoint %s", path)
	}
	return nil
}

// encode returns the tensors to write and the JSON metadata.
func (c *Checkpoint) encode() ([]safetensors.Tensor, string, error) {
	m := checkpointMeta{
		Format: CheckpointFormat, Version: c.Version, ModelName: c.ModelName,
		ModelConfig: c.ModelConfig, TrainingConfig: c.TrainingConfig,
		Seed: c.Seed, Epoch: c.Epoch, RNG: c.RNG, Stopped: c.Stopped,
		EarlyStopping: c.EarlyStopping, Plateau: c.Plateau, Extra: c.Extra,
	}
	if m.Version == "" {
		m.Version = Version
	}
	if c.Metrics != nil {
		m.Metrics = make(map[string]jsonFloat, len(c.Metrics))
		for k, v := range c.Metrics {
			m.Metrics[k] = jsonFloat(v)
		}
	}
	tensors := make([]safetensors.Tensor, 0, len(c.Tensors))
	for _, t := range c.Tensors {
		if strings.HasPrefix(t.Name, OptimizerTensorPrefix) {
			return nil, "", errors.WithMessagef(ErrCheckpoint, "model tensor name %q uses the reserved prefix %q", t.Name, OptimizerTensorPrefix)
		}
		tensors = append(tensors, t)
	}
	if o := c.Optimizer; o != nil {
		m.Optimizer = &optimizerMeta{Algorithm: o.Algorithm, LR: jsonFloat(o.LR), Steps: o.Steps}
		for _, k := range o.Keys() {
			tensors = append(tensors, safetensors.Tensor{Name: OptimizerTensorPrefix + k, Dense: o.Tensors[k]})
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, "", errors.Wrap(err, "training: encode checkpoint metadata")
	}
	return tensors, string(b), nil
}

// writeAtomic writes a file through a temporary file and a rename.
func writeAtomic(path string, write func(*bufio.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return errors.Wrap(err, "create temporary file")
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // already failed; the first error is the one to report
			_ = os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err = write(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return errors.Wrap(err, "write")
	}
	if err = f.Chmod(0o644); err != nil {
		return errors.Wrap(err, "chmod")
	}
	if err = f.Sync(); err != nil {
		return errors.Wrap(err, "sync")
	}
	if err = f.Close(); err != nil {
		return errors.Wrap(err, "close")
	}
	if err = os.Rename(tmp, path); err != nil {
		return errors.Wrap(err, "rename")
	}
	// The rename is durable once the directory is synced. Some file
	// systems cannot sync directories; the checkpoint is in place anyway.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint. It fails
// with an error naming the file if the file is truncated, its header or
// metadata is corrupt, or it is not a zoo checkpoint. Use CheckCompatible
// or Restore to check it against a model.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	tensors, md, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, errors.WithMessage(err, "training: load checkpoint")
	}
	c, err := decodeCheckpoint(tensors, md)
	if err != nil {
		return nil, errors.WithMessagef(err, "training: load checkpoint %s", path)
	}
	c.Path = path
	return c, nil
}

// ReadCheckpoint reads a checkpoint written by SaveCheckpoint from r (an
// embedded file, say). name stands for the file in error messages and is
// recorded as the checkpoint's Path.
func ReadCheckpoint(r io.Reader, name string) (*Checkpoint, error) {
	tensors, md, err := safetensors.Read(r)
	if err != nil {
		return nil, errors.WithMessagef(err, "training: read checkpoint %s", name)
	}
	c, err := decodeCheckpoint(tensors, md)
	if err != nil {
		return nil, errors.WithMessagef(err, "training: read checkpoint %s", name)
	}
	c.Path = name
	return c, nil
}

func decodeCheckpoint(tensors []safetensors.Tensor, md map[string]string) (*Checkpoint, error) {
	raw, ok := md[checkpointMetaKey]
	if !ok {
		return nil, errors.WithMessagef(ErrCheckpoint, "no %q metadata: not a zoo checkpoint", checkpointMetaKey)
	}
	var m checkpointMeta
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, errors.WithMessagef(ErrCheckpoint, "metadata: %v", err)
	}
	if m.Format != CheckpointFormat {
		return nil, errors.WithMessagef(ErrCheckpoint, "format %d, this library reads %d", m.Format, CheckpointFormat)
	}
	c := &Checkpoint{
		ModelName: m.ModelName, ModelConfig: m.ModelConfig, TrainingConfig: m.TrainingConfig,
		Seed: m.Seed, Epoch: m.Epoch, Version: m.Version, RNG: m.RNG, Stopped: m.Stopped,
		EarlyStopping: m.EarlyStopping, Plateau: m.Plateau, Extra: m.Extra,
	}
	if m.Metrics != nil {
		c.Metrics = make(map[string]float64, len(m.Metrics))
		for k, v := range m.Metrics {
			c.Metrics[k] = float64(v)
		}
	}
	if m.Optimizer != nil {
		c.Optimizer = &OptimizerState{Algorithm: m.Optimizer.Algorithm, LR: float64(m.Optimizer.LR),
			Steps: m.Optimizer.Steps, Tensors: make(map[string]*tensor.Dense)}
	}
	for _, t := range tensors {
		key, isOpt := strings.CutPrefix(t.Name, OptimizerTensorPrefix)
		switch {
		case !isOpt:
			c.Tensors = append(c.Tensors, t)
		case c.Optimizer == nil:
			return nil, errors.WithMessagef(ErrCheckpoint, "optimizer tensor %q without optimizer metadata", t.Name)
		default:
			c.Optimizer.Tensors[key] = t.Dense
		}
	}
	return c, nil
}

// Tensor returns the model tensor with the given name, or nil.
func (c *Checkpoint) Tensor(name string) *tensor.Dense {
	for _, t := range c.Tensors {
		if t.Name == name {
			return t.Dense
		}
	}
	return nil
}

// CheckCompatible reports whether the checkpoint was made for the model
// called modelName whose tensors are model: the same model name, the same
// set of tensor names, and equal shapes and dtypes. The error wraps
// ErrIncompatibleCheckpoint, names the file and lists the differences.
func (c *Checkpoint) CheckCompatible(modelName string, model []safetensors.Tensor) error {
	var problems []string
	if c.ModelName != modelName {
		problems = append(problems, fmt.Sprintf("it is for model %q, not %q", c.ModelName, modelName))
	}
	have := make(map[string]*tensor.Dense, len(c.Tensors))
	for _, t := range c.Tensors {
		have[t.Name] = t.Dense
	}
	want := make(map[string]bool, len(model))
	for _, t := range model {
		want[t.Name] = true
		d, ok := have[t.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("tensor %q is missing", t.Name))
		case t.Dense == nil:
			problems = append(problems, fmt.Sprintf("model tensor %q is nil", t.Name))
		case d.Dtype() != t.Dense.Dtype() || !sameShape(d.Shape(), t.Dense.Shape()):
			problems = append(problems, fmt.Sprintf("tensor %q is %v %v, the model has %v %v",
				t.Name, d.Dtype(), d.Shape(), t.Dense.Dtype(), t.Dense.Shape()))
		}
	}
	var extra []string
	for name := range have {
		if !want[name] {
			extra = append(extra, strconv.Quote(name))
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		problems = append(problems, "the model has no tensor "+strings.Join(extra, ", "))
	}
	if len(problems) == 0 {
		return nil
	}
	const maxShown = 5
	if len(problems) > maxShown {
		problems = append(problems[:maxShown], "…")
	}
	file := c.Path
	if file == "" {
		file = "(unsaved)"
	}
	return errors.WithMessagef(ErrIncompatibleCheckpoint, "checkpoint %s: %s", file, strings.Join(problems, "; "))
}

// Restore checks compatibility like CheckCompatible and then copies the
// checkpoint's values into the model's tensors in place. The model tensors
// must not be views. On error no tensor has been changed.
func (c *Checkpoint) Restore(modelName string, model []safetensors.Tensor) error {
	if err := c.CheckCompatible(modelName, model); err != nil {
		return err
	}
	for _, t := range model {
		if t.Dense.IsMaterializable() {
			return errors.WithMessagef(ErrCheckpoint, "restore: model tensor %q is a view", t.Name)
		}
	}
	for _, t := range model {
		src := c.Tensor(t.Name)
		if src.Shape().TotalSize() == 0 {
			continue
		}
		if err := tensor.Copy(t.Dense, src); err != nil {
			return errors.Wrapf(err, "training: restore %q", t.Name)
		}
	}
	return nil
}
