//go:build !amd64 || noasm || purego

package vmath

// Without assembly the Go loops of elem.go do every element.

func vecLen[T Float](int) int { return 0 }

func momentumVec[T Float](w, g, b []T, negLR, mu, keep T) int { return 0 }

func momentumDecayVec[T Float](w, g, b []T, negLR, wd, mu, keep T) int { return 0 }

func addVec[T Float](y, x, b []T) int { return 0 }

func normScaleVec[T Float](y, x, mean, scale []T) int { return 0 }

func normAffineVec[T Float](y, x, mean, scale, shift []T) int { return 0 }

func reluVec[T Float](y, x []T) int { return 0 }

func reluGradVec[T Float](gx, y, gy []T) int { return 0 }

func sgdVec[T Float](w, g []T, negLR T) int { return 0 }

func sgdDecayVec[T Float](w, g []T, negLR, wd T) int { return 0 }

func mulVec[T Float](y, x, b []T) int { return 0 }

func sigmoidGradVec[T Float](gx, y, gy []T) int { return 0 }

func bnDxVec[T Float](dx, x, dy, mean, k, c1, c2 []T) int { return 0 }

func addWidenVec[T Float](acc []float64, x []T) int { return 0 }

func addSquaredDiffVec[T Float](acc, mean []float64, x []T) int { return 0 }

func addGradMomentsVec[T Float](sdyx, sdy []float64, x, dy, mean []T) int { return 0 }

func addScalarVec[T Float](y, x []T, s T) int { return 0 }

func scaleVec[T Float](y, x []T, k T) int { return 0 }

func affineScalarVec[T Float](y, x []T, mu, a, b T) int { return 0 }

func bnDxScalarVec[T Float](dx, x, dy []T, mu, k, c1, c2 T) int { return 0 }
