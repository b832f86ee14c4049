package vmath

// MaxPool2Rows computes outputs of a 2×2, stride-2 max pooling of the
// input rows r0 and r1 (each at least 2·len(y) long), from the first, as
// far as it can with vector instructions, and returns how many it did; the
// caller computes the rest (none on a build without assembly, all on a CPU
// with AVX-512 unless an input is NaN: it stops before the first block of
// 16 outputs holding one). Output j is the largest of a = r0[2j],
// b = r0[2j+1], c = r1[2j], d = r1[2j+1] as Go's max gives it (−0 < +0)
// and, if ip is not nil, ip[j] = base + 2j + at, at the offset of the
// first of a, b, c, d equal to it: 0, 1, w or w+1.
func MaxPool2Rows(r0, r1, y []float32, ip []int32, base, w int) int {
	return maxPool2Vec(r0, r1, y, ip, base, w)
}
