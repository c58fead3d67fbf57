//go:build !cgo

package scale

// Library names the scaler in use.
const Library = "go"

func scalePlane(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, _ Filter) error {
	goBilinear(dst, dstStride, dw, dh, src, srcStride, sw, sh, 1)
	return nil
}

func scalePixels32(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, _ Filter) error {
	goBilinear(dst, dstStride, dw, dh, src, srcStride, sw, sh, 4)
	return nil
}
