package sweep

import (
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b": 1, "a": [1.0, 1e-3, "x<y"]}`, `{"a":[1,0.001,"x<y"],"b":1}`},
		{`{"seed": 18446744073709551615}`, `{"seed":18446744073709551615}`},
		{`{"n": -9223372036854775808}`, `{"n":-9223372036854775808}`},
		{`{"x": 0.10000000000000001}`, `{"x":0.1}`},
		{`{"x": 1E2, "y": 100}`, `{"x":100,"y":100}`},
		{`{"o": {"z": null, "a": true}}`, `{"o":{"a":true,"z":null}}`},
	}
	for _, tt := range tests {
		got, err := Canonical([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{"x": 1e999}`, `{"x": 1} {}`, `{`} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%s): no error", bad)
		}
	}
}

func TestIDSameRecipeSameID(t *testing.T) {
	a, err := ID([]byte(`{"plan": {"lr": 0.1, "seed": 1}, "model": "mlp"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ID([]byte(`{"model":"mlp","plan":{"seed":1.0,"lr":1e-1}}`))
	c, _ := ID([]byte(`{"model":"mlp","plan":{"seed":2,"lr":0.1}}`))
	if a != b || a == c || len(a) != IDLen {
		t.Fatalf("IDs %s %s %s: want the first two equal, the third different, length %d", a, b, c, IDLen)
	}
}

func TestSetPath(t *testing.T) {
	root, _ := decode([]byte(`{"config": {"hidden": [800, 800]}, "n": 1}`))
	m := root.(map[string]any)
	for _, c := range []struct {
		path string
		v    any
	}{{"config.hidden.1", "x"}, {"plan.lr", 0.5}, {"seed", 3}} {
		if err := setPath(m, c.path, c.v); err != nil {
			t.Fatalf("setPath %s: %v", c.path, err)
		}
	}
	got, _ := marshalCanonical(m)
	if want := `{"config":{"hidden":[800,"x"]},"n":1,"plan":{"lr":0.5},"seed":3}`; string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	for _, bad := range []string{"n.x", "config.hidden.2", "config.hidden.x", "config..a"} {
		if err := setPath(m, bad, 1); err == nil {
			t.Errorf("setPath(%q): no error", bad)
		}
	}
}
