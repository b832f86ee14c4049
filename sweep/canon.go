package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// IDLen is the length of a run ID: the first IDLen hex digits of the
// SHA-256 of the run's canonical recipe.
const IDLen = 16

// Canonical returns the canonical form of a JSON text: object keys sorted,
// no insignificant space, HTML characters not escaped, and every number
// written one way: an integer that fits int64 or uint64 as its decimal
// digits, any other number as encoding/json writes the float64 it parses to
// ("1.0" and "1" become 1, "1e-3" and "0.001" become 0.001).
func Canonical(text []byte) ([]byte, error) {
	v, err := decode(text)
	if err != nil {
		return nil, err
	}
	return marshalCanonical(v)
}

// ID returns the ID of a recipe: the first [IDLen] hex digits of the
// SHA-256 of its canonical JSON.
func ID(recipe []byte) (string, error) {
	c, err := Canonical(recipe)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:])[:IDLen], nil
}

// decode parses a JSON text keeping numbers as json.Number.
func decode(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errors.Wrap(err, "sweep: JSON")
	}
	if dec.More() {
		return nil, errors.New("sweep: JSON: text after the value")
	}
	return canonicalValue(v)
}

// canonicalValue rewrites every json.Number of v in canonical form.
func canonicalValue(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return canonicalNumber(string(x))
	case map[string]any:
		for k, e := range x {
			c, err := canonicalValue(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	case []any:
		for i, e := range x {
			c, err := canonicalValue(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	}
	return v, nil
}

func canonicalNumber(s string) (json.Number, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return json.Number(strconv.FormatUint(u, 10)), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return "", errors.Errorf("sweep: JSON number %s out of range", s)
	}
	return floatNumber(f)
}

// floatNumber writes f as encoding/json does.
func floatNumber(f float64) (json.Number, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return "", errors.Wrap(err, "sweep: number")
	}
	return json.Number(b), nil
}

// marshalCanonical encodes a decoded value (maps marshal with sorted keys).
func marshalCanonical(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, errors.Wrap(err, "sweep: encode JSON")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// setPath sets the field at a dotted path ("lr", "config.hidden.0")
// of a decoded JSON object to v. Missing objects on the way are created; a
// numeric segment indexes an existing array.
func setPath(root map[string]any, path string, v any) error {
	segs := strings.Split(path, ".")
	var cur any = root
	for i, seg := range segs {
		last := i == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if seg == "" {
				return errors.WithMessagef(ErrSpec, "path %q: empty segment", path)
			}
			if last {
				c[seg] = v
				return nil
			}
			next, ok := c[seg]
			if !ok || next == nil {
				next = map[string]any{}
				c[seg] = next
			}
			cur = next
		case []any:
			j, err := strconv.Atoi(seg)
			if err != nil || j < 0 || j >= len(c) {
				return errors.WithMessagef(ErrSpec, "path %q: %q is not an index of an array of %d", path, seg, len(c))
			}
			if last {
				c[j] = v
				return nil
			}
			cur = c[j]
		default:
			return errors.WithMessagef(ErrSpec, "path %q: %q is inside a %s, not an object", path, seg, kind(cur))
		}
	}
	return nil
}

// kind names a decoded JSON value's type for messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "value"
	}
}

// clone deep-copies a decoded JSON value.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = clone(e)
		}
		return s
	}
	return v
}
