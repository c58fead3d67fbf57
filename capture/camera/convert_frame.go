package camera

import (
	"fmt"
	"image"
	"time"

	"github.com/tally-app/tally/capture"
)

// FrameLayout is what VIDIOC_G_FMT says of the frames a device will send:
// the format (a fourcc as v4l2-ctl prints it: "YUYV", "YU12", "MJPG"), the
// size, each plane's bytes per line and size (one entry per memory plane;
// a single-planar format has one, 0 meaning "tightly packed"), and the
// colorimetry fields as the driver set them (0 = default).
//
// SizeImage, when given, must hold the picture the bytes per line
// describe (a driver that says less is refused); XferFunc is not used: the
// pictures stay gamma-encoded R′G′B′, as screens and image files want them.
type FrameLayout struct {
	FourCC                                       string
	Width, Height                                int
	BytesPerLine, SizeImage                      []int
	Colorspace, YCbCrEnc, Quantization, XferFunc uint32
}

// maxFrameSide bounds a frame's width and height, so a nonsense G_FMT
// reply cannot make the pool allocate gigabytes.
const maxFrameSide = 16384

// Convertible reports whether frames in the format can be converted.
func Convertible(fourcc string) bool {
	_, ok := formats[fourcc]
	return ok
}

// ConvertibleFormats lists the fourccs Convertible accepts.
func ConvertibleFormats() []string {
	out := make([]string, 0, len(formats))
	for f := range formats {
		out = append(out, f)
	}
	return out
}

// frameConverter turns the raw frames of one layout into pictures, each
// source frame converted once into a buffer of its own pool:
// *capture.YCbCr (tagged with the layout's colorimetry) for Y′CbCr
// formats, *image.RGBA (opaque) for R′G′B′ ones, *image.Gray for GREY.
//
// Convert is called by one goroutine (the capture loop); the frames it
// returns may be released on any goroutine, which the pool (a channel)
// allows.
type frameConverter struct {
	l      FrameLayout
	spec   *formatSpec
	matrix capture.YCbCrMatrix
	full   bool
	// lut expands limited-range luma for GREY; nil when it is full range
	// (its default).
	lut *[256]byte
	// planes: the geometry of each logical plane, resolved from the layout.
	planes []planeGeom
	free   chan *frameBuf
}

// planeGeom is one logical plane: row length in bytes, rows, stride, and
// (for a single memory plane holding several) its offset.
type planeGeom struct {
	rowBytes, rows, stride, offset int
}

func (g planeGeom) size() int { return (g.rows-1)*g.stride + g.rowBytes }

// frameBuf is one pooled picture; release is bound once so that handing a
// frame out costs no closure.
type frameBuf struct {
	img     image.Image
	ycc     *capture.YCbCr
	rgba    *image.RGBA
	gray    *image.Gray
	release func()
}

// framePool is how many buffers a converter keeps: one being filled, one
// on screen, one waiting in each of a couple of readers. More are made
// when consumers hold on; extras are dropped when released.
const framePool = 4

