package gemm

// float is the element type of the matrices.
type float interface{ ~float32 | ~float64 }

// arch is one micro-kernel and the cache blocking around it.
type arch[T float] struct {
	name string
	// mr×nr is the tile of C one kernel call computes; kc, mc and nc are
	// the depth of a packed block and its rows of A and columns of B.
	mr, nr, kc, mc, nc int
	// kernel sets the mr×nr tile c[r*ldc+j] to init + Σ_p a[mr·p+r]·b[nr·p+j]
	// for p = 0…k−1 in order, init = c if load, else 0.
	kernel func(k int, a, b, c []T, ldc int, load bool)
	// edges are kernels for the tiles cut by the edges of C, each element
	// the same chain of operations as kernel's: smaller tiles of
	// rows×cols, on packed panels of A of mr rows and of B cols wide.
	// cols is nr or one narrower width, with a kernel of mr rows.
	edges []edgeKernel[T]
	// columns, if not nil, computes mb rows and nn ≤ maxColumns columns
	// of C as kernel does, each element the same chain, from the packed
	// panels of A (mr rows each) and a panel of B panelWidth(nn) wide,
	// reading and writing C in place.
	columns    func(k int, a, b, c []T, ldc int, load bool, mb, nn int)
	maxColumns int
	// strided, if not nil, are kernels of full width and mr or fewer
	// rows that read B in place (b[ldb·p+j]) instead of from a packed
	// panel, each element the same chain as kernel's.
	strided []stridedKernel[T]
	// packA, if not nil, replaces the Go loop of packA for op(A) = A and
	// alpha not NaN: it sets dst[q·mr+i] = alpha·src[i·ld+q] for i < mm,
	// q < kb, and to zero for mm ≤ i < mr.
	packA func(dst, src []T, ld, kb, mm, mr int, alpha T)
	// packAT, if not nil, replaces the Go loop of packA for op(A) = Aᵀ,
	// alpha not NaN and a whole panel: it sets dst[q·mr+i] =
	// alpha·src[q·ld+i] for i < mr, q < kb.
	packAT func(dst, src []T, ld, kb, mr int, alpha T)
	// packRows, if not nil, copies the first nr values of kb rows of
	// src, ld values apart, into consecutive groups of dst (in assembly
	// where nr values take 64 or 128 bytes).
	packRows func(dst, src []T, ld, kb, nr int)
	// packCols, if not nil, replaces the Go packCols for op(B) = Bᵀ
	// (alpha 1).
	packCols func(dst, src []T, ld, kb, nn, nr int)
	// peak, if not nil, is the FMA-throughput loop of the kernel's
	// instruction set and element type, for benchmarks.
	peak *peakLoop
}

// peakLoop runs n iterations of independent vector FMAs, flops floating
// point operations each.
type peakLoop struct {
	run   func(n int)
	flops int
}

// Available micro-kernels, best first; init functions of the assembly
// files put theirs in front.
var (
	archs32 = []*arch[float32]{{name: "go 4x4", mr: 4, nr: 4, kc: 256, mc: 128, nc: 2048, kernel: kernelGo[float32]}}
	archs64 = []*arch[float64]{{name: "go 4x4", mr: 4, nr: 4, kc: 256, mc: 64, nc: 1024, kernel: kernelGo[float64]}}
)

// Kernel returns the name of the float32 and float64 micro-kernels in
// use, for example "avx2+fma 6x16" or "go 4x4".
func Kernel() (float32Kernel, float64Kernel string) {
	return archs32[0].name, archs64[0].name
}

// edgeKernel is a kernel for tiles of rows×cols.
type edgeKernel[T float] struct {
	rows, cols int
	kernel     func(k int, a, b, c []T, ldc int, load bool)
}

// stridedKernel is a kernel for tiles of rows×nr that reads B in place.
type stridedKernel[T float] struct {
	rows   int
	kernel func(k int, a, b, c []T, ldc, ldb int, load bool)
}

// stridedKernel returns the strided kernel for a tile of mm ≤ mr rows and
// the rows it computes: the one of fewest rows.
func (ar *arch[T]) stridedKernel(mm int) (func(k int, a, b, c []T, ldc, ldb int, load bool), int) {
	best := ar.strided[0]
	for _, s := range ar.strided {
		if mm <= s.rows && s.rows < best.rows {
			best = s
		}
	}
	return best.kernel, best.rows
}

// panelWidth returns the width of the packed panel of B, and of the
// tiles of C, for a column tile of nn ≤ nr columns: the narrower width
// of the edge kernels if nn fits, else nr.
func (ar *arch[T]) panelWidth(nn int) int {
	for _, e := range ar.edges {
		if e.cols < ar.nr && nn <= e.cols {
			return e.cols
		}
	}
	return ar.nr
}

// tileKernel returns the kernel for a tile of mm ≤ mr rows and width w
// (from panelWidth) and the rows it computes: the one of fewest rows.
func (ar *arch[T]) tileKernel(mm, w int) (func(k int, a, b, c []T, ldc int, load bool), int) {
	var kernel func(k int, a, b, c []T, ldc int, load bool)
	rows := 0
	if w == ar.nr {
		kernel, rows = ar.kernel, ar.mr
	}
	for _, e := range ar.edges {
		if e.cols == w && mm <= e.rows && (kernel == nil || e.rows < rows) {
			kernel, rows = e.kernel, e.rows
		}
	}
	return kernel, rows
}

// kernelGo is the portable 4×4 micro-kernel. The explicit conversions of
// the products forbid the compiler to fuse them with the additions, so the
// result is the same on every architecture.
func kernelGo[T float](k int, a, b, c []T, ldc int, load bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 T
	if load {
		r0, r1, r2, r3 := c[:4:4], c[ldc:ldc+4:ldc+4], c[2*ldc:2*ldc+4:2*ldc+4], c[3*ldc:3*ldc+4:3*ldc+4]
		c00, c01, c02, c03 = r0[0], r0[1], r0[2], r0[3]
		c10, c11, c12, c13 = r1[0], r1[1], r1[2], r1[3]
		c20, c21, c22, c23 = r2[0], r2[1], r2[2], r2[3]
		c30, c31, c32, c33 = r3[0], r3[1], r3[2], r3[3]
	}
	a, b = a[:4*k], b[:4*k]
	for p := 0; p+4 <= len(a) && p+4 <= len(b); p += 4 {
		ap, bp := a[p:p+4:p+4], b[p:p+4:p+4]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += T(a0 * b0)
		c01 += T(a0 * b1)
		c02 += T(a0 * b2)
		c03 += T(a0 * b3)
		c10 += T(a1 * b0)
		c11 += T(a1 * b1)
		c12 += T(a1 * b2)
		c13 += T(a1 * b3)
		c20 += T(a2 * b0)
		c21 += T(a2 * b1)
		c22 += T(a2 * b2)
		c23 += T(a2 * b3)
		c30 += T(a3 * b0)
		c31 += T(a3 * b1)
		c32 += T(a3 * b2)
		c33 += T(a3 * b3)
	}
	r0, r1, r2, r3 := c[:4:4], c[ldc:ldc+4:ldc+4], c[2*ldc:2*ldc+4:2*ldc+4], c[3*ldc:3*ldc+4:3*ldc+4]
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
	r2[0], r2[1], r2[2], r2[3] = c20, c21, c22, c23
	r3[0], r3[1], r3[2], r3[3] = c30, c31, c32, c33
}
