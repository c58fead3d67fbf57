package camera

// This file adapts today's converters (convert.go) to the frame-converter
// contract the pixels branch implements (FrameLayout, Convertible,
// newFrameConverter, Convert). It goes away when that branch is merged.

import (
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"github.com/tally-app/tally/capture"
)

// FrameLayout is a capture format as the driver set it (VIDIOC_G_FMT).
type FrameLayout struct {
	FourCC        string
	Width, Height int
	// BytesPerLine and SizeImage have one entry per memory plane.
	BytesPerLine, SizeImage                      []int
	Colorspace, YCbCrEnc, Quantization, XferFunc uint32
}

// legacyFormat maps the V4L2 fourccs today's converters handle to their
// names in convert.go.
var legacyFormat = map[string]string{
	"YUYV": FormatYUYV, "UYVY": FormatUYVY, "YU12": FormatI420,
	"NV12": FormatNV12, "NV21": FormatNV21, "MJPG": FormatMJPEG,
}

// Convertible reports whether frames of a V4L2 fourcc can be converted.
func Convertible(fourcc string) bool {
	_, ok := legacyFormat[fourcc]
	return ok
}

// frameConverter converts frames of one layout, each once, into buffers of
// its own pool.
type frameConverter struct {
	l    FrameLayout
	conv converter
	free chan *image.YCbCr // recycled frame buffers
	made atomic.Int32      // buffers allocated, for tests of the recycling
}

// naturalLine is the bytes per line today's converters assume.
func naturalLine(fourcc string, w int) int {
	switch fourcc {
	case "YUYV", "UYVY":
		return (w + 1) / 2 * 4
	case "MJPG":
		return 0
	}
	return w
}

func newFrameConverter(l FrameLayout) (*frameConverter, error) {
	name, ok := legacyFormat[l.FourCC]
	if !ok {
		return nil, fmt.Errorf("pixel format %q is not supported by Tally", l.FourCC)
	}
	if l.Width <= 0 || l.Height <= 0 {
		return nil, fmt.Errorf("%s frame size %dx%d", l.FourCC, l.Width, l.Height)
	}
	if len(l.BytesPerLine) != 1 {
		return nil, fmt.Errorf("%s in %d memory planes: only one is supported", l.FourCC, len(l.BytesPerLine))
	}
	if want := naturalLine(l.FourCC, l.Width); want != 0 && l.BytesPerLine[0] != want {
		return nil, fmt.Errorf("%s %dx%d with %d bytes per line: only unpadded lines (%d) are supported", l.FourCC, l.Width, l.Height, l.BytesPerLine[0], want)
	}
	return &frameConverter{l: l, conv: converters[name], free: make(chan *image.YCbCr, poolSize)}, nil
}

// Convert converts one frame (one []byte per V4L2 plane) into a pooled
// picture, returned to the pool when every consumer is done with it.
func (c *frameConverter) Convert(planes [][]byte, ts time.Duration) (capture.VideoFrame, error) {
	if len(planes) != 1 {
		return capture.VideoFrame{}, fmt.Errorf("%s frame in %d planes, want 1", c.l.FourCC, len(planes))
	}
	if c.conv.newImage == nil {
		img, err := decodeMJPEG(planes[0])
		if err != nil {
			return capture.VideoFrame{}, err
		}
		return capture.VideoFrame{Image: img, Timestamp: ts}, nil
	}
	buf := c.get()
	if err := c.conv.convert(buf, planes[0], c.l.Width, c.l.Height); err != nil {
		c.put(buf)
		return capture.VideoFrame{}, err
	}
	return capture.NewPooledVideoFrame(buf, ts, func() { c.put(buf) }), nil
}

func (c *frameConverter) get() *image.YCbCr {
	select {
	case b := <-c.free:
		return b
	default:
		c.made.Add(1)
		return c.conv.newImage(c.l.Width, c.l.Height)
	}
}

func (c *frameConverter) put(b *image.YCbCr) {
	select {
	case c.free <- b:
	default: // the pool is full: let this one go
	}
}
