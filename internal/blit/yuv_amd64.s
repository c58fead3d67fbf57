#include "textflag.h"

// PIX converts 8 pixels: Y4 = Y, Y2 = Cb, Y3 = Cr as int32 lanes; stores
// 32 bytes at off(DI). Sums as in YCbCrToRGB with the frame's coefficients
// (Y·yMul + yBias, the bias vector at 32(R8)), >>16, then the saturating
// packs clamp to [0, 255] exactly as its bit trick does. Per 128-bit lane
// the packed bytes are b0-3 g0-3 r0-3 x0-3; the shuffle in Y15 orders them.
#define PIX(off) \
	VPMULLD Y14, Y4, Y4 \
	VPADDD  32(R8), Y4, Y4 \
	VPSUBD  Y13, Y2, Y2 \
	VPSUBD  Y13, Y3, Y3 \
	VPMULLD Y12, Y3, Y5 \
	VPADDD  Y4, Y5, Y5 \
	VPMULLD Y9, Y2, Y6 \
	VPADDD  Y4, Y6, Y6 \
	VPMULLD Y11, Y2, Y7 \
	VPMULLD Y10, Y3, Y3 \
	VPADDD  Y7, Y3, Y3 \
	VPADDD  Y4, Y3, Y3 \
	VPSRAD  $16, Y5, Y5 \
	VPSRAD  $16, Y6, Y6 \
	VPSRAD  $16, Y3, Y3 \
	VPACKSSDW Y3, Y6, Y6 \
	VPACKSSDW Y8, Y5, Y5 \
	VPACKUSWB Y5, Y6, Y6 \
	VPSHUFB Y15, Y6, Y6 \
	VMOVDQU Y6, off(DI)

// func yuvPairsAVX2(d, y, cb, cr *byte, n int, mask *[32]byte, k *[16]int32)
// n is a multiple of 16: reads n bytes of y, n/2 of cb and cr, writes 4n
// bytes of d. k: yMul, 128, rCr, gCb, gCr, bCb, 255, 0, yBias ×8.
TEXT ·yuvPairsAVX2(SB), NOSPLIT, $0-56
	MOVQ d+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ cb+16(FP), BX
	MOVQ cr+24(FP), DX
	MOVQ n+32(FP), CX
	MOVQ mask+40(FP), AX
	MOVQ k+48(FP), R8
	VMOVDQU (AX), Y15
	VPBROADCASTD 0(R8), Y14
	VPBROADCASTD 4(R8), Y13
	VPBROADCASTD 8(R8), Y12
	VPBROADCASTD 12(R8), Y11
	VPBROADCASTD 16(R8), Y10
	VPBROADCASTD 20(R8), Y9
	VPBROADCASTD 24(R8), Y8

loop:
	CMPQ CX, $16
	JLT  done
	// Each chroma byte serves two pixels: c0 c0 c1 c1 ... c7 c7.
	VMOVQ      (BX), X0
	VPUNPCKLBW X0, X0, X0
	VMOVQ      (DX), X1
	VPUNPCKLBW X1, X1, X1
	VPMOVZXBD  X0, Y2
	VPMOVZXBD  X1, Y3
	VPMOVZXBD  (SI), Y4
	PIX(0)
	VPSRLDQ    $8, X0, X0
	VPSRLDQ    $8, X1, X1
	VPMOVZXBD  X0, Y2
	VPMOVZXBD  X1, Y3
	VPMOVZXBD  8(SI), Y4
	PIX(32)
	ADDQ $64, DI
	ADDQ $16, SI
	ADDQ $8, BX
	ADDQ $8, DX
	SUBQ $16, CX
	JMP  loop

done:
	VZEROUPPER
	RET

// func rgbaRowAVX2(d, s *byte, n int, mask *[32]byte)
// n is a multiple of 8: 4n bytes of s, shuffled per pixel by mask and made
// opaque, into d.
TEXT ·rgbaRowAVX2(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), DI
	MOVQ s+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ mask+24(FP), AX
	VMOVDQU (AX), Y15
	VPCMPEQD Y14, Y14, Y14
	VPSLLD   $24, Y14, Y14 // 0xff000000 in every lane

rloop:
	CMPQ CX, $8
	JLT  rdone
	VMOVDQU (SI), Y0
	VPSHUFB Y15, Y0, Y0
	VPOR    Y14, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  rloop

rdone:
	VZEROUPPER
	RET

