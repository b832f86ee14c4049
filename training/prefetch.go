package training

import (
	"context"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
)

// batchSource yields one pass of batches, as datasets.Batches.Next does: n
// samples, their features x and labels y, n == 0 at the end. x and y are
// valid until the next call to next; the zero-padded rest of a short batch
// is x[:cap(x)] and y[:cap(y)]. stop releases the source; it must be called
// on every way out, may be called more than once, and the iterator the
// source reads belongs to the caller again when it returns.
type batchSource interface {
	next() (x []float32, y []int, n int, err error)
	stop()
}

// newBatchSource returns a source for the rest of it's current epoch: a
// prefetcher, or with noPrefetch the iterator itself.
func newBatchSource(it *datasets.Batches, features int, noPrefetch bool) batchSource {
	if noPrefetch {
		return inline{it}
	}
	return newPrefetcher(it, features)
}

// eachBatch calls f for every batch of the rest of it's current epoch,
// through a source from newBatchSource, until the epoch ends, f fails or
// ctx is cancelled (checked before each batch). It stops the source on
// every way out.
func eachBatch(ctx context.Context, it *datasets.Batches, features int, noPrefetch bool, f func(x []float32, y []int, n int) error) error {
	src := newBatchSource(it, features, noPrefetch)
	defer src.stop()
	for {
		x, y, n, err := src.next()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return errors.WithStack(err)
		}
		if err := f(x, y, n); err != nil {
			return err
		}
	}
}

// inline gathers each batch when it is asked for, on the caller's goroutine.
type inline struct{ it *datasets.Batches }

func (s inline) next() ([]float32, []int, int, error) {
	x, y, n := s.it.Next()
	return x, y, n, nil
}

func (inline) stop() {}

// prefetcher gathers batches on a goroutine of its own, one step ahead of
// the caller: while the caller trains on (or evaluates) batch i, the rows of
// batch i+1 are copied out of the dataset into a second buffer. The batches
// and their order are exactly the iterator's, so results do not change.
//
// Two buffers circulate: the one the caller holds (handed back by its next
// call of next) and the one being gathered. The goroutine owns the iterator
// until stop returns; it closes full when it returns.
type prefetcher struct {
	full     chan *prefetched // gathered batches, in order
	free     chan *prefetched // buffers to gather into
	quit     chan struct{}    // closed by stop
	held     *prefetched      // the batch the caller has, if any
	features int
}

// prefetched is one gathered batch, its buffers sized for a full batch.
type prefetched struct {
	x   []float32
	y   []int
	n   int
	err error
}

// prefetchBuffers is the number of batch buffers: one with the caller, one
// being gathered.
const prefetchBuffers = 2

func newPrefetcher(it *datasets.Batches, features int) *prefetcher {
	p := &prefetcher{
		full:     make(chan *prefetched, prefetchBuffers),
		free:     make(chan *prefetched, prefetchBuffers),
		quit:     make(chan struct{}),
		features: features,
	}
	size := it.BatchSize()
	for range prefetchBuffers {
		p.free <- &prefetched{x: make([]float32, size*features), y: make([]int, size)}
	}
	go p.gather(it)
	return p
}

// gather fills free buffers with the iterator's batches until the epoch
// ends, the iterator fails or stop is called.
func (p *prefetcher) gather(it *datasets.Batches) {
	defer close(p.full)
	for {
		var b *prefetched
		select {
		case b = <-p.free:
		case <-p.quit:
			return
		}
		b.n, b.err = it.NextInto(b.x, b.y)
		if b.n == 0 && b.err == nil {
			return
		}
		select {
		case p.full <- b:
		case <-p.quit:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// next hands the previous batch's buffer back and returns the next batch,
// waiting for it if it is not gathered yet.
func (p *prefetcher) next() ([]float32, []int, int, error) {
	if p.held != nil {
		p.free <- p.held // never blocks: free has room for every buffer
		p.held = nil
	}
	b, ok := <-p.full
	if !ok {
		return nil, nil, 0, nil
	}
	if b.err != nil {
		return nil, nil, 0, b.err
	}
	p.held = b
	return b.x[:b.n*p.features], b.y[:b.n], b.n, nil
}

// stop ends the goroutine and returns once it has returned.
func (p *prefetcher) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	for range p.full {
	}
}
