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

// func transpose8x8S(dst, src unsafe.Pointer, ld, blocks int)
//
// transpose8x8S reads 8 rows of 8·blocks float32 values from src, ld bytes
// apart, and writes column q (q < 8·blocks) of them as the 8 values at
// dst + 64·q: one half of a 16-wide packed panel of B. It needs AVX.
TEXT ·transpose8x8S(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ blocks+24(FP), CX
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
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 64(DI)
	VMOVUPS Y10, 128(DI)
	VMOVUPS Y11, 192(DI)
	VMOVUPS Y12, 256(DI)
	VMOVUPS Y13, 320(DI)
	VMOVUPS Y14, 384(DI)
	VMOVUPS Y15, 448(DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $512, DI
	DECQ CX
	JNZ tloop
tdone:
	VZEROUPPER
	RET

// func transpose4x4D(dst, src unsafe.Pointer, ld, blocks int)
//
// transpose4x4D reads 4 rows of 4·blocks float64 values from src, ld bytes
// apart, and writes column q of them as the 4 values at dst + 64·q: one
// half of an 8-wide packed panel of B. It needs AVX.
TEXT ·transpose4x4D(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), BX
	MOVQ blocks+24(FP), CX
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
	VMOVUPD Y9, 64(DI)
	VMOVUPD Y10, 128(DI)
	VMOVUPD Y11, 192(DI)
	ADDQ $32, SI
	ADDQ $256, DI
	DECQ CX
	JNZ dloop
ddone:
	VZEROUPPER
	RET
