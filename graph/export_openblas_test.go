//go:build openblas

package graph

// The OpenBLAS wrappers, for the external tests.
var (
	OpenBLASSgemm = openblasSgemm
	OpenBLASDgemm = openblasDgemm
)
