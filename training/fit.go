package training

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
)

// Random streams: every random draw of a run comes from PCG(seed, stream),
// so the streams are independent and each is a function of the seed alone.
const (
	streamDropout = 1 // training-mode dropout masks
	streamMC      = 2 // Monte-Carlo dropout at evaluation
)

// Config configures [Fit]. The zero value trains for 10 epochs in batches of
// 128 with SGD at learning rate 0.01, without early stopping or checkpoints.
type Config struct {
	// Epochs is the largest number of epochs to run. Default 10.
	Epochs int
	// BatchSize is the training batch size. Default 128.
	BatchSize int
	// DropLast skips each epoch's last short batch. Default false: it is
	// trained on, in a second graph compiled for its size.
	DropLast bool
	// Seed seeds the batch order (a pure function of seed and epoch) and the
	// dropout masks. The model's initial weights have their own seed.
	Seed uint64
	// Optimizer updates the parameters. Default: SGD with learning rate 0.01.
	// Its learning rate when Fit starts is the base learning rate.
	Optimizer Optimizer
	// Schedule gives each epoch's learning rate from the base. Default constant.
	Schedule Schedule
	// Plateau, if set, reduces the learning rate when ValLoss stops improving
	// (PyTorch's ReduceLROnPlateau stepped once per epoch). It excludes Schedule.
	Plateau *ReduceLROnPlateauConfig
	// ClipNorm > 0 clips the gradients' global L2 norm to at most ClipNorm
	// before each step. Default 0: no clipping.
	ClipNorm float64
	// EarlyStopping, if set, stops on the held-out split with Keras's
	// semantics and by default restores the best epoch's weights and buffers.
	EarlyStopping *EarlyStoppingConfig
	// Penalties are added to the training loss, after those the model
	// declares (a model implementing graph.Regularized).
	Penalties []graph.Penalty
	// PostSteps run after every optimizer step, in order, after those the
	// model declares.
	PostSteps []graph.PostStep
	// EvalBatchSize is the validation batch size. Default 1000.
	EvalBatchSize int
	// Arena holds the memory of the run's graphs, which take turns in it:
	// the training graphs and the validation graph (see graph.Arena). An
	// evaluation after Fit has returned can reuse it ([EvalOptions]).
	// Default nil: Fit makes an arena of its own.
	Arena *graph.Arena
	// Checkpoints, if set, saves checkpoints during training.
	Checkpoints *CheckpointConfig
	// Resume, if non-empty, is a last.safetensors checkpoint written by a run
	// with the same model, data and Config; training continues from it bit
	// for bit, even from the middle of an epoch.
	Resume string
	// Meta is recorded in checkpoints as the training configuration (JSON;
	// cmd/zoo stores its flags there). Optional.
	Meta []byte
	// Log receives one summary line per epoch. Default: none.
	Log io.Writer
	// OnBatch, if set, is called after every training step (for progress bars).
	OnBatch func(p Progress)
	// NoPrefetch gathers each training batch on Fit's
	// goroutine just before its step. Default false: the next batch is
	// gathered on a goroutine of its own while the current step runs; the
	// batches, their order and so the results are the same either way.
	NoPrefetch bool
}

// Progress describes the step just taken: epoch Epoch of Epochs (counting
// from 1), batch Batch of Batches.
type Progress struct {
	Epoch, Epochs    int
	Batch, Batches   int
	Loss             float64
	SamplesThisEpoch int
}

func (c Config) withDefaults() Config {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.BatchSize == 0 {
		c.BatchSize = 128
	}
	if c.EvalBatchSize == 0 {
		c.EvalBatchSize = 1000
	}
	return c
}

