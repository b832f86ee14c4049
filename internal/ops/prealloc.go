package ops

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Output buffers of zoo's ops.
//
// Every op of this package that returns a new tensor also implements
// Gorgonia's UsePreallocDoer: UsePreallocDo(prealloc, inputs...) computes the
// same value as Do(inputs...) but writes all of it into prealloc (it
// overwrites, never accumulates) and returns prealloc. An executor that keeps
// each node's output tensor from one run to the next passes it back as
// prealloc, so a step allocates nothing. A prealloc of another dtype or shape
// (or a view) is not an error: the op then allocates as Do does.
//
// zoo's executor (exec.go) is such an executor; it never passes a tensor that
// overlaps one of the op's inputs.

// outputFor returns prealloc when it can hold a result of dtype dt and the
// given shape (a contiguous *tensor.Dense of exactly that dtype and shape),
// else a new zeroed tensor.
func outputFor(prealloc G.Value, dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if d, ok := prealloc.(*tensor.Dense); ok && d.Dtype() == dt && d.Shape().Eq(shape) &&
		!d.RequiresIterator() && d.DataSize() == shape.TotalSize() {
		return d
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
}
