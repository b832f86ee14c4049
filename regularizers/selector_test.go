package regularizers

import (
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// TestSelect checks which parameters of the model fixture each selector picks
// (the fixture's names and roles are listed in helpers_test.go).
func TestSelect(t *testing.T) {
	cases := []struct {
		name string
		sel  Selector
		want []string
	}{
		{"default", nil, []string{"conv1/W", "fc1/W", "fc10/W"}},
		{"weights", WeightsOnly(), []string{"conv1/W", "fc1/W", "fc10/W"}},
		{"all", AllParams(), []string{"conv1/W", "conv1/b", "bn1/gamma", "bn1/beta", "fc1/W", "fc1/b", "fc10/W"}},
		{"roles γ β", Roles(graph.Scale, graph.Shift), []string{"bn1/gamma", "bn1/beta"}},
		{"statistic role never selects buffers", Roles(graph.Statistic), nil},
		{"by name glob", ByName("fc1/*"), []string{"fc1/W", "fc1/b"}},
		{"by name two patterns", ByName("*/b", "conv?/W"), []string{"conv1/W", "conv1/b", "fc1/b"}},
		{"by name exact", ByName("fc10/W"), []string{"fc10/W"}},
		{"by name buffer", ByName("bn1/*"), []string{"bn1/gamma", "bn1/beta"}},
		{"layers", Layers("fc1", "conv1"), []string{"conv1/W", "conv1/b", "fc1/W", "fc1/b"}},
		{"layer is not a prefix", Layers("fc"), nil},
		{"and", And(Layers("fc1", "conv1"), WeightsOnly()), []string{"conv1/W", "fc1/W"}},
		{"and nil is weights", And(Layers("fc10"), nil), []string{"fc10/W"}},
		{"or", Or(Layers("fc10"), Roles(graph.Bias)), []string{"conv1/b", "fc1/b", "fc10/W"}},
		{"not default", Not(nil), []string{"conv1/b", "bn1/gamma", "bn1/beta", "fc1/b"}},
		{"not layers", And(Not(Layers("fc1")), WeightsOnly()), []string{"conv1/W", "fc10/W"}},
		{"func", Func("big", func(v *graph.Var) bool { return v.Shape().TotalSize() >= 20 }), []string{"conv1/W", "fc1/W"}},
	}
	s := model(t, graph.Float32)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars, err := Select(s, c.sel)
			if c.want == nil {
				if !errors.Is(err, ErrNoneSelected) {
					t.Fatalf("error %v, want ErrNoneSelected", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%+v", err)
			}
			var got []string
			for _, v := range vars {
				got = append(got, v.Name())
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("selected %v, want %v", got, c.want)
			}
		})
	}
}

func TestSelectorErrors(t *testing.T) {
	cases := []struct {
		name string
		sel  Selector
		msg  string
	}{
		{"malformed pattern", ByName("fc1/*", "conv[1/W"), "conv[1/W"},
		{"no patterns", ByName(), "at least one pattern"},
		{"no layers", Layers(), "at least one layer"},
		{"empty layer", Layers("fc1", ""), "empty layer"},
		{"nested", And(WeightsOnly(), Not(ByName("[x"))), "[x"},
		{"empty and", And(), "and of no selectors"},
	}
	s := model(t, graph.Float32)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Select(s, c.sel)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want ErrConfig mentioning %q", err, c.msg)
			}
		})
	}
}

func TestSelectorStrings(t *testing.T) {
	cases := map[string]Selector{
		"weights":                             WeightsOnly(),
		"roles(bias,scale)":                   Roles(graph.Bias, graph.Scale),
		"names(fc1/*,*/b)":                    ByName("fc1/*", "*/b"),
		"and(layers(fc1,conv2),not(weights))": And(Layers("fc1", "conv2"), Not(nil)),
		"or(all,weights)":                     Or(AllParams(), nil),
	}
	for want, sel := range cases {
		if got := sel.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestLayerOf(t *testing.T) {
	for name, want := range map[string]string{"fc1/W": "fc1", "block1/conv/W": "block1/conv", "W": ""} {
		if got := LayerOf(name); got != want {
			t.Errorf("LayerOf(%q) = %q, want %q", name, got, want)
		}
	}
}
