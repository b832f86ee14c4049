package training

import (
	"math"

	"gorgonia.org/tensor"
)

// clipEps is added to the total norm before dividing, as in PyTorch.
const clipEps = 1e-6

// ClipGlobalNorm rescales the gradients in place so that their global L2
// norm is at most maxNorm, like PyTorch 1.13's
// torch.nn.utils.clip_grad_norm_(params, maxNorm) with norm_type 2:
//
//	norm  = √(Σ_p ‖g_p‖²)
//	scale = maxNorm / (norm + 1e-6)
//	g_p   = scale · g_p   for every p, only if scale < 1
//
// It returns the norm before clipping. Only the Grad tensors are read and
// written; values and names are not used except in error messages.
// Squares are summed in float64 for both float32 and float64 gradients;
// the scale is then rounded to the gradient's type.
//
// A NaN or infinite norm is returned as it is and leaves the gradients
// unchanged (PyTorch would multiply them by NaN); the caller should treat
// it as divergence. maxNorm must be positive and finite. Parameters are
// validated before anything is changed.
func ClipGlobalNorm(params []Param, maxNorm float64) (norm float64, err error) {
	if !(maxNorm > 0) || !finite(maxNorm) {
		return 0, configErr("clip: maxNorm %v must be positive and finite", maxNorm)
	}
	for _, p := range params {
		if err := checkTensor(p.Name, "gradient", p.Grad); err != nil {
			return 0, err
		}
	}
	var sum float64
	for _, p := range params {
		var n float64
		if p.Grad.Dtype() == tensor.Float32 {
			n = l2Norm(floats[float32](p.Grad))
		} else {
			n = l2Norm(floats[float64](p.Grad))
		}
		sum += n * n
	}
	norm = math.Sqrt(sum)
	scale := maxNorm / (norm + clipEps)
	if !finite(norm) || !(scale < 1) {
		return norm, nil
	}
	for _, p := range params {
		if p.Grad.Dtype() == tensor.Float32 {
			scaleSlice(floats[float32](p.Grad), float32(scale))
		} else {
			scaleSlice(floats[float64](p.Grad), scale)
		}
	}
	return norm, nil
}

// l2Norm returns the Euclidean norm of x, summing squares in float64.
func l2Norm[T float](x []T) float64 {
	var s float64
	for _, v := range x {
		f := float64(v)
		s += f * f
	}
	return math.Sqrt(s)
}

func scaleSlice[T float](x []T, s T) {
	for i := range x {
		x[i] *= s
	}
}
