package graph

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Buffer sharing (CompileOptions.ShareBuffers).
//
// A node's value is needed only until the last step that reads it has run.
// After that its buffer can hold the output of a later node of the same
// dtype and at most as many elements (a buffer grows, before any memory is
// made, to the largest node it holds). An evaluation graph needs no
// forward value for a backward pass, so a chain of large activations
// (convolution, BatchNorm, ReLU, …) runs in two or three buffers instead of
// one per node.
//
// The plan is made once, when the program is compiled, so every run puts
// every node in the same memory and a run allocates nothing more than
// without sharing. A step writes into a shared buffer only through its
// op's UsePreallocDo (which overwrites the whole output and returns the
// buffer it was given); a step whose op has no UsePreallocDo may return a
// view of its inputs, so the buffers of its inputs stay reserved for as long
// as its own value is read.

// sharedBuf is one buffer of the plan: dtype, number of elements (the
// largest of the nodes it holds) and its offset in the arena's memory of
// that dtype.
type sharedBuf struct {
	dt     tensor.Dtype
	n, off int
}

// Arena is the memory in which programs compiled with it (see
// [CompileOptions]) keep their shared buffers: its size is that of the
// largest of them, not their sum. A run of one program overwrites the
// values of the arena's other programs, outputs and gradients included, so
// they must never run at the same time, and each program's values must be
// read before another one runs. The zero value is an empty arena; memory
// is made at the first run of a program that needs more.
type Arena struct {
	need [2]int // elements, float32 and float64, of the largest program
	f32  []float32
	f64  []float64
	gen  int // incremented whenever the memory is made anew
}

// reserve makes room for n32 float32 and n64 float64 elements from the next
// run on.
func (a *Arena) reserve(n32, n64 int) {
	a.need[0], a.need[1] = max(a.need[0], n32), max(a.need[1], n64)
}

// ensure makes the memory the arena's programs need.
func (a *Arena) ensure() {
	if len(a.f32) < a.need[0] {
		a.f32 = make([]float32, a.need[0])
		a.gen++
	}
	if len(a.f64) < a.need[1] {
		a.f64 = make([]float64, a.need[1])
		a.gen++
	}
}

// minShared is the least number of elements of a node that shares buffers.
// Smaller nodes (BatchNorm's statistics, biases' gradients) keep their own
// tensors: sharing them would save nothing, and a small node that took a
// large free buffer would make the next large node need a new one.
const minShared = 1 << 14

// sharable reports whether step s may write into a shared buffer: its op
// writes into a given tensor (UsePreallocDoer) and its node is a float32 or
// float64 tensor of known shape with at least n elements.
func sharable(s *step, n int) bool {
	if _, ok := s.op.(G.UsePreallocDoer); !ok {
		return false
	}
	dt, sh := s.node.Dtype(), s.node.Shape()
	return (dt == tensor.Float32 || dt == tensor.Float64) && sh.Dims() > 0 && sh.TotalSize() >= max(n, 1)
}

