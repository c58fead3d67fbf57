package blit

import (
	"image"

	"github.com/tally-app/tally/internal/yuv"
)

// useLibyuv: scale and convert colour-tagged 4:2:0, 4:2:2 and 4:4:4
// Y′CbCr (camera frames) with libyuv when it is linked in; a plain
// image.YCbCr keeps the package's promise of image/color's exact values and
// nearest-neighbour sampling. Measured here on a limited-range BT.601 1280×720
// frame, one core's CPU time (BenchmarkVsLibyuv): 1:1 to BGRX 0.20 ms
// against our AVX2 rows' 0.39; down to 640×360 0.09–0.11 ms (bilinear
// scale, then convert) against our nearest-neighbour 0.47. Upscaling stays
// ours.
//
// Two limits, so ours stays: libyuv's rounding differs from image/color's
// by a step or two per channel (the exactness tests check our rows with it
// off), and its BT.709 and BT.2020 limited-range constants are clipped for
// its SIMD (blue's Cb factor capped at 128/64): saturated blues come out up
// to 13 levels dark. Those two colorimetries are scaled by libyuv but
// converted by our rows. A variable so tests can run both.
var useLibyuv = libyuvLinked

const libyuvLinked = yuv.Available

// libyuvMatrix maps a colorimetry to libyuv's constants; ok is false for
// those it does not have or converts inexactly (see useLibyuv).
func libyuvMatrix(c colorimetry) (yuv.Matrix, bool) {
	switch {
	case c == jfif:
		return yuv.BT601Full, true
	case c.kr == 0.299 && c.kb == 0.114:
		return yuv.BT601Limited, true
	case c.kr == 0.2126 && c.kb == 0.0722 && c.full:
		return yuv.BT709Full, true
	case c.kr == 0.2627 && c.kb == 0.0593 && c.full:
		return yuv.BT2020Full, true
	}
	return 0, false
}

// libyuvSub says whether libyuv can take p: a subsampling it has, and an
// origin that keeps the luma columns (and rows) that share a chroma sample
// in one pair, as libyuv assumes.
func libyuvSub(p *image.YCbCr) (int, bool) {
	if !useLibyuv {
		return 0, false
	}
	evenX := p.Rect.Min.X >= 0 && p.Rect.Min.X%2 == 0
	switch p.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		return 420, evenX && p.Rect.Min.Y >= 0 && p.Rect.Min.Y%2 == 0
	case image.YCbCrSubsampleRatio422:
		return 422, evenX
	case image.YCbCrSubsampleRatio444:
		return 444, true
	}
	return 0, false
}

// scaleLibyuv scales p down to drawn's size (bilinear) into the Scaler's
// own planes, when libyuv can take p.
func (s *Scaler) scaleLibyuv(p *image.YCbCr, drawn image.Rectangle) (*image.YCbCr, bool) {
	w, h := drawn.Dx(), drawn.Dy()
	if w == p.Rect.Dx() && h == p.Rect.Dy() || w > p.Rect.Dx() || h > p.Rect.Dy() {
		// Same size: nothing to scale. Larger: libyuv's bilinear upscale
		// and a conversion at the larger size cost more than our rows
		// converting each source row once (720p to 1080p: 3.0 ms against
		// 2.2).
		return nil, false
	}
	sub, ok := libyuvSub(p)
	if !ok {
		return nil, false
	}
	if s.small == nil || s.small.Rect.Dx() != w || s.small.Rect.Dy() != h || s.small.SubsampleRatio != p.SubsampleRatio {
		s.small = image.NewYCbCr(image.Rect(0, 0, w, h), p.SubsampleRatio)
	}
	d := s.small
	if err := yuv.Scale(sub, planeOf(p.Y, p.YStride), planeOf(p.Cb, p.CStride), planeOf(p.Cr, p.CStride), p.Rect.Dx(), p.Rect.Dy(),
		planeOf(d.Y, d.YStride), planeOf(d.Cb, d.CStride), planeOf(d.Cr, d.CStride), w, h, yuv.FilterBilinear); err != nil {
		return nil, false
	}
	return d, true
}

// convertLibyuv converts p, of drawn's size, into drawn. It reports false,
// having drawn nothing, when libyuv cannot take p or its colorimetry.
func (s *Scaler) convertLibyuv(dst []byte, stride int, drawn image.Rectangle, rgba bool, p *image.YCbCr, c colorimetry) bool {
	w, h := drawn.Dx(), drawn.Dy()
	if w != p.Rect.Dx() || h != p.Rect.Dy() {
		return false
	}
	sub, ok := libyuvSub(p)
	if !ok {
		return false
	}
	m, ok := libyuvMatrix(c)
	if !ok {
		return false
	}
	off := drawn.Min.Y*stride + drawn.Min.X*4
	err := yuv.ToARGBMatrix(sub, planeOf(p.Y, p.YStride), planeOf(p.Cb, p.CStride), planeOf(p.Cr, p.CStride),
		planeOf(dst[off:], stride), m, rgba, w, h)
	return err == nil
}

func planeOf(b []byte, stride int) yuv.Plane { return yuv.Plane{Pix: b, Stride: stride} }
