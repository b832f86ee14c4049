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

// func sigmoidAVX512(x, y *float32, n int)
//
// sigmoidAVX512 is sigmoidAVX2 for n a multiple of 16, 16 lanes at a time:
// the same operations in the same order (VRNDSCALEPS $0 rounds to nearest
// even as VROUNDPS $0 does; the selections use mask registers). The main
// loop interleaves two blocks of 16 (Z0–Z6 and Z25–Z31), whose chains of
// dependent operations then overlap; the polynomial's coefficients stay in
// Z19–Z24.
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VPBROADCASTD ·sigConst+0(SB), Z15  // sign
	VBROADCASTSS ·sigConst+4(SB), Z14  // log2e
	VBROADCASTSS ·sigConst+8(SB), Z13  // ln2Hi
	VBROADCASTSS ·sigConst+12(SB), Z12 // ln2Lo
	VBROADCASTSS ·sigConst+64(SB), Z11 // 2⁻⁶⁴
	VPBROADCASTD ·sigConst+56(SB), Z10 // 127
	VBROADCASTSS ·sigConst+44(SB), Z9  // maxXSig
	VBROADCASTSS ·sigConst+52(SB), Z8  // +Inf
	VBROADCASTSS ·sigConst+48(SB), Z7  // minX
	VPBROADCASTD ·sigConst+60(SB), Z16 // sigShift
	VBROADCASTSS ·sigConst+40(SB), Z17 // 1
	VPXORD Z18, Z18, Z18               // 0
	VBROADCASTSS ·sigConst+16(SB), Z19 // p0
	VBROADCASTSS ·sigConst+20(SB), Z20 // p1
	VBROADCASTSS ·sigConst+24(SB), Z21 // p2
	VBROADCASTSS ·sigConst+28(SB), Z22 // p3
	VBROADCASTSS ·sigConst+32(SB), Z23 // p4
	VBROADCASTSS ·sigConst+36(SB), Z24 // p5
	SHRQ $4, CX
