package datasets

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Curve is a one-dimensional regression data set: target Y[i] at input X[i].
type Curve struct {
	X, Y []float64
}

// Len returns the number of points.
func (c Curve) Len() int { return len(c.X) }

// Float32 returns copies of X and Y converted to float32.
func (c Curve) Float32() (x, y []float32) {
	x = make([]float32, len(c.X))
	y = make([]float32, len(c.Y))
	for i := range c.X {
		x[i] = float32(c.X[i])
	}
	for i := range c.Y {
		y[i] = float32(c.Y[i])
	}
	return x, y
}

// Caruana et al. (2001), "Overfitting in Neural Nets: Backpropagation,
// Conjugate Gradient, and Early Stopping", NIPS 13: the target function
// sin(x/3) sampled at the 21 integers 0..20 with uniform noise.
const (
	CaruanaXMax  = 20.0 // inputs lie in [0, CaruanaXMax]
	CaruanaNoise = 0.25 // noise is uniform in [-CaruanaNoise, +CaruanaNoise)
	// DefaultCaruanaGrid is the number of noise-free test points used when
	// CaruanaGrid is given 0.
	DefaultCaruanaGrid = 1000
)

// CaruanaSine returns Caruana et al.'s training set: x = 0, 1, ..., 20 and
// y = sin(x/3) + u, u uniform in [-0.25, 0.25) drawn from rng in order of x.
func CaruanaSine(rng *rand.Rand) (Curve, error) {
	if rng == nil {
		return Curve{}, errorf(ErrConfig, "caruana: needs a seeded *rand.Rand, got nil")
	}
	n := int(CaruanaXMax) + 1
	c := Curve{X: make([]float64, n), Y: make([]float64, n)}
	for i := range c.X {
		x := float64(i)
		c.X[i] = x
		c.Y[i] = math.Sin(x/3) + (2*rng.Float64()-1)*CaruanaNoise
	}
	return c, nil
}

// CaruanaGrid returns the noise-free test grid: n evenly spaced points
// x_i = 20*i/(n-1), i = 0..n-1 (both ends included), with y = sin(x/3).
// n = 0 means DefaultCaruanaGrid (1000); otherwise n must be at least 2.
func CaruanaGrid(n int) (Curve, error) {
	if n == 0 {
		n = DefaultCaruanaGrid
	}
	if n < 2 {
		return Curve{}, errorf(ErrConfig, "caruana grid of %d points, want at least 2", n)
	}
	c := Curve{X: make([]float64, n), Y: make([]float64, n)}
	for i := range c.X {
		x := CaruanaXMax * float64(i) / float64(n-1)
		c.X[i] = x
		c.Y[i] = math.Sin(x / 3)
	}
	return c, nil
}

// FlipLabels applies symmetric label noise: it changes exactly
// round(frac*len(labels)) labels (math.Round, halves away from zero), at
// positions chosen uniformly without replacement, each to a label drawn
// uniformly from the numClasses-1 other classes, so a changed label always
// differs from the original. It returns the new labels (labels itself is
// not modified) and the changed indices in ascending order.
func FlipLabels(labels []int, numClasses int, frac float64, rng *rand.Rand) (noisy, changed []int, err error) {
	if rng == nil {
		return nil, nil, errorf(ErrConfig, "label noise needs a seeded *rand.Rand, got nil")
	}
	if numClasses < 2 {
		return nil, nil, errorf(ErrConfig, "label noise needs at least 2 classes, got %d", numClasses)
	}
	if math.IsNaN(frac) || frac < 0 || frac > 1 {
		return nil, nil, errorf(ErrConfig, "label noise fraction %v, want 0 <= f <= 1", frac)
	}
	if _, err := indicesByClass(labels, numClasses); err != nil {
		return nil, nil, err
	}
	n := len(labels)
	k := int(math.Round(frac * float64(n)))
	noisy = append([]int(nil), labels...)
	// Partial Fisher-Yates: the first k entries of perm are a uniform
	// k-subset in random order.
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + int(uintN(rng, uint64(n-i)))
		perm[i], perm[j] = perm[j], perm[i]
	}
	changed = perm[:k:k]
	for _, i := range changed {
		r := int(uintN(rng, uint64(numClasses-1)))
		if r >= labels[i] {
			r++
		}
		noisy[i] = r
	}
	sort.Ints(changed)
	return noisy, changed, nil
}

// BalancedSubset returns the indices of perClass samples of every class,
// drawn uniformly without replacement within each class, in ascending order.
// It fails if a class has fewer than perClass samples.
func BalancedSubset(labels []int, numClasses, perClass int, rng *rand.Rand) ([]int, error) {
	if rng == nil {
		return nil, errorf(ErrConfig, "balanced subset needs a seeded *rand.Rand, got nil")
	}
	if perClass <= 0 {
		return nil, errorf(ErrConfig, "balanced subset of %d per class, want > 0", perClass)
	}
	byClass, err := indicesByClass(labels, numClasses)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, perClass*numClasses)
	for c, idx := range byClass {
		if len(idx) < perClass {
			return nil, errorf(ErrConfig, "class %d has %d samples, fewer than %d", c, len(idx), perClass)
		}
		shuffleInts(rng, idx) // idx is our own copy
		out = append(out, idx[:perClass]...)
	}
	sort.Ints(out)
	return out, nil
}
