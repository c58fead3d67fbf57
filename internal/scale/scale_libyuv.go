//go:build cgo

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

// Library names the scaler in use.
const Library = "libyuv"

func scalePlane(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, f Filter) error {
	C.ScalePlane((*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(srcStride), C.int(sw), C.int(sh),
		(*C.uint8_t)(unsafe.Pointer(&dst[0])), C.int(dstStride), C.int(dw), C.int(dh), C.enum_FilterMode(f))
	return nil
}

func scalePixels32(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int, f Filter) error {
	if C.ARGBScale((*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(srcStride), C.int(sw), C.int(sh),
		(*C.uint8_t)(unsafe.Pointer(&dst[0])), C.int(dstStride), C.int(dw), C.int(dh), C.enum_FilterMode(f)) != 0 {
		return fmt.Errorf("scale: libyuv refused %dx%d -> %dx%d", sw, sh, dw, dh)
	}
	return nil
}