loop2:
	CMPQ CX, $2
	JL   tail
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z25
	VPXORD Z15, Z0, Z0          // x = −x
	VPXORD Z15, Z25, Z25
	VMULPS Z14, Z0, Z1          // x·log2e
	VMULPS Z14, Z25, Z26
	VRNDSCALEPS $0, Z1, Z1      // n, to nearest even
	VRNDSCALEPS $0, Z26, Z26
	VMULPS Z13, Z1, Z2          // n·ln2Hi
	VMULPS Z13, Z26, Z27
	VSUBPS Z2, Z0, Z3           // r = x − n·ln2Hi
	VSUBPS Z27, Z25, Z28
	VMULPS Z12, Z1, Z2          // n·ln2Lo
	VMULPS Z12, Z26, Z27
	VSUBPS Z2, Z3, Z3           // r −= n·ln2Lo
	VSUBPS Z27, Z28, Z28
	VMULPS Z3, Z19, Z4
	VMULPS Z28, Z19, Z29
	VADDPS Z20, Z4, Z4
	VADDPS Z20, Z29, Z29
	VMULPS Z3, Z4, Z4
	VMULPS Z28, Z29, Z29
	VADDPS Z21, Z4, Z4
	VADDPS Z21, Z29, Z29
	VMULPS Z3, Z4, Z4
	VMULPS Z28, Z29, Z29
	VADDPS Z22, Z4, Z4
	VADDPS Z22, Z29, Z29
	VMULPS Z3, Z4, Z4
	VMULPS Z28, Z29, Z29
	VADDPS Z23, Z4, Z4
	VADDPS Z23, Z29, Z29
	VMULPS Z3, Z4, Z4
	VMULPS Z28, Z29, Z29
	VADDPS Z24, Z4, Z4
	VADDPS Z24, Z29, Z29
	VMULPS Z3, Z3, Z5           // r·r
	VMULPS Z28, Z28, Z30
	VMULPS Z5, Z4, Z4
	VMULPS Z30, Z29, Z29
	VADDPS Z3, Z4, Z4           // p·r² + r
	VADDPS Z28, Z29, Z29
	VADDPS Z17, Z4, Z4          // + 1
	VADDPS Z17, Z29, Z29
	VCVTPS2DQ Z1, Z6            // n
	VCVTPS2DQ Z26, Z31
	VPSUBD Z16, Z6, Z6          // k = n − sigShift
	VPSUBD Z16, Z31, Z31
	VPSRAD $1, Z6, Z5           // h = k>>1
	VPSRAD $1, Z31, Z30
	VPSUBD Z5, Z6, Z6           // k − h
	VPSUBD Z30, Z31, Z31
	VPADDD Z10, Z5, Z5
	VPADDD Z10, Z30, Z30
	VPSLLD $23, Z5, Z5          // 2^h
	VPSLLD $23, Z30, Z30
	VPADDD Z10, Z6, Z6
	VPADDD Z10, Z31, Z31
	VPSLLD $23, Z6, Z6          // 2^(k−h)
	VPSLLD $23, Z31, Z31
	VMULPS Z5, Z4, Z4
	VMULPS Z30, Z29, Z29
	VMULPS Z6, Z4, Z4           // e^x in range
	VMULPS Z31, Z29, Z29
	VCMPPS $0x1e, Z9, Z0, K1    // x > maxXSig
	VCMPPS $0x1e, Z9, Z25, K2
	VMOVAPS Z8, K1, Z4          // +Inf
	VMOVAPS Z8, K2, Z29
	VCMPPS $0x11, Z7, Z0, K1    // x < minX
	VCMPPS $0x11, Z7, Z25, K2
	VMOVAPS Z18, K1, Z4         // 0
	VMOVAPS Z18, K2, Z29
	VCMPPS $3, Z0, Z0, K1       // x is NaN
	VCMPPS $3, Z25, Z25, K2
	VMOVAPS Z0, K1, Z4          // x
	VMOVAPS Z25, K2, Z29
	VADDPS Z11, Z4, Z4          // 2⁻⁶⁴ + e
	VADDPS Z11, Z29, Z29
	VDIVPS Z4, Z11, Z4          // 2⁻⁶⁴/(2⁻⁶⁴ + e)
	VDIVPS Z29, Z11, Z29
	VMOVUPS Z4, (DI)
	VMOVUPS Z29, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $2, CX
	JMP  loop2
tail:
	TESTQ CX, CX
	JZ    done
	VMOVUPS (SI), Z0
	VPXORD Z15, Z0, Z0          // x = −x
	VMULPS Z14, Z0, Z1          // x·log2e
	VRNDSCALEPS $0, Z1, Z1      // n, to nearest even
	VMULPS Z13, Z1, Z2          // n·ln2Hi
	VSUBPS Z2, Z0, Z3           // r = x − n·ln2Hi
	VMULPS Z12, Z1, Z2          // n·ln2Lo
	VSUBPS Z2, Z3, Z3           // r −= n·ln2Lo
	VMULPS Z3, Z19, Z4
	VADDPS Z20, Z4, Z4
	VMULPS Z3, Z4, Z4
	VADDPS Z21, Z4, Z4
	VMULPS Z3, Z4, Z4
	VADDPS Z22, Z4, Z4
	VMULPS Z3, Z4, Z4
	VADDPS Z23, Z4, Z4
	VMULPS Z3, Z4, Z4
	VADDPS Z24, Z4, Z4
	VMULPS Z3, Z3, Z5           // r·r
	VMULPS Z5, Z4, Z4
	VADDPS Z3, Z4, Z4           // p·r² + r
	VADDPS Z17, Z4, Z4          // + 1
	VCVTPS2DQ Z1, Z6            // n
	VPSUBD Z16, Z6, Z6          // k = n − sigShift
	VPSRAD $1, Z6, Z5           // h = k>>1
	VPSUBD Z5, Z6, Z6           // k − h
	VPADDD Z10, Z5, Z5
	VPSLLD $23, Z5, Z5          // 2^h
	VPADDD Z10, Z6, Z6
	VPSLLD $23, Z6, Z6          // 2^(k−h)
	VMULPS Z5, Z4, Z4
	VMULPS Z6, Z4, Z4           // e^x in range
	VCMPPS $0x1e, Z9, Z0, K1    // x > maxXSig
	VMOVAPS Z8, K1, Z4          // +Inf
	VCMPPS $0x11, Z7, Z0, K1    // x < minX
	VMOVAPS Z18, K1, Z4         // 0
	VCMPPS $3, Z0, Z0, K1       // x is NaN
	VMOVAPS Z0, K1, Z4          // x
	VADDPS Z11, Z4, Z4          // 2⁻⁶⁴ + e
	VDIVPS Z4, Z11, Z4          // 2⁻⁶⁴/(2⁻⁶⁴ + e)
	VMOVUPS Z4, (DI)
