// Package scale scales 8-bit planes and 32-bit pixels down, for the
// per-track crop-and-scale of package capture. With cgo it calls libyuv
// (Debian's libyuv-dev, the library Chrome's per-track video adapter uses):
// measured against this package's Go bilinear scaler on the same frames
// (BenchmarkPlane), libyuv's SIMD rows win by an order of magnitude, so it
// is the one used; the Go scaler is what a build without cgo gets.
//
// Functions take a source already cropped (its first pixel and stride) and
// fill the whole destination; they check every length so a bad rectangle
// is an error, never a write out of bounds.
package scale

import "fmt"

// Filter is how a destination pixel is made from the source's (libyuv's
// FilterMode values).
type Filter int

const (
	// Nearest point-samples: fastest.
	Nearest Filter = 0
	// Bilinear interpolates; the default (Chrome's adapter uses it too).
	Bilinear Filter = 2
	// Box averages every source pixel: best quality when scaling far down.
	// The Go scaler treats it as Bilinear.
	Box Filter = 3
)

// Plane scales one 8-bit plane: src (sw×sh at srcStride bytes a row) into
// dst (dw×dh at dstStride).
func Plane(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, f Filter) error {
	if err := check("plane", 1, dst, dstStride, dw, dh, src, srcStride, sw, sh); err != nil {
		return err
	}
	return scalePlane(dst, dstStride, dw, dh, src, srcStride, sw, sh, f)
}

// Pixels32 scales 4-byte pixels (RGBA, BGRA: filtering treats the four
// bytes alike): sizes in pixels, strides in bytes.
func Pixels32(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, f Filter) error {
	if err := check("32-bit pixels", 4, dst, dstStride, dw, dh, src, srcStride, sw, sh); err != nil {
		return err
	}
	return scalePixels32(dst, dstStride, dw, dh, src, srcStride, sw, sh, f)
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
