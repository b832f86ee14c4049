package vmath

import "math"

// Float is the element type of the element-wise kernels.
type Float interface{ float32 | float64 }

// The element-wise kernels below give the bits of the Go loop each one
// documents, for every input (NaN payloads, ±0, ±Inf and subnormals
// included): the vectorised part does the same IEEE operations in the same
// order, each rounded on its own, and the elements after the last whole
// vector run through that Go loop. Slices after the first must be at least
// as long as the first; the kernels read and write only its length.

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
