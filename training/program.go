package training

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
	"github.com/gozoo/zoo/graph/nn"
)

// program is a model compiled into one graph at a fixed batch size, with
// input tensors that each batch is copied into. After a run, the nodes'
// values are that run's (graph.Program never computes in place).
type program struct {
	prog   *graph.Program
	x, y   *tensor.Dense
	logits *G.Node // (batch, classes)
	loss   *G.Node // mean cross-entropy over the batch (training only)
	cost   *G.Node // loss plus penalties (training only)
	batch  int
	feat   int
}

// newProgram builds m into a graph of the given mode at batch size batch. A
// training program also builds the cross-entropy loss plus the penalties and
// its gradients; an evaluation program only the logits. Its nodes share
// memory in arena (nil: the program's own), with the other programs of
// the arena, which must not run at the same time.
func newProgram(m Model, mode graph.Mode, batch int, rng *rand.Rand, penalties []graph.Penalty, arena *graph.Arena) (*program, error) {
	store := m.Store()
	b := graph.NewBuilder(store, mode, rng)
	shape := append([]int{batch}, m.InputShape()...)
	x, xt := b.Input("x", shape...)
	logits, err := m.Forward(b, x)
	if err != nil {
		return nil, err
	}
	if s := logits.Shape(); s.Dims() != 2 || s[0] != batch {
		return nil, errors.Errorf("training: model output %v, want logits (%d, classes)", s, batch)
	}
	p := &program{x: xt, logits: logits, batch: batch, feat: tensor.Shape(m.InputShape()).TotalSize()}
	var cost *G.Node
	if mode == graph.Train {
		yn, yt := b.Input("labels", batch)
		p.y = yt
		loss, err := nn.CrossEntropy(logits, yn)
		if err != nil {
			return nil, err
		}
		p.loss = loss
		if cost, err = graph.AddPenalties(b, loss, penalties...); err != nil {
			return nil, errors.WithMessage(err, "training")
		}
		p.cost = cost
	}
	// Nodes share buffers: Fit reads the loss and the logits after a run,
	// an evaluation only the logits (the graph's output).
	opts := graph.CompileOptions{ShareBuffers: true, Keep: []*G.Node{logits}, Arena: arena}
	if p.loss != nil {
		opts.Keep = append(opts.Keep, p.loss)
	}
	if p.prog, err = graph.CompileWith(b, cost, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// load copies n samples (features x, labels y) into the program's inputs
// and zero-pads the rest of the batch.
func (p *program) load(x []float32, y []int, n int) {
	switch d := p.x.Data().(type) {
	case []float32:
		copy(d, x[:n*p.feat])
		clear(d[n*p.feat:])
	case []float64:
		for i, v := range x[:n*p.feat] {
			d[i] = float64(v)
		}
		clear(d[n*p.feat:])
	}
	if p.y == nil {
		return
	}
	switch d := p.y.Data().(type) {
	case []float32:
		for i := range d {
			d[i] = 0
			if i < n {
				d[i] = float32(y[i])
			}
		}
	case []float64:
		for i := range d {
			d[i] = 0
			if i < n {
				d[i] = float64(y[i])
			}
		}
	}
}

// scalar reads a scalar value as float64.
func scalar(val G.Value) float64 {
	switch v := val.Data().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	case []float32:
		return float64(v[0])
	case []float64:
		return v[0]
	}
	return 0
}

func (p *program) close() error { return p.prog.Close() }
