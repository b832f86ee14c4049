package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gozoo/zoo/internal/workers"
)

// minParallelFlops is the size (2·m·n·k) from which a product is split
// between goroutines: below it, what the second core has to fetch from
// the first (a cache line takes about 0.2 µs between the two cores here)
// costs more than the split saves. 2²⁵ is about 150 µs of one core's
// work: mlp's batch-128 products are split, mlp-bn's (784×100 at batch
// 128) are not (split, its training step was slower on two threads than
// on one).
const minParallelFlops = 1 << 25

// maxShared is the largest operand (in elements, once packed) that the
// parallel path packs once for all goroutines.
const maxShared = 1 << 21

// tasksPerWorker is how many blocks of C each goroutine gets on average
// when the unsplit operand is shared: more blocks than goroutines balance
// the load when a core is busy with something else.
const tasksPerWorker = 4

// problem is one call's arguments.
type problem[T float] struct {
	ar             *arch[T]
	transA, transB bool
	m, n, k        int
	alpha, beta    T
	a, b, c        []T
	lda, ldb, ldc  int
	// kc is the depth of the packed blocks: ar.kc evened out over k, so
	// that no block is much shallower than the others.
	kc int
	// sharedA and sharedB, if not nil, hold op(A) or op(B) packed whole:
	// the block of depth kb at pc starts at roundUp(m, mr)·pc (A) or
	// roundUp(n, nr)·pc (B) and is laid out as packA or packB lay out a
	// block starting at row or column 0.
	sharedA, sharedB []T
}

// run computes C = alpha·op(A)·op(B) + beta·C with arch ar on up to
// workers goroutines. The arguments have passed check.
func run[T float](ar *arch[T], workers int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(c, ldc, 0, m, 0, n, beta)
		return
	}
	p := problem[T]{ar: ar, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, kc: depth(k, ar.kc)}
	if workers <= 1 || 2*float64(m)*float64(n)*float64(k) < minParallelFlops {
		p.block(0, m, 0, n)
		return
	}
	// Only the parallel path moves the problem to the heap.
	pp := new(problem[T])
	*pp = p
	pp.parallel(workers)
}

// parallel computes C on up to n goroutines (the caller's and
// long-lived workers), each taking the next block of C as it finishes one.
// The operand that is not split is packed once for all, if it is small
// enough: its depth blocks are packed by whichever goroutines are there
// first, and each waits until all are packed before it takes a block of C.
func (p *problem[T]) parallel(n int) {
	ar := p.ar
	byCols := p.splitCols(n)
	split := n
	var sh *workspace[T]
	if byCols && roundUp(p.m, ar.mr)*p.k <= maxShared {
		sh = getWorkspace(ar)
		p.sharedA = grow(&sh.a, roundUp(p.m, ar.mr)*p.k)
		split *= tasksPerWorker
	} else if !byCols && roundUp(p.n, ar.nr)*p.k <= maxShared {
		sh = getWorkspace(ar)
		p.sharedB = grow(&sh.b, roundUp(p.n, ar.nr)*p.k)
		split *= tasksPerWorker
	}
	packs := 0
	if sh != nil {
		packs = (p.k + p.kc - 1) / p.kc
	}
	// Blocks of whole kernel tiles.
	tile, extent := ar.mr, p.m
	if byCols {
		tile, extent = ar.nr, p.n
	}
	tiles := (extent + tile - 1) / tile
	size := (tiles + split - 1) / min(split, tiles) * tile
	tasks := (extent + size - 1) / size
	// packTasks and blocks hand out parts of the shared operand to pack
	// and blocks of C; packed counts the parts packed. With fewer depth
	// blocks than goroutines (a weight gradient's depth is the batch),
	// each depth block is packed in as many parts, of whole panels.
	parts := min(n, tasks)
	chunks := 1
	if packs < parts {
		chunks = parts
	}
	chunk := func(extent, unit int) int { return roundUp((extent+chunks-1)/chunks, unit) }
	packTasks, blocks := workers.NewTasks(packs*chunks, parts), workers.NewTasks(tasks, parts)
	var packed atomic.Int64
	workers.Run(parts, func(part int) {
		packTasks.Each(part, func(t int) {
			pc, kb := t/chunks*p.kc, min(p.kc, p.k-t/chunks*p.kc)
			if p.sharedA != nil {
				size := chunk(p.m, ar.mr)
				if i0 := t % chunks * size; i0 < p.m {
					p.packA(p.sharedA[roundUp(p.m, ar.mr)*pc+i0*kb:], min(size, p.m-i0), kb, i0, pc)
				}
			} else {
				size := chunk(p.n, ar.nr)
				if j0 := t % chunks * size; j0 < p.n {
					p.packB(p.sharedB[roundUp(p.n, ar.nr)*pc+j0*kb:], kb, min(size, p.n-j0), pc, j0)
				}
			}
			packed.Add(1)
		})
		// A part still being packed was claimed by a goroutine that is
		// running.
		for packed.Load() < int64(packs*chunks) {
			runtime.Gosched()
		}
		blocks.Each(part, func(t int) {
			if byCols {
				p.block(0, p.m, t*size, min((t+1)*size, p.n))
			} else {
				p.block(t*size, min((t+1)*size, p.m), 0, p.n)
			}
		})
	})
	if sh != nil {
		putWorkspace(sh)
	}
}

