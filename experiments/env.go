package experiments

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"
)

// Env is what an experiment's Run function works with: its options, seeded
// random sources, the data, and writers that put files into the output
// directory and remember them for the [Result].
type Env struct {
	exp   Experiment
	opts  Options
	start time.Time
	files []string
}

func newEnv(e Experiment, opts Options) *Env {
	return &Env{exp: e, opts: opts, start: time.Now()}
}

// Experiment returns the experiment being run.
func (e *Env) Experiment() Experiment { return e.exp }

// Options returns the run's options.
func (e *Env) Options() Options { return e.opts }

// Quick reports whether the run is in quick mode.
func (e *Env) Quick() bool { return e.opts.Quick }

// Seed returns the run's seed.
func (e *Env) Seed() uint64 { return e.opts.Seed }

// Rand returns a generator PCG(seed, stream): each stream is an independent
// sequence that depends on the run's seed alone. Experiments use one stream
// per purpose so that changing one use does not shift the others.
func (e *Env) Rand(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(e.opts.Seed, stream))
}

// Elapsed returns the wall time since the run started.
func (e *Env) Elapsed() time.Duration { return time.Since(e.start) }

// Logf writes one progress line to Options.Log, if set.
func (e *Env) Logf(format string, args ...any) {
	if e.opts.Log == nil {
		return
	}
	fmt.Fprintf(e.opts.Log, format+"\n", args...)
}

// Path returns the path of a file named name in the output directory.
func (e *Env) Path(name string) string { return filepath.Join(e.opts.Out, name) }

// Files returns the names of the files written so far, relative to the
// output directory, in the order they were first written.
func (e *Env) Files() []string { return append([]string(nil), e.files...) }

// wrote records a file written into the output directory.
func (e *Env) wrote(name string) {
	for _, f := range e.files {
		if f == name {
			return
		}
	}
	e.files = append(e.files, name)
}
