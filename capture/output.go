package capture

// A source's distinct outputs: each (size, decimation) some track wants is
// computed once per kept source frame, into pooled buffers, and the frame is
// shared by every track that asked for it.

import (
	"fmt"
	"image"
	"image/color"
	"sync"

	"github.com/tally-app/tally/internal/scale"
)

// outputKey is one distinct output of a source: a size (0×0 for the
// device's own frames) and a decimation (every n-th source frame).
type outputKey struct{ w, h, n int }

// output is one distinct output of a source.
type output struct {
	key  outputKey
	pool framePool

	// Used by the capture goroutine only.
	phase int         // source frames since the last kept one, mod n
	black *image.RGBA // what the output's disabled tracks get
}

// fanEntry is an output with the live tracks it serves.
type fanEntry struct {
	o      *output
	tracks []*trackCore
}

// fanout is the capture goroutine's view of a source's tracks, replaced
// whole on every change.
type fanout struct{ entries []fanEntry }

// keep reports whether the current source frame is one of this output's
// (integral decimation: every n-th frame), and advances the count.
func (o *output) keep() bool {
	k := o.phase == 0
	o.phase++
	if o.phase >= o.key.n {
		o.phase = 0
	}
	return k
}

// blackFrame is a black frame of f's size, made once per size and output.
func (o *output) blackFrame(f VideoFrame) VideoFrame {
	b := f.Image.Bounds()
	if o.black == nil || o.black.Rect.Dx() != b.Dx() || o.black.Rect.Dy() != b.Dy() {
		img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 0xff
		}
		o.black = img
	}
	return VideoFrame{Image: o.black, Timestamp: f.Timestamp}
}

// pooledFrame is a scaled frame's buffer with its reference count, reused
// whole so that a steady stream allocates nothing.
type pooledFrame struct {
	img image.Image
	ref frameRef
}

// framePool recycles an output's buffers; readers give them back from
// their own goroutines.
type framePool struct {
	mu   sync.Mutex // protects free
	free []*pooledFrame
}

func (p *framePool) get() *pooledFrame {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		pf := p.free[n-1]
		p.free = p.free[:n-1]
		return pf
	}
	return nil
}

func (p *framePool) put(pf *pooledFrame) {
	p.mu.Lock()
	p.free = append(p.free, pf)
	p.mu.Unlock()
}

// frame returns a buffer like proto (same type and layout) of w×h, from the
// pool when it has one that fits.
func (p *framePool) frame(proto image.Image, w, h int) *pooledFrame {
	pf := p.get()
	if pf == nil || !sameLayout(pf.img, proto, w, h) {
		pf = &pooledFrame{img: newLike(proto, w, h)}
		pf.ref.release = func() { p.put(pf) }
	}
	pf.ref.n.Store(1)
	return pf
}

func sameLayout(img, proto image.Image, w, h int) bool {
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return false
	}
	switch p := proto.(type) {
	case *YCbCr:
		y, ok := img.(*YCbCr)
		return ok && y.SubsampleRatio == p.SubsampleRatio
	case *image.YCbCr:
		y, ok := img.(*image.YCbCr)
		return ok && y.SubsampleRatio == p.SubsampleRatio
	case *image.Gray:
		_, ok := img.(*image.Gray)
		return ok
	case *image.NRGBA:
		_, ok := img.(*image.NRGBA)
		return ok
	default:
		_, ok := img.(*image.RGBA)
		return ok
	}
}

// newLike makes a w×h image of proto's type: Y′CbCr (tagged or not) with
// its subsampling, grey, NRGBA; RGBA for anything else.
func newLike(proto image.Image, w, h int) image.Image {
	r := image.Rect(0, 0, w, h)
	switch p := proto.(type) {
	case *YCbCr:
		return NewYCbCr(r, p.SubsampleRatio, p.Matrix, p.FullRange)
	case *image.YCbCr:
		return image.NewYCbCr(r, p.SubsampleRatio)
	case *image.Gray:
		return image.NewGray(r)
	case *image.NRGBA:
		return image.NewNRGBA(r)
	default:
		return image.NewRGBA(r)
	}
}

// centredCrop is the largest rectangle of r's centre with aspect w:h.
func centredCrop(r image.Rectangle, w, h int) image.Rectangle {
	sw, sh := r.Dx(), r.Dy()
	cw, ch := sw, sh
	switch {
	case sw*h > sh*w: // the source is wider: crop the sides
		cw = max(1, (sh*w+h/2)/h)
	case sw*h < sh*w: // taller: crop top and bottom
		ch = max(1, (sw*h+w/2)/w)
	}
	x0, y0 := r.Min.X+(sw-cw)/2, r.Min.Y+(sh-ch)/2
	return image.Rect(x0, y0, x0+cw, y0+ch)
}

