package vmath

import "math"

// Float is the element type of the element-wise kernels.
type Float interface{ float32 | float64 }

// The element-wise kernels below give the bits of the Go loop each one
// documents, for every input (±0, ±Inf, subnormals and NaN payloads
// included): the vectorised part does the same IEEE operations in the same
// order, each rounded on its own, and the elements after the last whole
// vector run through that Go loop. Where two NaNs meet, x86 returns the
// first operand's; the assembly puts first the operand that the compiled
// Go loop puts first (the compiler's choice, not always the left one in the
// source; elem_test.go checks the payloads). Slices after the first must be
// at least as long as the first; the kernels read and write only its
// length.

// Momentum is SGD's momentum step without weight decay:
//
//	for i, gi := range g {
//		bi := b[i]*mu + keep*gi
//		b[i] = bi
//		w[i] += negLR * bi
//	}
func Momentum[T Float](w, g, b []T, negLR, mu, keep T) {
	g, b = g[:len(w)], b[:len(w)]
	i := momentumVec(w, g, b, negLR, mu, keep)
	momentumGo(w[i:], g[i:], b[i:], negLR, mu, keep)
}

func momentumGo[T Float](w, g, b []T, negLR, mu, keep T) {
	g, b = g[:len(w)], b[:len(w)]
	for i, gi := range g {
		bi := b[i]*mu + keep*gi
		b[i] = bi
		w[i] += negLR * bi
	}
}

// MomentumDecay is SGD's momentum step with coupled weight decay wd:
//
//	for i, gi := range g {
//		d := gi + wd*w[i]
//		bi := b[i]*mu + keep*d
//		b[i] = bi
//		w[i] += negLR * bi
//	}
func MomentumDecay[T Float](w, g, b []T, negLR, wd, mu, keep T) {
	g, b = g[:len(w)], b[:len(w)]
	i := momentumDecayVec(w, g, b, negLR, wd, mu, keep)
	momentumDecayGo(w[i:], g[i:], b[i:], negLR, wd, mu, keep)
}

func momentumDecayGo[T Float](w, g, b []T, negLR, wd, mu, keep T) {
	g, b = g[:len(w)], b[:len(w)]
	for i, gi := range g {
		d := gi + wd*w[i]
		bi := b[i]*mu + keep*d
		b[i] = bi
		w[i] += negLR * bi
	}
}

// Add writes y[i] = x[i] + b[i] for every i < len(y); y may be x or b.
func Add[T Float](y, x, b []T) {
	x, b = x[:len(y)], b[:len(y)]
	i := addVec(y, x, b)
	addGo(y[i:], x[i:], b[i:])
}

func addGo[T Float](y, x, b []T) {
	x, b = x[:len(y)], b[:len(y)]
	for i := range y {
		y[i] = x[i] + b[i]
	}
}

// NormScale writes y[i] = (x[i] − mean[i])·scale[i] for every i < len(y).
func NormScale[T Float](y, x, mean, scale []T) {
	x, mean, scale = x[:len(y)], mean[:len(y)], scale[:len(y)]
	i := normScaleVec(y, x, mean, scale)
	normScaleGo(y[i:], x[i:], mean[i:], scale[i:])
}

func normScaleGo[T Float](y, x, mean, scale []T) {
	x, mean, scale = x[:len(y)], mean[:len(y)], scale[:len(y)]
	for i, v := range x {
		y[i] = (v - mean[i]) * scale[i]
	}
}

// NormAffine writes y[i] = (x[i] − mean[i])·scale[i] + shift[i] for every
// i < len(y).
func NormAffine[T Float](y, x, mean, scale, shift []T) {
	x, mean, scale, shift = x[:len(y)], mean[:len(y)], scale[:len(y)], shift[:len(y)]
	i := normAffineVec(y, x, mean, scale, shift)
	normAffineGo(y[i:], x[i:], mean[i:], scale[i:], shift[i:])
}

func normAffineGo[T Float](y, x, mean, scale, shift []T) {
	x, mean, scale, shift = x[:len(y)], mean[:len(y)], scale[:len(y)], shift[:len(y)]
	for i, v := range x {
		y[i] = (v-mean[i])*scale[i] + shift[i]
	}
}

// ReLU writes y = max(x, 0): x for x > 0 and NaN (its bits), +0 for x ≤ 0
// (−0 included), for every i < len(y).
func ReLU[T Float](y, x []T) {
	x = x[:len(y)]
	i := reluVec(y, x)
	reluGo(y[i:], x[i:])
}