func newFrameConverter(l FrameLayout) (*frameConverter, error) {
	spec, ok := formats[l.FourCC]
	if !ok {
		return nil, fmt.Errorf("camera: pixel format %q cannot be converted", l.FourCC)
	}
	if l.Width <= 0 || l.Height <= 0 || l.Width > maxFrameSide || l.Height > maxFrameSide {
		return nil, fmt.Errorf("camera: %s frame size %dx%d out of range", l.FourCC, l.Width, l.Height)
	}
	c := &frameConverter{l: l, spec: spec, free: make(chan *frameBuf, framePool)}
	switch spec.out {
	case outYCbCr:
		c.matrix, c.full = ycbcrColorimetry(l.Colorspace, l.YCbCrEnc, l.Quantization)
	case outMJPEG:
		// The decoder gives JFIF samples whatever the driver reports
		// (uvcvideo says sRGB, which would default to limited range).
		c.matrix, c.full = capture.BT601, true
	case outGray:
		if !fullRange(true, l.Colorspace, l.Quantization) {
			c.lut = &limitedToFull
		}
	}
	if err := c.resolvePlanes(); err != nil {
		return nil, err
	}
	if err := c.checkSizeImage(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkSizeImage refuses a layout whose sizeimage is too small for its
// planes (MJPEG's is a compressed maximum: not checked).
func (c *frameConverter) checkSizeImage() error {
	if c.spec.out == outMJPEG {
		return nil
	}
	for i, size := range c.l.SizeImage {
		need := 0
		switch {
		case len(c.l.SizeImage) == 1 && len(c.l.BytesPerLine) <= 1:
			last := c.planes[len(c.planes)-1]
			need = last.offset + last.size()
		case len(c.l.SizeImage) == len(c.planes):
			need = c.planes[i].size()
		default:
			return fmt.Errorf("camera: %s has %d planes, layout gives %d image sizes", c.l.FourCC, len(c.planes), len(c.l.SizeImage))
		}
		if size > 0 && size < need {
			return fmt.Errorf("camera: %s %dx%d plane %d: sizeimage %d is less than the %d bytes its lines need", c.l.FourCC, c.l.Width, c.l.Height, i, size, need)
		}
	}
	return nil
}

// resolvePlanes works out where each logical plane lies, from the layout's
// bytes per line. With one memory plane, later planes follow the first, as
// V4L2's single-planar layouts define: chroma rows of planar formats are
// half the luma line (bytesperline/2), those of semi-planar 4:2:x ones the
// same length as it, of NV24/NV42 twice it.
func (c *frameConverter) resolvePlanes() error {
	w, h := c.l.Width, c.l.Height
	n := len(c.spec.planes)
	if len(c.l.BytesPerLine) > 1 && len(c.l.BytesPerLine) != n {
		return fmt.Errorf("camera: %s has %d planes, layout gives %d", c.l.FourCC, n, len(c.l.BytesPerLine))
	}
	c.planes = make([]planeGeom, n)
	off := 0
	for i, p := range c.spec.planes {
		g := planeGeom{rowBytes: p.rowBytes(w), rows: p.rows(h)}
		g.stride = g.rowBytes
		switch {
		case len(c.l.BytesPerLine) == n && c.l.BytesPerLine[i] > 0:
			g.stride = c.l.BytesPerLine[i]
		case len(c.l.BytesPerLine) == 1 && c.l.BytesPerLine[0] > 0:
			g.stride = c.l.BytesPerLine[0] * p.strideMul / p.strideDiv
		}
		if g.stride < g.rowBytes {
			return fmt.Errorf("camera: %s %dx%d plane %d: bytesperline %d is less than a row of %d bytes", c.l.FourCC, w, h, i, g.stride, g.rowBytes)
		}
		if len(c.l.BytesPerLine) <= 1 {
			g.offset = off
			off += g.stride * g.rows
		}
		c.planes[i] = g
	}
	return nil
}

// Convert converts one frame, given as the device's memory planes (one for
// a single-planar format, one per plane for the multi-planar "M" formats).
// The frame's buffer returns to the pool when every consumer has released
// it. Short or malformed input is an error naming the format and sizes.
func (c *frameConverter) Convert(planes [][]byte, ts time.Duration) (capture.VideoFrame, error) {
	if c.spec.out == outMJPEG && !useLibyuv {
		return c.convertMJPEG(planes, ts)
	}
	b, err := c.convertBuf(planes)
	if err != nil {
		if c.spec.out == outMJPEG {
			if f, err2 := c.convertMJPEG(planes, ts); err2 == nil {
				return f, nil
			}
		}
		return capture.VideoFrame{}, err
	}
	return capture.NewPooledVideoFrame(b.img, ts, b.release), nil
}

// convertBuf converts a raw frame into a buffer from the pool.
func (c *frameConverter) convertBuf(planes [][]byte) (*frameBuf, error) {
	if c.spec.out == outMJPEG {
		return c.convertMJPEGBuf(planes)
	}
	views, err := c.views(planes)
	if err != nil {
		return nil, err
	}
	b := c.get()
	if useLibyuv && c.spec.lib != nil {
		if err := c.spec.lib(c, b, views); err != nil {
			b.release()
			return nil, fmt.Errorf("camera: %s %dx%d frame: %w", c.l.FourCC, c.l.Width, c.l.Height, err)
		}
		return b, nil
	}
	c.spec.convert(c, b, views)
	return b, nil
}

// views checks the planes against the layout and slices each logical
// plane out of them. It allocates nothing: views live on the caller's
// stack for up to three planes.
func (c *frameConverter) views(planes [][]byte) ([3]planeView, error) {
	var v [3]planeView
	n := len(c.planes)
	switch {
	case len(planes) == n:
		for i, g := range c.planes {
			if len(planes[i]) < g.size() {
				return v, c.short(i, len(planes[i]), g.size())
			}
			v[i] = planeView{planes[i], g.stride}
		}
	case len(planes) == 1 && len(c.l.BytesPerLine) <= 1:
		buf := planes[0]
		for i, g := range c.planes {
			if len(buf) < g.offset+g.size() {
				last := c.planes[n-1]
				return v, c.short(-1, len(buf), last.offset+last.size())
			}
			v[i] = planeView{buf[g.offset:], g.stride}
		}
	default:
		return v, fmt.Errorf("camera: %s %dx%d frame: %d memory planes, want %d", c.l.FourCC, c.l.Width, c.l.Height, len(planes), n)
	}
	return v, nil
}

func (c *frameConverter) short(plane, got, want int) error {
	if plane < 0 {
		return fmt.Errorf("camera: short %s %dx%d frame: %d bytes, want %d", c.l.FourCC, c.l.Width, c.l.Height, got, want)
	}
	return fmt.Errorf("camera: short %s %dx%d frame: plane %d has %d bytes, want %d", c.l.FourCC, c.l.Width, c.l.Height, plane, got, want)
}

// get takes a buffer from the pool or makes one.
func (c *frameConverter) get() *frameBuf {
	select {
	case b := <-c.free:
		return b
	default:
	}
	b := &frameBuf{}
	r := image.Rect(0, 0, c.l.Width, c.l.Height)
	switch c.spec.out {
	case outYCbCr, outMJPEG:
		b.ycc = capture.NewYCbCr(r, c.spec.ratio, c.matrix, c.full)
		b.img = b.ycc
	case outRGBA:
		b.rgba = image.NewRGBA(r)
		b.img = b.rgba
	case outGray:
		b.gray = image.NewGray(r)
		b.img = b.gray
	}
	b.release = func() {
		select {
		case c.free <- b:
		default: // the pool is full: let this one go
		}
	}
	return b
}

// planeView is one logical plane of a frame: its bytes from its first row
// and the distance between rows.
type planeView struct {
	b      []byte
	stride int
}

// Output kinds.
const (
	outYCbCr = iota
	outRGBA
	outGray
	outMJPEG
)

// planeSpec is the geometry of one logical plane of a format.
type planeSpec struct {
	rowBytes func(w int) int
	rows     func(h int) int
	// strideMul, strideDiv: with one memory plane, this plane's bytes per
	// line is the first plane's times strideMul / strideDiv.
	strideMul, strideDiv int
}

// formatSpec says how one fourcc is laid out and converted.
type formatSpec struct {
	fourcc  string
	out     int
	ratio   image.YCbCrSubsampleRatio // outYCbCr
	planes  []planeSpec
	convert func(c *frameConverter, dst *frameBuf, src [3]planeView)
	lib     libKernel // libyuv's, where it is faster; nil: convert
}

func half(n int) int { return (n + 1) / 2 }
func same(n int) int { return n }

var (
	lumaPlane      = planeSpec{same, same, 1, 1}
	packed422Plane = planeSpec{func(w int) int { return 4 * half(w) }, same, 1, 1}
	chroma420      = planeSpec{half, half, 1, 2}
	chroma422      = planeSpec{half, same, 1, 2}
	chroma420UV    = planeSpec{func(w int) int { return 2 * half(w) }, half, 1, 1}
	chroma422UV    = planeSpec{func(w int) int { return 2 * half(w) }, same, 1, 1}
	chroma444UV    = planeSpec{func(w int) int { return 2 * w }, same, 2, 1}
)

func bytesPlane(bpp int) planeSpec {
	return planeSpec{func(w int) int { return bpp * w }, same, 1, 1}
}

// formats maps each convertible fourcc to its layout and converter. The
// multi-planar "M" variants (NM12, YM12, ...) are the same pictures with
// each plane in its own buffer.
var formats = func() map[string]*formatSpec {
	m := map[string]*formatSpec{}
	add := func(f formatSpec, aliases ...string) {
		for _, name := range append([]string{f.fourcc}, aliases...) {
			g := f
			g.fourcc = name
			m[name] = &g
		}
	}
	for _, f := range []formatSpec{
		{fourcc: "YUYV", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{packed422Plane}, convert: convPacked422(true, true), lib: libPacked422(true, true)},
		{fourcc: "YVYU", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{packed422Plane}, convert: convPacked422(true, false), lib: libPacked422(true, false)},
		{fourcc: "UYVY", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{packed422Plane}, convert: convPacked422(false, true), lib: libPacked422(false, true)},
		{fourcc: "VYUY", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{packed422Plane}, convert: convPacked422(false, false), lib: libPacked422(false, false)},
		{fourcc: "GREY", out: outGray, planes: []planeSpec{lumaPlane}, convert: convGrey},
		{fourcc: "RGB3", out: outRGBA, planes: []planeSpec{bytesPlane(3)}, convert: convRGB24(0, 1, 2), lib: libRGB24(false)},
		{fourcc: "BGR3", out: outRGBA, planes: []planeSpec{bytesPlane(3)}, convert: convRGB24(2, 1, 0), lib: libRGB24(true)},
		{fourcc: "RGBP", out: outRGBA, planes: []planeSpec{bytesPlane(2)}, convert: convRGB565, lib: libRGB565},
		{fourcc: "MJPG", out: outMJPEG, ratio: image.YCbCrSubsampleRatio420},
	} {
		add(f)
	}
	add(formatSpec{fourcc: "NV12", out: outYCbCr, ratio: image.YCbCrSubsampleRatio420, planes: []planeSpec{lumaPlane, chroma420UV}, convert: convSemiPlanar(false), lib: libSemiPlanar(false)}, "NM12")
	add(formatSpec{fourcc: "NV21", out: outYCbCr, ratio: image.YCbCrSubsampleRatio420, planes: []planeSpec{lumaPlane, chroma420UV}, convert: convSemiPlanar(true), lib: libSemiPlanar(true)}, "NM21")
	add(formatSpec{fourcc: "NV16", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{lumaPlane, chroma422UV}, convert: convSemiPlanar(false), lib: libSemiPlanar(false)}, "NM16")
	add(formatSpec{fourcc: "NV61", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{lumaPlane, chroma422UV}, convert: convSemiPlanar(true), lib: libSemiPlanar(true)}, "NM61")
	add(formatSpec{fourcc: "NV24", out: outYCbCr, ratio: image.YCbCrSubsampleRatio444, planes: []planeSpec{lumaPlane, chroma444UV}, convert: convSemiPlanar(false), lib: libSemiPlanar(false)})
	add(formatSpec{fourcc: "NV42", out: outYCbCr, ratio: image.YCbCrSubsampleRatio444, planes: []planeSpec{lumaPlane, chroma444UV}, convert: convSemiPlanar(true), lib: libSemiPlanar(true)})
	add(formatSpec{fourcc: "YU12", out: outYCbCr, ratio: image.YCbCrSubsampleRatio420, planes: []planeSpec{lumaPlane, chroma420, chroma420}, convert: convPlanar(false)}, "YM12")
	add(formatSpec{fourcc: "YV12", out: outYCbCr, ratio: image.YCbCrSubsampleRatio420, planes: []planeSpec{lumaPlane, chroma420, chroma420}, convert: convPlanar(true)}, "YM21")
	add(formatSpec{fourcc: "422P", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{lumaPlane, chroma422, chroma422}, convert: convPlanar(false)}, "YM16")
	add(formatSpec{fourcc: "YM61", out: outYCbCr, ratio: image.YCbCrSubsampleRatio422, planes: []planeSpec{lumaPlane, chroma422, chroma422}, convert: convPlanar(true)})
	// 32-bit R′G′B′, by where R, G and B sit in each 4-byte pixel (memory
	// order, as linux/videodev2.h and vivid define them); alpha or padding is
	// ignored: the picture is opaque.
	for _, f := range []struct {
		fourccs []string
		r, g, b int
	}{
		{[]string{"XB24", "AB24"}, 0, 1, 2},         // RGBX32, RGBA32
		{[]string{"BGR4", "XR24", "AR24"}, 2, 1, 0}, // BGR32, XBGR32, ABGR32: B G R X
		{[]string{"RGB4", "BX24", "BA24"}, 1, 2, 3}, // RGB32, XRGB32, ARGB32: X R G B
		{[]string{"RX24", "RA24"}, 3, 2, 1},         // BGRX32, BGRA32: X B G R
	} {
		add(formatSpec{fourcc: f.fourccs[0], out: outRGBA, planes: []planeSpec{bytesPlane(4)}, convert: convRGB32(f.r, f.g, f.b), lib: libRGB32(f.r, f.g, f.b)}, f.fourccs[1:]...)
	}
	return m
}()

// convertMJPEGBuf decodes one MJPEG frame with libyuv into a pooled 4:2:0
// picture.
func (c *frameConverter) convertMJPEGBuf(planes [][]byte) (*frameBuf, error) {
	if len(planes) != 1 {
		return nil, fmt.Errorf("camera: MJPG %dx%d frame: %d memory planes, want 1", c.l.Width, c.l.Height, len(planes))
	}
	b := c.get()
	if err := libMJPEG(c, b, planes[0]); err != nil {
		b.release()
		return nil, err
	}
	return b, nil
}

// convertMJPEG decodes one MJPEG frame with image/jpeg (without libyuv, or
// when libyuv rejects a frame image/jpeg may still read: libyuv wants the
// end-of-image marker). The decoder makes its own picture (image/jpeg
// cannot decode into a given buffer), tagged as JFIF.
func (c *frameConverter) convertMJPEG(planes [][]byte, ts time.Duration) (capture.VideoFrame, error) {
	if len(planes) != 1 {
		return capture.VideoFrame{}, fmt.Errorf("camera: MJPG %dx%d frame: %d memory planes, want 1", c.l.Width, c.l.Height, len(planes))
	}
	img, err := decodeMJPEG(planes[0])
	if err != nil {
		return capture.VideoFrame{}, err
	}
	if b := img.Bounds(); b.Dx() != c.l.Width || b.Dy() != c.l.Height {
		return capture.VideoFrame{}, fmt.Errorf("camera: MJPG frame is %dx%d, the format says %dx%d", b.Dx(), b.Dy(), c.l.Width, c.l.Height)
	}
	if y, ok := img.(*image.YCbCr); ok {
		img = &capture.YCbCr{YCbCr: *y, Matrix: capture.BT601, FullRange: true}
	}
	return capture.VideoFrame{Image: img, Timestamp: ts}, nil
}
