package blit

import "golang.org/x/sys/cpu"

// yuvPairsAVX2 converts n (a multiple of 16) unscaled pixels of 2:1
// horizontally subsampled YCbCr: y[0:n], cb and cr [0:n/2] into d[0:4n],
// pixel byte order given by mask, coefficients k (Scaler.kv: yMul, 128,
// rCr, gCb, gCr, bCb, 255, 0, then yBias in eight lanes). Bit-exact with
// the Go rows.
//
//go:noescape
func yuvPairsAVX2(d, y, cb, cr *byte, n int, mask *[32]byte, k *[16]int32)

// haveSIMD: the unscaled 4:2:0/4:2:2 path has an AVX2 version, five times
// cheaper than the Go loop. A variable so tests can compare both.
var haveSIMD = cpu.X86.HasAVX2

// Shuffles from per-lane planar b0-3 g0-3 r0-3 x0-3 to interleaved pixels.
var (
	maskBGRX = [32]byte{0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
		0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15}
	maskRGBA = [32]byte{8, 4, 0, 12, 9, 5, 1, 13, 10, 6, 2, 14, 11, 7, 3, 15,
		8, 4, 0, 12, 9, 5, 1, 13, 10, 6, 2, 14, 11, 7, 3, 15}
)

// yuvPairsSIMD converts as many whole groups of 16 pixels as the slices
// hold and returns how many pixels it did.
func yuvPairsSIMD(d, y, cb, cr []byte, rgba bool, k *[16]int32) int {
	n := min(len(d)/4, len(y), 2*len(cb), 2*len(cr)) &^ 15
	if n == 0 {
		return 0
	}
	mask := &maskBGRX
	if rgba {
		mask = &maskRGBA
	}
	yuvPairsAVX2(&d[0], &y[0], &cb[0], &cr[0], n, mask, k)
	return n
}

//go:noescape
func rgbaRowAVX2(d, s *byte, n int, mask *[32]byte)

// Pixel shuffles for RGBA sources: keep, or swap R and B.
var (
	maskKeep = [32]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	maskSwapRB = [32]byte{2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15,
		2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15}
)

// rgbaRowSIMD converts as many whole groups of 8 RGBA pixels from s into
// d as both hold (swapping R and B for BGRX) and returns how many.
func rgbaRowSIMD(d, s []byte, swap bool) int {
	if !haveSIMD {
		return 0
	}
	n := min(len(d), len(s)) / 4 &^ 7
	if n == 0 {
		return 0
	}
	mask := &maskKeep
	if swap {
		mask = &maskSwapRB
	}
	rgbaRowAVX2(&d[0], &s[0], n, mask)
	return n
}
