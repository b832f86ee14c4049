// Package suggest finds the closest of a set of names to a misspelt one, for
// "did you mean" hints in error messages.
package suggest

import "strings"

// Closest returns the candidate nearest to s, or "" when none is near enough
// to be a plausible typo. A candidate is near when its edit distance
// (insertions, deletions, substitutions and transpositions of adjacent
// characters, case-insensitive) is at most a third of its length and at most
// 3, or when one of s and the candidate is a prefix of the other and the
// shorter has at least 3 characters. Ties go to the earlier candidate.
func Closest(s string, candidates []string) string {
	best, bestD := "", 4
	ls := strings.ToLower(s)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if lc == ls {
			return c
		}
		d := distance(ls, lc)
		if d > max(len([]rune(lc))/3, 1) || d > 3 {
			if short := min(len(ls), len(lc)); short >= 3 && (strings.HasPrefix(lc, ls) || strings.HasPrefix(ls, lc)) {
				d = 3
			} else {
				continue
			}
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Hint returns ` (did you mean "x"?)` for the closest candidate, or "".
func Hint(s string, candidates []string) string {
	if c := Closest(s, candidates); c != "" {
		return ` (did you mean "` + c + `"?)`
	}
	return ""
}

// distance is the optimal string alignment distance between a and b.
func distance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance between x[:i] and y[:j].
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
