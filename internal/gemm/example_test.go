package gemm_test

import (
	"fmt"

	"github.com/gozoo/zoo/internal/gemm"
)

// C = A·Bᵀ with A 2×3 and B 2×3, both row-major; C's old values are
// ignored because beta is 0.
func ExampleSgemm() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		1, 0, -1,
		2, 1, 0,
	}
	c := make([]float32, 4)
	if err := gemm.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c)
	// Output: [-2 4 -2 13]
}

// Arguments that a BLAS would reject come back as errors.
func ExampleDgemm_error() {
	c := make([]float64, 4)
	err := gemm.Dgemm(false, false, 2, 2, 3, 1, make([]float64, 6), 2, make([]float64, 6), 2, 0, c, 2)
	fmt.Println(err)
	// Output: dgemm: lda = 2 for 3 columns: gemm: leading dimension too small
}
