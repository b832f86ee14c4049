package training

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/training/safetensors"
)

// CheckpointConfig says where [Fit] saves checkpoints.
type CheckpointConfig struct {
	// Dir receives last.safetensors (after every epoch, and at the exact
	// position reached when the context is cancelled) and best.safetensors
	// (whenever the monitored validation metric improves: early stopping's
	// monitor, or val_loss without early stopping). Created if missing.
	Dir string
}

// Checkpoint file names inside CheckpointConfig.Dir.
const (
	LastCheckpoint = "last.safetensors"
	BestCheckpoint = "best.safetensors"
)

func (c *CheckpointConfig) lastPath() string { return filepath.Join(c.Dir, LastCheckpoint) }
func (c *CheckpointConfig) bestPath() string { return filepath.Join(c.Dir, BestCheckpoint) }

// BestTensorPrefix prefixes the best epoch's copies of the model's
// variables inside last.safetensors, so a resumed run can still restore
// them.
const BestTensorPrefix = "best/"

// Named is implemented by models that have a registry name and a
// configuration; Fit records both in its checkpoints.
type Named interface {
	Name() string
	ConfigJSON() (json.RawMessage, error)
}

// ModelName returns m's name for checkpoints: its Name if it is [Named],
// else "model".
func ModelName(m Model) string {
	if n, ok := m.(Named); ok {
		return n.Name()
	}
	return "model"
}

// StoreTensors lists a store's variables, parameters and buffers, as
// checkpoint tensors (sharing the store's tensors, not copies).
func StoreTensors(s *graph.Store) []safetensors.Tensor {
	vars := s.Vars()
	out := make([]safetensors.Tensor, len(vars))
	for i, v := range vars {
		out[i] = safetensors.Tensor{Name: v.Name(), Dense: v.Value()}
	}
	return out
}

// position is where in an epoch a checkpoint was taken, with the epoch's
// partial training sums, so that a resumed run reports the same metrics.
type position struct {
	Batch      int       `json:"batch"`
	LossSum    jsonFloat `json:"loss_sum"`
	PenSum     jsonFloat `json:"penalty_sum"`
	Correct    int       `json:"correct"`
	Seen       int       `json:"seen"`
	LR         jsonFloat `json:"lr"`
	BestVal    jsonFloat `json:"best_val"`
	TrainNanos int64     `json:"train_nanos"`
}

// save writes the run's state to path. With best it writes just the model's
// tensors and metadata (a model to use); otherwise everything needed to
// resume bit for bit: optimizer, random-generator, early-stopping and
// schedule state, the history, the position within the epoch and the best
// weights so far.
func (r *run) save(path string, best bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "training: checkpoint directory")
	}
	c := &Checkpoint{
		ModelName: ModelName(r.m), TrainingConfig: r.cfg.Meta, Seed: r.cfg.Seed,
		Epoch: r.epoch, Stopped: r.hist.Stopped, Tensors: StoreTensors(r.m.Store()),
		Metrics: map[string]float64{},
	}
	if n, ok := r.m.(Named); ok {
		cfg, err := n.ConfigJSON()
		if err != nil {
			return err
		}
		c.ModelConfig = cfg
	}
	if len(r.hist.Epochs) > 0 {
		last := r.hist.Last()
		c.Metrics = map[string]float64{"train_loss": last.TrainLoss, "train_acc": last.TrainAcc, "val_loss": last.ValLoss, "val_acc": last.ValAcc}
		if best && r.hist.BestEpoch >= 0 {
			b := r.hist.Epochs[r.hist.BestEpoch]
			c.Metrics = map[string]float64{"train_loss": b.TrainLoss, "train_acc": b.TrainAcc, "val_loss": b.ValLoss, "val_acc": b.ValAcc}
		}
	}
	if best {
		return SaveCheckpoint(path, c)
	}
	st := r.opt.State()
	c.Optimizer = &st
	rng, err := r.pcg.MarshalBinary()
	if err != nil {
		return errors.Wrap(err, "training: dropout generator state")
	}
	c.RNG = map[string][]byte{"dropout": rng}
	if r.es != nil {
		s := r.es.State()
		c.EarlyStopping = &s
	}
	if r.plateau != nil {
		s := r.plateau.State()
		c.Plateau = &s
	}
	hist, err := json.Marshal(&r.hist)
	if err != nil {
		return errors.Wrap(err, "training: history")
	}
	pos, err := json.Marshal(position{Batch: r.batch, LossSum: jsonFloat(r.lossSum), PenSum: jsonFloat(r.penSum),
		Correct: r.correct, Seen: r.seen, LR: jsonFloat(r.lr), BestVal: jsonFloat(r.bestVal), TrainNanos: r.trainNanos})
	if err != nil {
		return errors.Wrap(err, "training: position")
	}
	c.Extra = map[string]json.RawMessage{"history": hist, "position": pos}
	if r.best != nil {
		for i, v := range r.m.Store().Vars() {
			c.Tensors = append(c.Tensors, safetensors.Tensor{Name: BestTensorPrefix + v.Name(), Dense: r.best[i]})
		}
	}
	return SaveCheckpoint(path, c)
}

