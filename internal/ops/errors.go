package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gozoo/zoo/graph"
)

// The ops report graph's sentinel errors, so that callers test them with
// errors.Is against graph.ErrShape and the others whichever layer or op
// produced them.
var (
	ErrDtype  = graph.ErrDtype
	ErrShape  = graph.ErrShape
	ErrLabel  = graph.ErrLabel
	ErrConfig = graph.ErrConfig
)

func checkDtype(dt tensor.Dtype) error {
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Wrapf(ErrDtype, "got %v", dt)
	}
	return nil
}