// reluGo selects bits without a branch (the compiler emits a conditional
// move).
func reluGo[T Float](y, x []T) {
	x = x[:len(y)]
	switch y := any(y).(type) {
	case []float32:
		for i, v := range any(x).([]float32) {
			b := math.Float32bits(v)
			if v <= 0 {
				b = 0
			}
			y[i] = math.Float32frombits(b)
		}
	case []float64:
		for i, v := range any(x).([]float64) {
			b := math.Float64bits(v)
			if v <= 0 {
				b = 0
			}
			y[i] = math.Float64frombits(b)
		}
	}
}

// ReLUGrad writes gx = gy where y > 0 and +0 elsewhere (NaN y included),
// the bits of gy, for every i < len(gx).
func ReLUGrad[T Float](gx, y, gy []T) {
	y, gy = y[:len(gx)], gy[:len(gx)]
	i := reluGradVec(gx, y, gy)
	reluGradGo(gx[i:], y[i:], gy[i:])
}

// reluGradGo selects the bits of gy without a branch: the sign of y is
// random, and a branch on it would mispredict half the time.
func reluGradGo[T Float](gx, y, gy []T) {
	y, gy = y[:len(gx)], gy[:len(gx)]
	switch gx := any(gx).(type) {
	case []float32:
		gy := any(gy).([]float32)
		for i, v := range any(y).([]float32) {
			b := math.Float32bits(gy[i])
			if !(v > 0) {
				b = 0
			}
			gx[i] = math.Float32frombits(b)
		}
	case []float64:
		gy := any(gy).([]float64)
		for i, v := range any(y).([]float64) {
			b := math.Float64bits(gy[i])
			if !(v > 0) {
				b = 0
			}
			gx[i] = math.Float64frombits(b)
		}
	}
}

// SGD is SGD's step without momentum or weight decay:
//
//	for i, gi := range g {
//		w[i] += negLR * gi
//	}
func SGD[T Float](w, g []T, negLR T) {
	g = g[:len(w)]
	i := sgdVec(w, g, negLR)
	sgdGo(w[i:], g[i:], negLR)
}

func sgdGo[T Float](w, g []T, negLR T) {
	g = g[:len(w)]
	for i, gi := range g {
		w[i] += negLR * gi
	}
}

// SGDDecay is SGD's step with coupled weight decay wd, without momentum:
//
//	for i, gi := range g {
//		d := gi + wd*w[i]
//		w[i] += negLR * d
//	}
func SGDDecay[T Float](w, g []T, negLR, wd T) {
	g = g[:len(w)]
	i := sgdDecayVec(w, g, negLR, wd)
	sgdDecayGo(w[i:], g[i:], negLR, wd)
}

func sgdDecayGo[T Float](w, g []T, negLR, wd T) {
	g = g[:len(w)]
	for i, gi := range g {
		d := gi + wd*w[i]
		w[i] += negLR * d
	}
}

// Mul writes y[i] = x[i]·b[i] for every i < len(y).
func Mul[T Float](y, x, b []T) {
	x, b = x[:len(y)], b[:len(y)]
	i := mulVec(y, x, b)
	mulGo(y[i:], x[i:], b[i:])
}

func mulGo[T Float](y, x, b []T) {
	x, b = x[:len(y)], b[:len(y)]
	for i := range y {
		y[i] = x[i] * b[i]
	}
}

// SigmoidGrad writes the gradient of the logistic sigmoid from its output
// y, gx[i] = (gy[i]·(1 − y[i]))·y[i] (PyTorch's sigmoid_backward), for
// every i < len(gx).
func SigmoidGrad[T Float](gx, y, gy []T) {
	y, gy = y[:len(gx)], gy[:len(gx)]
	i := sigmoidGradVec(gx, y, gy, 1)
	sigmoidGradGo(gx[i:], y[i:], gy[i:])
}

func sigmoidGradGo[T Float](gx, y, gy []T) {
	y, gy = y[:len(gx)], gy[:len(gx)]
	for i, v := range y {
		gx[i] = gy[i] * (1 - v) * v
	}
}

// BNDx writes batch normalisation's input gradient
// dx[i] = k[i]·dy[i] − c1[i] − (x[i] − mean[i])·c2[i] for every i < len(dx).
func BNDx[T Float](dx, x, dy, mean, k, c1, c2 []T) {
	n := len(dx)
	x, dy, mean, k, c1, c2 = x[:n], dy[:n], mean[:n], k[:n], c1[:n], c2[:n]
	i := bnDxVec(dx, x, dy, mean, k, c1, c2)
	bnDxGo(dx[i:], x[i:], dy[i:], mean[i:], k[i:], c1[i:], c2[i:])
}

