//go:build !noasm && !purego

package gemm

import (
	"unsafe"

	"github.com/gozoo/zoo/internal/cpufeat"
)

//go:generate go run gen_kernel.go

//go:noescape
func kernS6x16(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernD6x8(k int, a, b, c *float64, ldc int, load bool)

//go:noescape
func kernS12x32(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernD12x16(k int, a, b, c *float64, ldc int, load bool)

// The edge kernels (see gen_kernel.go).

//go:noescape
func kernS6x8(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernD6x4(k int, a, b, c *float64, ldc int, load bool)

//go:noescape
func kernS12x16(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernS8x32(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernS8x16(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernS4x32(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernS4x16(k int, a, b, c *float32, ldc int, load bool)

//go:noescape
func kernD12x8(k int, a, b, c *float64, ldc int, load bool)

//go:noescape
func kernD8x16(k int, a, b, c *float64, ldc int, load bool)

//go:noescape
func kernD8x8(k int, a, b, c *float64, ldc int, load bool)

//go:noescape
func kernD4x16(k int, a, b, c *float64, ldc int, load bool)

//go:noescape
func kernD4x8(k int, a, b, c *float64, ldc int, load bool)

// columnKernels are kernS12c4p<np>, np = 1…4.
var columnKernels = [...]func(k int, a *float32, aStride int, b, c *float32, ldc int, load bool, rows, colMask int){
	kernS12c4p1, kernS12c4p2, kernS12c4p3, kernS12c4p4,
}

//go:noescape
func kernS12c4p1(k int, a *float32, aStride int, b, c *float32, ldc int, load bool, rows, colMask int)

//go:noescape
func kernS12c4p2(k int, a *float32, aStride int, b, c *float32, ldc int, load bool, rows, colMask int)

//go:noescape
func kernS12c4p3(k int, a *float32, aStride int, b, c *float32, ldc int, load bool, rows, colMask int)

//go:noescape
func kernS12c4p4(k int, a *float32, aStride int, b, c *float32, ldc int, load bool, rows, colMask int)

// avx512ColumnsS is arch.columns of the AVX-512 float32 kernel: the mb
// rows (panels of 12) and nn ≤ 4 columns (a panel of B 16 wide) of C, a
// column of a panel per register, up to 4 panels at a time (16
// independent chains of fused multiply-adds).
func avx512ColumnsS(k int, a, b, c []float32, ldc int, load bool, mb, nn int) {
	panels := (mb + 11) / 12
	_, _, _ = a[12*k*panels-1], b[16*k-1], c[(mb-1)*ldc+nn-1]
	for g := 0; g < panels; g += len(columnKernels) {
		n := min(len(columnKernels), panels-g)
		rows := min(12, mb-12*(g+n-1))
		columnKernels[n-1](k, &a[12*k*g], 12*k*4, &b[0], &c[12*g*ldc], ldc, load, rows, 1<<nn-1)
	}
}

//go:noescape
func kernS12x32s(k int, a, b, c *float32, ldc, ldb int, load bool)

//go:noescape
func kernS8x32s(k int, a, b, c *float32, ldc, ldb int, load bool)

//go:noescape
func kernS4x32s(k int, a, b, c *float32, ldc, ldb int, load bool)

//go:noescape
func kernD12x16s(k int, a, b, c *float64, ldc, ldb int, load bool)

//go:noescape
func kernD8x16s(k int, a, b, c *float64, ldc, ldb int, load bool)

//go:noescape
func kernD4x16s(k int, a, b, c *float64, ldc, ldb int, load bool)

// strided returns the strided kernel asm for tiles of rows×cols on panels
// of A of mr rows, calling it after checking that the panel of A, the
// rows of B and the tile lie inside their slices.
func strided[T float](asm func(k int, a, b, c *T, ldc, ldb int, load bool), rows, cols, mr int) stridedKernel[T] {
	return stridedKernel[T]{rows: rows, kernel: func(k int, a, b, c []T, ldc, ldb int, load bool) {
		_, _, _ = a[mr*k-1], b[(k-1)*ldb+cols-1], c[(rows-1)*ldc+cols-1]
		asm(k, &a[0], &b[0], &c[0], ldc, ldb, load)
	}}
}

// edge returns the edge kernel asm for tiles of rows×cols on panels of
// A of mr rows, calling it after checking that the panels and the tile
// lie inside their slices.
func edge[T float](asm func(k int, a, b, c *T, ldc int, load bool), rows, cols, mr int) edgeKernel[T] {
	return edgeKernel[T]{rows: rows, cols: cols, kernel: func(k int, a, b, c []T, ldc int, load bool) {
		_, _, _ = a[mr*k-1], b[cols*k-1], c[(rows-1)*ldc+cols-1]
		asm(k, &a[0], &b[0], &c[0], ldc, load)
	}}
}

// avx2S calls the float32 AVX2 kernel after checking that the panels and
// the tile lie inside their slices.
func avx2S(k int, a, b, c []float32, ldc int, load bool) {
	_, _, _ = a[6*k-1], b[16*k-1], c[5*ldc+15]
	kernS6x16(k, &a[0], &b[0], &c[0], ldc, load)
}

// avx2D calls the float64 AVX2 kernel after checking that the panels and
// the tile lie inside their slices.
func avx2D(k int, a, b, c []float64, ldc int, load bool) {
	_, _, _ = a[6*k-1], b[8*k-1], c[5*ldc+7]
	kernD6x8(k, &a[0], &b[0], &c[0], ldc, load)
}

// avx512S calls the float32 AVX-512 kernel after checking that the panels
// and the tile lie inside their slices.
func avx512S(k int, a, b, c []float32, ldc int, load bool) {
	_, _, _ = a[12*k-1], b[32*k-1], c[11*ldc+31]
	kernS12x32(k, &a[0], &b[0], &c[0], ldc, load)
}

// avx512D calls the float64 AVX-512 kernel after checking that the panels
// and the tile lie inside their slices.
func avx512D(k int, a, b, c []float64, ldc int, load bool) {
	_, _, _ = a[12*k-1], b[16*k-1], c[11*ldc+15]
	kernD12x16(k, &a[0], &b[0], &c[0], ldc, load)
}

// Block sizes for Zen 3 and Haswell-class cores (32 KiB L1d, ≥ 256 KiB
// L2): a kc×nr panel of B (16 KiB) stays in L1 while the mc×kc block of A
// (144 KiB float32, 144 KiB float64) streams from L2. The AVX-512 kernels
// are sized for Zen 4/5 and Skylake-X-class cores (≥ 32 KiB L1d, ≥ 1 MiB
// L2): a 32 KiB panel of B and a 288 KiB block of A.
var (
	avx2Float32 = &arch[float32]{name: "avx2+fma 6x16", mr: 6, nr: 16, kc: 256, mc: 144, nc: 2048, kernel: avx2S,
		edges: []edgeKernel[float32]{edge(kernS6x8, 6, 8, 6)}}
	avx2Float64 = &arch[float64]{name: "avx2+fma 6x8", mr: 6, nr: 8, kc: 256, mc: 72, nc: 1024, kernel: avx2D,
		edges: []edgeKernel[float64]{edge(kernD6x4, 6, 4, 6)}}
	avx512Float32 = &arch[float32]{name: "avx512f 12x32", mr: 12, nr: 32, kc: 256, mc: 288, nc: 2048, kernel: avx512S,
		edges: []edgeKernel[float32]{edge(kernS12x16, 12, 16, 12), edge(kernS8x32, 8, 32, 12),
			edge(kernS8x16, 8, 16, 12), edge(kernS4x32, 4, 32, 12), edge(kernS4x16, 4, 16, 12)},
		strided: []stridedKernel[float32]{strided(kernS12x32s, 12, 32, 12), strided(kernS8x32s, 8, 32, 12),
			strided(kernS4x32s, 4, 32, 12)}}
	avx512Float64 = &arch[float64]{name: "avx512f 12x16", mr: 12, nr: 16, kc: 256, mc: 144, nc: 1024, kernel: avx512D,
		edges: []edgeKernel[float64]{edge(kernD12x8, 12, 8, 12), edge(kernD8x16, 8, 16, 12),
			edge(kernD8x8, 8, 8, 12), edge(kernD4x16, 4, 16, 12), edge(kernD4x8, 4, 8, 12)},
		strided: []stridedKernel[float64]{strided(kernD12x16s, 12, 16, 12), strided(kernD8x16s, 8, 16, 12),
			strided(kernD4x16s, 4, 16, 12)}}
)

func init() {
	if !cpufeat.HasAVX2FMA() {
		return
	}
	avx2Float32.packCols = packColsAVXS
	avx2Float64.packCols = packColsAVXD
	avx2Float32.packRows = packRowsAVX[float32]
	avx2Float64.packRows = packRowsAVX[float64]
	avx2Float32.packA = packAAVX[float32]
	avx2Float64.packA = packAAVX[float64]
	archs32 = append([]*arch[float32]{avx2Float32}, archs32...)
	archs64 = append([]*arch[float64]{avx2Float64}, archs64...)
	if disableAVX512 || !cpufeat.HasAVX512() {
		return
	}
	avx512Float32.packCols = packColsAVXS
	avx512Float64.packCols = packColsAVXD
	avx512Float32.packRows = packRowsAVX[float32]
	avx512Float64.packRows = packRowsAVX[float64]
	avx512Float32.packA = packAAVX[float32]
	avx512Float32.columns, avx512Float32.maxColumns = avx512ColumnsS, 4
	avx512Float64.packA = packAAVX[float64]
	avx512Float32.packAT = packATAVX[float32]
	avx512Float64.packAT = packATAVX[float64]
	archs32 = append([]*arch[float32]{avx512Float32}, archs32...)
	archs64 = append([]*arch[float64]{avx512Float64}, archs64...)
}

//go:noescape
func copyRows64(dst, src unsafe.Pointer, ld, rows int)

//go:noescape
func copyRows128(dst, src unsafe.Pointer, ld, rows int)

// packRowsAVX copies the first nr values of kb rows of src, ld values
// apart, into consecutive groups of dst: in assembly for groups of 64 or
// 128 bytes.
func packRowsAVX[T float](dst, src []T, ld, kb, nr int) {
	_, _ = dst[kb*nr-1], src[(kb-1)*ld+nr-1]
	switch size := int(unsafe.Sizeof(dst[0])); nr * size {
	case 128:
		copyRows128(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld*size, kb)
	case 64:
		copyRows64(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), ld*size, kb)
	default:
		for q := range kb {
			copy(dst[q*nr:q*nr+nr], src[q*ld:])
		}
	}
}

//go:noescape
func packA4S(dst, src unsafe.Pointer, ld, blocks, ds int, alpha float32, tail bool)

//go:noescape
func packA4D(dst, src unsafe.Pointer, ld, blocks, ds int, alpha float64)

// packAAVX is arch.packA: groups of 4 rows and of 32 bytes of each (and
// a last group of 4 float32 columns) are scaled and transposed in
// assembly (packA4S, packA4D), the other rows and columns by scaleRows,
// with the same multiplications.
func packAAVX[T float](dst, src []T, ld, kb, mm, mr int, alpha T) {
	size := int(unsafe.Sizeof(dst[0]))
	blocks, done, rows := kb/4, 0, 0
	if blocks > 0 && mm >= 4 {
		_, _ = dst[kb*mr-1], src[(mm-1)*ld+kb-1]
		if size == 4 {
			blocks, done = kb/8, kb/8*8
			if kb%8 >= 4 {
				done += 4
			}
		} else {
			done = blocks * 4
		}
		for ; rows+4 <= mm; rows += 4 {
			d, s := unsafe.Pointer(&dst[rows]), unsafe.Pointer(&src[rows*ld])
			if size == 4 {
				packA4S(d, s, ld*size, blocks, mr*size, *(*float32)(unsafe.Pointer(&alpha)), kb%8 >= 4)
			} else {
				packA4D(d, s, ld*size, blocks, mr*size, *(*float64)(unsafe.Pointer(&alpha)))
			}
		}
	}
	scaleRows(dst, src, ld, 0, rows, done, kb, mr, alpha)
	scaleRows(dst, src, ld, rows, mm, 0, kb, mr, alpha)
	if mm < mr {
		for q := range kb {
			clear(dst[q*mr+mm : q*mr+mr])
		}
	}
}

//go:noescape
func transpose8x8S(dst, src unsafe.Pointer, ld, blocks, ds int)

//go:noescape
func transpose4x4D(dst, src unsafe.Pointer, ld, blocks, ds int)

// packColsAVXS transposes nr (16 or 32) rows of kb float32 values of src
// (ld apart) into an nr-wide panel, 8×8 blocks at a time; the last kb mod
// 8 columns and partial panels go through packCols.
func packColsAVXS(dst, src []float32, ld, kb, nn, nr int) {
	blocks := kb / 8
	full := nn &^ 7
	if nr%8 != 0 || blocks == 0 || full == 0 {
		packCols(dst, src, ld, kb, nn, nr, 1)
		return
	}
	_, _ = dst[kb*nr-1], src[(full-1)*ld+kb-1]
	for j := 0; j < full; j += 8 {
		transpose8x8S(unsafe.Pointer(&dst[j]), unsafe.Pointer(&src[j*ld]), ld*4, blocks, nr*4)
	}
	if q := blocks * 8; q < kb {
		packCols(dst[q*nr:], src[q:], ld, kb-q, full, nr, 1)
	}
	// The last nn − full columns, then the zero padding, in Go.
	for j := full; j < nn; j++ {
		r := src[j*ld:][:kb]
		for q, v := range r {
			dst[q*nr+j] = v
		}
	}
	if nn < nr {
		for q := range kb {
			clear(dst[q*nr+nn : q*nr+nr])
		}
	}
}

// packColsAVXD is packColsAVXS for float64 panels 8 or 16 wide, in 4×4
// blocks.
func packColsAVXD(dst, src []float64, ld, kb, nn, nr int) {
	blocks := kb / 4
	if nn != nr || nr%4 != 0 || blocks == 0 {
		packCols(dst, src, ld, kb, nn, nr, 1)
		return
	}
	_, _ = dst[kb*nr-1], src[(nr-1)*ld+kb-1]
	for j := 0; j < nr; j += 4 {
		transpose4x4D(unsafe.Pointer(&dst[j]), unsafe.Pointer(&src[j*ld]), ld*8, blocks, nr*8)
	}
	if q := blocks * 4; q < kb {
		packCols(dst[q*nr:], src[q:], ld, kb-q, nr, nr, 1)
	}
}

//go:noescape
func scaleRows48S(dst, src unsafe.Pointer, ld, rows int, alpha float32)

//go:noescape
func scaleRows96D(dst, src unsafe.Pointer, ld, rows int, alpha float64)

// packATAVX is arch.packAT for panels of 12 rows (scaleRows48S,
// scaleRows96D); other heights go through scaleRows.
func packATAVX[T float](dst, src []T, ld, kb, mr int, alpha T) {
	if mr != 12 {
		for q := range kb {
			for i, v := range src[q*ld : q*ld+mr] {
				dst[q*mr+i] = alpha * v
			}
		}
		return
	}
	_, _ = dst[kb*mr-1], src[(kb-1)*ld+mr-1]
	size := int(unsafe.Sizeof(dst[0]))
	d, s := unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0])
	if size == 4 {
		scaleRows48S(d, s, ld*size, kb, *(*float32)(unsafe.Pointer(&alpha)))
		return
	}
	scaleRows96D(d, s, ld*size, kb, *(*float64)(unsafe.Pointer(&alpha)))
}
