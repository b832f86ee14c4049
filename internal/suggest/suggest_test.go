package suggest

import "testing"

func TestClosest(t *testing.T) {
	cmds := []string{"data", "eval", "experiment", "graph", "list", "predict", "sparsity", "summary", "train"}
	tests := []struct{ in, want string }{
		{"trian", "train"},    // transposition: distance 1
		{"tran", "train"},     // deletion
		{"evl", "eval"},       // deletion
		{"sumary", "summary"}, // deletion
		{"Train", "train"},    // case
		{"exp", "experiment"}, // prefix of 3 characters
		{"frobnicate", ""},    // nothing near
		{"x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.in, cmds); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Hint("lenet", []string{"lenet5", "mlp"}); got != ` (did you mean "lenet5"?)` {
		t.Errorf("Hint = %q", got)
	}
	if got := Hint("zzz", []string{"lenet5", "mlp"}); got != "" {
		t.Errorf("Hint = %q, want empty", got)
	}
}

// The distances below are the optimal string alignment distances worked out
// by hand: one edit each, two for "ab"→"ba"+"c", three for disjoint words.
func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"ab", "ba", 1}, {"abc", "bac", 1}, {"kitten", "sitting", 3}, {"abc", "xyz", 3}, {"épée", "épé", 1}}
	for _, tt := range tests {
		if got := distance(tt.a, tt.b); got != tt.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
		if got := distance(tt.b, tt.a); got != tt.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.d)
		}
	}
}
