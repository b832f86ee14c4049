package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// Penalty is a term added to the training loss, such as an L2 penalty on the
// weights (package regularizers). Its gradient comes from symbolic
// differentiation like the loss's.
type Penalty interface {
	// Node returns the penalty's scalar node in b's graph, or nil if it is
	// zero.
	Node(b *Builder) (*G.Node, error)
	// String describes the penalty, such as "L2(λ=0.0001, weights)".
	String() string
}

// PostStep acts on the parameters after every optimizer step: a norm
// constraint, a proximal step or a pruning mask (package regularizers). lr
// is the learning rate of the step just taken. A post-step changes the
// store's tensors in place, so every graph built over the store sees it.
type PostStep interface {
	AfterStep(s *Store, lr float64) error
}

// Regularized is implemented by a model that declares its own regularizers.
// The trainer (training.Fit) applies them with no caller code, before any
// the caller adds.
type Regularized interface {
	// Penalties are added to the training loss, in order.
	Penalties() []Penalty
	// PostSteps run after every optimizer step, in order.
	PostSteps() []PostStep
}

// AddPenalties returns loss + p₁ + p₂ + … in b's graph, added left to right
// in order; a nil loss starts the sum at the first non-zero penalty, and the
// result is nil when there is nothing at all to add. Nil and zero penalties
// (a nil node) are skipped. It is the one place where zoo sums penalties:
// the trainer adds the model's and the caller's penalties to the data loss
// with it.
func AddPenalties(b *Builder, loss *G.Node, penalties ...Penalty) (*G.Node, error) {
	total := loss
	for _, p := range penalties {
		if p == nil {
			continue
		}
		n, err := p.Node(b)
		if err != nil {
			return nil, errors.WithMessagef(err, "penalty %s", p)
		}
		if n == nil {
			continue
		}
		if total == nil {
			total = n
			continue
		}
		if total, err = G.Add(total, n); err != nil {
			return nil, errors.Wrap(err, "graph: adding a penalty")
		}
	}
	return total, nil
}

// AfterSteps runs steps in order on s; nil steps are skipped.
func AfterSteps(s *Store, lr float64, steps ...PostStep) error {
	for _, st := range steps {
		if st == nil {
			continue
		}
		if err := st.AfterStep(s, lr); err != nil {
			return err
		}
	}
	return nil
}
