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
