// Package scale scales 8-bit planes and 32-bit pixels down, for the
// per-track crop-and-scale of package capture. It calls libyuv (Debian's
// libyuv-dev, the library Chrome's per-track video adapter uses): measured
// against a Go bilinear scaler on the same frames (BenchmarkPlane), libyuv's
// SIMD rows win by an order of magnitude, so it is the one kept.
//
// Functions take a source already cropped (its first pixel and stride) and
// fill the whole destination; they check every length so a bad rectangle
// is an error, never a write out of bounds.
package scale

/*
#cgo LDFLAGS: -lyuv
#include <stdint.h>
#include <libyuv/scale.h>
#include <libyuv/scale_argb.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Filter is libyuv's filter mode.
type Filter int

const (
	// Bilinear interpolates; the default (Chrome's adapter uses it too).
	Bilinear Filter = C.kFilterBilinear
	// Box averages every source pixel: best quality when scaling far down.
	Box Filter = C.kFilterBox
	// Nearest point-samples: fastest.
	Nearest Filter = C.kFilterNone
)

// Plane scales one 8-bit plane: src (sw×sh at srcStride bytes a row) into
// dst (dw×dh at dstStride).
func Plane(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, f Filter) error {
	if err := check("plane", 1, dst, dstStride, dw, dh, src, srcStride, sw, sh); err != nil {
		return err
	}
	C.ScalePlane((*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(srcStride), C.int(sw), C.int(sh),
		(*C.uint8_t)(unsafe.Pointer(&dst[0])), C.int(dstStride), C.int(dw), C.int(dh), C.enum_FilterMode(f))
	return nil
}

// Pixels32 scales 4-byte pixels (RGBA, BGRA: filtering treats the four
// bytes alike): sizes in pixels, strides in bytes.
func Pixels32(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, f Filter) error {
	if err := check("32-bit pixels", 4, dst, dstStride, dw, dh, src, srcStride, sw, sh); err != nil {
		return err
	}
	if C.ARGBScale((*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(srcStride), C.int(sw), C.int(sh),
		(*C.uint8_t)(unsafe.Pointer(&dst[0])), C.int(dstStride), C.int(dw), C.int(dh), C.enum_FilterMode(f)) != 0 {
		return fmt.Errorf("scale: libyuv refused %dx%d -> %dx%d", sw, sh, dw, dh)
	}
	return nil
}

func check(what string, bpp int, dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int) error {
	switch {
	case sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0:
		return fmt.Errorf("scale %s: empty size %dx%d -> %dx%d", what, sw, sh, dw, dh)
	case srcStride < sw*bpp || dstStride < dw*bpp:
		return fmt.Errorf("scale %s: stride %d/%d shorter than a row of %d/%d pixels", what, srcStride, dstStride, sw, dw)
	case len(src) < (sh-1)*srcStride+sw*bpp:
		return fmt.Errorf("scale %s: source of %d bytes is short for %dx%d at stride %d", what, len(src), sw, sh, srcStride)
	case len(dst) < (dh-1)*dstStride+dw*bpp:
		return fmt.Errorf("scale %s: destination of %d bytes is short for %dx%d at stride %d", what, len(dst), dw, dh, dstStride)
	}
	return nil
}
