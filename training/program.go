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
	xn     *G.Node // the input node, bound to x or, after bindView, to a view of the caller's samples
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
	p := &program{xn: x, x: xt, logits: logits, batch: batch, feat: tensor.Shape(m.InputShape()).TotalSize()}
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
// and zero-pads the rest of the batch; the input node is bound to the
// program's own tensor again if bindView had bound it to a view.
func (p *program) load(x []float32, y []int, n int) error {
	if err := p.unbindView(); err != nil {
		return err
	}
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
		return nil
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
	return nil
}

// bindView binds the input node to the first batch samples of x in place of
// the program's own input tensor, when x holds a whole batch of the
// program's dtype (float32): nothing is copied, and the run reads the
// caller's samples (no op writes into an input). It reports whether it
// did; if not, the caller copies with load. The program must not run
// after x changes; unbindView (or load) lets go of x.
func (p *program) bindView(x []float32, n int) bool {
	if n != p.batch || len(x) < n*p.feat || p.y != nil {
		return false
	}
	if _, ok := p.x.Data().([]float32); !ok {
		return false
	}
	v := tensor.New(tensor.WithShape(p.x.Shape().Clone()...), tensor.WithBacking(x[:n*p.feat:n*p.feat]))
	return G.Let(p.xn, v) == nil
}

// unbindView binds the input node back to the program's own tensor.
func (p *program) unbindView() error {
	if p.xn.Value() == G.Value(p.x) {
		return nil
	}
	return errors.WithStack(G.Let(p.xn, p.x))
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