// splitCols reports whether C is split along its columns, so that every
// block needs all of A: if A is the smaller operand and C has enough
// columns, or if C has too few rows. A product C = A·B with rows enough
// for every goroutine to take several blocks is split by rows, B shared
// (packed once, each goroutine packing its share of the depth blocks),
// unless B is read in place (few rows of C, see inPlaceB): then it is split
// by columns, each goroutine reading only its own columns of B, where they
// lie. In a training step B holds a layer's weights (a forward product at
// batch 128): moving a cache line between the two cores of this machine
// takes about 0.2 µs, and the shared packed copy of B was written by one
// core and read by the other at every step (packing it took 0.18 ms of the
// mlp's 0.67 ms forward product on two threads); read in place, each core
// reads a quarter of the weights that the other core's share of the
// optimizer step wrote (0.47–0.51 ms).
func (p *problem[T]) splitCols(parts int) bool {
	colTiles, rowTiles := (p.n+p.ar.nr-1)/p.ar.nr, (p.m+p.ar.mr-1)/p.ar.mr
	if !p.transA && !p.transB && rowTiles >= tasksPerWorker*parts {
		return p.inPlaceB(p.m, p.ar.nr) && colTiles >= parts
	}
	return p.m <= p.n && colTiles >= parts || rowTiles < parts && colTiles > rowTiles
}

// block computes rows [i0, i1) and columns [j0, j1) of C.
func (p *problem[T]) block(i0, i1, j0, j1 int) {
	ar := p.ar
	ws := getWorkspace(ar)
	defer putWorkspace(ws)
	if p.beta != 0 && p.beta != 1 {
		scale(p.c, p.ldc, i0, i1, j0, j1, p.beta)
	}
	for jc := j0; jc < j1; jc += ar.nc {
		nb := min(ar.nc, j1-jc)
		for pc := 0; pc < p.k; pc += p.kc {
			kb := min(p.kc, p.k-pc)
			load := p.beta != 0 || pc > 0
			if p.sharedB == nil && i1-i0 <= ar.mc {
				// One block of rows uses each panel of B once: pack it just
				// before, so that it is still in L1.
				ap := p.blockA(ws, i0, i1-i0, kb, pc)
				for jr := 0; jr < nb; jr += ar.nr {
					nn := min(ar.nr, nb-jr)
					if p.inPlaceB(i1-i0, nn) {
						p.macroInPlace(ws.tile, ap, p.b[pc*p.ldb+jc+jr:], i1-i0, kb, i0, jc+jr, load)
						continue
					}
					bpanel := grow(&ws.b, ar.nr*kb)
					p.packB(bpanel, kb, nn, pc, jc+jr)
					p.macro(ws.tile, ap, bpanel, i1-i0, nn, kb, i0, jc+jr, load)
				}
				continue
			}
			var bp []T
			if p.sharedB != nil {
				base := roundUp(p.n, ar.nr)*pc + jc*kb
				bp = p.sharedB[base : base+roundUp(nb, ar.nr)*kb]
			} else {
				bp = grow(&ws.b, roundUp(nb, ar.nr)*kb)
				p.packB(bp, kb, nb, pc, jc)
			}
			for ic := i0; ic < i1; ic += ar.mc {
				mb := min(ar.mc, i1-ic)
				p.macro(ws.tile, p.blockA(ws, ic, mb, kb, pc), bp, mb, nb, kb, ic, jc, load)
			}
		}
	}
}

