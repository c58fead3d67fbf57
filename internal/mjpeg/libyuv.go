//go:build cgo && libyuv

package mjpeg

// libyuv's MJPGToI420 (libjpeg-turbo underneath, then a conversion to
// 4:2:0), built only with the libyuv tag so the measurement that chose
// TurboJPEG's own API can be rerun: go test -tags libyuv -bench Libyuv
// (needs Debian's libyuv-dev). Not a dependency of Tally otherwise.

/*
#cgo LDFLAGS: -lyuv
#include <stdint.h>
#include <stddef.h>
#include <libyuv/convert.h>
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// DecodeLibyuvI420 decodes a frame at full size into dst, a 4:2:0 picture
// of the frame's size, with libyuv's MJPGToI420.
func DecodeLibyuvI420(jpeg []byte, dst *image.YCbCr) error {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if len(jpeg) == 0 || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 || w == 0 || h == 0 {
		return errors.New("mjpeg: libyuv: need a frame and a non-empty 4:2:0 picture")
	}
	if C.MJPGToI420((*C.uint8_t)(unsafe.Pointer(&jpeg[0])), C.size_t(len(jpeg)),
		(*C.uint8_t)(unsafe.Pointer(&dst.Y[0])), C.int(dst.YStride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Cb[0])), C.int(dst.CStride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Cr[0])), C.int(dst.CStride),
		C.int(w), C.int(h), C.int(w), C.int(h)) != 0 {
		return badFrame("libyuv MJPGToI420 failed")
	}
	return nil
}
