package camera

import (
	"fmt"

	"github.com/tally-app/tally/internal/yuv"
)

// useLibyuv: libyuv's kernels where it measured faster than ours (all of
// these, at 1280×720 on one core; BenchmarkJobs): YUYV/UYVY 0.13 ms
// against our 0.69, NV12 0.075 against 0.19, NV16 0.13 against 0.36, RGB3
// and BGR3 0.22 against 2.7, 32-bit RGB 0.25 (+ alpha) against 4.8, RGBP
// 0.32 against 2.6, MJPEG 1.2 ms against image/jpeg's 7.5. The Go kernels
// stay for builds without cgo and as the tests' cross-check. Planar copies
// (YU12, 422P) are memmove either way and GREY needs a table, so they are
// ours. A variable so tests can run both.
var useLibyuv = yuv.Available

// libKernel converts with libyuv; the planes were checked by views.
type libKernel func(c *frameConverter, dst *frameBuf, src [3]planeView) error

func (v planeView) plane() yuv.Plane { return yuv.Plane{Pix: v.b, Stride: v.stride} }

func yccPlanes(d *frameBuf) (y, cb, cr yuv.Plane) {
	p := d.ycc
	return yuv.Plane{Pix: p.Y, Stride: p.YStride}, yuv.Plane{Pix: p.Cb, Stride: p.CStride}, yuv.Plane{Pix: p.Cr, Stride: p.CStride}
}

func rgbaPlane(d *frameBuf) yuv.Plane { return yuv.Plane{Pix: d.rgba.Pix, Stride: d.rgba.Stride} }

// libPacked422: YUY2ToI422 for Y-first layouts, UYVYToI422 for chroma
// first; the other chroma order swaps the destination planes.
func libPacked422(yFirst, cbFirst bool) libKernel {
	return func(c *frameConverter, d *frameBuf, src [3]planeView) error {
		y, cb, cr := yccPlanes(d)
		if !cbFirst {
			cb, cr = cr, cb
		}
		if yFirst {
			return yuv.YUY2ToI422(src[0].plane(), y, cb, cr, c.l.Width, c.l.Height)
		}
		return yuv.UYVYToI422(src[0].plane(), y, cb, cr, c.l.Width, c.l.Height)
	}
}

func libSemiPlanar(swapped bool) libKernel {
	return func(c *frameConverter, d *frameBuf, src [3]planeView) error {
		y, cb, cr := yccPlanes(d)
		if swapped {
			cb, cr = cr, cb
		}
		if err := yuv.CopyPlane(src[0].plane(), y, c.planes[0].rowBytes, c.planes[0].rows); err != nil {
			return err
		}
		return yuv.SplitUVPlane(src[1].plane(), cb, cr, c.planes[1].rowBytes/2, c.planes[1].rows)
	}
}

// libRGB24: RGB24ToARGB keeps the byte order (R G B -> R G B A), RAWToARGB
// reverses it (B G R -> R G B A); both set alpha.
func libRGB24(reverse bool) libKernel {
	return func(c *frameConverter, d *frameBuf, src [3]planeView) error {
		if reverse {
			return yuv.RAWToARGB(src[0].plane(), rgbaPlane(d), c.l.Width, c.l.Height)
		}
		return yuv.RGB24ToARGB(src[0].plane(), rgbaPlane(d), c.l.Width, c.l.Height)
	}
}

// libRGB32 shuffles R, G and B (at byte offsets r, g, b) into R G B A
// order, then makes the picture opaque.
func libRGB32(r, g, b int) libKernel {
	var mask [16]byte
	for i := 0; i < 16; i += 4 {
		a := 6 - r - g - b // the remaining byte: alpha or padding
		mask[i], mask[i+1], mask[i+2], mask[i+3] = byte(i+r), byte(i+g), byte(i+b), byte(i+a)
	}
	return func(c *frameConverter, d *frameBuf, src [3]planeView) error {
		if err := yuv.ARGBShuffle(src[0].plane(), rgbaPlane(d), &mask, c.l.Width, c.l.Height); err != nil {
			return err
		}
		return yuv.SetOpaque(rgbaPlane(d), c.l.Width, c.l.Height)
	}
}

// shuffleSwapRB turns libyuv's B G R A into R G B A.
var shuffleSwapRB = [16]byte{2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15}

func libRGB565(c *frameConverter, d *frameBuf, src [3]planeView) error {
	if err := yuv.RGB565ToARGB(src[0].plane(), rgbaPlane(d), c.l.Width, c.l.Height); err != nil {
		return err
	}
	return yuv.ARGBShuffle(rgbaPlane(d), rgbaPlane(d), &shuffleSwapRB, c.l.Width, c.l.Height)
}

// libMJPEG decodes into the pooled 4:2:0 picture (libjpeg-turbo through
// libyuv, any JPEG subsampling).
func libMJPEG(c *frameConverter, d *frameBuf, b []byte) error {
	y, cb, cr := yccPlanes(d)
	if err := yuv.MJPGToI420(b, y, cb, cr, c.l.Width, c.l.Height); err != nil {
		return fmt.Errorf("camera: MJPG %dx%d frame: %w", c.l.Width, c.l.Height, err)
	}
	return nil
}
