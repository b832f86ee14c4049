package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor is how long an idle worker polls for the next job before it
// parks. A parked worker needs its OS thread woken, which on an idle
// virtual CPU took about 0.3 ms here; a training step issues its products
// a fraction of that apart, so workers that keep polling between them join
// a job at once. Polling stops this long after the last job.
const spinFor = 2 * time.Millisecond

// closed marks a job's entry count once its caller's call has returned:
// no worker starts it afterwards.
const closed = 1 << 62

// job is one Run call.
type job struct {
	fn func(part int)
	// want is how many workers (the caller excluded) may join.
	want int64
	// entries counts the workers that joined and have not returned, plus
	// closed once the caller's own call has returned.
	entries atomic.Int64
	joined  atomic.Int64
}

// join runs j.fn on a worker unless the job is closed or has its workers.
func (j *job) join() {
	part := j.joined.Add(1)
	if part > j.want {
		return
	}
	for {
		e := j.entries.Load()
		if e&closed != 0 {
			return
		}
		if j.entries.CompareAndSwap(e, e+1) {
			break
		}
	}
	defer j.entries.Add(-1)
	j.fn(int(part))
}

// pool is the process's set of long-lived worker goroutines.
type pool struct {
	// busy is held by the Run call whose job the workers are offered.
	busy atomic.Bool
	// gen counts the jobs offered; cur is the latest.
	gen atomic.Uint64
	cur atomic.Pointer[job]
	// sleeping counts parked workers; wake carries one token per wake-up.
	sleeping atomic.Int64
	wake     chan struct{}

	mu      sync.Mutex
	started int
}

var thePool = pool{wake: make(chan struct{}, 256)}

// Run calls fn on the calling goroutine (part 0) and, concurrently, on up
// to n−1 long-lived worker goroutines (parts 1 … n−1, in the order they
// join), and returns once every call has returned.
// fn must split its work itself (typically by claiming parts through an
// atomic counter) so that the caller's call alone finishes it: a worker
// joins only if it is free before the caller's call returns, and none
// joins while another Run holds the workers (nested or concurrent calls
// then run fn on the caller only). With n ≤ 1, Run just calls fn.
//
// Which goroutine does which part must not change the result: callers
// that want the same bits for any GOMAXPROCS compute every part the same
// way wherever it runs.
func Run(n int, fn func(part int)) {
	if n <= 1 || !thePool.busy.CompareAndSwap(false, true) {
		fn(0)
		return
	}
	p := &thePool
	p.ensure(n - 1)
	j := &job{fn: fn, want: int64(n - 1)}
	p.cur.Store(j)
	p.gen.Add(1)
	if s := p.sleeping.Load(); s > 0 {
		for range min(s, int64(n-1)) {
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}
	fn(0)
	// Close the job, then wait for the workers still in it.
	for {
		e := j.entries.Load()
		if j.entries.CompareAndSwap(e, e|closed) {
			break
		}
	}
	for j.entries.Load() != closed {
		runtime.Gosched()
	}
	p.cur.Store(nil)
	p.busy.Store(false)
}

// ensure starts workers until at least n exist.
func (p *pool) ensure(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ; p.started < n; p.started++ {
		go p.worker(p.gen.Load())
	}
}

// worker runs the jobs offered after generation seen, polling for spinFor
// after each before it parks.
func (p *pool) worker(seen uint64) {
	for {
		g := p.next(seen)
		seen = g
		if j := p.cur.Load(); j != nil {
			j.join()
		}
	}
}

// next returns the job generation once it differs from seen.
func (p *pool) next(seen uint64) uint64 {
	for {
		start := time.Now()
		for i := 0; ; i++ {
			if g := p.gen.Load(); g != seen {
				return g
			}
			if i%1024 == 1023 {
				if time.Since(start) > spinFor {
					break
				}
				// Let other goroutines waiting for this P run (the
				// training loop's batch prefetcher).
				runtime.Gosched()
			}
		}
		p.sleeping.Add(1)
		if p.gen.Load() == seen {
			<-p.wake
		}
		p.sleeping.Add(-1)
	}
}

// For calls fn on consecutive ranges [lo, hi) that cover [0, n), each of
// at least grain elements (the last one may be shorter), on up to procs
// goroutines (the caller's included) through Run. Every range is processed
// exactly once; which goroutine takes it must not matter to fn.
func For(procs, n, grain int, fn func(lo, hi int)) {
	grain = max(grain, 1)
	chunks := n / grain
	if procs <= 1 || chunks <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	// A few chunks per goroutine balance the load when a core is busy.
	chunks = min(chunks, 4*procs)
	size := (n + chunks - 1) / chunks
	chunks = (n + size - 1) / size
	Each(procs, chunks, func(c int) { fn(c*size, min((c+1)*size, n)) })
}

// Each calls f(task) for every task 0 … n−1, on up to procs goroutines
// (the caller's included) through Run, each participant taking its own
// share first (see Tasks). With procs ≤ 1 or a single task it calls f in
// order on the caller.
func Each(procs, n int, f func(task int)) {
	parts := min(procs, n)
	if parts <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	t := NewTasks(n, parts)
	Run(parts, func(part int) { t.Each(part, f) })
}

// Tasks hands out tasks 0 … n−1 to the participants of a Run: participant
// p first takes its own share, the p-th of parts consecutive runs of
// tasks, then any task left. With the same split from one call to the
// next, a participant that stays on its core finds its share's data in
// that core's caches; the tasks of a participant that does not come are
// taken by the others.
type Tasks struct {
	n, parts int
	claimed  []atomic.Bool
}

// NewTasks returns n tasks for parts participants.
func NewTasks(n, parts int) *Tasks {
	return &Tasks{n: n, parts: max(parts, 1), claimed: make([]atomic.Bool, n)}
}

// Each calls f for every task participant part claims.
func (t *Tasks) Each(part int, f func(task int)) {
	lo, hi := t.share(part)
	for i := lo; i < hi; i++ {
		if t.claimed[i].CompareAndSwap(false, true) {
			f(i)
		}
	}
	for i := range t.n {
		if !t.claimed[i].Load() && t.claimed[i].CompareAndSwap(false, true) {
			f(i)
		}
	}
}

// share returns participant part's own tasks [lo, hi).
func (t *Tasks) share(part int) (lo, hi int) {
	if part >= t.parts {
		return 0, 0
	}
	return part * t.n / t.parts, (part + 1) * t.n / t.parts
}
