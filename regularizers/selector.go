package regularizers

import (
	"path"
	"strings"

	"github.com/gozoo/zoo/graph"
	"github.com/pkg/errors"
)

// Selector picks the variables of a store that a regularizer applies to.
// Only trainable parameters are ever offered to a selector: buffers (such as
// BatchNorm's running statistics) are never regularised, constrained or
// pruned, whatever the selector says.
//
// A nil Selector in any of this package's configurations means [WeightsOnly]:
// weight matrices and convolution filters, not biases or normalisation γ/β.
type Selector interface {
	// Selects reports whether v is regularised.
	Selects(v *graph.Var) bool
	// String describes the selection for logs, such as "layers(fc1,fc2)".
	String() string
}

// validator is implemented by selectors that can be misconfigured (a
// malformed name pattern); [Select] and every Validate method call it.
type validator interface{ Validate() error }

// WeightsOnly selects the parameters whose role is [graph.Weight]. It is the
// default of every configuration in this package.
func WeightsOnly() Selector { return Roles(graph.Weight) }

// AllParams selects every trainable parameter, biases and γ/β included.
func AllParams() Selector { return Func("all", func(*graph.Var) bool { return true }) }

// Roles selects the parameters with any of the given roles.
func Roles(roles ...graph.Role) Selector { return roleSel(append([]graph.Role(nil), roles...)) }

type roleSel []graph.Role

func (r roleSel) Selects(v *graph.Var) bool {
	for _, role := range r {
		if v.Role() == role {
			return true
		}
	}
	return false
}

func (r roleSel) String() string {
	if len(r) == 1 && r[0] == graph.Weight {
		return "weights"
	}
	names := make([]string, len(r))
	for i, role := range r {
		names[i] = role.String()
	}
	return "roles(" + strings.Join(names, ",") + ")"
}

// ByName selects the parameters whose full name matches any of the glob
// patterns, with the syntax of [path.Match]: "fc1/*" selects every parameter
// of layer fc1, "*/W" every parameter named W one level down, "conv?/W" the
// filters of conv1 to conv9. The role is not consulted, so ByName("fc1/*")
// selects fc1's bias too; combine with [And] and [WeightsOnly] to exclude it.
// A malformed pattern makes Validate (and every regularizer using the
// selector) fail.
func ByName(patterns ...string) Selector { return nameSel(append([]string(nil), patterns...)) }

type nameSel []string

func (n nameSel) Selects(v *graph.Var) bool {
	for _, p := range n {
		if ok, err := path.Match(p, v.Name()); ok && err == nil {
			return true
		}
	}
	return false
}

func (n nameSel) String() string { return "names(" + strings.Join(n, ",") + ")" }

// Validate reports a malformed pattern or an empty pattern list.
func (n nameSel) Validate() error {
	if len(n) == 0 {
		return errors.Wrap(ErrConfig, "regularizers: ByName needs at least one pattern")
	}
	for _, p := range n {
		if _, err := path.Match(p, ""); err != nil {
			return errors.Wrapf(ErrConfig, "regularizers: malformed name pattern %q", p)
		}
	}
	return nil
}

// Layers selects every parameter of the named layers, where a parameter's
// layer is its name up to the last '/': "block1/conv/W" belongs to layer
// "block1/conv". Layers("fc1") selects "fc1/W" and "fc1/b" but not
// "fc10/W". Combine with [And] and [WeightsOnly] to leave the biases out.
func Layers(names ...string) Selector { return layerSel(append([]string(nil), names...)) }

type layerSel []string

func (l layerSel) Selects(v *graph.Var) bool {
	layer := LayerOf(v.Name())
	for _, n := range l {
		if layer == n {
			return true
		}
	}
	return false
}

func (l layerSel) String() string { return "layers(" + strings.Join(l, ",") + ")" }

// Validate reports an empty layer list or an empty layer name.
func (l layerSel) Validate() error {
	if len(l) == 0 {
		return errors.Wrap(ErrConfig, "regularizers: Layers needs at least one layer name")
	}
	for _, n := range l {
		if n == "" {
			return errors.Wrap(ErrConfig, "regularizers: empty layer name")
		}
	}
	return nil
}

// LayerOf returns the layer part of a variable name: everything before the
// last '/', or "" for a name without one.
func LayerOf(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

// And selects the parameters every one of sels selects. A nil element means
// [WeightsOnly].
func And(sels ...Selector) Selector { return combo{op: "and", sels: defaults(sels)} }

// Or selects the parameters any one of sels selects. A nil element means
// [WeightsOnly].
func Or(sels ...Selector) Selector { return combo{op: "or", sels: defaults(sels)} }

// Not selects the parameters sel does not select. A nil sel means
// [WeightsOnly], so Not(nil) selects biases, γ and β.
func Not(sel Selector) Selector { return combo{op: "not", sels: defaults([]Selector{sel})} }

type combo struct {
	op   string
	sels []Selector
}

func (c combo) Selects(v *graph.Var) bool {
	switch c.op {
	case "and":
		for _, s := range c.sels {
			if !s.Selects(v) {
				return false
			}
		}
		return true
	case "or":
		for _, s := range c.sels {
			if s.Selects(v) {
				return true
			}
		}
		return false
	default: // not
		return !c.sels[0].Selects(v)
	}
}

func (c combo) String() string {
	parts := make([]string, len(c.sels))
	for i, s := range c.sels {
		parts[i] = s.String()
	}
	return c.op + "(" + strings.Join(parts, ",") + ")"
}

// Validate validates every operand.
func (c combo) Validate() error {
	if len(c.sels) == 0 {
		return errors.Wrapf(ErrConfig, "regularizers: %s of no selectors", c.op)
	}
	for _, s := range c.sels {
		if err := validateSelector(s); err != nil {
			return err
		}
	}
	return nil
}

func defaults(sels []Selector) []Selector {
	out := make([]Selector, len(sels))
	for i, s := range sels {
		out[i] = orDefault(s)
	}
	return out
}

// Func wraps a predicate as a Selector; name is what String returns.
func Func(name string, f func(v *graph.Var) bool) Selector { return funcSel{name: name, f: f} }

type funcSel struct {
	name string
	f    func(*graph.Var) bool
}

func (f funcSel) Selects(v *graph.Var) bool { return f.f != nil && f.f(v) }
func (f funcSel) String() string            { return f.name }

func orDefault(sel Selector) Selector {
	if sel == nil {
		return WeightsOnly()
	}
	return sel
}

func validateSelector(sel Selector) error {
	if v, ok := orDefault(sel).(validator); ok {
		return v.Validate()
	}
	return nil
}

// Select returns the store's trainable parameters that sel selects (nil sel:
// [WeightsOnly]), in declaration order. It fails with [ErrConfig] for a
// misconfigured selector and with [ErrNoneSelected] when nothing is selected.
func Select(s *graph.Store, sel Selector) ([]*graph.Var, error) {
	sel = orDefault(sel)
	if err := validateSelector(sel); err != nil {
		return nil, err
	}
	var out []*graph.Var
	for _, v := range s.Params() {
		if sel.Selects(v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, errors.Wrapf(ErrNoneSelected, "%s", sel)
	}
	return out, nil
}