done:
	VZEROUPPER
	RET

// Constants of expAVX512: those of the Go runtime's math.Exp on amd64
// (src/math/exp_amd64.s, the same decimal literals), the input range of
// the vector path, and the exponent bias.
DATA ·expConst+0(SB)/8, $1.4426950408889634073599246810018920            // log₂e
DATA ·expConst+8(SB)/8, $0.69314718055966295651160180568695068359375     // ln 2, upper part
DATA ·expConst+16(SB)/8, $0.28235290563031577122588448175013436025525412068e-12 // ln 2, lower part
DATA ·expConst+24(SB)/8, $0.0625
DATA ·expConst+32(SB)/8, $2.4801587301587301587e-5 // Taylor coefficients, 1/8! …
DATA ·expConst+40(SB)/8, $1.9841269841269841270e-4
DATA ·expConst+48(SB)/8, $1.3888888888888888889e-3
DATA ·expConst+56(SB)/8, $8.3333333333333333333e-3
DATA ·expConst+64(SB)/8, $4.1666666666666666667e-2
DATA ·expConst+72(SB)/8, $1.6666666666666666667e-1
DATA ·expConst+80(SB)/8, $0.5
DATA ·expConst+88(SB)/8, $1.0
DATA ·expConst+96(SB)/8, $2.0
DATA ·expConst+104(SB)/8, $700.0  // the vector path's range: |x| ≤ 700
DATA ·expConst+112(SB)/8, $-700.0
DATA ·expConst+120(SB)/8, $1023   // exponent bias
GLOBL ·expConst(SB), RODATA|NOPTR, $128

// func expAVX512(x, y *float64, n int) int
//
// expAVX512 writes y[i] = math.Exp(x[i]) in blocks of 8 while every x of a
// block lies in [−700, 700] (no NaN, no overflow, no subnormal result), and
// returns how many it did: the first block with another x is left to the
// caller. Each lane runs the FMA path of the runtime's archExp, operation
// for operation: n = round(x·log₂e) (VCVTPD2DQ rounds to nearest even as
// CVTSD2SL does under Go's MXCSR), r = (x − n·ln2U − n·ln2L)/16, a Taylor
// polynomial of degree 8 by FMAs, squared four times as e·(e+2), then
// scaled by 2ⁿ.
TEXT ·expAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	VBROADCASTSD ·expConst+0(SB), Z20   // log₂e
	VBROADCASTSD ·expConst+8(SB), Z21   // ln2U
	VBROADCASTSD ·expConst+16(SB), Z22  // ln2L
	VBROADCASTSD ·expConst+24(SB), Z23  // 1/16
	VBROADCASTSD ·expConst+32(SB), Z24  // c8
	VBROADCASTSD ·expConst+40(SB), Z25  // c7
	VBROADCASTSD ·expConst+48(SB), Z26  // c6
	VBROADCASTSD ·expConst+56(SB), Z27  // c5
	VBROADCASTSD ·expConst+64(SB), Z28  // c4
	VBROADCASTSD ·expConst+72(SB), Z29  // c3
	VBROADCASTSD ·expConst+80(SB), Z30  // 1/2
	VBROADCASTSD ·expConst+88(SB), Z31  // 1
	VBROADCASTSD ·expConst+96(SB), Z19  // 2
	VBROADCASTSD ·expConst+104(SB), Z18 // 700
	VBROADCASTSD ·expConst+112(SB), Z17 // −700
	VPBROADCASTQ ·expConst+120(SB), Z16 // 1023
