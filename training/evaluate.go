package training

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/datasets"
	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
)

// EvalOptions configures an [Evaluator]. The zero value evaluates in [graph.Eval]
// mode in batches of 1000.
type EvalOptions struct {
	// BatchSize is the compiled batch size. Any number of samples can be
	// evaluated: the last batch is zero-padded and only its real rows count.
	// Default 1000.
	BatchSize int
	// MCSamples > 0 evaluates with Monte-Carlo dropout: the model is built in
	// [graph.MonteCarlo] mode and the class probabilities of MCSamples
	// stochastic passes are averaged. Default 0: deterministic evaluation.
	MCSamples int
	// Seed seeds the Monte-Carlo dropout masks.
	Seed uint64
	// Arena holds the evaluation graph's memory in common with the other
	// graphs of the arena (those of a Fit that has returned, say), none of
	// which may run while the Evaluator does (see graph.Arena). Default
	// nil: memory of its own.
	Arena *graph.Arena
}

// Metrics are a model's scores on a dataset.
type Metrics struct {
	// Loss is the mean cross-entropy −log p(y|x) over the samples; NaN
	// when there are none (nothing was measured).
	Loss float64 `json:"loss"`
	// Accuracy is the fraction of samples whose most probable class is the
	// label; NaN when there are none.
	Accuracy float64 `json:"accuracy"`
	// N is the number of samples scored: every sample exactly once.
	N int `json:"n"`
	// Predictions holds each sample's predicted class (with KeepPredictions).
	Predictions []int `json:"-"`
}

// Evaluator scores a model on data in its evaluation graph, which shares the
// model's parameter tensors: it sees every optimizer update without a copy.
type Evaluator struct {
	p    *program
	opts EvalOptions
	// logp holds a batch's log-probabilities, reused from batch to batch;
	// forEach's callbacks read it before the next batch.
	logp []float64
}

// NewEvaluator compiles m's evaluation graph.
func NewEvaluator(m Model, opts EvalOptions) (*Evaluator, error) {
	if opts.BatchSize == 0 {
		opts.BatchSize = 1000
	}
	if opts.BatchSize < 0 || opts.MCSamples < 0 {
		return nil, errors.Errorf("training: eval batch size %d and MC samples %d must not be negative", opts.BatchSize, opts.MCSamples)
	}
	mode, rng := graph.Eval, (*rand.Rand)(nil)
	if opts.MCSamples > 0 {
		mode, rng = graph.MonteCarlo, rand.New(rand.NewPCG(opts.Seed, streamMC))
	}
	p, err := newProgram(m, mode, opts.BatchSize, rng, nil, opts.Arena)
	if err != nil {
		return nil, errors.WithMessage(err, "training: evaluation graph")
	}
	return &Evaluator{p: p, opts: opts}, nil
}

// Close releases the compiled graph. An Evaluator cannot be used after
// Close; closing it again does nothing.
//
// Close also drops the evaluator's reference to the compiled program, so
// that nothing reachable from the evaluator keeps the graph alive. (When
// programs ran on Gorgonia's TapeMachine, which has a finalizer, a G.Read
// into the program struct made a cycle the garbage collector never freed:
// every closed evaluator kept its graph; TestClosedGraphsAreFreed guards it.)
func (e *Evaluator) Close() error {
	if e.p.prog == nil {
		return nil
	}
	err := e.p.close()
	e.p.prog = nil
	return err
}

// Evaluate scores every sample of ds exactly once. With keepPredictions the
// metrics carry each sample's predicted class. It checks ctx before every
// batch and every Monte-Carlo pass.
func (e *Evaluator) Evaluate(ctx context.Context, ds *datasets.Dataset, keepPredictions bool) (Metrics, error) {
	var m Metrics
	var lossSum float64
	correct := 0
	err := e.forEach(ctx, ds, func(logp []float64, y []int, n, k int) {
		for i := 0; i < n; i++ {
			row := logp[i*k : (i+1)*k]
			best := argmaxOf(row)
			if best == y[i] {
				correct++
			}
			lossSum -= row[y[i]]
			if keepPredictions {
				m.Predictions = append(m.Predictions, best)
			}
		}
		m.N += n
	})
	if err != nil {
		return Metrics{}, err
	}
	m.Loss, m.Accuracy = math.NaN(), math.NaN()
	if m.N > 0 {
		m.Loss = lossSum / float64(m.N)
		m.Accuracy = float64(correct) / float64(m.N)
	}
	return m, nil
}

// Probabilities returns the class probabilities of every sample of ds, row
// by row (N × classes, float64).
func (e *Evaluator) Probabilities(ctx context.Context, ds *datasets.Dataset) ([]float64, error) {
	var out []float64
	err := e.forEach(ctx, ds, func(logp []float64, _ []int, n, k int) {
		for _, v := range logp[:n*k] {
			out = append(out, math.Exp(v))
		}
	})
	return out, err
}

// forEach runs the evaluation graph over ds in batches and calls f with the
// log-probabilities of each batch's n real rows of k classes. With
// Monte-Carlo dropout they are the logs of the averaged probabilities.
func (e *Evaluator) forEach(ctx context.Context, ds *datasets.Dataset, f func(logp []float64, y []int, n, k int)) error {
	if e.p.prog == nil {
		return errors.New("training: evaluator is closed")
	}
	if ds.Features() != e.p.feat {
		return errors.Errorf("training: data has %d features per sample, the model takes %d", ds.Features(), e.p.feat)
	}
	// Evaluation reads the samples in order: a batch is a contiguous run of
	// ds's rows, which a whole float32 batch's products read where they lie
	// (the input node is bound to them) and a short last batch or a float64
	// graph copies into the graph's input: nothing to gather, so nothing to
	// prefetch. The input lets go of ds when the evaluation returns.
	defer e.p.unbindView()
	passes := max(e.opts.MCSamples, 1)
	feat := ds.Features()
	for lo := 0; lo < ds.Len(); lo += e.p.batch {
		if err := ctx.Err(); err != nil {
			return errors.WithStack(err)
		}
		n := min(e.p.batch, ds.Len()-lo)
		x, y := ds.X[lo*feat:(lo+n)*feat], ds.Y[lo:lo+n]
		if !e.p.bindView(x, n) {
			if err := e.p.load(x, y, n); err != nil {
				return err
			}
		}
		var avg []float64
		k := 0
		for pass := 0; pass < passes; pass++ {
			if pass > 0 {
				if err := ctx.Err(); err != nil {
					return errors.WithStack(err)
				}
			}
			if err := e.p.prog.Run(); err != nil {
				return err
			}
			logp, err := nn.AppendLogProbs(e.logp, e.p.logits.Value().(*tensor.Dense), n)
			if err != nil {
				return err
			}
			e.logp = logp
			k = len(logp) / n
			if passes == 1 {
				avg = logp
				break
			}
			if avg == nil {
				avg = make([]float64, len(logp))
			}
			for i, v := range logp {
				avg[i] += math.Exp(v) / float64(passes)
			}
		}
		if passes > 1 {
			for i, v := range avg {
				avg[i] = math.Log(v)
			}
		}
		f(avg, y, n, k)
	}
	return nil
}
