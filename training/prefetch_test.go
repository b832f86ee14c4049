package training

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/datasets"
)

// prefetchData is n samples of d features whose first feature is the
// sample's index, so that a batch shows which samples it holds.
func prefetchData(t testing.TB, n, d int) *datasets.Dataset {
	t.Helper()
	x := make([]float32, n*d)
	y := make([]int, n)
	for i := range n {
		for j := range d {
			x[i*d+j] = float32(i*d + j)
		}
		y[i] = i % 3
	}
	ds, err := datasets.New(x, y, datasets.Shape{C: 1, H: 1, W: d}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// waitGoroutines waits until at most want goroutines are left, for up to a
// second (a goroutine that has closed its channel may still be returning).
func waitGoroutines(t testing.TB, want int) {
	t.Helper()
	for deadline := time.Now().Add(time.Second); ; time.Sleep(time.Millisecond) {
		got := runtime.NumGoroutine()
		if got <= want {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", got, want, buf[:runtime.Stack(buf, true)])
		}
	}
}

// TestPrefetcherMatchesIterator compares every batch a prefetcher yields,
// padding included, with the iterator's own Next on a second iterator over
// the same data and options, over several epochs and from the middle of an
// epoch (as a resumed Fit starts).
func TestPrefetcherMatchesIterator(t *testing.T) {
	const n, d = 23, 5
	ds := prefetchData(t, n, d)
	for _, tt := range []struct {
		name string
		opts datasets.BatchOptions
		skip int
	}{
		{"ordered", datasets.BatchOptions{BatchSize: 4}, 0},
		{"shuffled", datasets.BatchOptions{BatchSize: 4, Shuffle: true, Seed: 9}, 0},
		{"shuffled drop last", datasets.BatchOptions{BatchSize: 4, Shuffle: true, Seed: 9, DropLast: true}, 0},
		{"shuffled from batch 3", datasets.BatchOptions{BatchSize: 4, Shuffle: true, Seed: 9}, 3},
		{"one short batch", datasets.BatchOptions{BatchSize: 50}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ref, err := datasets.NewBatches(ds, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			it, err := datasets.NewBatches(ds, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for epoch := range 3 {
				for _, b := range []*datasets.Batches{ref, it} {
					if err := b.StartEpoch(epoch); err != nil {
						t.Fatal(err)
					}
					for range tt.skip {
						b.Next()
					}
				}
				p := newPrefetcher(it, d)
				batches := 0
				for {
					x, y, got, err := p.next()
					if err != nil {
						t.Fatal(err)
					}
					wx, wy, want := ref.Next()
					if got != want {
						t.Fatalf("epoch %d batch %d: %d samples, want %d", epoch, batches, got, want)
					}
					if got == 0 {
						break
					}
					if !slices.Equal(x[:cap(x)], wx[:cap(wx)]) || !slices.Equal(y[:cap(y)], wy[:cap(wy)]) || len(x) != len(wx) || len(y) != len(wy) {
						t.Fatalf("epoch %d batch %d: got %v %v, want %v %v", epoch, batches, x[:cap(x)], y[:cap(y)], wx[:cap(wx)], wy[:cap(wy)])
					}
					batches++
				}
				if _, _, again, err := p.next(); again != 0 || err != nil {
					t.Fatalf("next after the end: %d samples, err %v", again, err)
				}
				p.stop()
				if want := ref.NumBatches() - tt.skip; batches != want {
					t.Fatalf("epoch %d: %d batches, want %d", epoch, batches, want)
				}
			}
		})
	}
}

// TestPrefetcherStop stops prefetchers at every stage (before the first
// batch, in the middle, at the end, twice) and checks that their goroutines
// are gone.
func TestPrefetcherStop(t *testing.T) {
	ds := prefetchData(t, 40, 3)
	for _, tt := range []struct {
		name  string
		takes int // calls of next before stop
	}{
		{"before the first batch", 0},
		{"after one batch", 1},
		{"in the middle", 5},
		{"at the end", 10},
		{"after the end", 12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			it, err := datasets.NewBatches(ds, datasets.BatchOptions{BatchSize: 4, Shuffle: true})
			if err != nil {
				t.Fatal(err)
			}
			p := newPrefetcher(it, 3)
			for range tt.takes {
				if _, _, _, err := p.next(); err != nil {
					t.Fatal(err)
				}
			}
			p.stop()
			p.stop()
			waitGoroutines(t, base)
			// The iterator is the caller's again: it starts a new epoch.
			if err := it.StartEpoch(1); err != nil {
				t.Fatal(err)
			}
			if _, _, n := it.Next(); n != 4 {
				t.Fatalf("first batch after stop: %d samples", n)
			}
		})
	}
}

// TestPrefetcherError: buffers too small for the iterator's batches (the
// feature count is wrong) make NextInto fail; next returns its error and the
// goroutine ends.
func TestPrefetcherError(t *testing.T) {
	base := runtime.NumGoroutine()
	it, err := datasets.NewBatches(prefetchData(t, 10, 3), datasets.BatchOptions{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	p := newPrefetcher(it, 2)
	if _, _, n, err := p.next(); !errors.Is(err, datasets.ErrShape) || n != 0 {
		t.Fatalf("n=%d err=%v, want datasets.ErrShape", n, err)
	}
	p.stop()
	waitGoroutines(t, base)
}

// Prefetch benchmarks, on MNIST rows (784 float32 features each):
//
//   - benchGather is the work prefetching takes off the training goroutine:
//     gathering one shuffled batch out of the 60000 training images.
//   - benchBatchWait is what is left of it: the time the consumer spends in
//     next per batch (the wait-ns/batch metric) when every batch is followed
//     by a 2 ms "step" (a sleep, so that the result does not depend on how
//     busy the machine's cores are). Inline it is the gather; with
//     prefetching, only the handover of a batch gathered during the step.
//   - benchFitPrefetch is a whole Fit, one epoch of 300 steps of a small MLP
//     (784-64-10, batch 40, SGD with momentum) on the first 12000 training
//     images, with and without prefetching.
//
// Compare with
//
//	go test -run '^$' -bench 'Gather|BatchWait|Fit(No)?Prefetch' -benchtime 5x -count 6 ./training

func benchGather(b *testing.B, batch int) {
	ds := benchMNISTBatch(b, 60000, datasets.Shape{C: 1, H: 28, W: 28})
	it, err := datasets.NewBatches(ds, datasets.BatchOptions{BatchSize: batch, Shuffle: true, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	epoch := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _, n := it.Next()
		if n == 0 {
			epoch++
			if err := it.StartEpoch(epoch); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	benchSink = it.Indices()
}

func BenchmarkGather128(b *testing.B)  { benchGather(b, 128) }
func BenchmarkGather1000(b *testing.B) { benchGather(b, 1000) }

func benchBatchWait(b *testing.B, batch int, noPrefetch bool) {
	const step = 2 * time.Millisecond
	ds := benchMNISTBatch(b, 60000, datasets.Shape{C: 1, H: 28, W: 28})
	it, err := datasets.NewBatches(ds, datasets.BatchOptions{BatchSize: batch, Shuffle: true, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	var wait time.Duration
	batches := 0
	b.ReportAllocs()
	b.ResetTimer()
	for epoch := 0; batches < b.N; epoch++ {
		if err := it.StartEpoch(epoch); err != nil {
			b.Fatal(err)
		}
		src := newBatchSource(it, ds.Features(), noPrefetch)
		for batches < b.N {
			t0 := time.Now()
			_, _, n, err := src.next()
			wait += time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			batches++
			time.Sleep(step)
		}
		src.stop()
	}
	b.StopTimer()
	b.ReportMetric(float64(wait.Nanoseconds())/float64(batches), "wait-ns/batch")
}

func BenchmarkBatchWaitInline128(b *testing.B)    { benchBatchWait(b, 128, true) }
func BenchmarkBatchWaitPrefetch128(b *testing.B)  { benchBatchWait(b, 128, false) }
func BenchmarkBatchWaitInline1000(b *testing.B)   { benchBatchWait(b, 1000, true) }
func BenchmarkBatchWaitPrefetch1000(b *testing.B) { benchBatchWait(b, 1000, false) }
