//go:build !linux || !cgo

package yuv

import "errors"

// Available reports whether libyuv is linked in (false without cgo).
const Available = false

var errNone = errors.New("yuv: built without libyuv (needs cgo on Linux)")

func YUY2ToI422(src, y, u, v Plane, w, h int) error                  { return errNone }
func UYVYToI422(src, y, u, v Plane, w, h int) error                  { return errNone }
func SplitUVPlane(src, u, v Plane, w, h int) error                   { return errNone }
func CopyPlane(src, dst Plane, w, h int) error                       { return errNone }
func RGB24ToARGB(src, dst Plane, w, h int) error                     { return errNone }
func RAWToARGB(src, dst Plane, w, h int) error                       { return errNone }
func ARGBShuffle(src, dst Plane, shuffler *[16]byte, w, h int) error { return errNone }
func RGB565ToARGB(src, dst Plane, w, h int) error                    { return errNone }
func SetOpaque(dst Plane, w, h int) error                            { return errNone }
func ToARGBMatrix(sub int, y, u, v, dst Plane, m Matrix, rgba bool, w, h int) error {
	return errNone
}
func Scale(sub int, y, u, v Plane, sw, sh int, dy, du, dv Plane, dw, dh int, f Filter) error {
	return errNone
}
func MJPGSize(b []byte) (w, h int, err error)            { return 0, 0, errNone }
func MJPGToI420(b []byte, y, u, v Plane, w, h int) error { return errNone }
