package gemm

import (
	"testing"

	"github.com/pkg/errors"
)

// TestCheck: the argument checks of gonum's Sgemm (blas/gonum/sgemm.go),
// in its order, as errors; C stays unchanged.
func TestCheck(t *testing.T) {
	s := func(n int) []float32 { return make([]float32, n) }
	for _, tc := range []struct {
		name           string
		transA, transB bool
		m, n, k        int
		a              []float32
		lda            int
		b              []float32
		ldb            int
		c              []float32
		ldc            int
		want           error
	}{
		{"ok", false, false, 2, 3, 4, s(8), 4, s(12), 3, s(6), 3, nil},
		{"ok transposed", true, true, 2, 3, 4, s(8), 2, s(12), 4, s(6), 3, nil},
		{"ok empty C, short slices", false, false, 0, 3, 4, nil, 4, nil, 3, nil, 3, nil},
		{"ok k 0", false, false, 2, 3, 0, s(1), 1, nil, 3, s(6), 3, nil},
		{"k 0 short a", false, false, 2, 3, 0, nil, 1, nil, 3, s(6), 3, ErrShort}, // as gonum: (m−1)·lda + k
		{"negative m", false, false, -1, 3, 4, s(8), 4, s(12), 3, s(6), 3, ErrDim},
		{"negative n", false, false, 2, -3, 4, s(8), 4, s(12), 3, s(6), 3, ErrDim},
		{"negative k", false, false, 2, 3, -4, s(8), 4, s(12), 3, s(6), 3, ErrDim},
		{"lda", false, false, 2, 3, 4, s(8), 3, s(12), 3, s(6), 3, ErrLd},
		{"lda transposed", true, false, 2, 3, 4, s(8), 1, s(12), 3, s(6), 3, ErrLd},
		{"ldb", false, false, 2, 3, 4, s(8), 4, s(12), 2, s(6), 3, ErrLd},
		{"ldb transposed", false, true, 2, 3, 4, s(8), 4, s(12), 3, s(6), 3, ErrLd},
		{"ldc", false, false, 2, 3, 4, s(8), 4, s(12), 3, s(6), 2, ErrLd},
		{"ld before length", false, false, 2, 3, 4, s(1), 3, s(12), 3, s(6), 3, ErrLd},
		{"short a", false, false, 2, 3, 4, s(7), 4, s(12), 3, s(6), 3, ErrShort},
		{"short b", false, false, 2, 3, 4, s(8), 4, s(11), 3, s(6), 3, ErrShort},
		{"short c", false, false, 2, 3, 4, s(8), 4, s(12), 3, s(5), 3, ErrShort},
		{"short c strided", false, false, 2, 3, 4, s(8), 4, s(12), 3, s(7), 5, ErrShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c0 := append([]float32(nil), tc.c...)
			for i := range tc.c {
				tc.c[i] = 7
				c0[i] = 7
			}
			err := Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ldc)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if err != nil {
				for i := range tc.c {
					if tc.c[i] != c0[i] {
						t.Fatalf("c[%d] changed to %v after an error", i, tc.c[i])
					}
				}
			}
		})
	}
}