// blockA returns the packed block of op(A) of rows [ic, ic+mb) and depth
// kb at pc: a part of sharedA, or packed into ws.
func (p *problem[T]) blockA(ws *workspace[T], ic, mb, kb, pc int) []T {
	mr := p.ar.mr
	if p.sharedA != nil {
		base := roundUp(p.m, mr)*pc + ic*kb
		return p.sharedA[base : base+roundUp(mb, mr)*kb]
	}
	ap := grow(&ws.a, roundUp(mb, mr)*kb)
	p.packA(ap, mb, kb, ic, pc)
	return ap
}

// macro runs the kernel over the mb×nb block of C at (ic, jc) with packed
// A and B of depth kb; tiles cut by the block's edge run on the kernel
// tileKernel picks (or columns, for the narrowest), on panels of B as
// wide as panelWidth says, and go through tile unless that kernel's tile
// fits them exactly.
func (p *problem[T]) macro(tile, ap, bp []T, mb, nb, kb, ic, jc int, load bool) {
	ar := p.ar
	mr, nr, ldc := ar.mr, ar.nr, p.ldc
	for jr := 0; jr < nb; jr += nr {
		nn := min(nr, nb-jr)
		w := ar.panelWidth(nn)
		bpanel := bp[jr*kb : (jr+w)*kb]
		if nn <= ar.maxColumns {
			ar.columns(kb, ap, bpanel, p.c[ic*ldc+jc+jr:], ldc, load, mb, nn)
			continue
		}
		for ir := 0; ir < mb; ir += mr {
			mm := min(mr, mb-ir)
			apanel := ap[ir*kb : (ir+mr)*kb]
			off := (ic+ir)*ldc + jc + jr
			kernel, rows := ar.kernel, mr
			if mm < mr || nn < nr {
				kernel, rows = ar.tileKernel(mm, w)
			}
			if mm == rows && nn == w {
				kernel(kb, apanel, bpanel, p.c[off:], ldc, load)
				continue
			}
			if load {
				clear(tile)
				p.loadTile(tile, off, mm, nn, w)
			}
			kernel(kb, apanel, bpanel, tile, w, load)
			p.storeTile(tile, off, mm, nn, w)
		}
	}
}

// maxInPlacePanels is the most panels of A (row tiles) for which a panel
// of B is read in place rather than packed. Measured on the benchmark
// shapes (a batch of 128 is 11 panels), reading in place is faster up to
// there: the copy costs more than the strided reads of the later panels,
// which find B in cache.
const maxInPlacePanels = 11

// inPlaceB reports whether a panel of nn columns of B is read in place,
// not packed, by the mb rows of C of a block: if op(B) = B, the panel
// is whole, the arch has strided kernels, few row tiles use it, and the
// rows of B do not all fall in the same cache sets (a stride of a
// multiple of 4 KiB).
func (p *problem[T]) inPlaceB(mb, nn int) bool {
	ar := p.ar
	size := int(unsafe.Sizeof(p.b[0]))
	return !p.transB && nn == ar.nr && ar.strided != nil && mb <= maxInPlacePanels*ar.mr && p.ldb*size%4096 != 0
}

