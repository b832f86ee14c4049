package sweep

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"
)

// Resolver turns a run's recipe into its full form (every default filled
// in, validated). The run's ID hashes the full form, so two spellings of
// one recipe share an ID. A nil Resolver keeps recipes as they are.
type Resolver func(recipe json.RawMessage) (json.RawMessage, error)

// Plan is the deterministic list of a spec's runs.
type Plan struct {
	Name string `json:"name"`
	// Out is the sweep's output folder; run i writes into Runs[i].Dir.
	Out string `json:"out"`
	// Axes are the swept paths, in the spec's order; Seed is the seed's
	// path ("" without seeds).
	Axes []string `json:"axes"`
	Seed string   `json:"seed_path,omitempty"`
	// Metric and Goal select the best configuration.
	Metric string `json:"metric"`
	Goal   string `json:"goal"`
	Runs   []Run  `json:"runs"`
}

// Run is one run of a plan.
type Run struct {
	Coord
	// Dir is the run's output folder, Plan.Out/ID.
	Dir string `json:"dir"`
	// Recipe is the run's full recipe in canonical JSON.
	Recipe json.RawMessage `json:"recipe"`
}

// Coord places a run in its plan: its index, ID, configuration, axis
// values and seed.
type Coord struct {
	// Index is the run's position in the plan, 0-based: the Slurm array
	// task ID and the --index of zoo sweep run.
	Index int `json:"index"`
	// ID is the first IDLen hex digits of the SHA-256 of Recipe.
	ID string `json:"id"`
	// Config numbers the configuration (the axis values), shared by the
	// runs that differ only in their seed.
	Config int `json:"config"`
	// Values are the axis values in the order of Plan.Axes.
	Values []json.RawMessage `json:"values"`
	// Seed is the replicate's seed, nil without Spec.Seeds.
	Seed *uint64 `json:"seed,omitempty"`
}

// sampleStream is the PCG stream of the random axes' draws:
// rand.NewPCG(Spec.SampleSeed, sampleStream).
const sampleStream uint64 = 0x7377656570 // "sweep"

// Plan expands the spec into its runs: the grid axes' product (the first
// axis varying slowest), times Samples random draws of the random axes,
// times the seeds. The draws come from one generator seeded with
// SampleSeed, in the order sample 0 axis by axis, then sample 1, …; every
// grid point gets the same draws. resolve may be nil.
func (s *Spec) Plan(resolve Resolver) (*Plan, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	metric, goal, _ := s.objective()
	if s.Name == "" {
		s.Name = "sweep"
	}
	out, err := s.OutDir()
	if err != nil {
		return nil, err
	}
	p := &Plan{Name: s.Name, Out: out, Metric: metric, Goal: goal}
	for _, a := range s.Axes {
		p.Axes = append(p.Axes, a.Path)
	}
	if s.Seeds != nil {
		p.Seed = s.seedPath()
	}
	samples, err := s.draws()
	if err != nil {
		return nil, err
	}
	grids := s.gridPoints()
	base, _ := decode(s.Base)
	ids := map[string]int{}
	config := 0
	for _, g := range grids {
		for _, drawn := range samples {
			values := make([]json.RawMessage, len(s.Axes))
			gi, ri := 0, 0
			for k, a := range s.Axes {
				if a.random() {
					values[k] = drawn[ri]
					ri++
				} else {
					values[k] = g[gi]
					gi++
				}
			}
			seeds := []*uint64{nil}
			if s.Seeds != nil {
				seeds = seeds[:0]
				for _, v := range s.Seeds.Values {
					seeds = append(seeds, &v)
				}
			}
			for _, seed := range seeds {
				r := Run{Coord: Coord{Index: len(p.Runs), Config: config, Values: values, Seed: seed}}
				recipe := clone(base).(map[string]any)
				for k, a := range s.Axes {
					v, err := decode(values[k])
					if err != nil {
						return nil, err
					}
					if err := setPath(recipe, a.Path, v); err != nil {
						return nil, err
					}
				}
				if seed != nil {
					if err := setPath(recipe, p.Seed, json.Number(strconv.FormatUint(*seed, 10))); err != nil {
						return nil, err
					}
				}
				text, err := marshalCanonical(recipe)
				if err != nil {
					return nil, err
				}
				if resolve != nil {
					if text, err = resolve(text); err != nil {
						return nil, errors.WithMessagef(err, "run %d (%s)", r.Index, describe(p.Axes, values, p.Seed, seed))
					}
				}
				if r.Recipe, err = Canonical(text); err != nil {
					return nil, err
				}
				if r.ID, err = ID(r.Recipe); err != nil {
					return nil, err
				}
				if j, dup := ids[r.ID]; dup {
					return nil, errors.WithMessagef(ErrSpec, "runs %d and %d have the same recipe (ID %s)", j, r.Index, r.ID)
				}
				ids[r.ID] = r.Index
				r.Dir = filepath.Join(p.Out, r.ID)
				p.Runs = append(p.Runs, r)
			}
			config++
		}
	}
	return p, nil
}

// gridPoints returns the grid axes' product, first axis slowest; one empty
// point when there is no grid axis.
func (s *Spec) gridPoints() [][]json.RawMessage {
	points := [][]json.RawMessage{nil}
	for _, a := range s.Axes {
		if a.random() {
			continue
		}
		var next [][]json.RawMessage
		for _, p := range points {
			for _, v := range a.Values {
				c, _ := Canonical(v)
				next = append(next, append(append([]json.RawMessage(nil), p...), c))
			}
		}
		points = next
	}
	return points
}

// draws returns Samples draws of the random axes (one empty draw when no
// axis is random).
func (s *Spec) draws() ([][]json.RawMessage, error) {
	if s.Samples == 0 {
		return [][]json.RawMessage{nil}, nil
	}
	rng := rand.New(rand.NewPCG(s.SampleSeed, sampleStream))
	out := make([][]json.RawMessage, s.Samples)
	for i := range out {
		for _, a := range s.Axes {
			if !a.random() {
				continue
			}
			var v json.RawMessage
			switch a.Dist {
			case DistChoice:
				v, _ = Canonical(a.Values[rng.IntN(len(a.Values))])
			case DistUniform:
				x := *a.Min + (*a.Max-*a.Min)*rng.Float64()
				n, err := floatNumber(x)
				if err != nil {
					return nil, err
				}
				v = json.RawMessage(n)
			case DistLogUniform:
				lo, hi := math.Log(*a.Min), math.Log(*a.Max)
				n, err := floatNumber(math.Exp(lo + (hi-lo)*rng.Float64()))
				if err != nil {
					return nil, err
				}
				v = json.RawMessage(n)
			}
			out[i] = append(out[i], v)
		}
	}
	return out, nil
}

// describe spells a run's axis values and seed for messages:
// "lr=0.01 seed=2".
func describe(axes []string, values []json.RawMessage, seedPath string, seed *uint64) string {
	s := ""
	for k, a := range axes {
		if k > 0 {
			s += " "
		}
		s += a + "=" + string(values[k])
	}
	if seed != nil {
		if s != "" {
			s += " "
		}
		s += seedPath + "=" + strconv.FormatUint(*seed, 10)
	}
	return s
}

// Describe spells the run's axis values and seed: "lr=0.01 seed=2".
func (p *Plan) Describe(r Run) string { return describe(p.Axes, r.Values, p.Seed, r.Seed) }
