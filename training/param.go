package training

import (
	"gorgonia.org/tensor"
)

// Param is an optimizer's view of one trainable parameter.
//
// Value is updated in place by [Optimizer.Step] and [ClipGlobalNorm] never
// touches it; Grad is read by Step and scaled in place by ClipGlobalNorm.
// Both must be contiguous (not a slice or transpose view, not masked), of
// the same shape, and both float32 or both float64.
//
// Decay says whether the optimizer's weight decay applies to this
// parameter: coupled L2 for [SGD] and [Adam], decoupled decay for [AdamW].
// Set it for weights and filters; leave it false for biases and for
// BatchNorm's γ and β.
//
// Name identifies the parameter in optimizer state and checkpoints, so it
// must be unique and stable across runs (for example "fc1/W").
type Param struct {
	Name  string
	Value *tensor.Dense
	Grad  *tensor.Dense
	Decay bool
}

// float is the element type of tensors the optimizers work on.
type float interface{ float32 | float64 }

// floats returns the backing slice of a contiguous float tensor of element
// type T. It must only be called after checkTensor accepted t for T.
func floats[T float](t *tensor.Dense) []T {
	var zero T
	switch any(zero).(type) {
	case float32:
		return any(t.Float32s()).([]T)
	default:
		return any(t.Float64s()).([]T)
	}
}

// checkTensor reports whether t can be used as a contiguous float32 or
// float64 tensor; what names the role of t in error messages.
func checkTensor(name, what string, t *tensor.Dense) error {
	if t == nil {
		return paramErr(name, ErrNilTensor, "%s is nil", what)
	}
	if dt := t.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return paramErr(name, ErrUnsupportedDtype, "%s has dtype %v, want float32 or float64", what, dt)
	}
	if t.IsMaterializable() || len(t.Mask()) > 0 {
		return paramErr(name, ErrNotContiguous, "%s is a view, a transpose or masked; materialise it first", what)
	}
	n := t.Shape().TotalSize()
	var got int
	if t.Dtype() == tensor.Float32 {
		got = len(t.Float32s())
	} else {
		got = len(t.Float64s())
	}
	if got != n {
		return paramErr(name, ErrNotContiguous, "%s holds %d elements for shape %v", what, got, t.Shape())
	}
	return nil
}

// sameShape compares shapes element by element (tensor.Shape.Eq treats
// some scalar-equivalent shapes as equal).
func sameShape(a, b tensor.Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkParams validates every parameter before an optimizer changes
// anything, so that a step either updates all parameters or none.
func checkParams(params []Param) error {
	seen := make(map[string]bool, len(params))
	for i, p := range params {
		if p.Name == "" {
			return paramErr("", ErrBadParamName, "parameter %d has no name", i)
		}
		if seen[p.Name] {
			return paramErr(p.Name, ErrBadParamName, "name used twice")
		}
		seen[p.Name] = true
		if err := checkGrad(p); err != nil {
			return err
		}
	}
	return nil
}

// checkGrad validates one parameter's value and gradient.
func checkGrad(p Param) error {
	if err := checkTensor(p.Name, "value", p.Value); err != nil {
		return err
	}
	if err := checkTensor(p.Name, "gradient", p.Grad); err != nil {
		return err
	}
	if p.Value.Dtype() != p.Grad.Dtype() {
		return paramErr(p.Name, ErrDtypeMismatch, "value is %v, gradient is %v", p.Value.Dtype(), p.Grad.Dtype())
	}
	if !sameShape(p.Value.Shape(), p.Grad.Shape()) {
		return paramErr(p.Name, ErrShapeMismatch, "value has shape %v, gradient %v", p.Value.Shape(), p.Grad.Shape())
	}
	if p.Value == p.Grad {
		return paramErr(p.Name, ErrShapeMismatch, "value and gradient are the same tensor")
	}
	return nil
}

// checkSlot validates an optimizer state tensor against its parameter.
func checkSlot(p Param, slot string, t *tensor.Dense) error {
	if t == nil {
		return paramErr(p.Name, ErrState, "%s state is missing", slot)
	}
	if t.Dtype() != p.Value.Dtype() {
		return paramErr(p.Name, ErrState, "%s state is %v, parameter is %v", slot, t.Dtype(), p.Value.Dtype())
	}
	if !sameShape(t.Shape(), p.Value.Shape()) {
		return paramErr(p.Name, ErrState, "%s state has shape %v, parameter %v", slot, t.Shape(), p.Value.Shape())
	}
	return nil
}

// zerosLike returns a new zero tensor with the shape and dtype of t.
func zerosLike(t *tensor.Dense) *tensor.Dense {
	return tensor.New(tensor.WithShape(t.Shape().Clone()...), tensor.Of(t.Dtype()))
}

// cloneDense returns a deep, contiguous copy of t.
func cloneDense(t *tensor.Dense) *tensor.Dense {
	if t.IsMaterializable() {
		return t.Materialize().(*tensor.Dense)
	}
	return t.Clone().(*tensor.Dense)
}
