//go:build openblas && !cgo

package graph

// The openblas build tag needs cgo: without it (CGO_ENABLED=0, or no C
// compiler) blas_openblas.go would be left out silently and the build would
// run on zoo's GEMM. This undefined name stops such a build instead.
var _ = theOpenBLASBuildTagNeedsCgo_SetCGO_ENABLED1
