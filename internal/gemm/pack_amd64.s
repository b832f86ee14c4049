//go:build !noasm && !purego

#include "textflag.h"

// func copyRows64(dst, src unsafe.Pointer, ld, rows int)
//
// copyRows64 copies 64 bytes from each of rows rows of src, ld bytes
// apart, to consecutive 64-byte groups of dst. It needs AVX.
TEXT ·copyRows64(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ rows+24(FP), CX
	TESTQ CX, CX
	JZ done
loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ BX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET

// func copyRows128(dst, src unsafe.Pointer, ld, rows int)
//
// copyRows128 is copyRows64 for 128 bytes per row.
TEXT ·copyRows128(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ rows+24(FP), CX
	TESTQ CX, CX
	JZ done128
loop128:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ BX, SI
	ADDQ $128, DI
	DECQ CX
	JNZ loop128
done128:
	VZEROUPPER
	RET

// func transpose8x8S(dst, src unsafe.Pointer, ld, blocks, ds int)
//
// transpose8x8S reads 8 rows of 8·blocks float32 values from src, ld bytes
// apart, and writes column q (q < 8·blocks) of them as the 8 values at
// dst + ds·q: 8 columns of a packed panel of B whose rows take ds bytes.
// It needs AVX.
TEXT ·transpose8x8S(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ blocks+24(FP), CX
	MOVQ ds+32(FP), R9
	LEAQ (R9)(R9*2), R10 // 3·ds
	TESTQ CX, CX
	JZ tdone
	LEAQ (BX)(BX*2), DX // 3·ld
	LEAQ (SI)(BX*4), R8 // row 4
tloop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(BX*1), Y1
	VMOVUPS (SI)(BX*2), Y2
	VMOVUPS (SI)(DX*1), Y3
	VMOVUPS (R8), Y4
	VMOVUPS (R8)(BX*1), Y5
	VMOVUPS (R8)(BX*2), Y6
	VMOVUPS (R8)(DX*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	LEAQ (DI)(R9*4), R11
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R9*1)
	VMOVUPS Y10, (DI)(R9*2)
	VMOVUPS Y11, (DI)(R10*1)
	VMOVUPS Y12, (R11)
	VMOVUPS Y13, (R11)(R9*1)
	VMOVUPS Y14, (R11)(R9*2)
	VMOVUPS Y15, (R11)(R10*1)
	ADDQ $32, SI
	ADDQ $32, R8
	LEAQ (R11)(R9*4), DI
	DECQ CX
	JNZ tloop
tdone:
	VZEROUPPER
	RET

// func transpose4x4D(dst, src unsafe.Pointer, ld, blocks, ds int)
//
// transpose4x4D reads 4 rows of 4·blocks float64 values from src, ld bytes
// apart, and writes column q of them as the 4 values at dst + ds·q: 4
// columns of a packed panel of B whose rows take ds bytes. It needs AVX.
TEXT ·transpose4x4D(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ blocks+24(FP), CX
	MOVQ ds+32(FP), R9
	LEAQ (R9)(R9*2), R10 // 3·ds
	TESTQ CX, CX
	JZ ddone
	LEAQ (BX)(BX*2), DX
dloop:
	VMOVUPD (SI), Y0
	VMOVUPD (SI)(BX*1), Y1
	VMOVUPD (SI)(BX*2), Y2
	VMOVUPD (SI)(DX*1), Y3
	VUNPCKLPD Y1, Y0, Y4
	VUNPCKHPD Y1, Y0, Y5
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y8
	VPERM2F128 $0x20, Y7, Y5, Y9
	VPERM2F128 $0x31, Y6, Y4, Y10
	VPERM2F128 $0x31, Y7, Y5, Y11
	VMOVUPD Y8, (DI)
	VMOVUPD Y9, (DI)(R9*1)
	VMOVUPD Y10, (DI)(R9*2)
	VMOVUPD Y11, (DI)(R10*1)
	ADDQ $32, SI
	LEAQ (DI)(R9*4), DI
	DECQ CX
	JNZ dloop
ddone:
	VZEROUPPER
	RET

// func packA4S(dst, src unsafe.Pointer, ld, blocks, ds int, alpha float32, tail bool)
//
// packA4S reads 4 rows of 8·blocks float32 values (4 more if tail) from
// src, ld bytes apart, multiplies them by alpha and writes column q of
// them as the 4 values at dst + ds·q: 4 rows of a packed panel of A whose
// steps take ds bytes. It prefetches the 4 rows that follow (the next
// call's, when a panel is packed 4 rows at a time). It needs AVX.
TEXT ·packA4S(SB), NOSPLIT, $0-45
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ blocks+24(FP), CX
	MOVQ ds+32(FP), R9
	VBROADCASTSS alpha+40(FP), Y15
	LEAQ (R9)(R9*2), R10 // 3·ds
	LEAQ (BX)(BX*2), DX  // 3·ld
	TESTQ CX, CX
	JZ adone
	LEAQ (SI)(BX*4), R12 // the next 4 rows
aloop:
	PREFETCHT0 (R12)
	PREFETCHT0 (R12)(BX*1)
	PREFETCHT0 (R12)(BX*2)
	PREFETCHT0 (R12)(DX*1)
	ADDQ $32, R12
	VMULPS (SI), Y15, Y0
	VMULPS (SI)(BX*1), Y15, Y1
	VMULPS (SI)(BX*2), Y15, Y2
	VMULPS (SI)(DX*1), Y15, Y3
	VUNPCKLPS Y1, Y0, Y4
	VUNPCKHPS Y1, Y0, Y5
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7
	VSHUFPS $0x44, Y6, Y4, Y0 // columns 0 and 4
	VSHUFPS $0xEE, Y6, Y4, Y1 // 1 and 5
	VSHUFPS $0x44, Y7, Y5, Y2 // 2 and 6
	VSHUFPS $0xEE, Y7, Y5, Y3 // 3 and 7
	LEAQ (DI)(R9*4), R11
	VMOVUPS X0, (DI)
	VMOVUPS X1, (DI)(R9*1)
	VMOVUPS X2, (DI)(R9*2)
	VMOVUPS X3, (DI)(R10*1)
	VEXTRACTF128 $1, Y0, (R11)
	VEXTRACTF128 $1, Y1, (R11)(R9*1)
	VEXTRACTF128 $1, Y2, (R11)(R9*2)
	VEXTRACTF128 $1, Y3, (R11)(R10*1)
	ADDQ $32, SI
	LEAQ (R11)(R9*4), DI
	DECQ CX
	JNZ aloop
adone:
	MOVBQZX tail+44(FP), CX
	TESTQ CX, CX
	JZ aret
	// 4 more columns, as a 4×4 transpose.
	VMULPS (SI), X15, X0
	VMULPS (SI)(BX*1), X15, X1
	VMULPS (SI)(BX*2), X15, X2
	VMULPS (SI)(DX*1), X15, X3
	VUNPCKLPS X1, X0, X4
	VUNPCKHPS X1, X0, X5
	VUNPCKLPS X3, X2, X6
	VUNPCKHPS X3, X2, X7
	VSHUFPS $0x44, X6, X4, X0
	VSHUFPS $0xEE, X6, X4, X1
	VSHUFPS $0x44, X7, X5, X2
	VSHUFPS $0xEE, X7, X5, X3
	VMOVUPS X0, (DI)
	VMOVUPS X1, (DI)(R9*1)
	VMOVUPS X2, (DI)(R9*2)
	VMOVUPS X3, (DI)(R10*1)
aret:
	VZEROUPPER
	RET

// func packA4D(dst, src unsafe.Pointer, ld, blocks, ds int, alpha float64)
//
// packA4D is packA4S for float64, 4·blocks values per row.
TEXT ·packA4D(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ blocks+24(FP), CX
	MOVQ ds+32(FP), R9
	VBROADCASTSD alpha+40(FP), Y15
	LEAQ (R9)(R9*2), R10 // 3·ds
	LEAQ (BX)(BX*2), DX  // 3·ld
	TESTQ CX, CX
	JZ bdone
	LEAQ (SI)(BX*4), R12 // the next 4 rows
bloop:
	PREFETCHT0 (R12)
	PREFETCHT0 (R12)(BX*1)
	PREFETCHT0 (R12)(BX*2)
	PREFETCHT0 (R12)(DX*1)
	ADDQ $32, R12
	VMULPD (SI), Y15, Y0
	VMULPD (SI)(BX*1), Y15, Y1
	VMULPD (SI)(BX*2), Y15, Y2
	VMULPD (SI)(DX*1), Y15, Y3
	VUNPCKLPD Y1, Y0, Y4
	VUNPCKHPD Y1, Y0, Y5
	VUNPCKLPD Y3, Y2, Y6
	VUNPCKHPD Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y8
	VPERM2F128 $0x20, Y7, Y5, Y9
	VPERM2F128 $0x31, Y6, Y4, Y10
	VPERM2F128 $0x31, Y7, Y5, Y11
	VMOVUPD Y8, (DI)
	VMOVUPD Y9, (DI)(R9*1)
	VMOVUPD Y10, (DI)(R9*2)
	VMOVUPD Y11, (DI)(R10*1)
	ADDQ $32, SI
	LEAQ (DI)(R9*4), DI
	DECQ CX
	JNZ bloop
bdone:
	VZEROUPPER
	RET

// func scaleRows48S(dst, src unsafe.Pointer, ld, rows int, alpha float32)
//
// scaleRows48S multiplies the first 12 float32 values (48 bytes) of rows
// rows of src, ld bytes apart, by alpha into consecutive groups of 12 of
// dst: a packed 12-row panel of A from Aᵀ. It needs AVX.
TEXT ·scaleRows48S(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ rows+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y15
	TESTQ CX, CX
	JZ sdone
sloop:
	VMULPS (SI), Y15, Y0
	VMULPS 32(SI), X15, X1
	VMOVUPS Y0, (DI)
	VMOVUPS X1, 32(DI)
	ADDQ BX, SI
	ADDQ $48, DI
	DECQ CX
	JNZ sloop
sdone:
	VZEROUPPER
	RET

// func scaleRows96D(dst, src unsafe.Pointer, ld, rows int, alpha float64)
//
// scaleRows96D is scaleRows48S for 12 float64 values (96 bytes) per row.
TEXT ·scaleRows96D(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ rows+24(FP), CX
	VBROADCASTSD alpha+32(FP), Y15
	TESTQ CX, CX
	JZ ddone96
dloop96:
	VMULPD (SI), Y15, Y0
	VMULPD 32(SI), Y15, Y1
	VMULPD 64(SI), Y15, Y2
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	ADDQ BX, SI
	ADDQ $96, DI
	DECQ CX
	JNZ dloop96
ddone96:
	VZEROUPPER
	RET