expLoop:
	CMPQ CX, $8
	JLT  expDone
	VMOVUPD (SI)(AX*8), Z0
	VCMPPD  $0x1d, Z17, Z0, K1     // x ≥ −700 (false for NaN)
	VCMPPD  $0x12, Z18, Z0, K1, K2 // and x ≤ 700
	KMOVW   K2, BX
	CMPQ    BX, $0xff
	JNE     expDone
	VMULPD  Z20, Z0, Z1            // x·log₂e
	VCVTPD2DQ Z1, Y2               // n
	VCVTDQ2PD Y2, Z1
	VFNMADD231PD Z21, Z1, Z0       // x − n·ln2U
	VFNMADD231PD Z22, Z1, Z0       // − n·ln2L
	VMULPD  Z23, Z0, Z0            // r/16
	VMOVAPD Z24, Z3
	VFMADD213PD Z25, Z0, Z3        // p = p·r + c
	VFMADD213PD Z26, Z0, Z3
	VFMADD213PD Z27, Z0, Z3
	VFMADD213PD Z28, Z0, Z3
	VFMADD213PD Z29, Z0, Z3
	VFMADD213PD Z30, Z0, Z3
	VFMADD213PD Z31, Z0, Z3
	VMULPD  Z3, Z0, Z0             // e = r·p
	VADDPD  Z19, Z0, Z3            // e·(e+2), four times
	VMULPD  Z3, Z0, Z0
	VADDPD  Z19, Z0, Z3
	VMULPD  Z3, Z0, Z0
	VADDPD  Z19, Z0, Z3
	VMULPD  Z3, Z0, Z0
	VADDPD  Z19, Z0, Z3
	VFMADD213PD Z31, Z3, Z0        // the last one + 1
	VPMOVSXDQ Y2, Z4               // 2ⁿ
	VPADDQ  Z16, Z4, Z4
	VPSLLQ  $52, Z4, Z4
	VMULPD  Z4, Z0, Z0
	VMOVUPD Z0, (DI)(AX*8)
	ADDQ $8, AX
	SUBQ $8, CX
	JMP  expLoop
expDone:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

// Constants of logAVX512: those of the Go runtime's math.Log on amd64
// (src/math/log_amd64.s, the same decimal literals), the bit masks of
// its frexp, and the input range of the vector path.
DATA ·logConst+0(SB)/8, $7.07106781186547524401e-01 // √2/2
DATA ·logConst+8(SB)/8, $6.93147180369123816490e-01 // ln 2, upper part
DATA ·logConst+16(SB)/8, $1.90821492927058770002e-10 // ln 2, lower part
DATA ·logConst+24(SB)/8, $6.666666666666735130e-01 // L1 … L7
DATA ·logConst+32(SB)/8, $3.999999999940941908e-01
DATA ·logConst+40(SB)/8, $2.857142874366239149e-01
DATA ·logConst+48(SB)/8, $2.222219843214978396e-01
DATA ·logConst+56(SB)/8, $1.818357216161805012e-01
DATA ·logConst+64(SB)/8, $1.531383769920937332e-01
DATA ·logConst+72(SB)/8, $1.479819860511658591e-01
DATA ·logConst+80(SB)/8, $0x000FFFFFFFFFFFFF // mantissa
DATA ·logConst+88(SB)/8, $0x3FE0000000000000 // 0.5's exponent
DATA ·logConst+96(SB)/8, $0x7FF             // exponent field
DATA ·logConst+104(SB)/8, $0x3FE            // its bias − 1
DATA ·logConst+112(SB)/8, $0.5
DATA ·logConst+120(SB)/8, $1.0
DATA ·logConst+128(SB)/8, $2.0
DATA ·logConst+136(SB)/8, $0x0010000000000000 // smallest normal
DATA ·logConst+144(SB)/8, $0x7FEFFFFFFFFFFFFF // largest finite
GLOBL ·logConst(SB), RODATA|NOPTR, $152

