//go:build amd64 && !purego

#include "textflag.h"

// func dw3x3(dst *float32, r0 *float32, r1 *float32, r2 *float32, w *float32, bias *float32, c int, n int, step int, clamp *[16]float32)
//
// A run of n output pixels of a 3×3 depthwise convolution whose taps all
// lie inside the rows r0, r1 and r2 (each pointing at the input pixel under
// the first output pixel's left tap). c, a multiple of 8, is the channel
// count; step the distance in floats between the input pixels of two
// neighbouring output pixels (stride × c). Weights are (3, 3, c); bias c
// values; clamp the lower bound 8 times, then the upper bound 8 times.
// Channels are taken 8 at a time, their 9 weights held in Y0–Y8 for the
// whole run; each pixel sums its three rows in separate registers.
TEXT ·dw3x3(SB), NOSPLIT, $0-80
	MOVQ c+48(FP), CX
	SHLQ $2, CX               // CX: c in bytes
	MOVQ step+64(FP), R11
	SHLQ $2, R11              // R11: step in bytes (pixel B, tap 0)
	LEAQ (R11)(CX*1), R12     // pixel B, tap 1
	LEAQ (R12)(CX*1), R13     // pixel B, tap 2
	LEAQ (R11)(R11*1), DX     // DX: two steps
	XORQ AX, AX               // AX: channel offset in bytes

block:
	MOVQ    w+32(FP), R10
	ADDQ    AX, R10
	VMOVUPS (R10), Y0
	VMOVUPS (R10)(CX*1), Y1
	VMOVUPS (R10)(CX*2), Y2
	LEAQ    (R10)(CX*2), R10
	ADDQ    CX, R10
	VMOVUPS (R10), Y3
	VMOVUPS (R10)(CX*1), Y4
	VMOVUPS (R10)(CX*2), Y5
	LEAQ    (R10)(CX*2), R10
	ADDQ    CX, R10
	VMOVUPS (R10), Y6
	VMOVUPS (R10)(CX*1), Y7
	VMOVUPS (R10)(CX*2), Y8
	MOVQ    bias+40(FP), R10
	VMOVUPS (R10)(AX*1), Y15
	MOVQ    clamp+72(FP), R10

	MOVQ r0+8(FP), SI
	ADDQ AX, SI
	MOVQ r1+16(FP), R8
	ADDQ AX, R8
	MOVQ r2+24(FP), R9
	ADDQ AX, R9
	MOVQ dst+0(FP), DI
	ADDQ AX, DI
	MOVQ n+56(FP), BX
	CMPQ BX, $2
	JLT  one

two:
	VMOVAPS     Y15, Y9
	VMULPS      (R8), Y3, Y10
	VMULPS      (R9), Y6, Y11
	VMOVAPS     Y15, Y12
	VMULPS      (R8)(R11*1), Y3, Y13
	VMULPS      (R9)(R11*1), Y6, Y14
	VFMADD231PS (SI), Y0, Y9
	VFMADD231PS (R8)(CX*1), Y4, Y10
	VFMADD231PS (R9)(CX*1), Y7, Y11
	VFMADD231PS (SI)(R11*1), Y0, Y12
	VFMADD231PS (R8)(R12*1), Y4, Y13
	VFMADD231PS (R9)(R12*1), Y7, Y14
	VFMADD231PS (SI)(CX*1), Y1, Y9
	VFMADD231PS (R8)(CX*2), Y5, Y10
	VFMADD231PS (R9)(CX*2), Y8, Y11
	VFMADD231PS (SI)(R12*1), Y1, Y12
	VFMADD231PS (R8)(R13*1), Y5, Y13
	VFMADD231PS (R9)(R13*1), Y8, Y14
	VFMADD231PS (SI)(CX*2), Y2, Y9
	VFMADD231PS (SI)(R13*1), Y2, Y12
	VADDPS      Y10, Y9, Y9
	VADDPS      Y13, Y12, Y12
	VADDPS      Y11, Y9, Y9
	VADDPS      Y14, Y12, Y12
	VMAXPS      (R10), Y9, Y9
	VMAXPS      (R10), Y12, Y12
	VMINPS      32(R10), Y9, Y9
	VMINPS      32(R10), Y12, Y12
	VMOVUPS     Y9, (DI)
	VMOVUPS     Y12, (DI)(CX*1)
	ADDQ        DX, SI
	ADDQ        DX, R8
	ADDQ        DX, R9
	LEAQ        (DI)(CX*2), DI
	SUBQ        $2, BX
	CMPQ        BX, $2
	JGE         two

one:
	TESTQ       BX, BX
	JZ          next
	VMOVAPS     Y15, Y9
	VMULPS      (R8), Y3, Y10
	VMULPS      (R9), Y6, Y11
	VFMADD231PS (SI), Y0, Y9
	VFMADD231PS (R8)(CX*1), Y4, Y10
	VFMADD231PS (R9)(CX*1), Y7, Y11
	VFMADD231PS (SI)(CX*1), Y1, Y9
	VFMADD231PS (R8)(CX*2), Y5, Y10
	VFMADD231PS (R9)(CX*2), Y8, Y11
	VFMADD231PS (SI)(CX*2), Y2, Y9
	VADDPS      Y10, Y9, Y9
	VADDPS      Y11, Y9, Y9
	VMAXPS      (R10), Y9, Y9
	VMINPS      32(R10), Y9, Y9
	VMOVUPS     Y9, (DI)

next:
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  block
	VZEROUPPER
	RET

// func dwTaps(dst *float32, taps *[18]unsafe.Pointer, n int, bias *float32, c int, clamp *[16]float32)
//
// One output pixel of a depthwise convolution from n taps, each a pair of
// pointers: the input pixel's c values, then their weights. Used for the
// pixels at the border, whose taps in the padding are left out.
TEXT ·dwTaps(SB), NOSPLIT, $0-48
	MOVQ c+32(FP), CX
	SHLQ $2, CX
	MOVQ bias+24(FP), R8
	MOVQ dst+0(FP), R9
	MOVQ clamp+40(FP), R10
	XORQ AX, AX

tapsBlock:
	VMOVUPS (R8)(AX*1), Y0
	VXORPS  Y2, Y2, Y2
	MOVQ    taps+8(FP), DX
	MOVQ    n+16(FP), BX
	TESTQ   BX, BX
	JZ      tapsDone

tapsNext:
	MOVQ        (DX), SI
	MOVQ        8(DX), DI
	VMOVUPS     (DI)(AX*1), Y1
	VFMADD231PS (SI)(AX*1), Y1, Y0
	ADDQ        $16, DX
	DECQ        BX
	JZ          tapsDone
	MOVQ        (DX), SI
	MOVQ        8(DX), DI
	VMOVUPS     (DI)(AX*1), Y1
	VFMADD231PS (SI)(AX*1), Y1, Y2
	ADDQ        $16, DX
	DECQ        BX
	JNZ         tapsNext

tapsDone:
	VADDPS  Y2, Y0, Y0
	VMAXPS  (R10), Y0, Y0
	VMINPS  32(R10), Y0, Y0
	VMOVUPS Y0, (R9)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, CX
	JLT     tapsBlock
	VZEROUPPER
	RET
