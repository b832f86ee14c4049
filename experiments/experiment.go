package experiments

import (
	"context"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/suggest"
)

// Experiment is one registered reproduction.
type Experiment struct {
	// Name is the registry key, such as "l1-vs-l2".
	Name string
	// Title is a one-line description.
	Title string
	// Claim is the paper's qualitative claim that the run checks.
	Claim string
	// Paper names the paper and figure the experiment reproduces.
	Paper string
	// Run performs the experiment, writing its files through env. It
	// returns the key numbers and the verdict Judge gives on them; [Run]
	// fills in the bookkeeping fields of the Result (name, files, seconds).
	Run func(ctx context.Context, env *Env) (*Result, error)
	// Judge is the claim's criterion, computed from the key numbers alone:
	// Run puts every input of the criterion into Result.Metrics (the same
	// keys for every seed of a mode) and takes Held and Verdict from Judge,
	// so that one piece of code decides a single run and the mean over
	// seeds ([RunSeeds]). The verdict states the numbers it was decided
	// from. Inputs are continuous magnitudes compared with a threshold
	// wherever the criterion can be stated that way; an input that is
	// inherently yes or no is a metric of 1 or 0 that counts as yes when it
	// is at least 0.5, which on a mean over seeds means "in a majority of
	// the seeds". A metric the judge needs and does not find makes the claim
	// not hold, with the missing keys named in the verdict.
	Judge func(m map[string]float64) (held bool, verdict string)
}

// Result is what an experiment found. It encodes to JSON for the command
// line.
type Result struct {
	// Name is the experiment's name.
	Name string `json:"name"`
	// Claim is the claim that was checked.
	Claim string `json:"claim"`
	// Held reports whether the claim held in this run, as computed from the
	// measured data.
	Held bool `json:"held"`
	// Verdict explains Held with the numbers it was decided from.
	Verdict string `json:"verdict"`
	// Metrics are the key measured numbers, by name.
	Metrics map[string]float64 `json:"metrics"`
	// Quick and Seed are the options the run used.
	Quick bool   `json:"quick"`
	Seed  uint64 `json:"seed"`
	// Out is the output directory and Files the files written into it,
	// relative to Out, in the order they were written.
	Out   string   `json:"out"`
	Files []string `json:"files"`
	// Seconds is the run's wall time.
	Seconds float64 `json:"seconds"`
}

// Options configures [Run]. Only Out is required.
type Options struct {
	// Quick selects the small configuration: subsets of a few thousand
	// images and a few epochs. Default false: the full configuration.
	Quick bool
	// Out is the directory the experiment writes into; it is created if it
	// does not exist. Required.
	Out string
	// Seed seeds every random choice of the run: the data subsets, the
	// initial weights and the batch order. Default 0 (a valid seed).
	Seed uint64
	// DataDir is a directory holding the four MNIST files. Default "": the
	// datasets package's default ($ZOO_MNIST_DIR, else the Go module cache).
	DataDir string
	// Log receives progress lines. Default nil: no progress.
	Log io.Writer
}

// Validate reports a missing output directory.
func (o Options) Validate() error {
	if o.Out == "" {
		return errors.Wrap(ErrConfig, "experiments: Options.Out (the output directory) is required")
	}
	return nil
}

var registry = map[string]Experiment{}

// register adds e to the registry. A duplicate or incomplete registration
// is a programming error in this package, caught by the package's tests.
func register(e Experiment) {
	if _, dup := registry[e.Name]; dup || e.Name == "" || e.Run == nil || e.Judge == nil || e.Claim == "" {
		panic("experiments: bad or duplicate registration " + e.Name)
	}
	registry[e.Name] = e
}

// List returns every experiment, sorted by name.
func List() []Experiment {
	out := make([]Experiment, 0, len(registry))
	for _, e := range registry {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the experiment registered under name.
func Lookup(name string) (Experiment, error) {
	e, ok := registry[name]
	if !ok {
		var names []string
		for _, e := range List() {
			names = append(names, e.Name)
		}
		return Experiment{}, errors.Wrapf(ErrUnknown, "%q%s (have %s)", name, suggest.Hint(name, names), strings.Join(names, ", "))
	}
	return e, nil
}

// Run runs the named experiment with opts and returns its result. The
// output directory is created if needed; files of an earlier run there are
// overwritten.
func Run(ctx context.Context, name string, opts Options) (*Result, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, errors.Wrap(err, "experiments: creating the output directory")
	}
	env := newEnv(e, opts)
	env.Logf("%s: %s (quick=%v, seed=%d) into %s", e.Name, e.Title, opts.Quick, opts.Seed, opts.Out)
	res, err := e.Run(ctx, env)
	if err != nil {
		return nil, errors.WithMessagef(err, "experiments: %s", e.Name)
	}
	res.Name, res.Claim, res.Quick, res.Seed, res.Out = e.Name, e.Claim, opts.Quick, opts.Seed, opts.Out
	res.Files = env.Files()
	res.Seconds = time.Since(env.start).Seconds()
	env.Logf("%s: claim held: %v (%s) in %.1fs", e.Name, res.Held, res.Verdict, res.Seconds)
	return res, nil
}