// func logAVX512(x, y *float64, n int) int
//
// logAVX512 writes y[i] = math.Log(x[i]) in blocks of 8 while every x of a
// block is positive, normal and finite, and returns how many it did: the
// first block with another x is left to the caller. Each lane runs the
// runtime's archLog operation for operation: x = f1·2ᵏ with f1 in [½, 1)
// from the bits, f1 ≤ √2/2 doubled (k − 1), f = f1 − 1, s = f/(2 + f), the
// two polynomials in s⁴, and k·ln2Hi − ((½f² − (s·(½f² + R) + k·ln2Lo)) − f).
TEXT ·logAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	VBROADCASTSD ·logConst+0(SB), Z16   // √2/2
	VBROADCASTSD ·logConst+8(SB), Z17   // ln2Hi
	VBROADCASTSD ·logConst+16(SB), Z18  // ln2Lo
	VBROADCASTSD ·logConst+24(SB), Z19  // L1
	VBROADCASTSD ·logConst+32(SB), Z20  // L2
	VBROADCASTSD ·logConst+40(SB), Z21  // L3
	VBROADCASTSD ·logConst+48(SB), Z22  // L4
	VBROADCASTSD ·logConst+56(SB), Z23  // L5
	VBROADCASTSD ·logConst+64(SB), Z24  // L6
	VBROADCASTSD ·logConst+72(SB), Z25  // L7
	VPBROADCASTQ ·logConst+80(SB), Z26  // mantissa mask
	VPBROADCASTQ ·logConst+88(SB), Z27  // 0.5's exponent
	VPBROADCASTQ ·logConst+96(SB), Z28  // 0x7FF
	VPBROADCASTQ ·logConst+104(SB), Z29 // 0x3FE
	VBROADCASTSD ·logConst+112(SB), Z30 // 0.5
	VBROADCASTSD ·logConst+120(SB), Z31 // 1
	VBROADCASTSD ·logConst+128(SB), Z15 // 2
	VBROADCASTSD ·logConst+136(SB), Z14 // smallest normal
	VBROADCASTSD ·logConst+144(SB), Z13 // largest finite
