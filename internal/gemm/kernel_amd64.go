//go:build !noasm && !purego

package gemm

import "unsafe"

//go:generate go run gen_kernel.go

//go:noescape
func kernS6x16(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernD6x8(k int, a, b, c *float64, ldc int, load bool)

// avx2S calls the float32 assembly kernel after checking that the panels
// and the tile lie inside their slices.
func avx2S(k int, a, b, c []float32, ldc int, load bool) {
	_, _, _ = a[6*k-1], b[16*k-1], c[5*ldc+15]
	kernS6x16(k, &a[0], &b[0], &c[0], ldc, load)
}

// avx2D calls the float64 assembly kernel after checking that the panels
// and the tile lie inside their slices.
func avx2D(k int, a, b, c []float64, ldc int, load bool) {
	_, _, _ = a[6*k-1], b[8*k-1], c[5*ldc+7]
	kernD6x8(k, &a[0], &b[0], &c[0], ldc, load)
}

// Block sizes for Zen 3 and Haswell-class cores (32 KiB L1d, ≥ 256 KiB
// L2): a kc×nr panel of B (16 KiB) stays in L1 while the mc×kc block of A
// (144 KiB float32, 144 KiB float64) streams from L2.
var (
	avx2Float32 = &arch[float32]{name: "avx2+fma 6x16", mr: 6, nr: 16, kc: 256, mc: 144, nc: 2048, kernel: avx2S}
	avx2Float64 = &arch[float64]{name: "avx2+fma 6x8", mr: 6, nr: 8, kc: 256, mc: 72, nc: 1024, kernel: avx2D}
)

func init() {
	if hasAVX2FMA() {
		avx2Float32.packCols = packColsAVXS
		avx2Float64.packCols = packColsAVXD
		avx2Float32.packRows64 = packRows64AVX[float32]
		avx2Float64.packRows64 = packRows64AVX[float64]
		archs32 = append([]*arch[float32]{avx2Float32}, archs32...)
		archs64 = append([]*arch[float64]{avx2Float64}, archs64...)
	}
}

//go:noescape
func copyRows64(dst, src unsafe.Pointer, ld, rows int)

// packRows64AVX copies the first 64 bytes (nr values) of kb rows of src,
// ld values apart, into consecutive groups of dst.
func packRows64AVX[T float](dst, src []T, ld, kb, nr int) {
	_, _ = dst[kb*nr-1], src[(kb-1)*ld+nr-1]
	size := 64 / nr
	copyRows64(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld*size, kb)
}

//go:noescape
func transpose8x8S(dst, src unsafe.Pointer, ld, blocks int)

//go:noescape
func transpose4x4D(dst, src unsafe.Pointer, ld, blocks int)

// packColsAVXS transposes 16 rows of kb float32 values of src (ld apart)
// into a 16-wide panel, 8×8 blocks at a time; the last kb mod 8 columns
// and partial panels go through packCols.
func packColsAVXS(dst, src []float32, ld, kb, nn, nr int) {
	blocks := kb / 8
	if nn != 16 || nr != 16 || blocks == 0 {
		packCols(dst, src, ld, kb, nn, nr, 1)
		return
	}
	_, _ = dst[kb*16-1], src[15*ld+kb-1]
	transpose8x8S(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld*4, blocks)
	transpose8x8S(unsafe.Pointer(&dst[8]), unsafe.Pointer(&src[8*ld]), ld*4, blocks)
	if q := blocks * 8; q < kb {
		packCols(dst[q*16:], src[q:], ld, kb-q, 16, 16, 1)
	}
}

// packColsAVXD is packColsAVXS for float64 panels 8 wide, in 4×4 blocks.
func packColsAVXD(dst, src []float64, ld, kb, nn, nr int) {
	blocks := kb / 4
	if nn != 8 || nr != 8 || blocks == 0 {
		packCols(dst, src, ld, kb, nn, nr, 1)
		return
	}
	_, _ = dst[kb*8-1], src[7*ld+kb-1]
	transpose4x4D(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld*8, blocks)
	transpose4x4D(unsafe.Pointer(&dst[4]), unsafe.Pointer(&src[4*ld]), ld*8, blocks)
	if q := blocks * 4; q < kb {
		packCols(dst[q*8:], src[q:], ld, kb-q, 8, 8, 1)
	}
}
