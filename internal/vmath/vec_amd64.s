//go:build !noasm && !purego

#include "textflag.h"

// The constants of exp.go, as float32 (or int32) bit patterns.
DATA ·sigConst+0(SB)/4, $0x80000000  // sign bit
DATA ·sigConst+4(SB)/4, $0x3fb8aa3b  // log2e
DATA ·sigConst+8(SB)/4, $0x3f318000  // ln2Hi
DATA ·sigConst+12(SB)/4, $0xb95e8083 // ln2Lo
DATA ·sigConst+16(SB)/4, $0x39506967 // p0
DATA ·sigConst+20(SB)/4, $0x3ab743ce // p1
DATA ·sigConst+24(SB)/4, $0x3c088908 // p2
DATA ·sigConst+28(SB)/4, $0x3d2aa9c1 // p3
DATA ·sigConst+32(SB)/4, $0x3e2aaaaa // p4
DATA ·sigConst+36(SB)/4, $0x3f000000 // p5
DATA ·sigConst+40(SB)/4, $0x3f800000 // 1
DATA ·sigConst+44(SB)/4, $0x43051591 // maxXSig
DATA ·sigConst+48(SB)/4, $0xc2cff1b4 // minX
DATA ·sigConst+52(SB)/4, $0x7f800000 // +Inf
DATA ·sigConst+56(SB)/4, $127        // exponent bias
DATA ·sigConst+60(SB)/4, $64         // sigShift
DATA ·sigConst+64(SB)/4, $0x1f800000 // 2⁻⁶⁴
GLOBL ·sigConst(SB), RODATA|NOPTR, $68

// func sigmoidAVX2(x, y *float32, n int)
//
// sigmoidAVX2 writes y[i] = Sigmoid32(x[i]) for i < n, n a multiple of 8,
// with the operations of exp.go in the same order, 8 lanes at a time.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS ·sigConst+0(SB), Y15  // sign
	VBROADCASTSS ·sigConst+4(SB), Y14  // log2e
	VBROADCASTSS ·sigConst+8(SB), Y13  // ln2Hi
	VBROADCASTSS ·sigConst+12(SB), Y12 // ln2Lo
	VBROADCASTSS ·sigConst+64(SB), Y11 // 2⁻⁶⁴
	VBROADCASTSS ·sigConst+56(SB), Y10 // 127
	SHRQ $3, CX
	JZ done
loop:
	VMOVUPS (SI), Y0
	VXORPS Y15, Y0, Y0          // x = −x
	VMULPS Y14, Y0, Y1          // x·log2e
	VROUNDPS $0, Y1, Y1         // n, to nearest even
	VMULPS Y13, Y1, Y2          // n·ln2Hi
	VSUBPS Y2, Y0, Y3           // r = x − n·ln2Hi
	VMULPS Y12, Y1, Y2          // n·ln2Lo
	VSUBPS Y2, Y3, Y3           // r −= n·ln2Lo
	VBROADCASTSS ·sigConst+16(SB), Y4
	VMULPS Y3, Y4, Y4
	VBROADCASTSS ·sigConst+20(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y3, Y4, Y4
	VBROADCASTSS ·sigConst+24(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y3, Y4, Y4
	VBROADCASTSS ·sigConst+28(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y3, Y4, Y4
	VBROADCASTSS ·sigConst+32(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y3, Y4, Y4
	VBROADCASTSS ·sigConst+36(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y3, Y3, Y5           // r·r
	VMULPS Y5, Y4, Y4
	VADDPS Y3, Y4, Y4           // p·r² + r
	VBROADCASTSS ·sigConst+40(SB), Y5
	VADDPS Y5, Y4, Y4           // + 1
	VCVTPS2DQ Y1, Y6            // n
	VPBROADCASTD ·sigConst+60(SB), Y5
	VPSUBD Y5, Y6, Y6           // k = n − sigShift
	VPSRAD $1, Y6, Y7           // h = k>>1
	VPSUBD Y7, Y6, Y6           // k − h
	VPADDD Y10, Y7, Y7
	VPSLLD $23, Y7, Y7          // 2^h
	VPADDD Y10, Y6, Y6
	VPSLLD $23, Y6, Y6          // 2^(k−h)
	VMULPS Y7, Y4, Y4
	VMULPS Y6, Y4, Y4           // e^x in range
	VBROADCASTSS ·sigConst+44(SB), Y5
	VCMPPS $0x1e, Y5, Y0, Y6    // x > maxXSig
	VBROADCASTSS ·sigConst+52(SB), Y5
	VBLENDVPS Y6, Y5, Y4, Y4    // +Inf
	VBROADCASTSS ·sigConst+48(SB), Y5
	VCMPPS $0x11, Y5, Y0, Y6    // x < minX
	VXORPS Y5, Y5, Y5
	VBLENDVPS Y6, Y5, Y4, Y4    // 0
	VCMPPS $3, Y0, Y0, Y6       // x is NaN
	VBLENDVPS Y6, Y0, Y4, Y4    // x
	VADDPS Y11, Y4, Y4          // 2⁻⁶⁴ + e
	VDIVPS Y4, Y11, Y4          // 2⁻⁶⁴/(2⁻⁶⁴ + e)
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET
