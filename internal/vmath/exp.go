package vmath

import "math"

// Constants of Exp32: log₂e, ln 2 split in a high part with 9 significant
// bits (n·ln2Hi is exact for |n| < 2⁸) and the rest, the polynomial
// coefficients of e^r on |r| ≤ ln2/2 (Cephes expf), and the inputs above
// which e^x overflows and below which it underflows to 0 in float32.
const (
	log2e = float32(1.44269504088896341)
	ln2Hi = float32(0.693359375)
	ln2Lo = float32(-2.12194440e-4)
	p0    = float32(1.9875691500e-4)
	p1    = float32(1.3981999507e-3)
	p2    = float32(8.3334519073e-3)
	p3    = float32(4.1665795894e-2)
	p4    = float32(1.6666665459e-1)
	p5    = float32(5.0000001201e-1)
	maxX  = float32(88.72283172607422)   // largest x with e^x < MaxFloat32
	minX  = float32(-103.97207641601562) // e^x rounds to 0 below
)

// Exp32 returns e^x: +Inf above 88.7228, 0 below −103.972, NaN for NaN.
func Exp32(x float32) float32 { return expScaled(x, 0, maxX) }

// sigShift and maxXSig: Sigmoid32 computes e^−x·2⁻⁶⁴, which stays finite
// up to −x = 133.084, so that 1/(1 + e^−x) = 2⁻⁶⁴/(2⁻⁶⁴ + e^−x·2⁻⁶⁴) keeps
// its subnormal values down to x = −103.97. Scaling by a power of two is
// exact in the normal range, so both forms round alike everywhere else.
const (
	sigShift = 64
	maxXSig  = float32(133.08424377441406) // largest x with e^x·2⁻⁶⁴ < MaxFloat32
	twoM64   = float32(1.0 / (1 << 64))
)

// expScaled returns e^x·2^−sh: +Inf above hi, 0 below minX, NaN for NaN.
func expScaled(x float32, sh int32, hi float32) float32 {
	switch {
	case x != x:
		return x
	case x > hi:
		return float32(math.Inf(1))
	case x < minX:
		return 0
	}
	// x = n·ln2 + r, |r| ≤ ln2/2; the float32() conversions forbid fusing a
	// product with the following sum, on every architecture.
	n := float32(math.RoundToEven(float64(float32(x * log2e))))
	r := x - float32(n*ln2Hi)
	r = r - float32(n*ln2Lo)
	p := float32(p0*r) + p1
	p = float32(p*r) + p2
	p = float32(p*r) + p3
	p = float32(p*r) + p4
	p = float32(p*r) + p5
	p = float32(p*float32(r*r)) + r
	p = p + 1
	// p·2^k, k = n − sh, as p·2^h·2^(k−h), h = k>>1: both factors are
	// normal for k in [−252, 254].
	k := int32(n) - sh
	h := k >> 1
	s1 := math.Float32frombits(uint32(h+127) << 23)
	s2 := math.Float32frombits(uint32(k-h+127) << 23)
	return float32(p*s1) * s2
}

// Sigmoid32 returns 1/(1 + e^−x), computed as 2⁻⁶⁴/(2⁻⁶⁴ + e^−x·2⁻⁶⁴).
func Sigmoid32(x float32) float32 {
	return twoM64 / (twoM64 + expScaled(-x, sigShift, maxXSig))
}

// SigmoidSlice32 writes y[i] = Sigmoid32(x[i]) for every element of x; y
// must be at least as long as x.
func SigmoidSlice32(x, y []float32) {
	y = y[:len(x)]
	i := sigmoidVec(x, y)
	for ; i < len(x); i++ {
		y[i] = Sigmoid32(x[i])
	}
}

// ExpSlice writes y[i] = math.Exp(x[i]) for every i < len(x), the same bits
// as math.Exp: on amd64 with AVX-512 eight at a time by the operations of
// the runtime's own assembly (inputs in [−700, 700]; any other block is
// left to math.Exp). y may be x.
//
// ExpSlice and LogSlice repeat their block loop on purpose: shared through
// a function value, the loop would make the callers' stack buffers escape
// to the heap (ops' TestLogSumExpsAllocateNothing).
func ExpSlice(x, y []float64) {
	y = y[:len(x)]
	for i := 0; i < len(x); {
		i += expVec(x[i:], y[i:])
		for end := min(i+8, len(x)); i < end; i++ {
			y[i] = math.Exp(x[i])
		}
	}
}

// LogSlice writes y[i] = math.Log(x[i]) for every i < len(x), the same
// bits as math.Log: on amd64 with AVX-512 eight at a time by the
// operations of the runtime's own assembly (positive normal inputs; any
// other block is left to math.Log). y may be x.
func LogSlice(x, y []float64) {
	y = y[:len(x)]
	for i := 0; i < len(x); {
		i += logVec(x[i:], y[i:])
		for end := min(i+8, len(x)); i < end; i++ {
			y[i] = math.Log(x[i])
		}
	}
}
