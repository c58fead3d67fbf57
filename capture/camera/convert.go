package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/pion/mediadevices/pkg/frame"
)

// Pixel formats the backend converts, named as pion's frame.Format names them
// (and as MediaTrackSettings.Format reports them).
const (
	FormatYUYV  = string(frame.FormatYUYV)  // packed 4:2:2, Y0 U Y1 V
	FormatUYVY  = string(frame.FormatUYVY)  // packed 4:2:2, U Y0 V Y1
	FormatI420  = string(frame.FormatI420)  // planar 4:2:0, Y then U then V
	FormatNV12  = string(frame.FormatNV12)  // Y plane, then interleaved U V
	FormatNV21  = string(frame.FormatNV21)  // Y plane, then interleaved V U
	FormatMJPEG = string(frame.FormatMJPEG) // one JPEG per frame
)

// converter turns one raw frame into a picture. Raw formats write into dst,
// a buffer from the source's pool made by newImage. MJPEG has neither:
// image/jpeg cannot decode into a given buffer, so each frame is a fresh
// image from decodeMJPEG.
type converter struct {
	format   string
	newImage func(w, h int) *image.YCbCr // nil for MJPEG
	convert  func(dst *image.YCbCr, src []byte, w, h int) error
}

var converters = map[string]converter{
	FormatYUYV:  {FormatYUYV, new422, func(d *image.YCbCr, s []byte, w, h int) error { return packed422(d, s, w, h, true) }},
	FormatUYVY:  {FormatUYVY, new422, func(d *image.YCbCr, s []byte, w, h int) error { return packed422(d, s, w, h, false) }},
	FormatI420:  {FormatI420, new420, convertI420},
	FormatNV12:  {FormatNV12, new420, func(d *image.YCbCr, s []byte, w, h int) error { return semiPlanar420(d, s, w, h, false) }},
	FormatNV21:  {FormatNV21, new420, func(d *image.YCbCr, s []byte, w, h int) error { return semiPlanar420(d, s, w, h, true) }},
	FormatMJPEG: {FormatMJPEG, nil, nil},
}

func new422(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio422)
}

func new420(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

// checkDst reports whether dst was made for a w×h frame; a mismatch is a bug
// in the caller, but it must not become an out-of-range panic.
func checkDst(dst *image.YCbCr, w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("bad frame size %dx%d", w, h)
	}
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("conversion buffer does not match frame size %dx%d", w, h)
	}
	return nil
}

func shortFrame(format string, got, want int) error {
	return fmt.Errorf("short %s frame: %d bytes, want %d", format, got, want)
}

// packed422 converts YUYV (yFirst) or UYVY into a
// 4:2:2 YCbCr: one pass, no allocation. Odd widths carry a last half pair, as
// V4L2 rounds the line up to whole pairs.
func packed422(dst *image.YCbCr, src []byte, w, h int, yFirst bool) error {
	if err := checkDst(dst, w, h); err != nil {
		return err
	}
	pairs := (w + 1) / 2
	stride := pairs * 4
	if len(src) < stride*h {
		return shortFrame("4:2:2", len(src), stride*h)
	}
	for row := 0; row < h; row++ {
		yr := dst.Y[row*dst.YStride : row*dst.YStride+w]
		cb := dst.Cb[row*dst.CStride : row*dst.CStride+pairs]
		cr := dst.Cr[row*dst.CStride : row*dst.CStride+pairs]
		packed422Row(yr, cb, cr, src[row*stride:row*stride+stride], w, yFirst)
	}
	return nil
}

// convertI420 copies the three planes of an I420 frame (chroma planes
// ceil(w/2)×ceil(h/2), as image.NewYCbCr lays them out).
func convertI420(dst *image.YCbCr, src []byte, w, h int) error {
	if err := checkDst(dst, w, h); err != nil {
		return err
	}
	cw, ch := (w+1)/2, (h+1)/2
	ySize, cSize := w*h, cw*ch
	if len(src) < ySize+2*cSize {
		return shortFrame(FormatI420, len(src), ySize+2*cSize)
	}
	copyPlane(dst.Y, dst.YStride, src[:ySize], w, h)
	copyPlane(dst.Cb, dst.CStride, src[ySize:ySize+cSize], cw, ch)
	copyPlane(dst.Cr, dst.CStride, src[ySize+cSize:ySize+2*cSize], cw, ch)
	return nil
}

// semiPlanar420 copies the Y plane of an NV12 (or, swapped, NV21) frame and
// de-interleaves its chroma plane.
func semiPlanar420(dst *image.YCbCr, src []byte, w, h int, swapped bool) error {
	if err := checkDst(dst, w, h); err != nil {
		return err
	}
	cw, ch := (w+1)/2, (h+1)/2
	ySize := w * h
	if len(src) < ySize+2*cw*ch {
		return shortFrame("NV12/NV21", len(src), ySize+2*cw*ch)
	}
	copyPlane(dst.Y, dst.YStride, src[:ySize], w, h)
	cb, cr := dst.Cb, dst.Cr
	if swapped {
		cb, cr = cr, cb
	}
	uv := src[ySize:]
	for row := 0; row < ch; row++ {
		splitUVRow(cb[row*dst.CStride:row*dst.CStride+cw], cr[row*dst.CStride:row*dst.CStride+cw], uv[row*2*cw:row*2*cw+2*cw])
	}
	return nil
}

func copyPlane(dst []byte, dstStride int, src []byte, w, h int) {
	if dstStride == w {
		copy(dst[:w*h], src[:w*h])
		return
	}
	for row := 0; row < h; row++ {
		copy(dst[row*dstStride:row*dstStride+w], src[row*w:row*w+w])
	}
}

// decodeMJPEG decodes one MJPEG frame. Many webcams leave out the Huffman
// tables (they are fixed by the MJPEG spec); pion's decoder puts them back,
// so use it rather than image/jpeg alone.
var mjpegDecoder, _ = frame.NewDecoder(frame.FormatMJPEG)

func decodeMJPEG(src []byte) (image.Image, error) {
	if len(src) == 0 {
		return nil, fmt.Errorf("empty MJPEG frame")
	}
	if mjpegDecoder == nil {
		return jpeg.Decode(bytes.NewReader(src))
	}
	img, _, err := mjpegDecoder.Decode(src, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("decoding MJPEG frame: %w", err)
	}
	return img, nil
}
