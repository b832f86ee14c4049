//go:build !amd64 || noasm || purego

package vmath

// sigmoidVec computes no element: the Go loop does them all.
func sigmoidVec(x, y []float32) int { return 0 }

// expVec computes no element: math.Exp does them all.
func expVec(x, y []float64) int { return 0 }

// logVec computes no element: math.Log does them all.
func logVec(x, y []float64) int { return 0 }

// maxPool2Vec computes no output: the Go loop does them all.
func maxPool2Vec(r0, r1, y []float32, ip []int32, base, w int) int { return 0 }