// scaleFrame crops f to the output's aspect ratio (centred) and scales it to
// the output's size, into a pooled buffer of f's image type. The caller
// holds one reference to the result.
func (o *output) scaleFrame(f VideoFrame) (VideoFrame, error) {
	w, h := o.key.w, o.key.h
	pf := o.pool.frame(f.Image, w, h)
	crop := centredCrop(f.Image.Bounds(), w, h)
	err := scaleInto(pf.img, f.Image, crop)
	out := VideoFrame{Image: pf.img, Timestamp: f.Timestamp, ref: &pf.ref}
	if err != nil {
		out.release()
		return VideoFrame{}, err
	}
	return out, nil
}

// scaleInto scales the crop rectangle of src into all of dst, which newLike
// made for src.
func scaleInto(dst, src image.Image, crop image.Rectangle) error {
	switch s := src.(type) {
	case *YCbCr:
		// The same samples, read the same way: the tag goes with them.
		d := dst.(*YCbCr)
		d.Matrix, d.FullRange = s.Matrix, s.FullRange
		return scalePlanes(&d.YCbCr, &s.YCbCr, crop)
	case *image.YCbCr:
		return scalePlanes(dst.(*image.YCbCr), s, crop)
	}
	return scalePacked(dst, src, crop)
}

// scalePlanes scales the crop of s's three planes into all of d, which has
// s's subsampling.
func scalePlanes(d, s *image.YCbCr, crop image.Rectangle) error {
	const f = scale.Bilinear
	sx, sy := subsampling(s.SubsampleRatio)
	// Start the crop on a whole chroma sample (chroma sits on a grid of
	// absolute coordinates), staying inside the picture.
	crop.Min.X = alignIn(crop.Min.X, s.Rect.Min.X, sx)
	crop.Min.Y = alignIn(crop.Min.Y, s.Rect.Min.Y, sy)
	if crop.Empty() || !crop.In(s.Rect) {
		return fmt.Errorf("capture: crop %v is outside the picture %v", crop, s.Rect)
	}
	cw, ch := crop.Dx(), crop.Dy()
	yo := s.YOffset(crop.Min.X, crop.Min.Y)
	dw, dh := d.Rect.Dx(), d.Rect.Dy()
	if err := scale.Plane(d.Y, d.YStride, dw, dh, s.Y[yo:], s.YStride, cw, ch, f); err != nil {
		return err
	}
	co := s.COffset(crop.Min.X, crop.Min.Y)
	ccw, cch := (cw+sx-1)/sx, (ch+sy-1)/sy
	dcw, dch := (dw+sx-1)/sx, (dh+sy-1)/sy
	if err := scale.Plane(d.Cb, d.CStride, dcw, dch, s.Cb[co:], s.CStride, ccw, cch, f); err != nil {
		return err
	}
	return scale.Plane(d.Cr, d.CStride, dcw, dch, s.Cr[co:], s.CStride, ccw, cch, f)
}

// scalePacked scales grey and 32-bit pictures, and any other through its
// colour model.
func scalePacked(dst, src image.Image, crop image.Rectangle) error {
	const f = scale.Bilinear
	switch s := src.(type) {
	case *image.Gray:
		d := dst.(*image.Gray)
		return scale.Plane(d.Pix, d.Stride, d.Rect.Dx(), d.Rect.Dy(), s.Pix[s.PixOffset(crop.Min.X, crop.Min.Y):], s.Stride, crop.Dx(), crop.Dy(), f)
	case *image.RGBA:
		d := dst.(*image.RGBA)
		return scale.Pixels32(d.Pix, d.Stride, d.Rect.Dx(), d.Rect.Dy(), s.Pix[s.PixOffset(crop.Min.X, crop.Min.Y):], s.Stride, crop.Dx(), crop.Dy(), f)
	case *image.NRGBA:
		d := dst.(*image.NRGBA)
		return scale.Pixels32(d.Pix, d.Stride, d.Rect.Dx(), d.Rect.Dy(), s.Pix[s.PixOffset(crop.Min.X, crop.Min.Y):], s.Stride, crop.Dx(), crop.Dy(), f)
	}
	// Any other image: point-sampled through its colour model; slow, but
	// right for the rare backend that delivers one.
	d := dst.(*image.RGBA)
	dw, dh := d.Rect.Dx(), d.Rect.Dy()
	for y := range dh {
		sy := crop.Min.Y + (2*y+1)*crop.Dy()/(2*dh)
		for x := range dw {
			sx := crop.Min.X + (2*x+1)*crop.Dx()/(2*dw)
			d.SetRGBA(x, y, color.RGBAModel.Convert(src.At(sx, sy)).(color.RGBA))
		}
	}
	return nil
}

// alignIn moves v down to a multiple of step, or up to the next one when
// that would leave [lo, …).
func alignIn(v, lo, step int) int {
	a := v - ((v%step)+step)%step
	if a < lo {
		a += step
	}
	return a
}

// subsampling is the chroma sample's width and height in luma samples.
func subsampling(r image.YCbCrSubsampleRatio) (sx, sy int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// OutputInfo is one distinct output of a source, as SourceInfo reports it:
// the device's own frames, or a crop-and-scale to one size and rate.
type OutputInfo struct {
	Width, Height int
	FrameRate     float64
	ResizeMode    string   // "none" for the device's own frames
	TrackIDs      []string // the tracks it serves
}
