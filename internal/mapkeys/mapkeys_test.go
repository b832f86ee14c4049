package mapkeys

import (
	"slices"
	"testing"
)

func TestUnion(t *testing.T) {
	got := Union(map[string]int{"b": 1, "a": 2}, nil, map[string]int{"c": 3, "a": 4})
	if want := []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("Union = %v, want %v", got, want)
	}
	if got := Union[int](); len(got) != 0 {
		t.Errorf("Union() = %v, want empty", got)
	}
}
