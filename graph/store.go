package graph

import (
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Float32 and Float64 are the two dtypes zoo supports. Float32 is the default.
var (
	Float32 = tensor.Float32
	Float64 = tensor.Float64
)

// Kind tells a trainable parameter from a buffer.
type Kind uint8

const (
	// Parameter is trained: it gets a gradient and the optimizer updates it.
	Parameter Kind = iota
	// Buffer is state that is saved with the model but never trained or
	// regularised, such as BatchNorm's running statistics (PyTorch's
	// register_buffer).
	Buffer
)

func (k Kind) String() string {
	if k == Buffer {
		return "buffer"
	}
	return "parameter"
}

// Role says what a variable is for. Regularizers and decoupled weight decay
// apply to [Weight] by default and leave biases, scales and shifts alone.
type Role uint8

const (
	// Weight is a connection weight: a Linear matrix or a convolution filter.
	Weight Role = iota
	// Bias is an additive bias.
	Bias
	// Scale is a normalisation layer's γ.
	Scale
	// Shift is a normalisation layer's β.
	Shift
	// Statistic is a buffer holding a running statistic.
	Statistic
)

var roleNames = [...]string{"weight", "bias", "scale", "shift", "statistic"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "unknown"
}

// Var is one named tensor of a model: a parameter or a buffer. Its value is
// owned by the [Store]; every graph built from the store binds to this tensor,
// so an in-place update is seen by all of them.
type Var struct {
	name  string
	kind  Kind
	role  Role
	value *tensor.Dense
	store *Store
}

// Name returns the variable's hierarchical name, such as "conv1/W".
func (v *Var) Name() string { return v.name }

// Kind reports whether the variable is a parameter or a buffer.
func (v *Var) Kind() Kind { return v.kind }

// Role reports what the variable is for.
func (v *Var) Role() Role { return v.role }

// Value returns the variable's tensor. It is shared, not copied: writing to it
// changes the model.
func (v *Var) Value() *tensor.Dense { return v.value }

// Shape returns a copy of the variable's shape.
func (v *Var) Shape() tensor.Shape { return v.value.Shape().Clone() }

// Float64s returns a float64 copy of the variable's values in row-major
// order (a store holds float32 or float64 tensors only).
func (v *Var) Float64s() []float64 {
	switch d := v.value.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}

// SetFloat64s overwrites the variable's values with vals in row-major order,
// rounded to the store's dtype; len(vals) must equal the variable's size.
func (v *Var) SetFloat64s(vals []float64) error {
	if n := v.value.Shape().TotalSize(); len(vals) != n {
		return errors.Wrapf(ErrShape, "%s: %d values for %d elements", v.name, len(vals), n)
	}
	switch d := v.value.Data().(type) {
	case []float32:
		for i, x := range vals {
			d[i] = float32(x)
		}
	case []float64:
		copy(d, vals)
	}
	return nil
}

// Store holds a model's parameters and buffers in declaration order. The order
// is part of the model's definition: it is the order in which optimizers,
// regularizers and checkpoints enumerate the variables.
type Store struct {
	dtype  tensor.Dtype
	vars   []*Var
	byName map[string]*Var
}

// NewStore returns an empty store whose tensors have the given dtype
// ([Float32] or [Float64]).
func NewStore(dt tensor.Dtype) (*Store, error) {
	if err := checkDtype(dt); err != nil {
		return nil, err
	}
	return &Store{dtype: dt, byName: map[string]*Var{}}, nil
}

func checkDtype(dt tensor.Dtype) error {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Wrapf(ErrDtype, "got %v", dt)
	}
	return nil
}

// Dtype returns the store's dtype.
func (s *Store) Dtype() tensor.Dtype { return s.dtype }

// ParamSpec declares one trainable parameter.
type ParamSpec struct {
	// Name is the hierarchical name, such as "fc1/W". Required and unique.
	Name string
	// Role says what the parameter is for. The default is Weight.
	Role Role
	// Shape is the parameter's shape. Required.
	Shape tensor.Shape
	// Fan is the fan-in and fan-out an initialiser scales by.
	Fan Fan
	// Init fills the initial values. The default is [Zeros].
	Init Init
}

// NewParam declares a trainable parameter and initialises it from rng.
// rng may be nil only for deterministic initialisers such as Zeros.
func (s *Store) NewParam(spec ParamSpec, rng *rand.Rand) (*Var, error) {
	init := spec.Init
	if init == nil {
		init = Zeros
	}
	vals := make([]float64, spec.Shape.TotalSize())
	if err := init(rng, spec.Fan, vals); err != nil {
		return nil, errors.WithMessagef(err, "graph: init %s", spec.Name)
	}
	return s.add(spec.Name, Parameter, spec.Role, spec.Shape, vals)
}

// NewBuffer declares a buffer filled with the constant fill.
func (s *Store) NewBuffer(name string, shape tensor.Shape, fill float64) (*Var, error) {
	vals := make([]float64, shape.TotalSize())
	for i := range vals {
		vals[i] = fill
	}
	return s.add(name, Buffer, Statistic, shape, vals)
}

func (s *Store) add(name string, kind Kind, role Role, shape tensor.Shape, vals []float64) (*Var, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if _, dup := s.byName[name]; dup {
		return nil, errors.Wrapf(ErrDuplicateName, "%q", name)
	}
	if len(shape) == 0 || shape.TotalSize() <= 0 {
		return nil, errors.Wrapf(ErrShape, "%s: shape %v must be non-empty with positive sizes", name, shape)
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, errors.Wrapf(ErrShape, "%s: shape %v must have positive sizes", name, shape)
		}
	}
	v := &Var{name: name, kind: kind, role: role, store: s,
		value: tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(castSlice(s.dtype, vals)))}
	s.vars = append(s.vars, v)
	s.byName[name] = v
	return v, nil
}

func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return errors.Wrapf(ErrConfig, "graph: bad variable name %q (want non-empty segments joined by '/')", name)
	}
	return nil
}

func castSlice(dt tensor.Dtype, vals []float64) any {
	if dt == tensor.Float32 {
		out := make([]float32, len(vals))
		for i, v := range vals {
			out[i] = float32(v)
		}
		return out
	}
	return vals
}

// Vars returns every variable, parameters and buffers, in declaration order.
func (s *Store) Vars() []*Var { return append([]*Var(nil), s.vars...) }

// Params returns the trainable parameters in declaration order.
func (s *Store) Params() []*Var { return s.filter(Parameter) }

// Buffers returns the buffers in declaration order.
func (s *Store) Buffers() []*Var { return s.filter(Buffer) }

func (s *Store) filter(k Kind) []*Var {
	var out []*Var
	for _, v := range s.vars {
		if v.kind == k {
			out = append(out, v)
		}
	}
	return out
}

// Lookup returns the variable with the given name.
func (s *Store) Lookup(name string) (*Var, bool) {
	v, ok := s.byName[name]
	return v, ok
}

// NumParams returns the number of trainable scalars.
func (s *Store) NumParams() int {
	n := 0
	for _, v := range s.filter(Parameter) {
		n += v.value.Shape().TotalSize()
	}
	return n
}

// Join joins name segments with '/', skipping empty ones: Join("block1", "conv", "W")
// is "block1/conv/W".
func Join(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "/")
}
