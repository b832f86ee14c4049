package regularizers

import (
	"math"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// The constraints ([MaxNorm], [FrobeniusNorm]), the proximal step ([ProxL1])
// and the pruning mask ([Mask]) implement [graph.PostStep]: the trainer
// calls AfterStep on each of them, in the order given, after every update,
// with the learning rate of that update (only [ProxL1] uses it). They
// change the store's tensors in place, so every graph built over the store
// sees the result. A natural order is the proximal step, then the norm
// constraints, then the pruning mask; none of these undoes another's zeros,
// so the order only matters between constraints on the same parameter.
var (
	_ graph.PostStep = MaxNorm{}
	_ graph.PostStep = FrobeniusNorm{}
	_ graph.PostStep = ProxL1{}
	_ graph.PostStep = (*Mask)(nil)
)

// float is the element type of a store's tensors.
type float interface{ ~float32 | ~float64 }

// values returns v's backing slice ([]float32 or []float64), checking that it
// holds exactly the variable's elements in row-major order.
func values(v *graph.Var) (any, error) {
	t := v.Value()
	n := t.Shape().TotalSize()
	switch d := t.Data().(type) {
	case []float32:
		if len(d) == n && !t.IsView() {
			return d, nil
		}
	case []float64:
		if len(d) == n && !t.IsView() {
			return d, nil
		}
	default:
		return nil, errors.Wrapf(ErrShape, "regularizers: %s holds %T, want []float32 or []float64", v.Name(), d)
	}
	return nil, errors.Wrapf(ErrShape, "regularizers: %s is not a contiguous tensor", v.Name())
}

// layout says how a tensor's elements group into vectors: units vectors of n
// elements each, vector u's element i at u·uStride + i·eStride.
type layout struct{ units, n, uStride, eStride int }

// norms returns the Euclidean norm of each vector, accumulated in float64
// over i in order. The loops run along the contiguous stride, so a column
// norm of a row-major matrix reads memory row by row.
func norms[T float](d []T, l layout) []float64 {
	ss := make([]float64, l.units)
	if l.eStride == 1 {
		for u := range ss {
			off := u * l.uStride
			for _, x := range d[off : off+l.n] {
				ss[u] += float64(x) * float64(x)
			}
		}
	} else {
		for i := 0; i < l.n; i++ {
			for u := range ss {
				x := float64(d[u*l.uStride+i*l.eStride])
				ss[u] += x * x
			}
		}
	}
	for u, s := range ss {
		ss[u] = math.Sqrt(s)
	}
	return ss
}

// clip rescales each vector whose norm exceeds c to norm c (multiplying by
// c/‖v‖) and leaves the others bit-for-bit unchanged.
func clip[T float](d []T, l layout, c float64) {
	scale := norms(d, l)
	some := false
	for u, nrm := range scale {
		if nrm > c {
			scale[u], some = c/nrm, true
		} else {
			scale[u] = 1
		}
	}
	if !some {
		return
	}
	if l.eStride == 1 {
		for u, f := range scale {
			if f == 1 {
				continue
			}
			off := u * l.uStride
			seg := d[off : off+l.n]
			for i, x := range seg {
				seg[i] = T(float64(x) * f)
			}
		}
		return
	}
	for i := 0; i < l.n; i++ {
		for u, f := range scale {
			if f != 1 {
				k := u*l.uStride + i*l.eStride
				d[k] = T(float64(d[k]) * f)
			}
		}
	}
}
