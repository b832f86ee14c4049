package sweep

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// Spec is a sweep: a base recipe and the axes and seeds that vary it. Its
// JSON form is what [LoadSpec] reads:
//
//	{
//	  "name": "lr-dropout",
//	  "base": {"model": "mlp", "epochs": 2, "train_limit": 2000},
//	  "axes": [
//	    {"path": "lr", "values": [0.01, 0.1]},
//	    {"path": "config.hidden_dropout", "dist": "uniform", "min": 0, "max": 0.5}
//	  ],
//	  "samples": 4, "sample_seed": 1,
//	  "seeds": {"values": [1, 2, 3]},
//	  "metric": "val_acc"
//	}
type Spec struct {
	// Name names the sweep in job names and messages. Default: the spec
	// file's name without its extension.
	Name string `json:"name,omitempty"`
	// Base is the recipe every run starts from, a JSON object.
	Base json.RawMessage `json:"base"`
	// Axes vary the base recipe. Grid axes multiply; random axes are drawn
	// together, Samples times per grid point.
	Axes []Axis `json:"axes,omitempty"`
	// Samples is the number of random draws per grid point, required (≥ 1)
	// when an axis is random and 0 otherwise.
	Samples int `json:"samples,omitempty"`
	// SampleSeed seeds the random draws (default 0).
	SampleSeed uint64 `json:"sample_seed,omitempty"`
	// Seeds replicates every configuration once per seed value, set at
	// Seeds.Path. Nil: one run per configuration, the base recipe's seed.
	Seeds *Seeds `json:"seeds,omitempty"`
	// Out is the output folder; run ID's output goes to Out/ID. Default
	// "sweeps/NAME". A relative Out is relative to the working directory
	// (as zoo train's runs/ folder is).
	Out string `json:"out,omitempty"`
	// Metric is the result metric that selects the best configuration
	// (default "val_acc"); it must not be a test metric.
	Metric string `json:"metric,omitempty"`
	// Goal is "max" or "min" (default: "min" for a metric whose name ends
	// in "loss" or "error", else "max").
	Goal string `json:"goal,omitempty"`
}

// Axis sets one field of the recipe, named by a dotted path, to grid
// Values or to random draws from Dist.
type Axis struct {
	// Path names the field: object keys separated by dots, a number
	// indexing an array ("config.hidden.0"). Missing objects are created.
	Path string `json:"path"`
	// Values are the grid values (any JSON: numbers, strings, arrays).
	Values []json.RawMessage `json:"values,omitempty"`
	// Dist makes the axis random: "uniform" or "log-uniform" on [Min, Max)
	// (log-uniform needs Min > 0), or "choice" among Values.
	Dist string `json:"dist,omitempty"`
	// Min and Max bound uniform and log-uniform draws.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Seeds replicates each configuration over seed values.
type Seeds struct {
	// Path is the recipe field of the seed (default "seed").
	Path string `json:"path,omitempty"`
	// Values are the seeds, each run once per configuration.
	Values []uint64 `json:"values"`
}

// Distributions of random axes.
const (
	DistUniform    = "uniform"
	DistLogUniform = "log-uniform"
	DistChoice     = "choice"
)

// random reports whether the axis is drawn rather than a grid.
func (a *Axis) random() bool { return a.Dist != "" }

// LoadSpec reads a spec from a JSON file. Unknown fields are an error.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "sweep: spec")
	}
	s, err := ParseSpec(b)
	if err != nil {
		return nil, errors.WithMessagef(err, "spec %s", path)
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return s, nil
}

