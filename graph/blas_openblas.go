//go:build openblas

package graph

// The OpenBLAS backend of FastBLAS, compiled only with the openblas build
// tag: go test -tags openblas ./graph. It needs cgo and the OpenBLAS
// library and its link symlink (Debian: apt-get install libopenblas-dev).
//
// The few CBLAS and OpenBLAS functions used are declared here rather than
// taken from cblas.h: Debian's cblas.h is an alternative that may belong to
// another CBLAS (netlib's), which lacks the openblas_* functions. The
// enumerations are ints and blasint is int in Debian's libopenblas0 (the
// 64-bit-integer build is the separate libopenblas64-0).

/*
#cgo LDFLAGS: -lopenblas

void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
	float alpha, const float *a, int lda, const float *b, int ldb,
	float beta, float *c, int ldc);
void cblas_dgemm(int order, int transA, int transB, int m, int n, int k,
	double alpha, const double *a, int lda, const double *b, int ldb,
	double beta, double *c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char *openblas_get_config(void);

enum { zooRowMajor = 101, zooNoTrans = 111, zooTrans = 112 };
*/
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"unsafe"

	"github.com/pkg/errors"

	"github.com/gozoo/zoo/internal/gemm"
)

// init makes FastBLAS's matrix products OpenBLAS's and gives OpenBLAS as
// many threads as GOMAXPROCS (1 if GOMAXPROCS=1): OPENBLAS_NUM_THREADS and
// OMP_NUM_THREADS are overridden, so that GOMAXPROCS alone sets how many
// cores a zoo process uses. Package-level variables are set before any
// init function, so the order of the files does not matter.
func init() {
	sgemm, dgemm = openblasSgemm, openblasDgemm
	gemmBackend = openblasName
	SetOpenBLASThreads(0)
}

// SetOpenBLASThreads sets how many threads OpenBLAS's matrix products use;
// n ≤ 0 means runtime.GOMAXPROCS(0). OpenBLAS caps n at the number it was
// built for. Like gorgonia.Use, it is not meant to be called while graphs
// run. It exists only in builds with the openblas tag.
//
// Results depend on the thread count: OpenBLAS blocks a product
// differently at 1 and at 2 threads, and the last bits of C change. At a
// fixed thread count they are reproducible (tests check both), so a seeded
// run on OpenBLAS repeats bit for bit only at the same GOMAXPROCS, unlike
// the default, pure-Go build, whose bits do not depend on GOMAXPROCS.
func SetOpenBLASThreads(n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	C.openblas_set_num_threads(C.int(min(n, math.MaxInt32)))
}

// OpenBLASThreads returns the number of threads OpenBLAS uses. It exists
// only in builds with the openblas tag.
func OpenBLASThreads() int { return int(C.openblas_get_num_threads()) }

// openblasName is the backend part of BLASName: OpenBLAS's build
// configuration (version, target, options) and its thread count.
func openblasName() string {
	cfg := strings.TrimSpace(C.GoString(C.openblas_get_config()))
	n := OpenBLASThreads()
	unit := "threads"
	if n == 1 {
		unit = "thread"
	}
	return fmt.Sprintf("%s (%d %s)", cfg, n, unit)
}

// openblasSgemm is gemm.Sgemm on OpenBLAS: C = alpha·op(A)·op(B) + beta·C
// for row-major matrices. It returns an error, and leaves C unchanged, for
// the arguments that gonum's Sgemm rejects (FastBLAS then lets gonum
// panic) and for sizes beyond OpenBLAS's 32-bit integers; OpenBLAS never
// sees a slice too short for its matrix.
func openblasSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) error {
	if err := checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return errors.WithMessage(err, "sgemm")
	}
	if m == 0 || n == 0 {
		return nil
	}
	C.cblas_sgemm(C.zooRowMajor, cblasTrans(transA), cblasTrans(transB), C.int(m), C.int(n), C.int(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(unsafe.SliceData(a))), C.int(lda),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(b))), C.int(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(unsafe.SliceData(c))), C.int(ldc))
	return nil
}

// openblasDgemm is openblasSgemm in float64.
func openblasDgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) error {
	if err := checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc); err != nil {
		return errors.WithMessage(err, "dgemm")
	}
	if m == 0 || n == 0 {
		return nil
	}
	C.cblas_dgemm(C.zooRowMajor, cblasTrans(transA), cblasTrans(transB), C.int(m), C.int(n), C.int(k),
		C.double(alpha), (*C.double)(unsafe.Pointer(unsafe.SliceData(a))), C.int(lda),
		(*C.double)(unsafe.Pointer(unsafe.SliceData(b))), C.int(ldb),
		C.double(beta), (*C.double)(unsafe.Pointer(unsafe.SliceData(c))), C.int(ldc))
	return nil
}

func cblasTrans(t bool) C.int {
	if t {
		return C.zooTrans
	}
	return C.zooNoTrans
}

// checkGemm validates the arguments with internal/gemm's checks (gonum's
// order and errors), and then that every size fits OpenBLAS's int.
func checkGemm(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) error {
	if err := gemm.Check(transA, transB, m, n, k, lenA, lda, lenB, ldb, lenC, ldc); err != nil {
		return err
	}
	for _, v := range [...]int{m, n, k, lda, ldb, ldc} {
		if v > math.MaxInt32 {
			return errors.Errorf("graph: openblas: size %d does not fit its 32-bit int", v)
		}
	}
	return nil
}
