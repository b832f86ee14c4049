package sweep

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"

	"github.com/pkg/errors"
)

// Row is one run of a collected table.
type Row struct {
	Coord
	// Done reports whether the run has finished (has a valid record);
	// Status and Metrics are empty otherwise.
	Done    bool             `json:"done"`
	Status  string           `json:"status,omitempty"`
	Metrics map[string]Float `json:"metrics,omitempty"`
	Seconds Float            `json:"seconds"`
}

// Table holds every run of a plan with its results.
type Table struct {
	Name    string   `json:"name"`
	Axes    []string `json:"axes"`
	Seed    string   `json:"seed_path,omitempty"`
	Metrics []string `json:"metrics"`
	Rows    []Row    `json:"rows"`
}

// Collect reads the record of every run of the plan. Unfinished runs are
// rows with Done false.
func Collect(p *Plan) *Table {
	t := &Table{Name: p.Name, Axes: p.Axes, Seed: p.Seed}
	var ms []map[string]Float
	for _, r := range p.Runs {
		row := Row{Coord: r.Coord, Seconds: Float(math.NaN())}
		if rec, ok := ReadRecord(r); ok {
			row.Done, row.Status, row.Metrics, row.Seconds = true, rec.Status, rec.Metrics, rec.Seconds
			ms = append(ms, rec.Metrics)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Metrics = MetricNames(ms)
	return t
}

// WriteCSV writes the table with a header: index, id, config, one column
// per axis (its JSON value), seed, done, status, seconds, one column per
// metric. Missing and non-finite numbers are empty cells; numbers are
// written in full precision.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"index", "id", "config"}
	head = append(head, t.Axes...)
	if t.Seed != "" {
		head = append(head, t.Seed)
	}
	head = append(head, "done", "status", "seconds")
	head = append(head, t.Metrics...)
	if err := cw.Write(head); err != nil {
		return errors.Wrap(err, "sweep: csv")
	}
	for _, r := range t.Rows {
		rec := []string{strconv.Itoa(r.Index), r.ID, strconv.Itoa(r.Config)}
		for _, v := range r.Values {
			s := string(v)
			var str string
			if json.Unmarshal(v, &str) == nil {
				s = str
			}
			rec = append(rec, s)
		}
		if t.Seed != "" {
			s := ""
			if r.Seed != nil {
				s = strconv.FormatUint(*r.Seed, 10)
			}
			rec = append(rec, s)
		}
		rec = append(rec, strconv.FormatBool(r.Done), r.Status, formatFloat(r.Seconds, true))
		for _, m := range t.Metrics {
			v, ok := r.Metrics[m]
			rec = append(rec, formatFloat(v, ok))
		}
		if err := cw.Write(rec); err != nil {
			return errors.Wrap(err, "sweep: csv")
		}
	}
	cw.Flush()
	return errors.Wrap(cw.Error(), "sweep: csv")
}

func formatFloat(v Float, ok bool) string {
	f := float64(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// Stat is the mean, sample standard deviation (n−1 in the denominator; 0
// for one value), minimum and maximum of a metric over a configuration's
// finished seeds. N counts the finite values.
type Stat struct {
	N    int   `json:"n"`
	Mean Float `json:"mean"`
	SD   Float `json:"sd"`
	Min  Float `json:"min"`
	Max  Float `json:"max"`
}

// ConfigSummary summarises one configuration over its seeds.
type ConfigSummary struct {
	Config int               `json:"config"`
	Values []json.RawMessage `json:"values"`
	// Runs and Done count the configuration's runs and finished runs.
	Runs    int             `json:"runs"`
	Done    int             `json:"done"`
	Metrics map[string]Stat `json:"metrics"`
}

// Summary is mean ± sd over seeds per configuration, and the best
// configuration.
type Summary struct {
	Name    string          `json:"name"`
	Axes    []string        `json:"axes"`
	Metric  string          `json:"metric"`
	Goal    string          `json:"goal"`
	Runs    int             `json:"runs"`
	Done    int             `json:"done"`
	Configs []ConfigSummary `json:"configs"`
	// Best is the configuration with the best mean of Metric over its
	// finished runs (the first on a tie), nil when no run has the metric.
	Best *ConfigSummary `json:"best"`
}

// Summarize groups the table's rows by configuration and picks the best
// one by the mean of metric, highest for goal "max", lowest for "min". A
// metric whose name starts with "test" is refused with ErrTestMetric.
func Summarize(t *Table, metric, goal string) (*Summary, error) {
	s := &Summary{Name: t.Name, Axes: t.Axes}
	var err error
	if s.Metric, s.Goal, err = (&Spec{Metric: metric, Goal: goal}).objective(); err != nil {
		return nil, err
	}
	byConfig := map[int]int{}
	values := map[int]map[string][]float64{}
	for _, r := range t.Rows {
		k, ok := byConfig[r.Config]
		if !ok {
			k = len(s.Configs)
			byConfig[r.Config] = k
			s.Configs = append(s.Configs, ConfigSummary{Config: r.Config, Values: r.Values})
			values[k] = map[string][]float64{}
		}
		c := &s.Configs[k]
		c.Runs++
		s.Runs++
		if !r.Done {
			continue
		}
		c.Done++
		s.Done++
		for m, v := range r.Metrics {
			if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
				values[k][m] = append(values[k][m], f)
			}
		}
	}
	for k := range s.Configs {
		c := &s.Configs[k]
		c.Metrics = map[string]Stat{}
		for m, vs := range values[k] {
			c.Metrics[m] = stat(vs)
		}
		st, ok := c.Metrics[s.Metric]
		if !ok {
			continue
		}
		if s.Best == nil || better(float64(st.Mean), float64(s.Best.Metrics[s.Metric].Mean), s.Goal) {
			s.Best = c
		}
	}
	if s.Best != nil {
		b := *s.Best
		s.Best = &b
	}
	return s, nil
}

func better(a, b float64, goal string) bool {
	if goal == "min" {
		return a < b
	}
	return a > b
}

// stat computes a Stat of at least one value.
func stat(vs []float64) Stat {
	st := Stat{N: len(vs), Min: Float(math.Inf(1)), Max: Float(math.Inf(-1))}
	sum := 0.0
	for _, v := range vs {
		sum += v
		st.Min = Float(math.Min(float64(st.Min), v))
		st.Max = Float(math.Max(float64(st.Max), v))
	}
	mean := sum / float64(len(vs))
	ss := 0.0
	for _, v := range vs {
		ss += (v - mean) * (v - mean)
	}
	st.Mean = Float(mean)
	if len(vs) > 1 {
		st.SD = Float(math.Sqrt(ss / float64(len(vs)-1)))
	}
	return st
}