logLoop:
	CMPQ CX, $8
	JLT  logDone
	VMOVUPD (SI)(AX*8), Z0
	VCMPPD  $0x1d, Z14, Z0, K1     // x ≥ smallest normal (false for NaN)
	VCMPPD  $0x12, Z13, Z0, K1, K2 // and x ≤ largest finite
	KMOVW   K2, BX
	CMPQ    BX, $0xff
	JNE     logDone
	VPANDQ  Z26, Z0, Z2            // f1 = mantissa | 0.5's exponent
	VPORQ   Z27, Z2, Z2
	VPSRLQ  $52, Z0, Z1            // k = exponent − 0x3FE
	VPANDQ  Z28, Z1, Z1
	VPSUBQ  Z29, Z1, Z1
	VPMOVQD Z1, Y1
	VCVTDQ2PD Y1, Z1
	VCMPPD  $0x02, Z16, Z2, K3     // f1 ≤ √2/2 (CMPSD's not-less-than, reversed)
	VMOVAPD.Z Z31, K3, Z3          // 1 or 0
	VSUBPD  Z3, Z1, Z1             // k −= 1 or 0
	VADDPD  Z31, Z3, Z3            // 2 or 1
	VMULPD  Z3, Z2, Z2             // f1 ·= 2 or 1
	VSUBPD  Z31, Z2, Z2            // f = f1 − 1
	VADDPD  Z2, Z15, Z0            // 2 + f
	VDIVPD  Z0, Z2, Z3             // s = f/(2 + f)
	VMULPD  Z3, Z3, Z4             // s2
	VMULPD  Z4, Z4, Z5             // s4
	VMULPD  Z5, Z25, Z6            // t1 = s2·(L1 + s4·(L3 + s4·(L5 + s4·L7)))
	VADDPD  Z23, Z6, Z6
	VMULPD  Z5, Z6, Z6
	VADDPD  Z21, Z6, Z6
	VMULPD  Z5, Z6, Z6
	VADDPD  Z19, Z6, Z6
	VMULPD  Z6, Z4, Z4
	VMULPD  Z5, Z24, Z6            // t2 = s4·(L2 + s4·(L4 + s4·L6))
	VADDPD  Z22, Z6, Z6
	VMULPD  Z5, Z6, Z6
	VADDPD  Z20, Z6, Z6
	VMULPD  Z6, Z5, Z5
	VADDPD  Z5, Z4, Z4             // R = t1 + t2
	VMULPD  Z2, Z30, Z0            // hfsq = ½·f·f
	VMULPD  Z2, Z0, Z0
	VADDPD  Z0, Z4, Z4             // hfsq + R
	VMULPD  Z4, Z3, Z3             // s·(hfsq + R)
	VMULPD  Z1, Z18, Z4            // k·ln2Lo
	VADDPD  Z4, Z3, Z3
	VSUBPD  Z3, Z0, Z0             // hfsq − (…)
	VSUBPD  Z2, Z0, Z0             // − f
	VMULPD  Z17, Z1, Z1            // k·ln2Hi
	VSUBPD  Z0, Z1, Z1
	VMOVUPD Z1, (DI)(AX*8)
	ADDQ $8, AX
	SUBQ $8, CX
	JMP  logLoop
logDone:
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

// Lane indices of maxPool2Block: the even elements of two registers, then
// the odd ones.
DATA ·max2Idx+0(SB)/4, $0
DATA ·max2Idx+4(SB)/4, $2
DATA ·max2Idx+8(SB)/4, $4
DATA ·max2Idx+12(SB)/4, $6
DATA ·max2Idx+16(SB)/4, $8
DATA ·max2Idx+20(SB)/4, $10
DATA ·max2Idx+24(SB)/4, $12
DATA ·max2Idx+28(SB)/4, $14
DATA ·max2Idx+32(SB)/4, $16
DATA ·max2Idx+36(SB)/4, $18
DATA ·max2Idx+40(SB)/4, $20
DATA ·max2Idx+44(SB)/4, $22
DATA ·max2Idx+48(SB)/4, $24
DATA ·max2Idx+52(SB)/4, $26
DATA ·max2Idx+56(SB)/4, $28
DATA ·max2Idx+60(SB)/4, $30
DATA ·max2Idx+64(SB)/4, $1
DATA ·max2Idx+68(SB)/4, $3
DATA ·max2Idx+72(SB)/4, $5
DATA ·max2Idx+76(SB)/4, $7
DATA ·max2Idx+80(SB)/4, $9
DATA ·max2Idx+84(SB)/4, $11
DATA ·max2Idx+88(SB)/4, $13
DATA ·max2Idx+92(SB)/4, $15
DATA ·max2Idx+96(SB)/4, $17
DATA ·max2Idx+100(SB)/4, $19
DATA ·max2Idx+104(SB)/4, $21
DATA ·max2Idx+108(SB)/4, $23
DATA ·max2Idx+112(SB)/4, $25
DATA ·max2Idx+116(SB)/4, $27
DATA ·max2Idx+120(SB)/4, $29
DATA ·max2Idx+124(SB)/4, $31
GLOBL ·max2Idx(SB), RODATA|NOPTR, $128

