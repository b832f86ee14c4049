package training

import (
	"encoding/json"
	"math"

	"github.com/pkg/errors"
)

// jsonFloat is a float64 whose JSON form also covers NaN and ±Inf, which
// encoding/json rejects: they are written as the strings "NaN", "+Inf" and
// "-Inf". Finite values use encoding/json's shortest exact form, so every
// float64 except NaN payloads round-trips bit for bit.
type jsonFloat float64

// MarshalJSON implements json.Marshaler.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return errors.Wrap(err, "training: float")
		}
		switch s {
		case "NaN":
			*f = jsonFloat(math.NaN())
		case "+Inf", "Inf":
			*f = jsonFloat(math.Inf(1))
		case "-Inf":
			*f = jsonFloat(math.Inf(-1))
		default:
			return errors.Errorf("training: float: unexpected string %q", s)
		}
		return nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return errors.Wrap(err, "training: float")
	}
	*f = jsonFloat(x)
	return nil
}