// ParseSpec decodes and validates a spec.
func ParseSpec(text []byte) (*Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return nil, errors.WithMessage(ErrSpec, err.Error())
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks the spec and names the bad value.
func (s *Spec) Validate() error {
	base, err := decode(s.Base)
	if err != nil || s.Base == nil {
		return errors.WithMessagef(ErrSpec, "base: want a JSON object (%v)", err)
	}
	if _, ok := base.(map[string]any); !ok {
		return errors.WithMessagef(ErrSpec, "base: want a JSON object, not a %s", kind(base))
	}
	random := false
	paths := map[string]bool{}
	for i, a := range s.Axes {
		if a.Path == "" {
			return errors.WithMessagef(ErrSpec, "axes[%d]: no path", i)
		}
		if paths[a.Path] {
			return errors.WithMessagef(ErrSpec, "axes[%d]: path %q swept twice", i, a.Path)
		}
		paths[a.Path] = true
		if err := a.validate(); err != nil {
			return errors.WithMessagef(err, "axes[%d] %q", i, a.Path)
		}
		random = random || a.random()
	}
	switch {
	case s.Samples < 0:
		return errors.WithMessagef(ErrSpec, "samples %d: want ≥ 0", s.Samples)
	case random && s.Samples == 0:
		return errors.WithMessage(ErrSpec, "samples: a random axis needs samples ≥ 1")
	case !random && s.Samples != 0:
		return errors.WithMessagef(ErrSpec, "samples %d: no axis is random", s.Samples)
	}
	if s.Seeds != nil {
		if len(s.Seeds.Values) == 0 {
			return errors.WithMessage(ErrSpec, "seeds: no values")
		}
		seen := map[uint64]bool{}
		for _, v := range s.Seeds.Values {
			if seen[v] {
				return errors.WithMessagef(ErrSpec, "seeds: %d twice", v)
			}
			seen[v] = true
		}
		if paths[s.seedPath()] {
			return errors.WithMessagef(ErrSpec, "seeds: path %q is also an axis", s.seedPath())
		}
	}
	if _, _, err := s.objective(); err != nil {
		return err
	}
	return nil
}

func (a *Axis) validate() error {
	switch a.Dist {
	case "":
		if len(a.Values) == 0 {
			return errors.WithMessage(ErrSpec, "no values and no dist")
		}
		if a.Min != nil || a.Max != nil {
			return errors.WithMessage(ErrSpec, "min and max need a dist")
		}
	case DistChoice:
		if len(a.Values) == 0 {
			return errors.WithMessage(ErrSpec, "choice: no values")
		}
	case DistUniform, DistLogUniform:
		if len(a.Values) != 0 {
			return errors.WithMessagef(ErrSpec, "%s: values are for grids and choices", a.Dist)
		}
		if a.Min == nil || a.Max == nil {
			return errors.WithMessagef(ErrSpec, "%s: needs min and max", a.Dist)
		}
		lo, hi := *a.Min, *a.Max
		if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			return errors.WithMessagef(ErrSpec, "%s: min %v, max %v: want finite min < max", a.Dist, lo, hi)
		}
		if a.Dist == DistLogUniform && !(lo > 0) {
			return errors.WithMessagef(ErrSpec, "log-uniform: min %v: want > 0", lo)
		}
	default:
		return errors.WithMessagef(ErrSpec, "dist %q: want uniform, log-uniform or choice", a.Dist)
	}
	for j, v := range a.Values {
		if _, err := decode(v); err != nil {
			return errors.WithMessagef(ErrSpec, "values[%d]: %v", j, err)
		}
	}
	return nil
}

// seedPath is the recipe field that holds the seed.
func (s *Spec) seedPath() string {
	if s.Seeds == nil || s.Seeds.Path == "" {
		return "seed"
	}
	return s.Seeds.Path
}

// objective returns the metric and the goal, with the defaults filled in.
func (s *Spec) objective() (metric, goal string, err error) {
	metric, goal = s.Metric, s.Goal
	if metric == "" {
		metric = "val_acc"
	}
	if strings.HasPrefix(metric, "test") {
		return "", "", errors.WithMessagef(ErrTestMetric, "metric %q", metric)
	}
	if goal == "" {
		goal = "max"
		if strings.HasSuffix(metric, "loss") || strings.HasSuffix(metric, "error") {
			goal = "min"
		}
	}
	if goal != "max" && goal != "min" {
		return "", "", errors.WithMessagef(ErrSpec, "goal %q: want max or min", goal)
	}
	return metric, goal, nil
}

// OutDir returns the sweep's output folder as an absolute path.
func (s *Spec) OutDir() (string, error) {
	out := s.Out
	if out == "" {
		name := s.Name
		if name == "" {
			name = "sweep"
		}
		out = filepath.Join("sweeps", name)
	}
	abs, err := filepath.Abs(out)
	return abs, errors.Wrap(err, "sweep: output folder")
}
