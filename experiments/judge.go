package experiments

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// judgeInputs reads a judge's inputs from a metrics map and remembers the
// keys it did not find.
type judgeInputs struct {
	m       map[string]float64
	missing []string
}

func newJudgeInputs(m map[string]float64) *judgeInputs { return &judgeInputs{m: m} }

// get returns the metric key, or 0 (and records the key) when it is absent.
func (in *judgeInputs) get(key string) float64 {
	v, ok := in.m[key]
	if !ok && !slices.Contains(in.missing, key) {
		in.missing = append(in.missing, key)
	}
	return v
}

// series returns the metrics named prefix + x + suffix with x a number,
// sorted by x: the keys of a sweep whose points depend on the mode. It
// records prefix+"*"+suffix as missing when there is none.
func (in *judgeInputs) series(prefix, suffix string) (xs, ys []float64) {
	type point struct{ x, y float64 }
	var ps []point
	for k, v := range in.m {
		if !strings.HasPrefix(k, prefix) || !strings.HasSuffix(k, suffix) || len(k) <= len(prefix)+len(suffix) {
			continue
		}
		x, err := strconv.ParseFloat(k[len(prefix):len(k)-len(suffix)], 64)
		if err != nil {
			continue
		}
		ps = append(ps, point{x, v})
	}
	if len(ps) == 0 {
		in.missing = append(in.missing, prefix+"*"+suffix)
		return nil, nil
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].x < ps[j].x })
	for _, p := range ps {
		xs, ys = append(xs, p.x), append(ys, p.y)
	}
	return xs, ys
}

// has reports whether the metric key is present, without recording it.
func (in *judgeInputs) has(key string) bool {
	_, ok := in.m[key]
	return ok
}

// incomplete returns the verdict for metrics that lack inputs of the
// criterion, and whether any are missing.
func (in *judgeInputs) incomplete() (string, bool) {
	if len(in.missing) == 0 {
		return "", false
	}
	return fmt.Sprintf("The criterion cannot be evaluated: metrics %s are missing.", strings.Join(in.missing, ", ")), true
}
