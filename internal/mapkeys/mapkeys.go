// Package mapkeys lists the keys of string-keyed maps.
package mapkeys

import (
	"maps"
	"slices"
)

// Union returns every key of the maps, each once, sorted.
func Union[V any](ms ...map[string]V) []string {
	set := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
