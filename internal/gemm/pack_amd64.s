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