// macroInPlace is macro for one whole column tile of C at (ic, jc) and a
// panel of B read in place (b, ldb apart), on the strided kernels.
func (p *problem[T]) macroInPlace(tile, ap, b []T, mb, kb, ic, jc int, load bool) {
	ar := p.ar
	mr, nr, ldc := ar.mr, ar.nr, p.ldc
	for ir := 0; ir < mb; ir += mr {
		mm := min(mr, mb-ir)
		apanel := ap[ir*kb : (ir+mr)*kb]
		off := (ic+ir)*ldc + jc
		kernel, rows := ar.stridedKernel(mm)
		if mm == rows {
			kernel(kb, apanel, b, p.c[off:], ldc, p.ldb, load)
			continue
		}
		if load {
			p.loadTile(tile, off, mm, nr, nr)
		}
		kernel(kb, apanel, b, tile, nr, p.ldb, load)
		p.storeTile(tile, off, mm, nr, nr)
	}
}

// loadTile copies the mm×nn block of C at off into tile, rows w apart: a
// tile cut by the edge of C goes through tile, which the kernel fills whole.
func (p *problem[T]) loadTile(tile []T, off, mm, nn, w int) {
	for r := range mm {
		copy(tile[r*w:r*w+nn], p.c[off+r*p.ldc:])
	}
}

// storeTile copies the mm×nn block of tile (rows w apart) back into C at off.
func (p *problem[T]) storeTile(tile []T, off, mm, nn, w int) {
	for r := range mm {
		copy(p.c[off+r*p.ldc:off+r*p.ldc+nn], tile[r*w:])
	}
}

// scale multiplies rows [i0, i1) and columns [j0, j1) of C by beta, and
// sets them to zero if beta is 0 (NaN and Inf included).
func scale[T float](c []T, ldc, i0, i1, j0, j1 int, beta T) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// depth returns the block depth for a product of depth k: the fewest
// blocks of at most kc, of equal depth rounded up to a multiple of 4 (the
// kernels' unrolling), the last one shallower. For example k = 784 and kc
// = 256 give 196, 196, 196, 196 instead of 256, 256, 256, 16.
func depth(k, kc int) int {
	blocks := (k + kc - 1) / kc
	return min(kc, roundUp((k+blocks-1)/blocks, 4))
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// workspace holds one goroutine's packing buffers.
type workspace[T float] struct {
	ar         *arch[T]
	a, b, tile []T
}

// maxFree is the number of workspaces of each element type kept for
// reuse.
const maxFree = 8

// freeList keeps workspaces between calls. Unlike a sync.Pool it is not
// emptied by the garbage collector, which a training loop runs every few
// steps.
type freeList[T float] struct {
	mu sync.Mutex
	ws []*workspace[T]
}

var (
	free32 freeList[float32]
	free64 freeList[float64]
)

func freeListOf[T float]() *freeList[T] {
	var l any = &free32
	if _, ok := l.(*freeList[T]); !ok {
		l = &free64
	}
	return l.(*freeList[T])
}

// getWorkspace returns a workspace for arch ar, reused if one is free.
func getWorkspace[T float](ar *arch[T]) *workspace[T] {
	l := freeListOf[T]()
	l.mu.Lock()
	for i := len(l.ws) - 1; i >= 0; i-- {
		if ws := l.ws[i]; ws.ar == ar {
			l.ws = append(l.ws[:i], l.ws[i+1:]...)
			l.mu.Unlock()
			return ws
		}
	}
	l.mu.Unlock()
	return &workspace[T]{ar: ar, tile: make([]T, ar.mr*ar.nr)}
}

// putWorkspace returns ws for reuse, or drops it if maxFree are kept.
func putWorkspace[T float](ws *workspace[T]) {
	l := freeListOf[T]()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ws) < maxFree {
		l.ws = append(l.ws, ws)
	}
}

// grow returns (*buf)[:size], reallocating *buf if it is too small.
func grow[T float](buf *[]T, size int) []T {
	if cap(*buf) < size {
		*buf = make([]T, size)
	}
	return (*buf)[:size]
}
