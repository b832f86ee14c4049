package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/mapkeys"
)

// SeedsResult is one experiment run once per seed, with the spread of its
// key numbers and the claim's criterion evaluated on their means. It
// encodes to JSON for the command line and as seeds.json.
type SeedsResult struct {
	// Name and Claim are the experiment's.
	Name  string `json:"name"`
	Claim string `json:"claim"`
	// Quick is the mode of every run; Seeds the seeds, in the order run.
	Quick bool     `json:"quick"`
	Seeds []uint64 `json:"seeds"`
	// Out is the output directory: seeds.csv, seeds.json and seeds.md, and
	// one directory seed-N per seed holding that run's files and its
	// result.json.
	Out string `json:"out"`
	// Runs are the results of the seeds, in the order of Seeds.
	Runs []*Result `json:"runs"`
	// Mean, SD, Min and Max summarise each metric over the seeds that
	// report it. SD is the sample standard deviation (divisor n−1); it is
	// empty for a single seed.
	Mean map[string]float64 `json:"mean"`
	SD   map[string]float64 `json:"sd"`
	Min  map[string]float64 `json:"min"`
	Max  map[string]float64 `json:"max"`
	// HeldSeeds counts the seeds whose own run held the claim.
	HeldSeeds int `json:"held_seeds"`
	// HeldOnMean and VerdictOnMean are the experiment's Judge applied to
	// Mean: the claim's criterion evaluated on the mean key numbers, not on
	// any single run.
	HeldOnMean    bool   `json:"held_on_mean"`
	VerdictOnMean string `json:"verdict_on_mean"`
	// Files are the summary files written into Out.
	Files []string `json:"files"`
}

// seedResultFile is the name of a seed's result in its directory.
const seedResultFile = "result.json"

// RunSeeds runs the named experiment once per seed, each into
// opts.Out/seed-N with opts.Seed replaced by N, and writes into opts.Out
// the summary over the seeds: seeds.csv (one row per seed with its seed,
// whether its run held the claim and every metric, then rows mean, sd, min
// and max, the mean row's held being HeldOnMean), seeds.json (the
// SeedsResult) and seeds.md (the key numbers as mean ± sd (min–max) with
// the per-seed values, each seed's verdict and the verdict on the mean).
//
// Each seed's Result is saved as result.json in its directory; a seed whose
// directory already holds a result of the same experiment, mode and seed
// is not run again, so an interrupted run resumes where it stopped. seeds
// must be non-empty and free of duplicates.
func RunSeeds(ctx context.Context, name string, opts Options, seeds []uint64) (*SeedsResult, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		return nil, errors.Wrap(ErrConfig, "experiments: no seeds")
	}
	seen := map[uint64]bool{}
	for _, s := range seeds {
		if seen[s] {
			return nil, errors.Wrapf(ErrConfig, "experiments: seed %d listed twice", s)
		}
		seen[s] = true
	}
	sr := &SeedsResult{Name: e.Name, Claim: e.Claim, Quick: opts.Quick, Seeds: append([]uint64(nil), seeds...), Out: opts.Out}
	for i, s := range seeds {
		o := opts
		o.Seed, o.Out = s, filepath.Join(opts.Out, fmt.Sprintf("seed-%d", s))
		res, ok := loadSeedResult(e.Name, o)
		if ok {
			logf(opts, "%s: seed %d (%d of %d): reusing the finished run in %s", e.Name, s, i+1, len(seeds), o.Out)
		} else {
			logf(opts, "%s: seed %d (%d of %d) into %s", e.Name, s, i+1, len(seeds), o.Out)
			if res, err = Run(ctx, name, o); err != nil {
				return nil, errors.WithMessagef(err, "seed %d", s)
			}
			if err := writeJSONFile(filepath.Join(o.Out, seedResultFile), res); err != nil {
				return nil, err
			}
		}
		sr.Runs = append(sr.Runs, res)
		if res.Held {
			sr.HeldSeeds++
		}
	}
	sr.Mean, sr.SD, sr.Min, sr.Max = seedStats(sr.Runs)
	sr.HeldOnMean, sr.VerdictOnMean = e.Judge(sr.Mean)
	sr.Files = []string{"seeds.csv", "seeds.json", "seeds.md"}

	t, err := sr.table()
	if err != nil {
		return nil, err
	}
	b, err := t.Bytes()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(opts.Out, "seeds.csv"), b, 0o644); err != nil {
		return nil, errors.Wrap(err, "experiments: writing seeds.csv")
	}
	if err := writeJSONFile(filepath.Join(opts.Out, "seeds.json"), sr); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(opts.Out, "seeds.md"), sr.markdown(e, opts), 0o644); err != nil {
		return nil, errors.Wrap(err, "experiments: writing seeds.md")
	}
	logf(opts, "%s: %d of %d seeds held the claim; on the mean key numbers it %s (%s)", e.Name, sr.HeldSeeds, len(seeds), yesNo(sr.HeldOnMean, "held", "did not hold"), sr.VerdictOnMean)
	return sr, nil
}

// loadSeedResult returns the finished result in o.Out, if there is one of
// the same experiment, mode and seed.
func loadSeedResult(name string, o Options) (*Result, bool) {
	b, err := os.ReadFile(filepath.Join(o.Out, seedResultFile))
	if err != nil {
		return nil, false
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, false
	}
	if res.Name != name || res.Quick != o.Quick || res.Seed != o.Seed || res.Metrics == nil {
		return nil, false
	}
	return &res, true
}

func logf(opts Options, format string, args ...any) {
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, format+"\n", args...)
	}
}

