// Package mjpeg decodes Motion-JPEG frames, the format most USB webcams send
// at 720p and 1080p, into pooled Y′CbCr planes.
//
// With cgo it decodes through libjpeg-turbo's TurboJPEG API
// (tjDecompressToYUVPlanes): the planes come out as the JPEG holds them,
// with no colour conversion and no allocation per frame, and at 1/2, 1/4 or
// 1/8 size by scaling in the inverse DCT. Built without cgo or with the
// noturbojpeg tag it falls back to Go's image/jpeg, several times slower;
// Implementation says which one runs.
//
// Frames are JFIF: full-range BT.601, tagged so in the capture.YCbCr they
// decode to. MJPEG frames that leave out their Huffman tables (the AVI1 and
// UVC convention: the decoder is to use the standard tables of ITU-T T.81
// K.3) decode like any other.
package mjpeg

import (
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/tally-app/tally/capture"
)

// ErrBadFrame is wrapped by every error about a frame's content: truncated,
// corrupt, not a JPEG, a kind of JPEG this package does not decode, or too
// large. A camera drops such a frame and counts it.
var ErrBadFrame = errors.New("mjpeg: bad frame")

func badFrame(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadFrame}, args...)...)
}

// DefaultMaxPixels bounds the size a frame's header may claim before any
// plane is allocated for it: 4096×4096 covers 4K webcams, and a corrupt
// header cannot make the decoder allocate gigabytes.
const DefaultMaxPixels = 4096 * 4096

// Scale is the denominator of a DCT-scaled decode: 1 decodes at full size,
// 2, 4 and 8 at half, a quarter and an eighth of each dimension.
type Scale int

// The scales Decode accepts.
const (
	Full    Scale = 1
	Half    Scale = 2
	Quarter Scale = 4
	Eighth  Scale = 8
)

func (s Scale) valid() bool { return s == Full || s == Half || s == Quarter || s == Eighth }

// Size is the size of a w×h frame decoded at s: each dimension divided by
// s, rounded up (libjpeg-turbo's TJSCALED).
func (s Scale) Size(w, h int) (int, int) {
	d := int(s)
	return (w + d - 1) / d, (h + d - 1) / d
}

// Header is what a frame's header says about it.
type Header struct {
	Width, Height int
	// Subsampling is the chroma subsampling of the frame; grey frames
	// report 4:2:0, the layout they decode to.
	Subsampling image.YCbCrSubsampleRatio
	Grey        bool
}

// framePool recycles decoded frames of one size and layout. Frames come
// back from whichever goroutine the last consumer releases them on.
type framePool struct {
	mu   sync.Mutex // protects key, free
	key  frameKey
	free []*pooledFrame
}

type frameKey struct {
	w, h  int
	ratio image.YCbCrSubsampleRatio
	grey  bool
	// The luma plane's stride and rows, at least w and h: libjpeg-turbo
	// writes luma to a multiple of the chroma subsampling (an odd-width
	// 4:2:2 frame gets even-width luma rows), so its plane is padded.
	yStride, yRows int
}

// pooledFrame is one decoded picture and its release func, made once so
// that handing a frame out allocates nothing.
type pooledFrame struct {
	img     *capture.YCbCr
	key     frameKey
	pool    *framePool
	release func()
	fb      *capture.FrameBuffer // release's count, for DecodeFrame
}

// maxFree bounds the frames kept for reuse: a few consumers hold one each.
const maxFree = 6

func (p *framePool) get(k frameKey) *pooledFrame {
	p.mu.Lock()
	if p.key != k {
		p.key, p.free = k, nil
	}
	if n := len(p.free); n > 0 {
		f := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return f
	}
	p.mu.Unlock()
	img := newPlanes(k)
	if k.grey {
		// Grey frames decode only Y′; neutral chroma is set once, here.
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 128, 128
		}
	}
	f := &pooledFrame{img: img, key: k, pool: p}
	f.release = f.put
	f.fb = capture.NewFrameBuffer(f.put)
	return f
}

// Decode decodes a frame at scale s into a pooled picture, tagged
// full-range BT.601. The caller calls release once when done with img;
// img must not be used after.
func (d *Decoder) Decode(jpeg []byte, s Scale) (img *capture.YCbCr, release func(), err error) {
	img, f, err := d.decode(jpeg, s)
	if err != nil {
		return nil, nil, err
	}
	return img, f.release, nil
}

// DecodeFrame is Decode for a backend: the picture comes with its pooled
// buffer's count, so handing it out as a VideoFrame (fb.Frame) allocates
// nothing. fb.Release gives it back unused.
func (d *Decoder) DecodeFrame(jpeg []byte, s Scale) (img *capture.YCbCr, fb *capture.FrameBuffer, err error) {
	img, f, err := d.decode(jpeg, s)
	if err != nil {
		return nil, nil, err
	}
	return img, f.fb, nil
}

func (f *pooledFrame) put() {
	p := f.pool
	p.mu.Lock()
	if p.key == f.key && len(p.free) < maxFree {
		p.free = append(p.free, f)
	}
	p.mu.Unlock()
}

// newPlanes allocates a picture laid out as image.NewYCbCr lays it out but
// for the luma plane's padding, in one allocation.
func newPlanes(k frameKey) *capture.YCbCr {
	cw, ch := chromaSize(k.w, k.h, k.ratio)
	ys, yr := max(k.yStride, k.w), max(k.yRows, k.h)
	buf := make([]byte, ys*yr+2*cw*ch)
	yn := ys * yr
	return &capture.YCbCr{
		YCbCr: image.YCbCr{
			Y: buf[:yn:yn], Cb: buf[yn : yn+cw*ch : yn+cw*ch], Cr: buf[yn+cw*ch:],
			YStride: ys, CStride: cw, SubsampleRatio: k.ratio, Rect: image.Rect(0, 0, k.w, k.h),
		},
		Matrix: capture.BT601, FullRange: true,
	}
}

// chromaSize is the size of a w×h picture's chroma planes, as image.YCbCr
// lays them out (and as libjpeg-turbo's tjPlaneWidth and tjPlaneHeight
// size them).
func chromaSize(w, h int, ratio image.YCbCrSubsampleRatio) (int, int) {
	switch ratio {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// checkSize rejects sizes a header must not claim.
func checkSize(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return badFrame("header says %dx%d", w, h)
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if w > maxPixels/h {
		return badFrame("%dx%d is larger than the %d pixels allowed", w, h, maxPixels)
	}
	return nil
}