// Validate names the first setting that cannot work.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Epochs < 0:
		return errors.Errorf("training: epochs %d is negative", c.Epochs)
	case c.BatchSize < 0:
		return errors.Errorf("training: batch size %d is negative", c.BatchSize)
	case c.EvalBatchSize < 0:
		return errors.Errorf("training: eval batch size %d is negative", c.EvalBatchSize)
	case c.ClipNorm < 0 || math.IsNaN(c.ClipNorm):
		return errors.Errorf("training: clip norm %v must be ≥ 0", c.ClipNorm)
	case c.Plateau != nil && c.Schedule != nil:
		return errors.New("training: set Schedule or Plateau, not both")
	}
	if c.Plateau != nil {
		if err := c.Plateau.Validate(); err != nil {
			return err
		}
	}
	if c.EarlyStopping != nil {
		if err := c.EarlyStopping.Validate(); err != nil {
			return err
		}
	}
	if v, ok := c.Schedule.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Fit trains m on train, validating on val after every epoch, and returns
// the history. val must come from the training data (a held-out split), never
// from the test set; it may be nil when neither early stopping nor a plateau
// schedule needs it.
//
// Each epoch: the learning rate is set from the schedule; batches come in the
// order datasets.Permutation(cfg.Seed, epoch), each gathered while the step
// before it runs (see Config.NoPrefetch); each step runs the training
// graph (dropout masks drawn, BatchNorm buffers updated once), clips the
// gradients, steps the optimizer and applies the post-steps (constraints,
// proximal steps, pruning masks); then the validation split is scored in the
// evaluation graph, which shares the parameter tensors.
//
// Fit stops after cfg.Epochs epochs, when early stopping fires, when the loss
// diverges (the best weights are restored and ErrDiverged returned with the
// history), or when ctx is cancelled (a checkpoint is saved if checkpoints
// are on, and the history is returned with ctx's error).
func Fit(ctx context.Context, m Model, train, val *datasets.Dataset, cfg Config) (*History, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r, err := newRun(m, train, val, cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return r.fit(ctx)
}

// run is the state of one Fit call.
type run struct {
	m          Model
	cfg        Config
	train, val *datasets.Dataset
	it         *datasets.Batches
	pcg        *rand.PCG
	rng        *rand.Rand
	progs      map[int]*program
	eval       *Evaluator
	arena      *graph.Arena // memory of progs and eval, which run in turn
	opt        Optimizer
	baseLR     float64
	lr         float64
	es         *EarlyStopping
	plateau    *ReduceLROnPlateau
	hist       History
	penalties  []graph.Penalty  // the model's, then cfg.Penalties
	post       []graph.PostStep // the model's, then cfg.PostSteps
	best       []*tensor.Dense  // snapshot of every store variable at the best epoch
	bestVal    float64          // best val_loss so far, for best.safetensors without early stopping
	// position within the current epoch, for mid-epoch checkpoints
	epoch, batch    int
	lossSum, penSum float64
	correct, seen   int
	trainNanos      int64
}

func newRun(m Model, train, val *datasets.Dataset, cfg Config) (*run, error) {
	if train == nil || train.Len() == 0 {
		return nil, errors.New("training: empty training set")
	}
	feat := tensor.Shape(m.InputShape()).TotalSize()
	if train.Features() != feat {
		return nil, errors.Errorf("training: training data has %d features per sample, the model takes %d", train.Features(), feat)
	}
	needVal := cfg.EarlyStopping != nil || cfg.Plateau != nil
	if needVal && (val == nil || val.Len() == 0) {
		return nil, errors.New("training: early stopping and plateau schedules need a non-empty validation split")
	}
	r := &run{m: m, cfg: cfg, train: train, val: val, progs: map[int]*program{}, arena: cfg.Arena, hist: History{BestEpoch: -1}, bestVal: math.Inf(1)}
	if reg, ok := m.(graph.Regularized); ok {
		r.penalties = append(r.penalties, reg.Penalties()...)
		r.post = append(r.post, reg.PostSteps()...)
	}
	if r.arena == nil {
		r.arena = new(graph.Arena)
	}
	r.penalties = append(r.penalties, cfg.Penalties...)
	r.post = append(r.post, cfg.PostSteps...)
	r.opt = cfg.Optimizer
	if r.opt == nil {
		sgd, err := NewSGD(SGDConfig{LR: 0.01})
		if err != nil {
			return nil, err
		}
		r.opt = sgd
	}
	r.baseLR, r.lr = r.opt.LR(), r.opt.LR()
	var err error
	if r.it, err = datasets.NewBatches(train, datasets.BatchOptions{BatchSize: cfg.BatchSize, Shuffle: true, Seed: cfg.Seed, DropLast: cfg.DropLast}); err != nil {
		return nil, err
	}
	r.pcg = rand.NewPCG(cfg.Seed, streamDropout)
	r.rng = rand.New(r.pcg)
	if val != nil && val.Len() > 0 {
		if r.eval, err = NewEvaluator(m, EvalOptions{BatchSize: min(cfg.EvalBatchSize, val.Len()), Arena: r.arena}); err != nil {
			return nil, err
		}
	}
	if cfg.EarlyStopping != nil {
		if r.es, err = NewEarlyStopping(*cfg.EarlyStopping); err != nil {
			return nil, err
		}
	}
	if cfg.Plateau != nil {
		if r.plateau, err = NewReduceLROnPlateau(*cfg.Plateau); err != nil {
			return nil, err
		}
	}
	if cfg.Resume != "" {
		if err := r.resume(cfg.Resume); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// close releases the compiled graphs, and drops the references to them so
// that they can be freed (see Evaluator.Close).
func (r *run) close() {
	for _, p := range r.progs {
		p.close()
		p.prog = nil
	}
	if r.eval != nil {
		r.eval.Close()
	}
}

// program returns the training graph for batches of n samples.
func (r *run) program(n int) (*program, error) {
	if p, ok := r.progs[n]; ok {
		return p, nil
	}
	p, err := newProgram(r.m, graph.Train, n, r.rng, r.penalties, r.arena)
	if err != nil {
		return nil, errors.WithMessage(err, "training: training graph")
	}
	r.progs[n] = p
	return p, nil
}

func (r *run) fit(ctx context.Context) (*History, error) {
	for r.epoch < r.cfg.Epochs {
		start := time.Now()
		r.setLR()
		if err := r.trainEpoch(ctx); err != nil {
			return r.stop(err)
		}
		rec := EpochRecord{Epoch: r.epoch + 1, LR: r.lr}
		if r.seen > 0 {
			rec.TrainLoss = r.lossSum / float64(r.seen)
			rec.TrainAcc = float64(r.correct) / float64(r.seen)
			rec.Penalty = r.penSum / float64(r.seen)
			rec.SamplesPerSec = float64(r.seen) / (float64(r.trainNanos) / 1e9)
		}
		if r.eval != nil {
			vm, err := r.eval.Evaluate(ctx, r.val, false)
			if err != nil {
				return r.stop(err)
			}
			rec.ValLoss, rec.ValAcc = vm.Loss, vm.Accuracy
			if math.IsNaN(vm.Loss) || math.IsInf(vm.Loss, 0) {
				rec.Seconds = time.Since(start).Seconds()
				r.hist.Epochs = append(r.hist.Epochs, rec)
				return r.stop(errors.Wrapf(ErrDiverged, "epoch %d: validation loss %v", r.epoch, vm.Loss))
			}
		}
		rec.Seconds = time.Since(start).Seconds()
		r.hist.Epochs = append(r.hist.Epochs, rec)
		r.logEpoch(rec)
		r.epoch++
		stop, err := r.endEpoch(rec)
		if err != nil {
			return &r.hist, err
		}
		if stop {
			r.hist.Stopped = StopEarlyStopping
			return r.finish()
		}
	}
	r.hist.Stopped = StopMaxEpochs
	return r.finish()
}

// setLR sets the learning rate of the epoch about to run.
func (r *run) setLR() {
	if r.plateau == nil {
		sched := r.cfg.Schedule
		if sched == nil {
			sched = Constant{}
		}
		r.lr = sched.LR(r.epoch, r.baseLR)
	}
	r.opt.SetLR(r.lr)
}

// trainEpoch runs the training steps of epoch r.epoch from batch r.batch on
// (non-zero when resuming mid-epoch).
func (r *run) trainEpoch(ctx context.Context) error {
	if err := r.it.StartEpoch(r.epoch); err != nil {
		return err
	}
	batches := r.it.NumBatches()
	for skip := 0; skip < r.batch; skip++ {
		if err := ctx.Err(); err != nil {
			return errors.WithStack(err)
		}
		r.it.Next()
	}
	return eachBatch(ctx, r.it, r.train.Features(), r.cfg.NoPrefetch, func(x []float32, y []int, n int) error {
		t0 := time.Now()
		loss, pen, correct, err := r.step(x, y, n)
		r.trainNanos += time.Since(t0).Nanoseconds()
		if err != nil {
			return err
		}
		r.batch++
		r.lossSum += loss * float64(n)
		r.penSum += pen * float64(n)
		r.correct += correct
		r.seen += n
		if r.cfg.OnBatch != nil {
			r.cfg.OnBatch(Progress{Epoch: r.epoch + 1, Epochs: r.cfg.Epochs, Batch: r.batch, Batches: batches, Loss: loss, SamplesThisEpoch: r.seen})
		}
		return nil
	})
}

// step takes one optimizer step on a batch of n samples and returns the
// batch's mean loss, mean penalty and number of correct predictions.
func (r *run) step(x []float32, y []int, n int) (loss, pen float64, correct int, err error) {
	p, err := r.program(n)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := p.load(x, y, n); err != nil {
		return 0, 0, 0, err
	}
	if err := p.prog.Run(); err != nil {
		return 0, 0, 0, err
	}
	loss = scalar(p.loss.Value())
	pen = scalar(p.cost.Value()) - loss
	if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(pen) || math.IsInf(pen, 0) {
		return loss, pen, 0, errors.Wrapf(ErrDiverged, "epoch %d, batch %d: loss %v, penalty %v", r.epoch, r.batch, loss, pen)
	}
	correct = countCorrect(p.logits.Value().(*tensor.Dense), y[:n])
	vars := p.prog.Params()
	params := make([]Param, len(vars))
	for i, v := range vars {
		g, err := p.prog.Grad(i)
		if err != nil {
			return 0, 0, 0, err
		}
		params[i] = Param{Name: v.Name(), Value: v.Value(), Grad: g, Decay: v.Role() == graph.Weight}
	}
	if r.cfg.ClipNorm > 0 {
		norm, err := ClipGlobalNorm(params, r.cfg.ClipNorm)
		if err != nil {
			return 0, 0, 0, err
		}
		if math.IsNaN(norm) || math.IsInf(norm, 0) {
			return loss, pen, 0, errors.Wrapf(ErrDiverged, "epoch %d, batch %d: gradient norm %v", r.epoch, r.batch, norm)
		}
	}
	if err := r.opt.Step(params); err != nil {
		return 0, 0, 0, err
	}
	if err := graph.AfterSteps(r.m.Store(), r.lr, r.post...); err != nil {
		return 0, 0, 0, err
	}
	return loss, pen, correct, nil
}

// countCorrect counts the rows of logits whose largest entry is the label.
func countCorrect(logits *tensor.Dense, y []int) int {
	k := logits.Shape()[1]
	c := 0
	switch d := logits.Data().(type) {
	case []float32:
		for i, label := range y {
			if argmaxOf(d[i*k:(i+1)*k]) == label {
				c++
			}
		}
	case []float64:
		for i, label := range y {
			if argmaxOf(d[i*k:(i+1)*k]) == label {
				c++
			}
		}
	}
	return c
}

func argmaxOf[T float32 | float64](row []T) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// endEpoch updates early stopping, the plateau schedule, the best-weights
// snapshot and the checkpoints, and resets the per-epoch counters. It
// reports whether early stopping fired. r.epoch is already the next epoch.
func (r *run) endEpoch(rec EpochRecord) (stop bool, err error) {
	improved := false
	idx := rec.Epoch - 1 // the epoch's index in the history
	if r.es != nil {
		improved, stop = r.es.Update(idx, monitored(rec, r.es.Monitor()))
		if improved {
			r.hist.BestEpoch = idx
			r.best = snapshot(r.m.Store())
		}
	} else if r.eval != nil && rec.ValLoss < r.bestVal {
		r.bestVal, improved = rec.ValLoss, true
	}
	if r.plateau != nil {
		r.lr, _ = r.plateau.Step(rec.ValLoss, r.lr)
	}
	r.batch, r.lossSum, r.penSum, r.correct, r.seen, r.trainNanos = 0, 0, 0, 0, 0, 0
	if stop {
		r.hist.Stopped = StopEarlyStopping
	} else if r.epoch == r.cfg.Epochs {
		r.hist.Stopped = StopMaxEpochs
	}
	if r.cfg.Checkpoints != nil {
		if improved {
			if err := r.save(r.cfg.Checkpoints.bestPath(), true); err != nil {
				return false, err
			}
		}
		if err := r.save(r.cfg.Checkpoints.lastPath(), false); err != nil {
			return false, err
		}
	}
	return stop, nil
}

func monitored(rec EpochRecord, name string) float64 {
	if name == "val_acc" {
		return rec.ValAcc
	}
	return rec.ValLoss
}

// finish restores the best weights if early stopping asks for it.
func (r *run) finish() (*History, error) {
	r.restoreBest()
	return &r.hist, nil
}

func (r *run) restoreBest() {
	if r.es != nil && r.es.RestoreBest() && r.best != nil {
		restore(r.m.Store(), r.best)
		r.hist.Restored = true
	}
}

// stop ends a run on an error: divergence restores the best weights (the
// checkpoints on disk are never overwritten with diverged weights);
// cancellation saves a checkpoint of the exact position so that Resume
// continues bit for bit.
func (r *run) stop(err error) (*History, error) {
	switch {
	case errors.Is(err, ErrDiverged):
		r.hist.Stopped = StopDiverged
		r.restoreBest()
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		r.hist.Stopped = StopCancelled
		if r.cfg.Checkpoints != nil {
			if serr := r.save(r.cfg.Checkpoints.lastPath(), false); serr != nil {
				return &r.hist, errors.WithMessagef(err, "and saving the checkpoint failed: %v", serr)
			}
		}
	}
	return &r.hist, err
}

func (r *run) logEpoch(rec EpochRecord) {
	if r.cfg.Log == nil {
		return
	}
	fmt.Fprintf(r.cfg.Log, "epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.3g  %.1fs  %.0f samples/s\n",
		rec.Epoch, r.cfg.Epochs, rec.TrainLoss, rec.TrainAcc, rec.ValLoss, rec.ValAcc, rec.LR, rec.Seconds, rec.SamplesPerSec)
}

// snapshot copies every variable of s (parameters and buffers).
func snapshot(s *graph.Store) []*tensor.Dense {
	vars := s.Vars()
	out := make([]*tensor.Dense, len(vars))
	for i, v := range vars {
		out[i] = v.Value().Clone().(*tensor.Dense)
	}
	return out
}

// restore copies a snapshot back into the store's tensors, in place.
func restore(s *graph.Store, snap []*tensor.Dense) {
	for i, v := range s.Vars() {
		copyInto(v.Value(), snap[i])
	}
}

func copyInto(dst, src *tensor.Dense) {
	switch d := dst.Data().(type) {
	case []float32:
		copy(d, src.Data().([]float32))
	case []float64:
		copy(d, src.Data().([]float64))
	}
}
