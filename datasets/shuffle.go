package datasets

import (
	"math/bits"
	"math/rand/v2"
)

// This file holds the package's only uses of random numbers below the API.
// Shuffles are written out (Fisher-Yates with Lemire's bounded integers on
// rng.Uint64) instead of calling rand.Shuffle or rand.Perm, whose algorithms
// the standard library does not promise to keep; the PCG and ChaCha8 streams
// themselves are specified. So a seed gives the same order with every Go
// release.

// uintN returns a uniform integer in [0, n) from rng, n > 0, by Lemire's
// nearly-divisionless method ("Fast Random Integer Generation in an
// Interval", ACM TOMACS 2019).
func uintN(rng *rand.Rand, n uint64) uint64 {
	hi, lo := bits.Mul64(rng.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(rng.Uint64(), n)
		}
	}
	return hi
}

// shuffleInts permutes s uniformly at random (Fisher-Yates, from the end).
func shuffleInts(rng *rand.Rand, s []int) {
	for i := len(s) - 1; i > 0; i-- {
		j := int(uintN(rng, uint64(i+1)))
		s[i], s[j] = s[j], s[i]
	}
}

// Permutation returns a permutation of 0..n-1 that depends only on seed and
// epoch: the Fisher-Yates shuffle of the identity driven by
// rand.New(rand.NewPCG(seed, uint64(epoch))). A training run resumed at
// epoch e reproduces the original order by calling Permutation(seed, e, n).
func Permutation(seed uint64, epoch, n int) []int {
	p := make([]int, n)
	permute(p, seed, epoch)
	return p
}

// permute fills p with Permutation(seed, epoch, len(p)) without allocating
// a new slice.
func permute(p []int, seed uint64, epoch int) {
	for i := range p {
		p[i] = i
	}
	var pcg rand.PCG
	pcg.Seed(seed, uint64(epoch))
	shuffleInts(rand.New(&pcg), p)
}