// resume restores the run's state from a checkpoint written by save.
func (r *run) resume(path string) error {
	c, err := LoadCheckpoint(path)
	if err != nil {
		return err
	}
	if c.Optimizer == nil || c.Extra["position"] == nil {
		return errors.WithMessagef(ErrCheckpoint, "resume %s: not a resumable checkpoint (best.safetensors holds weights only; resume from %s)", path, LastCheckpoint)
	}
	if c.Seed != r.cfg.Seed {
		return errors.WithMessagef(ErrIncompatibleCheckpoint, "resume %s: seed %d, this run's %d", path, c.Seed, r.cfg.Seed)
	}
	// Everything the run continues from must be there and finite, or the
	// resumed run would not be the saved one's continuation.
	if err := checkFiniteTensors(c.Tensors); err != nil {
		return errors.WithMessagef(err, "resume %s", path)
	}
	vars := r.m.Store().Params()
	params := make([]Param, len(vars))
	for i, v := range vars {
		params[i] = Param{Name: v.Name(), Value: v.Value()}
	}
	if err := checkOptimizerCovers(*c.Optimizer, params); err != nil {
		return errors.WithMessagef(err, "resume %s", path)
	}
	var bestTensors []safetensors.Tensor
	model := *c
	model.Tensors = nil
	for _, t := range c.Tensors {
		if strings.HasPrefix(t.Name, BestTensorPrefix) {
			bestTensors = append(bestTensors, t)
		} else {
			model.Tensors = append(model.Tensors, t)
		}
	}
	if err := model.Restore(ModelName(r.m), StoreTensors(r.m.Store())); err != nil {
		return err
	}
	if err := r.opt.LoadState(*c.Optimizer); err != nil {
		return errors.WithMessagef(err, "resume %s", path)
	}
	if err := r.pcg.UnmarshalBinary(c.RNG["dropout"]); err != nil {
		return errors.Wrapf(err, "training: resume %s: dropout generator state", path)
	}
	if (r.es == nil) != (c.EarlyStopping == nil) || (r.plateau == nil) != (c.Plateau == nil) {
		return errors.WithMessagef(ErrIncompatibleCheckpoint, "resume %s: early stopping or plateau settings differ from the checkpointed run", path)
	}
	if r.es != nil {
		if err := r.es.LoadState(*c.EarlyStopping); err != nil {
			return errors.WithMessagef(err, "resume %s", path)
		}
	}
	if r.plateau != nil {
		if err := r.plateau.LoadState(*c.Plateau); err != nil {
			return errors.WithMessagef(err, "resume %s", path)
		}
	}
	var pos position
	if err := json.Unmarshal(c.Extra["position"], &pos); err != nil {
		return errors.Wrapf(err, "training: resume %s: position", path)
	}
	if err := checkPosition(c.Epoch, r.cfg.Epochs, pos, r.it.NumBatches(), r.cfg.BatchSize); err != nil {
		return errors.WithMessagef(err, "resume %s", path)
	}
	if err := json.Unmarshal(c.Extra["history"], &r.hist); err != nil {
		return errors.Wrapf(err, "training: resume %s: history", path)
	}
	r.epoch, r.batch, r.lossSum, r.penSum = c.Epoch, pos.Batch, float64(pos.LossSum), float64(pos.PenSum)
	r.correct, r.seen, r.lr, r.bestVal, r.trainNanos = pos.Correct, pos.Seen, float64(pos.LR), float64(pos.BestVal), pos.TrainNanos
	r.hist.Stopped = ""
	if len(bestTensors) > 0 {
		vars := r.m.Store().Vars()
		if len(bestTensors) != len(vars) {
			return errors.WithMessagef(ErrCheckpoint, "resume %s: %d best-weight tensors for %d variables", path, len(bestTensors), len(vars))
		}
		byName := make(map[string]*tensor.Dense, len(bestTensors))
		for _, t := range bestTensors {
			byName[t.Name] = t.Dense
		}
		r.best = make([]*tensor.Dense, len(vars))
		for i, v := range vars {
			d := byName[BestTensorPrefix+v.Name()]
			if d == nil || !d.Shape().Eq(v.Value().Shape()) || d.Dtype() != v.Value().Dtype() {
				return errors.WithMessagef(ErrCheckpoint, "resume %s: best weights for %q missing or of the wrong shape", path, v.Name())
			}
			r.best[i] = d
		}
	}
	return nil
}