func bnDxGo[T Float](dx, x, dy, mean, k, c1, c2 []T) {
	n := len(dx)
	x, dy, mean, k, c1, c2 = x[:n], dy[:n], mean[:n], k[:n], c1[:n], c2[:n]
	for i, v := range x {
		dx[i] = k[i]*dy[i] - c1[i] - (v-mean[i])*c2[i]
	}
}

// AddWiden adds x to the float64 accumulators acc,
// acc[i] += float64(x[i]), for every i < len(acc).
func AddWiden[T Float](acc []float64, x []T) {
	x = x[:len(acc)]
	i := addWidenVec(acc, x)
	addWidenGo(acc[i:], x[i:])
}

func addWidenGo[T Float](acc []float64, x []T) {
	x = x[:len(acc)]
	for i, v := range x {
		acc[i] += float64(v)
	}
}

// AddSquaredDiff adds squared deviations to the float64 accumulators acc:
// e := float64(x[i]) − mean[i]; acc[i] += e·e, for every i < len(acc).
func AddSquaredDiff[T Float](acc, mean []float64, x []T) {
	mean, x = mean[:len(acc)], x[:len(acc)]
	i := addSquaredDiffVec(acc, mean, x)
	addSquaredDiffGo(acc[i:], mean[i:], x[i:])
}

func addSquaredDiffGo[T Float](acc, mean []float64, x []T) {
	mean, x = mean[:len(acc)], x[:len(acc)]
	for i, v := range x {
		e := float64(v) - mean[i]
		acc[i] += e * e
	}
}

// AddGradMoments adds to the float64 accumulators sdy and sdyx of batch
// normalisation's backward pass, for every i < len(sdyx):
//
//	g := float64(dy[i])
//	sdy[i] += g
//	sdyx[i] += g * float64(x[i]-mean[i])
func AddGradMoments[T Float](sdyx, sdy []float64, x, dy, mean []T) {
	n := len(sdyx)
	sdy, x, dy, mean = sdy[:n], x[:n], dy[:n], mean[:n]
	i := addGradMomentsVec(sdyx, sdy, x, dy, mean)
	addGradMomentsGo(sdyx[i:], sdy[i:], x[i:], dy[i:], mean[i:])
}

func addGradMomentsGo[T Float](sdyx, sdy []float64, x, dy, mean []T) {
	n := len(sdyx)
	sdy, x, dy, mean = sdy[:n], x[:n], dy[:n], mean[:n]
	for i, v := range x {
		g := float64(dy[i])
		sdy[i] += g
		sdyx[i] += g * float64(v-mean[i])
	}
}

// AddScalar writes y[i] = x[i] + s for every i < len(y).
func AddScalar[T Float](y, x []T, s T) {
	x = x[:len(y)]
	i := addScalarVec(y, x, s)
	addScalarGo(y[i:], x[i:], s)
}

func addScalarGo[T Float](y, x []T, s T) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = v + s
	}
}

// Scale writes y[i] = k·x[i] for every i < len(y).
func Scale[T Float](y, x []T, k T) {
	x = x[:len(y)]
	i := scaleVec(y, x, k)
	scaleGo(y[i:], x[i:], k)
}

func scaleGo[T Float](y, x []T, k T) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = k * v
	}
}

// AffineScalar writes y[i] = (x[i] − mu)·a + b for every i < len(y).
func AffineScalar[T Float](y, x []T, mu, a, b T) {
	x = x[:len(y)]
	i := affineScalarVec(y, x, mu, a, b)
	affineScalarGo(y[i:], x[i:], mu, a, b)
}

func affineScalarGo[T Float](y, x []T, mu, a, b T) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = (v-mu)*a + b
	}
}

// BNDxScalar is BNDx with one mean and coefficients for all elements:
// dx[i] = k·dy[i] − c1 − (x[i] − mu)·c2 for every i < len(dx).
func BNDxScalar[T Float](dx, x, dy []T, mu, k, c1, c2 T) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	i := bnDxScalarVec(dx, x, dy, mu, k, c1, c2)
	bnDxScalarGo(dx[i:], x[i:], dy[i:], mu, k, c1, c2)
}

func bnDxScalarGo[T Float](dx, x, dy []T, mu, k, c1, c2 T) {
	x, dy = x[:len(dx)], dy[:len(dx)]
	for i, v := range x {
		dx[i] = k*dy[i] - c1 - (v-mu)*c2
	}
}