// func maxPool2Block(r0, r1, y *float32, ip *int32, kout, kin0, kin1, base, w int) bool
//
// maxPool2Block computes up to 16 outputs of a 2×2, stride-2 max pooling
// of rows r0 and r1 (the lanes of kout; kin0 and kin1 are the lanes of the
// 2·n inputs in two registers): y = max(a, b, c, d) of a = r0[2j],
// b = r0[2j+1], c = r1[2j], d = r1[2j+1], as Go's max (−0 < +0: where two
// values compare equal the result is their bitwise AND), and, if ip is not
// nil, ip = base + 2j + at, at the offset of the first of a, b, c, d equal
// to the maximum (0, 1, w, w+1). It reports false, writing nothing, if any
// input is NaN.
TEXT ·maxPool2Block(SB), NOSPLIT, $0-73
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DI
	MOVQ kin0+40(FP), AX
	KMOVW AX, K1
	MOVQ kin1+48(FP), AX
	KMOVW AX, K2
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS.Z (DI), K1, Z2
	VMOVUPS.Z 64(DI), K2, Z3
	VMOVDQU32 ·max2Idx+0(SB), Z20  // even lanes
	VMOVDQU32 ·max2Idx+64(SB), Z21 // odd lanes
	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z20, Z4          // a
	VMOVAPS Z0, Z5
	VPERMT2PS Z1, Z21, Z5          // b
	VMOVAPS Z2, Z6
	VPERMT2PS Z3, Z20, Z6          // c
	VMOVAPS Z2, Z7
	VPERMT2PS Z3, Z21, Z7          // d
	VCMPPS $3, Z5, Z4, K3          // a or b is NaN
	VCMPPS $3, Z7, Z6, K4          // c or d is NaN
	KORW K3, K4, K3
	KMOVW K3, AX
	TESTL AX, AX
	JNZ nan
	VMAXPS Z5, Z4, Z8              // max(a, b), b where equal
	VCMPPS $0, Z5, Z4, K3
	VPANDD Z5, Z4, K3, Z8          // a AND b where equal
	VMAXPS Z7, Z6, Z9              // max(c, d)
	VCMPPS $0, Z7, Z6, K3
	VPANDD Z7, Z6, K3, Z9
	VMAXPS Z9, Z8, Z10             // m
	VCMPPS $0, Z9, Z8, K3
	VPANDD Z9, Z8, K3, Z10
	MOVQ kout+32(FP), AX
	KMOVW AX, K1
	MOVQ y+16(FP), DX
	VMOVUPS Z10, K1, (DX)
	MOVQ ip+24(FP), R8
	TESTQ R8, R8
	JZ done
	MOVQ w+64(FP), AX
	VPBROADCASTD AX, Z11           // w
	INCQ AX
	VPBROADCASTD AX, Z12           // at = w+1
	VCMPPS $0, Z10, Z6, K3         // c == m
	VMOVDQA32 Z11, K3, Z12         // at = w
	MOVL $1, AX
	VPBROADCASTD AX, Z11
	VCMPPS $0, Z10, Z5, K3         // b == m
	VMOVDQA32 Z11, K3, Z12         // at = 1
	VPXORD Z11, Z11, Z11
	VCMPPS $0, Z10, Z4, K3         // a == m
	VMOVDQA32 Z11, K3, Z12         // at = 0
	MOVQ base+56(FP), AX
	VPBROADCASTD AX, Z11
	VPADDD Z20, Z11, Z11           // base + 2j
	VPADDD Z12, Z11, Z12
	VMOVDQU32 Z12, K1, (R8)
done:
	MOVB $1, ret+72(FP)
	VZEROUPPER
	RET
nan:
	MOVB $0, ret+72(FP)
	VZEROUPPER
	RET
