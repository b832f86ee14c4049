package workers

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestForCoversEachIndexOnce checks that For hands out every index of
// [0, n) exactly once, in ranges of at least grain elements (the last one
// excepted), for sizes around the chunk boundaries and any worker count.
func TestForCoversEachIndexOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 3, 8} {
		for _, n := range []int{0, 1, 2, 7, 63, 64, 65, 1000, 4096, 100003} {
			for _, grain := range []int{0, 1, 64, 1000} {
				t.Run(fmt.Sprintf("procs%d/n%d/grain%d", procs, n, grain), func(t *testing.T) {
					seen := make([]atomic.Int32, n)
					var short atomic.Int32
					For(procs, n, grain, func(lo, hi int) {
						if hi-lo < grain && hi != n {
							short.Add(1)
						}
						for i := lo; i < hi; i++ {
							seen[i].Add(1)
						}
					})
					for i := range seen {
						if c := seen[i].Load(); c != 1 {
							t.Fatalf("index %d processed %d times", i, c)
						}
					}
					if s := short.Load(); s != 0 {
						t.Errorf("%d ranges shorter than grain %d before the end", s, grain)
					}
				})
			}
		}
	}
}

// TestRunUsesWorkers checks that with n > 1 the caller's call is joined by
// workers on other goroutines: a function that waits until a second call
// has started finishes only if one joins.
func TestRunUsesWorkers(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS ≥ 2")
	}
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(2, func(int) {
			calls.Add(1)
			deadline := time.Now().Add(10 * time.Second)
			for calls.Load() < 2 && time.Now().Before(deadline) {
				runtime.Gosched()
			}
		})
	}()
	<-done
	if c := calls.Load(); c != 2 {
		t.Fatalf("fn ran %d times, want 2 (caller and one worker)", c)
	}
}

// TestRunWaitsForAllCalls checks that Run returns only after every call
// of fn that started has returned, and that no call starts afterwards.
func TestRunWaitsForAllCalls(t *testing.T) {
	for round := range 200 {
		var running, after atomic.Int32
		var finished atomic.Bool
		Run(4, func(int) {
			if finished.Load() {
				after.Add(1)
			}
			running.Add(1)
			defer running.Add(-1)
			time.Sleep(time.Duration(round%3) * 10 * time.Microsecond)
		})
		finished.Store(true)
		if r := running.Load(); r != 0 {
			t.Fatalf("round %d: %d calls still running after Run returned", round, r)
		}
		// Give a late worker the chance to (wrongly) start the old job.
		time.Sleep(20 * time.Microsecond)
		if a := after.Load(); a != 0 {
			t.Fatalf("round %d: %d calls started after Run returned", round, a)
		}
	}
}

// TestRunConcurrentAndNested runs For from many goroutines at once, with
// nested calls inside, and checks every result: callers that find the
// workers busy compute alone.
func TestRunConcurrentAndNested(t *testing.T) {
	const callers, n = 8, 5000
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]int, n)
			For(4, n, 100, func(lo, hi int) {
				For(2, hi-lo, 10, func(l, h int) {
					for i := lo + l; i < lo+h; i++ {
						out[i] += i * c
					}
				})
			})
			for i, v := range out {
				if v != i*c {
					errs <- fmt.Errorf("caller %d: out[%d] = %d, want %d", c, i, v, i*c)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestWorkersPark checks that idle workers stop polling: some time after
// the last job, every started worker is parked.
func TestWorkersPark(t *testing.T) {
	For(3, 1000, 1, func(lo, hi int) {})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		thePool.mu.Lock()
		started := thePool.started
		thePool.mu.Unlock()
		if int(thePool.sleeping.Load()) == started {
			return
		}
		time.Sleep(spinFor)
	}
	t.Fatalf("%d of %d workers parked %v after the last job", thePool.sleeping.Load(), thePool.started, 5*time.Second)
}

func BenchmarkRun(b *testing.B) {
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprint(procs), func(b *testing.B) {
			var next atomic.Int64
			b.ReportAllocs()
			for range b.N {
				next.Store(0)
				Run(procs, func(int) {
					for next.Add(1) <= 8 {
					}
				})
			}
		})
	}
}

// TestTasksEachOnce checks that every task runs exactly once whichever
// participants come: all of them, only some, or one that has no share.
func TestTasksEachOnce(t *testing.T) {
	for _, come := range [][]int{{0, 1, 2}, {0}, {2}, {1, 2}, {0, 5}} {
		tasks := NewTasks(10, 3)
		counts := make([]atomic.Int32, 10)
		var wg sync.WaitGroup
		for _, part := range come {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tasks.Each(part, func(i int) { counts[i].Add(1) })
			}()
		}
		wg.Wait()
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Errorf("participants %v: task %d ran %d times", come, i, c)
			}
		}
	}
	// A participant takes its own share first.
	tasks := NewTasks(9, 3)
	var first []int
	tasks.Each(1, func(i int) { first = append(first, i) })
	if fmt.Sprint(first[:3]) != "[3 4 5]" {
		t.Errorf("participant 1 took %v first, want its share [3 4 5]", first[:3])
	}
}

// BenchmarkHandoff measures how long a value written by one goroutine
// takes to be seen by another that polls for it (ns/op is one hop; run
// with -cpu 2 so that the two run on different cores). On the machine of
// bench/PROFILE.md a hop takes about 0.2 µs, the cost of moving a cache
// line between its two cores.
func BenchmarkHandoff(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS ≥ 2")
	}
	var x atomic.Int64
	n := int64(b.N) &^ 1
	done := make(chan struct{})
	b.ResetTimer()
	go func() {
		defer close(done)
		for i := int64(1); i < n; i += 2 {
			for x.Load() != i {
			}
			x.Store(i + 1)
		}
	}()
	for i := int64(0); i < n; i += 2 {
		for x.Load() != i {
		}
		x.Store(i + 1)
	}
	<-done
}

// TestEach checks that Each runs every task once, in order on the caller
// when it has one goroutine.
func TestEach(t *testing.T) {
	var order []int
	Each(1, 5, func(i int) { order = append(order, i) })
	if fmt.Sprint(order) != "[0 1 2 3 4]" {
		t.Errorf("one goroutine: tasks in order %v, want [0 1 2 3 4]", order)
	}
	counts := make([]atomic.Int32, 100)
	Each(4, len(counts), func(i int) { counts[i].Add(1) })
	for i := range counts {
		if c := counts[i].Load(); c != 1 {
			t.Errorf("four goroutines: task %d ran %d times", i, c)
		}
	}
}