// share assigns shared buffers to the steps whose nodes have at least n
// elements. keep holds the IDs of the nodes whose values must last until
// the end of a run (the outputs and whatever the caller reads afterwards):
// their buffers are never handed on.
func (e *executor) share(keep map[int64]bool, n int, arena *Arena) {
	e.arena = arena
	stepOf := make(map[int64]int, len(e.steps))
	for i := range e.steps {
		stepOf[e.steps[i].node.ID()] = i
	}
	// owners[i] lists the steps whose buffers step i's value may lie in:
	// its own if it writes into a shared buffer, else (a possible view) its
	// inputs' owners.
	owners := make([][]int, len(e.steps))
	// last[j] is the last step that reads a value lying in step j's
	// buffer; pinned[j] says that such a value is kept.
	last := make([]int, len(e.steps))
	pinned := make([]bool, len(e.steps))
	for i := range e.steps {
		s := &e.steps[i]
		s.buf = -1
		last[i] = i
		for _, a := range s.args {
			j, ok := stepOf[a.ID()]
			if !ok {
				continue // an input or a parameter: not the executor's
			}
			for _, o := range owners[j] {
				last[o] = max(last[o], i)
			}
		}
		if sharable(s, n) {
			s.buf = 0 // assigned below
			owners[i] = []int{i}
		} else {
			for _, a := range s.args {
				if j, ok := stepOf[a.ID()]; ok {
					owners[i] = appendNew(owners[i], owners[j]...)
				}
			}
		}
		if keep[s.node.ID()] {
			for _, o := range owners[i] {
				pinned[o] = true
			}
		}
	}
	// Assign in run order. A step's output buffer is chosen before the
	// buffers of its inputs are released, so no op writes into its inputs.
	var free []int // released buffers
	release := make([][]int, len(e.steps))
	for i := range e.steps {
		s := &e.steps[i]
		if s.buf >= 0 {
			s.buf, free = e.fit(free, s.node.Dtype(), s.node.Shape().TotalSize())
			if !pinned[i] {
				release[last[i]] = append(release[last[i]], i)
			}
		}
		for _, j := range release[i] {
			free = append(free, e.steps[j].buf)
		}
	}
	var size [2]int // float32, float64
	for i := range e.bufs {
		k := 0
		if e.bufs[i].dt == tensor.Float64 {
			k = 1
		}
		e.bufs[i].off = size[k]
		size[k] += e.bufs[i].n
	}
	e.arena.reserve(size[0], size[1])
}

// fit takes a buffer of dtype dt for n elements out of free: the smallest
// free one that holds n, else the largest free one grown to n, else a new
// one. It returns the buffer's index and what is left free.
func (e *executor) fit(free []int, dt tensor.Dtype, n int) (int, []int) {
	best := -1
	for k, b := range free {
		if e.bufs[b].dt != dt {
			continue
		}
		if best < 0 {
			best = k
			continue
		}
		nb, nbest := e.bufs[b].n, e.bufs[free[best]].n
		fits, bestFits := nb >= n, nbest >= n
		if fits && (!bestFits || nb < nbest) || !fits && !bestFits && nb > nbest {
			best = k
		}
	}
	if best < 0 {
		e.bufs = append(e.bufs, sharedBuf{dt: dt, n: n})
		return len(e.bufs) - 1, free
	}
	b := free[best]
	e.bufs[b].n = max(e.bufs[b].n, n)
	return b, append(free[:best], free[best+1:]...)
}

// appendNew appends the elements of vs that are not yet in s.
func appendNew(s []int, vs ...int) []int {
	for _, v := range vs {
		found := false
		for _, w := range s {
			found = found || w == v
		}
		if !found {
			s = append(s, v)
		}
	}
	return s
}

// sharedOut returns the node's tensor over its shared buffer, made at the
// first call after the arena's memory was made.
func (e *executor) sharedOut(s *step) *tensor.Dense {
	if s.shared != nil {
		return s.shared
	}
	b := e.bufs[s.buf]
	sh := s.node.Shape().Clone()
	lo, hi := b.off, b.off+sh.TotalSize()
	var mem any
	if b.dt == tensor.Float32 {
		mem = e.arena.f32[lo:hi:hi]
	} else {
		mem = e.arena.f64[lo:hi:hi]
	}
	s.shared = tensor.New(tensor.WithShape(sh...), tensor.WithBacking(mem))
	return s.shared
}

// claim makes sure that the arena's memory is there and that the steps'
// tensors lie in it (another program of the arena may have made it anew).
func (e *executor) claim() {
	if e.arena == nil {
		return
	}
	e.arena.ensure()
	if e.gen == e.arena.gen {
		return
	}
	for i := range e.steps {
		e.steps[i].shared = nil
	}
	e.gen = e.arena.gen
}
