package ops

import (
	"runtime"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/internal/workers"
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

// minSplit is the size (in elements) from which an element-wise pass is
// split between GOMAXPROCS goroutines. Below it a pass takes a few tens of
// microseconds, and on this machine's two vCPUs a split costs about that
// much: each goroutine reads data the other core wrote last (a cache line
// takes about 0.2 µs between them). At 2¹⁸ instead of 2¹⁵ the passes over a
// batch of 128 × 800 stay on one core, and the mlp's training step on two
// threads went 3.22 → 3.18 ms, lenet5's 5.94 → 5.76 ms (five alternations);
// the evaluation's passes over 1000 × 800 are still split.
const minSplit = 1 << 18

// split calls f on ranges [lo, hi) covering [0, n), spread over
// GOMAXPROCS goroutines if n is large. Element-wise passes give the same
// bits however they are split.
func split(n int, f func(lo, hi int)) {
	workers.For(runtime.GOMAXPROCS(0), n, minSplit, f)
}

// splitRows is split for n rows of rowLen elements: f gets element
// ranges made of whole rows.
func splitRows(n, rowLen int, f func(lo, hi int)) {
	if rowLen <= 0 {
		return
	}
	workers.For(runtime.GOMAXPROCS(0), n, max(1, minSplit/rowLen), func(lo, hi int) {
		f(lo*rowLen, hi*rowLen)
	})
}
