package main

import (
	"encoding/json"
	"flag"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/suggest"
)

// parseArgs parses args into fs, allowing positional arguments before,
// between and after the flags (zoo train mlp --epochs 1 and zoo train
// --epochs 1 mlp both work; everything after "--" is positional). It returns
// the positional arguments, and done == true when the subcommand should
// return code at once: after -h (exit 0), a bad flag, or fewer than minPos
// or more than maxPos positional arguments (exit 2; maxPos < 0 means no
// limit). what names the positional arguments in the error message.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int, what string) (pos []string, code int, done bool) {
	for {
		if err := parse(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
				return nil, exitOK, true
			}
			return nil, usageError(fs, err), true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < minPos:
		return nil, usageError(fs, errors.Errorf("missing %s", what)), true
	case maxPos >= 0 && len(pos) > maxPos:
		return nil, usageError(fs, errors.Errorf("unexpected argument %q", pos[maxPos])), true
	}
	return pos, exitOK, false
}

// setFlags returns the names of the flags given on fs's command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// number is a float64 that encodes NaN and ±Inf as JSON null (the JSON
// encoder rejects them) and finite values as encoding/json does.
type number float64

// MarshalJSON implements json.Marshaler.
func (n number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	b, err := json.Marshal(f)
	return b, errors.Wrap(err, "number")
}

// numbers converts a slice for JSON.
func numbers(v []float64) []number {
	out := make([]number, len(v))
	for i, x := range v {
		out[i] = number(x)
	}
	return out
}

// optNumber returns a JSON number, or null when ok is false.
func optNumber(v float64, ok bool) *number {
	if !ok {
		return nil
	}
	n := number(v)
	return &n
}

// scalarArray matches an indented JSON array of numbers, nulls and
// booleans. JSON strings cannot contain a raw newline, so the newlines it
// requires never match inside a string.
var (
	scalarArray = regexp.MustCompile(`\[\n\s*(` + scalar + `(?:,\n\s*` + scalar + `)*)\n\s*\]`)
	arraySep    = regexp.MustCompile(`,\n\s*`)
)

const scalar = `(?:-?[0-9][0-9.eE+\-]*|null|true|false)`

// compactArrays puts every array of scalars of an indented JSON text on one
// line: "shape": [1, 784] instead of four lines.
func compactArrays(indented []byte) []byte {
	return scalarArray.ReplaceAllFunc(indented, func(m []byte) []byte {
		inner := scalarArray.FindSubmatch(m)[1]
		return []byte("[" + strings.Join(arraySep.Split(string(inner), -1), ", ") + "]")
	})
}

// parseInts parses a comma-separated list of positive integers ("800,800").
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, errors.Errorf("%q is not a comma-separated list of positive integers", s)
		}
		out = append(out, v)
	}
	return out, nil
}

var _ json.Marshaler = number(0)

// intRange returns an error naming flag when v is outside [lo, hi].
func intRange(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return errors.Errorf("--%s %d: want %d to %d", flag, v, lo, hi)
	}
	return nil
}

// enumError is the error for a flag value outside a set, with a "did you
// mean" when one of the allowed values is close.
func enumError(flag, v string, allowed ...string) error {
	return errors.Errorf("--%s %q%s: want %s", flag, v, suggest.Hint(v, allowed), orList(allowed))
}

// orList joins "a", "b", "c" as "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// jsonFlag registers --json on a subcommand that prints a table when
// stdout is a terminal.
func jsonFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("json", false, "print JSON even when stdout is a terminal (it is the output whenever stdout is a pipe or a file)")
}

// asTable reports whether the result goes out as a table: stdout is a
// terminal and --json was not given.
func asTable(stdout io.Writer, forceJSON bool) bool {
	return !forceJSON && isTerminal(stdout)
}
