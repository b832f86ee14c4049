package training

import (
	"math"
	"sort"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/training/safetensors"
)

// checkFiniteTensors returns an error naming the first tensor that holds a
// NaN or an infinity, with how many of its values are not finite.
func checkFiniteTensors(ts []safetensors.Tensor) error {
	for _, t := range ts {
		if n, first := nonFinite(t.Dense); n > 0 {
			return errors.WithMessagef(ErrCheckpoint, "tensor %q has %d non-finite values of %d (the first at flat index %d)", t.Name, n, t.Dense.Shape().TotalSize(), first)
		}
	}
	return nil
}

// nonFinite counts the NaN and infinite values of a float tensor and
// returns the flat index of the first (−1 when there is none).
func nonFinite(d *tensor.Dense) (n, first int) {
	first = -1
	check := func(i int, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if n == 0 {
				first = i
			}
			n++
		}
	}
	switch x := d.Data().(type) {
	case []float32:
		for i, v := range x {
			check(i, float64(v))
		}
	case []float64:
		for i, v := range x {
			check(i, v)
		}
	}
	return n, first
}

// checkOptimizerCovers checks an optimizer state against the parameters a
// resumed run optimises: a state that holds tensors for any parameter (SGD
// with momentum, Adam) must hold the same slots for every one of them, each
// of its parameter's shape and dtype, and finite. A missing buffer would
// silently restart from zero and the run would no longer continue the
// saved one. Plain SGD's state, without tensors, passes.
func checkOptimizerCovers(s OptimizerState, params []Param) error {
	if len(s.Tensors) == 0 {
		return nil
	}
	slots := map[string]bool{}
	has := map[string]map[string]*tensor.Dense{}
	for key, t := range s.Tensors {
		slot, param, ok := splitSlotKey(key)
		if !ok {
			return errors.WithMessagef(ErrState, "optimizer tensor %q is not SLOT/PARAMETER", key)
		}
		slots[slot] = true
		if has[param] == nil {
			has[param] = map[string]*tensor.Dense{}
		}
		has[param][slot] = t
	}
	names := make([]string, 0, len(slots))
	for sl := range slots {
		names = append(names, sl)
	}
	sort.Strings(names)
	known := make(map[string]bool, len(params))
	for _, p := range params {
		known[p.Name] = true
		for _, sl := range names {
			t := has[p.Name][sl]
			switch {
			case t == nil:
				return errors.WithMessagef(ErrState, "optimizer %s state for parameter %q is missing", sl, p.Name)
			case !t.Shape().Eq(p.Value.Shape()) || t.Dtype() != p.Value.Dtype():
				return errors.WithMessagef(ErrState, "optimizer %s state for %q is %v %v, the parameter %v %v", sl, p.Name, t.Dtype(), t.Shape(), p.Value.Dtype(), p.Value.Shape())
			}
			if n, first := nonFinite(t); n > 0 {
				return errors.WithMessagef(ErrState, "optimizer %s state for %q has %d non-finite values (the first at flat index %d)", sl, p.Name, n, first)
			}
		}
	}
	for param := range has {
		if !known[param] {
			return errors.WithMessagef(ErrState, "optimizer state for %q, which is not a parameter of this model", param)
		}
	}
	return nil
}

// checkPosition checks a mid-epoch position against the run that resumes
// it: epoch in [0, epochs], batch in [0, batches], at most batch·batchSize
// samples seen and at most that many correct. A forged position of 10^15
// batches would otherwise spin through the batch order for hours, a
// negative one index outside it.
func checkPosition(epoch, epochs int, p position, batches, batchSize int) error {
	switch {
	case epoch < 0 || epoch > epochs:
		return errors.WithMessagef(ErrIncompatibleCheckpoint, "epoch %d outside this run's 0 to %d", epoch, epochs)
	case p.Batch < 0 || p.Batch > batches:
		return errors.WithMessagef(ErrCheckpoint, "position: batch %d outside 0 to %d (batches per epoch)", p.Batch, batches)
	case p.Seen < 0 || p.Seen > p.Batch*batchSize:
		return errors.WithMessagef(ErrCheckpoint, "position: %d samples seen after %d batches of %d", p.Seen, p.Batch, batchSize)
	case p.Correct < 0 || p.Correct > p.Seen:
		return errors.WithMessagef(ErrCheckpoint, "position: %d correct of %d seen", p.Correct, p.Seen)
	case p.TrainNanos < 0:
		return errors.WithMessagef(ErrCheckpoint, "position: negative training time %d ns", p.TrainNanos)
	}
	return nil
}
