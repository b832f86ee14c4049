package datasets

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// SplitMethod chooses how a held-out validation set is taken from a
// training set.
type SplitMethod string

// Split methods.
const (
	// SplitStratified draws the held-out samples at random (from a seeded
	// generator), separately within each class, so that every class keeps
	// its proportion to within one sample.
	SplitStratified SplitMethod = "stratified"
	// SplitTail holds out the last samples, in file order, as Keras's
	// validation_split does (before any shuffling). Needs no randomness.
	SplitTail SplitMethod = "tail"
)

// ParseSplitMethod returns the method named s ("stratified" or "tail").
func ParseSplitMethod(s string) (SplitMethod, error) {
	switch m := SplitMethod(s); m {
	case SplitStratified, SplitTail:
		return m, nil
	}
	return "", errorf(ErrConfig, "split method %q, want stratified or tail", s)
}

// ValidateFraction reports a held-out fraction outside [0, 1) or NaN.
func ValidateFraction(frac float64) error {
	if math.IsNaN(frac) || frac < 0 || frac >= 1 {
		return errorf(ErrConfig, "held-out fraction %v, want 0 <= f < 1", frac)
	}
	return nil
}

// HeldOutCount returns how many of n samples a fraction frac holds out:
// n - floor(n*(1-frac)), Keras's rule (split_at = int(n * (1 - validation_split))).
// Both split methods use it, so they give sets of equal size.
func HeldOutCount(n int, frac float64) int {
	return n - int(math.Floor(float64(n)*(1-frac)))
}

// TailSplit returns the indices of a Keras-style split of n samples: the
// first n-HeldOutCount(n, frac) samples train, the rest are held out.
func TailSplit(n int, frac float64) (train, val []int, err error) {
	if err := checkSplit(n, frac); err != nil {
		return nil, nil, err
	}
	at := n - HeldOutCount(n, frac)
	train = make([]int, at)
	val = make([]int, n-at)
	for i := range train {
		train[i] = i
	}
	for i := range val {
		val[i] = at + i
	}
	return train, val, nil
}

// StratifiedSplit returns the indices of a stratified random split of the
// samples with the given labels (each in [0, numClasses)). In total
// HeldOutCount(len(labels), frac) samples are held out; class c gets
// floor(q_c) or ceil(q_c) of them, q_c = total*n_c/n, by the largest-remainder
// rule (ties broken by the generator), so its share is within one sample of
// exact. Within each class the held-out samples are a uniform random choice
// from rng. Both index lists are sorted ascending.
func StratifiedSplit(labels []int, numClasses int, frac float64, rng *rand.Rand) (train, val []int, err error) {
	n := len(labels)
	if err := checkSplit(n, frac); err != nil {
		return nil, nil, err
	}
	if rng == nil {
		return nil, nil, errorf(ErrConfig, "stratified split needs a seeded *rand.Rand, got nil")
	}
	byClass, err := indicesByClass(labels, numClasses)
	if err != nil {
		return nil, nil, err
	}
	total := HeldOutCount(n, frac)
	quota := apportion(total, byClass, n, rng)
	train = make([]int, 0, n-total)
	val = make([]int, 0, total)
	for c, idx := range byClass {
		idx = slices.Clone(idx)
		shuffleInts(rng, idx)
		val = append(val, idx[:quota[c]]...)
		train = append(train, idx[quota[c]:]...)
	}
	sort.Ints(train)
	sort.Ints(val)
	return train, val, nil
}

// apportion splits total among classes in proportion to their sizes by the
// largest-remainder method; equal remainders are ordered at random.
func apportion(total int, byClass [][]int, n int, rng *rand.Rand) []int {
	quota := make([]int, len(byClass))
	type rem struct {
		class int
		frac  float64
		tie   uint64
	}
	rems := make([]rem, 0, len(byClass))
	given := 0
	for c, idx := range byClass {
		exact := float64(total) * float64(len(idx)) / float64(n)
		quota[c] = int(math.Floor(exact))
		given += quota[c]
		rems = append(rems, rem{c, exact - float64(quota[c]), rng.Uint64()})
	}
	sort.Slice(rems, func(i, j int) bool {
		if rems[i].frac != rems[j].frac {
			return rems[i].frac > rems[j].frac
		}
		return rems[i].tie < rems[j].tie
	})
	for i := 0; given < total && i < len(rems); i++ {
		if quota[rems[i].class] < len(byClass[rems[i].class]) {
			quota[rems[i].class]++
			given++
		}
	}
	return quota
}

// indicesByClass groups sample indices by label.
func indicesByClass(labels []int, numClasses int) ([][]int, error) {
	if numClasses <= 0 {
		return nil, errorf(ErrConfig, "numClasses %d is not positive", numClasses)
	}
	byClass := make([][]int, numClasses)
	for i, y := range labels {
		if y < 0 || y >= numClasses {
			return nil, errorf(ErrLabelRange, "label %d at index %d, want 0..%d", y, i, numClasses-1)
		}
		byClass[y] = append(byClass[y], i)
	}
	return byClass, nil
}

func checkSplit(n int, frac float64) error {
	if err := ValidateFraction(frac); err != nil {
		return err
	}
	if n == 0 {
		return errorf(ErrEmpty, "nothing to split")
	}
	if HeldOutCount(n, frac) >= n {
		return errorf(ErrConfig, "held-out fraction %v of %d samples leaves no training sample", frac, n)
	}
	return nil
}

// Split divides d into a training part and a held-out part with the given
// method (see StratifiedSplit and TailSplit). rng is used only by
// SplitStratified and may be nil for SplitTail. Both parts are copies.
func (d *Dataset) Split(method SplitMethod, frac float64, rng *rand.Rand) (train, val *Dataset, err error) {
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	var ti, vi []int
	switch method {
	case SplitStratified:
		ti, vi, err = StratifiedSplit(d.Y, d.NumClasses, frac, rng)
	case SplitTail:
		ti, vi, err = TailSplit(d.Len(), frac)
	default:
		_, err = ParseSplitMethod(string(method))
	}
	if err != nil {
		return nil, nil, err
	}
	if train, err = d.Subset(ti); err != nil {
		return nil, nil, err
	}
	if val, err = d.Subset(vi); err != nil {
		return nil, nil, err
	}
	return train, val, nil
}