// writeJSONFile writes v as indented JSON to path, through a temporary
// file, so that an interrupted write leaves no partial file behind.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return errors.Wrapf(err, "experiments: encoding %s", filepath.Base(path))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return errors.Wrapf(err, "experiments: writing %s", filepath.Base(path))
	}
	return errors.Wrapf(os.Rename(tmp, path), "experiments: writing %s", filepath.Base(path))
}

// metricKeys returns every metric name of the runs, sorted.
func metricKeys(runs []*Result) []string {
	ms := make([]map[string]float64, len(runs))
	for i, r := range runs {
		ms[i] = r.Metrics
	}
	return mapkeys.Union(ms...)
}

// seedStats returns the mean, sample standard deviation (n−1; none for a
// single value), minimum and maximum of every metric over the runs that
// report it.
func seedStats(runs []*Result) (mean, sd, lo, hi map[string]float64) {
	mean, sd, lo, hi = map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, k := range metricKeys(runs) {
		var xs []float64
		for _, r := range runs {
			if v, ok := r.Metrics[k]; ok {
				xs = append(xs, v)
			}
		}
		m, l, h := 0.0, math.Inf(1), math.Inf(-1)
		for _, x := range xs {
			m += x
			l, h = math.Min(l, x), math.Max(h, x)
		}
		m /= float64(len(xs))
		mean[k], lo[k], hi[k] = m, l, h
		if len(xs) > 1 {
			ss := 0.0
			for _, x := range xs {
				ss += (x - m) * (x - m)
			}
			sd[k] = math.Sqrt(ss / float64(len(xs)-1))
		}
	}
	return mean, sd, lo, hi
}

// table returns seeds.csv: a row per seed, then mean, sd, min and max.
func (sr *SeedsResult) table() (*Table, error) {
	keys := metricKeys(sr.Runs)
	t := NewTable(append([]string{"seed", "held"}, keys...)...)
	cells := func(first, held string, m map[string]float64) error {
		row := []any{first, held}
		for _, k := range keys {
			if v, ok := m[k]; ok {
				row = append(row, v)
			} else {
				row = append(row, "")
			}
		}
		return t.Add(row...)
	}
	for _, r := range sr.Runs {
		if err := cells(fmt.Sprint(r.Seed), fmt.Sprint(r.Held), r.Metrics); err != nil {
			return nil, err
		}
	}
	for _, s := range []struct {
		name, held string
		m          map[string]float64
	}{{"mean", fmt.Sprint(sr.HeldOnMean), sr.Mean}, {"sd", "", sr.SD}, {"min", "", sr.Min}, {"max", "", sr.Max}} {
		if err := cells(s.name, s.held, s.m); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// markdown renders seeds.md.
func (sr *SeedsResult) markdown(e Experiment, opts Options) []byte {
	var b bytes.Buffer
	seeds := make([]string, len(sr.Seeds))
	for i, s := range sr.Seeds {
		seeds[i] = fmt.Sprint(s)
	}
	mode := "full"
	if sr.Quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "# %s\n\n", e.Title)
	fmt.Fprintf(&b, "Seeds %s, %s mode.\n\n", strings.Join(seeds, ", "), mode)
	fmt.Fprintf(&b, "**Claim** — %s\n\n", e.Claim)
	fmt.Fprintf(&b, "**Paper** — %s\n\n", e.Paper)
	fmt.Fprintf(&b, "**On the mean key numbers over the %d seeds, the claim %s.** %s\n\n", len(sr.Seeds), yesNo(sr.HeldOnMean, "HELD", "DID NOT HOLD"), sr.VerdictOnMean)
	fmt.Fprintf(&b, "That is the claim's criterion evaluated on the mean of each key number over the seeds, not the verdict of any single run. On their own, %d of the %d seeds held the claim.\n\n", sr.HeldSeeds, len(sr.Seeds))

	b.WriteString("## Key numbers\n\n")
	header := []string{"metric", "mean ± sd (min–max)"}
	for _, s := range seeds {
		header = append(header, "seed "+s)
	}
	var rows [][]string
	for _, k := range metricKeys(sr.Runs) {
		sd := "–"
		if v, ok := sr.SD[k]; ok {
			sd = seedNum(v)
		}
		row := []string{k, fmt.Sprintf("%s ± %s (%s–%s)", seedNum(sr.Mean[k]), sd, seedNum(sr.Min[k]), seedNum(sr.Max[k]))}
		for _, r := range sr.Runs {
			if v, ok := r.Metrics[k]; ok {
				row = append(row, seedNum(v))
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	writeTable(&b, "", header, rows)

	b.WriteString("## Verdict of each seed\n\n")
	for _, r := range sr.Runs {
		fmt.Fprintf(&b, "- Seed %d: the claim %s. %s\n", r.Seed, yesNo(r.Held, "held", "did not hold"), r.Verdict)
	}
	b.WriteString("\n## Reproduce\n\n")
	cmd := "go run ./cmd/zoo experiment " + e.Name
	if opts.Quick {
		cmd += " --quick"
	}
	cmd += " --seeds " + strings.Join(seeds, ",")
	if opts.DataDir != "" {
		cmd += " --data " + opts.DataDir
	}
	fmt.Fprintf(&b, "    %s --out %s\n\n", cmd, opts.Out)
	b.WriteString("Each seed's files, its summary.md and its result.json are in seed-N; seeds.csv holds every number of the table above.\n")
	return b.Bytes()
}

// seedNum formats a number of seeds.md.
func seedNum(x float64) string { return fmt.Sprintf("%.4g", x) }
