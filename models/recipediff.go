package models

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/training"
)

// RecipeChange is one field in which two recipes differ.
type RecipeChange struct {
	// Field is the field's JSON name; a field of the model configuration
	// is "config.NAME" (config.hidden).
	Field string `json:"field"`
	// Was and Now are the two values (null for an unset configuration field).
	Was any `json:"was"`
	Now any `json:"now"`
}

// String formats the change as "field: was → now".
func (c RecipeChange) String() string {
	show := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	return c.Field + ": " + show(c.Was) + " → " + show(c.Now)
}

// DiffRecipes lists the fields in which now differs from was, both
// normalized (a default spelled out equals the field left empty), sorted by
// field name.
func DiffRecipes(was, now Recipe) ([]RecipeChange, error) {
	a, err := flatRecipe(was)
	if err != nil {
		return nil, err
	}
	b, err := flatRecipe(now)
	if err != nil {
		return nil, err
	}
	var out []RecipeChange
	for k := range a {
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, RecipeChange{Field: k, Was: a[k], Now: b[k]})
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, RecipeChange{Field: k, Now: b[k]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, nil
}

// flatRecipe is the normalized recipe's JSON as one map, the configuration's
// fields under "config.".
func flatRecipe(r Recipe) (map[string]any, error) {
	b, err := r.JSON()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errors.Wrap(err, "models: recipe")
	}
	if cfg, ok := m["config"].(map[string]any); ok {
		delete(m, "config")
		for k, v := range cfg {
			m["config."+k] = v
		}
	}
	return m, nil
}

// ErrRecipeChanged is returned by Train when resuming with a recipe other
// than the checkpoint's and TrainOptions.AllowRecipeChange is false.
var ErrRecipeChanged = errors.Wrap(training.ErrIncompatibleCheckpoint, "the recipe differs from the checkpoint's")

// resumeChanges compares the recipe a run resumes with against the one
// stored in the checkpoint.
func resumeChanges(path string, r Recipe, allow bool) ([]RecipeChange, error) {
	saved, err := ReadRecipe(path)
	if err != nil {
		return nil, errors.WithMessage(err, "models: resume")
	}
	changes, err := DiffRecipes(saved, r)
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 && !allow {
		s := make([]string, len(changes))
		for i, c := range changes {
			s[i] = c.String()
		}
		return changes, errors.WithMessagef(ErrRecipeChanged, "resume %s: %s", path, strings.Join(s, "; "))
	}
	return changes, nil
}
