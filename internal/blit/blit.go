// Package blit converts and scales a video frame into a 32-bit pixel buffer
// in one pass: the frame is sampled nearest-neighbour at the size that fits
// the destination with its aspect ratio kept (Letterbox), and the bars
// around it are filled black. It is the engine behind both video renderers:
// the Fyne canvas (destination *image.RGBA, Order RGBA) and the X11 MIT-SHM
// sink (Order BGRX, the byte order of a 24/32-bit TrueColor visual on a
// little-endian server).
//
// Fast paths, with no allocation per frame once a Scaler has seen a
// geometry: *image.YCbCr (every subsample ratio of package image, so 4:2:0,
// 4:2:2 and 4:4:4 from cameras), *image.RGBA, *image.NRGBA and *image.Gray.
// Any other image.Image takes a slow path through At (an interface call and
// a color conversion per destination pixel, about 20× slower) that gives the
// same result. On amd64 with AVX2, 4:2:0/4:2:2 rows (scaled or not) and
// unscaled RGBA rows are converted with assembly, bit-exact with the Go
// loops; elsewhere the Go loops run.
//
// Output pixels are the source composited over black and opaque (alpha or
// X byte 255). A plain *image.YCbCr is converted exactly as
// image/color.YCbCrToRGB does (JFIF, full-range BT.601 coefficients), so a
// frame looks the same as through image/draw. A Y′CbCr picture that says
// its own matrix and range (capture.YCbCr: limited-range BT.601 from a
// webcam, BT.709 from an HD source) is drawn with its own coefficients, so
// its black is 0 and its 75 % white 191: by libyuv where it is faster and
// accurate (within 3 levels of its At; downscaling bilinear), otherwise by
// the same rows as image.YCbCr, exactly as its At says.
package blit

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math"
)

// Order is the byte order of a destination pixel.
type Order int

const (
	// RGBA: bytes R, G, B, A — image.RGBA's Pix layout.
	RGBA Order = iota
	// BGRX: bytes B, G, R, X — a 32-bit-per-pixel ZPixmap of a depth 24
	// TrueColor X11 visual with red mask 0xff0000 on a little-endian server.
	BGRX
)

func (o Order) String() string {
	switch o {
	case RGBA:
		return "RGBA"
	case BGRX:
		return "BGRX"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// Letterbox returns the largest rectangle with the aspect ratio of a
// srcW×srcH picture that fits in a dstW×dstH area, centred in it (bars at
// top and bottom, or left and right). It is empty if any size is not
// positive. Each side is rounded to the nearest pixel and is at least 1.
func Letterbox(srcW, srcH, dstW, dstH int) image.Rectangle {
	if srcW <= 0 || srcH <= 0 || dstW <= 0 || dstH <= 0 {
		return image.Rectangle{}
	}
	sw, sh, dw, dh := int64(srcW), int64(srcH), int64(dstW), int64(dstH)
	w, h := dw, (dw*sh*2+sw)/(sw*2)
	if h > dh {
		w, h = (dh*sw*2+sh)/(sh*2), dh
	}
	w = max(1, min(w, dw))
	h = max(1, min(h, dh))
	x0, y0 := int((dw-w)/2), int((dh-h)/2)
	return image.Rect(x0, y0, x0+int(w), y0+int(h))
}

// srcKind says which fast path a source takes.
type srcKind int

const (
	kindGeneric srcKind = iota
	kindYCbCr
	kindRGBA // also NRGBA: both 4 bytes per pixel, R first
	kindGray
)

// key is what the cached index tables depend on.
type key struct {
	kind   srcKind
	rect   image.Rectangle // source bounds, absolute
	hdiv   int             // YCbCr horizontal chroma divisor
	drawnW int
	drawnH int
}

// Scaler converts and scales frames, caching its index tables for the last
// (source geometry, destination size) it saw, so a stream of same-sized
// frames costs no allocation. The zero value is ready to use. A Scaler is
// not safe for concurrent use; use one per goroutine (they are small).
type Scaler struct {
	key   key
	valid bool
	// xs[i] is the source column for destination column drawn.Min.X+i,
	// relative to the source's Rect.Min.X, multiplied by the source's bytes
	// per pixel (1 for YCbCr luma and Gray, 4 for RGBA/NRGBA).
	xs []int32
	// xy[i] is xs[i] with its chroma column (YCbCr only), relative to the
	// start of a chroma row, as image.YCbCr.COffset computes it.
	xy []yc
	// ys[j] is the absolute source row for destination row drawn.Min.Y+j.
	ys []int32
	// crow holds one converted chroma row (YCbCr only).
	crow []chroma
	// row holds one converted source row (scaled YCbCr with SIMD).
	row []byte
	// co are the Y′CbCr coefficients of the frame being drawn, ytab its
	// luma term per Y′ value, kv the same for the assembly; colour says
	// which colorimetry they were built for.
	co     coeffs
	ytab   [256]int32
	kv     [16]int32
	colour colorimetry
	haveCo bool
	// small holds a frame scaled by libyuv before conversion.
	small *image.YCbCr
}

// taggedYCbCr is a Y′CbCr picture that carries its matrix and range
// (capture.YCbCr). Read through an interface, so that this package does not
// import capture (which may one day scale with it).
type taggedYCbCr interface {
	image.Image
	Planes() *image.YCbCr
	Colorimetry() (kr, kb float64, fullRange bool)
}

// colorimetry is a matrix (by its luma weights) and a range.
type colorimetry struct {
	kr, kb float64
	full   bool
}

// jfif is what image/color assumes of every image.YCbCr.
var jfif = colorimetry{0.299, 0.114, true}

// coeffs are 16.16 fixed-point factors from Y′CbCr to R′G′B′:
// R = (Y′·yMul + yBias + rCr·(Cr−128)) >> 16, and so on, clamped. For JFIF
// they are image/color.YCbCrToRGB's own; otherwise limited range scales Y′
// by 255/219 after taking 16 and chroma by 255/224, rounding to nearest
// (the same factors as capture.CoeffsFor).
type coeffs struct{ yMul, yBias, rCr, gCb, gCr, bCb int32 }

func coeffsOf(c colorimetry) coeffs {
	if c == jfif {
		return coeffs{yMul: 0x10101, rCr: 91881, gCb: -22554, gCr: -46802, bCb: 116130}
	}
	kr, kb := c.kr, c.kb
	kg := 1 - kr - kb
	cs := 1.0
	if !c.full {
		cs = 255.0 / 224
	}
	f := func(v float64) int32 { return int32(math.Round(v * 65536)) }
	k := coeffs{
		rCr: f(2 * (1 - kr) * cs),
		gCb: f(-2 * kb * (1 - kb) / kg * cs),
		gCr: f(-2 * kr * (1 - kr) / kg * cs),
		bCb: f(2 * (1 - kb) * cs),
	}
	if c.full {
		k.yMul = 0x10101
	} else {
		k.yMul = f(255.0 / 219)
		k.yBias = -16*k.yMul + 1<<15
	}
	return k
}

// setColorimetry builds the tables for c unless they are already built.
func (s *Scaler) setColorimetry(c colorimetry) {
	if s.haveCo && s.colour == c {
		return
	}
	k := coeffsOf(c)
	s.co, s.colour, s.haveCo = k, c, true
	for i := range s.ytab {
		s.ytab[i] = int32(i)*k.yMul + k.yBias
	}
	s.kv = [16]int32{k.yMul, 128, k.rCr, k.gCb, k.gCr, k.bCb, 255, 0}
	for i := 8; i < 16; i++ {
		s.kv[i] = k.yBias
	}
}

// black is an opaque black pixel in either Order.
const black = 0xff000000

// Draw converts and scales src into dst, a dstW×dstH area of 4-byte pixels
// whose rows start dstStride bytes apart, and returns the rectangle (in
// dst's pixel coordinates, origin top-left) that now holds the picture.
// Everything outside it is filled opaque black. A src with empty bounds
// fills everything black and returns an empty rectangle. It returns an
// error, and writes nothing, if dst is too small for dstStride, dstW and
// dstH, or if order is unknown.
func (s *Scaler) Draw(dst []byte, dstStride, dstW, dstH int, order Order, src image.Image) (image.Rectangle, error) {
	if dstW < 0 || dstH < 0 {
		return image.Rectangle{}, fmt.Errorf("blit: negative destination size %dx%d", dstW, dstH)
	}
	if dstW == 0 || dstH == 0 {
		return image.Rectangle{}, nil
	}
	if dstStride < dstW*4 {
		return image.Rectangle{}, fmt.Errorf("blit: destination stride %d is less than 4×width %d", dstStride, dstW)
	}
	if need := (dstH-1)*dstStride + dstW*4; len(dst) < need {
		return image.Rectangle{}, fmt.Errorf("blit: destination has %d bytes, %dx%d with stride %d needs %d", len(dst), dstW, dstH, dstStride, need)
	}
	var rs, bs uint // bit positions of red and blue in a little-endian uint32 pixel
	switch order {
	case RGBA:
		rs, bs = 0, 16
	case BGRX:
		rs, bs = 16, 0
	default:
		return image.Rectangle{}, fmt.Errorf("blit: unknown destination order %v", order)
	}
	if src == nil {
		fillBlack(dst, dstStride, image.Rect(0, 0, dstW, dstH))
		return image.Rectangle{}, nil
	}
	orig := src // what the slow path reads: it knows its own colours
	colour, tagged := jfif, false
	if t, ok := src.(taggedYCbCr); ok {
		if p := t.Planes(); p != nil {
			src, tagged = p, true
			colour.kr, colour.kb, colour.full = t.Colorimetry()
		}
	}
	if err := checkSource(src); err != nil {
		return image.Rectangle{}, err
	}
	sb := src.Bounds()
	drawn := Letterbox(sb.Dx(), sb.Dy(), dstW, dstH)
	fillBars(dst, dstStride, dstW, dstH, drawn)
	if drawn.Empty() {
		return drawn, nil
	}

	k := key{rect: sb, drawnW: drawn.Dx(), drawnH: drawn.Dy()}
	var ycc *image.YCbCr // the Y′CbCr picture to convert: src, or src scaled by libyuv
	switch p := src.(type) {
	case *image.YCbCr:
		k.kind = kindYCbCr
		var ok bool
		if k.hdiv, _, ok = chromaDivisors(p.SubsampleRatio); !ok {
			k.kind = kindGeneric
			break
		}
		ycc = p
		if !tagged {
			break // plain image.YCbCr: exactly image/color, nearest-neighbour
		}
		if small, ok := s.scaleLibyuv(p, drawn); ok {
			ycc, k.rect = small, small.Rect
		}
	case *image.RGBA, *image.NRGBA:
		k.kind = kindRGBA
	case *image.Gray:
		k.kind = kindGray
	}
	s.prepare(k)

	switch p := src.(type) {
	case *image.YCbCr:
		if k.kind == kindYCbCr {
			if tagged && s.convertLibyuv(dst, dstStride, drawn, rs == 0, ycc, colour) {
				return drawn, nil
			}
			s.setColorimetry(colour)
			s.drawYCbCr(dst, dstStride, drawn, rs, bs, ycc)
			return drawn, nil
		}
	case *image.RGBA:
		s.drawRGBA(dst, dstStride, drawn, rs, bs, p.Pix, p.Stride, p.Rect)
		return drawn, nil
	case *image.NRGBA:
		s.drawNRGBA(dst, dstStride, drawn, rs, bs, p)
		return drawn, nil
	case *image.Gray:
		s.drawGray(dst, dstStride, drawn, p)
		return drawn, nil
	}
	s.drawGeneric(dst, dstStride, drawn, rs, bs, orig)
	return drawn, nil
}

// DrawRGBA draws src into the whole of dst (RGBA order); see Draw.
func (s *Scaler) DrawRGBA(dst *image.RGBA, src image.Image) (image.Rectangle, error) {
	if dst == nil {
		return image.Rectangle{}, fmt.Errorf("blit: nil destination image")
	}
	b := dst.Bounds()
	off := dst.PixOffset(b.Min.X, b.Min.Y)
	if b.Empty() || off < 0 || off > len(dst.Pix) {
		return image.Rectangle{}, nil
	}
	return s.Draw(dst.Pix[off:], dst.Stride, b.Dx(), b.Dy(), RGBA, src)
}

// checkSource rejects images whose buffers are too short for their bounds
// and strides, which would otherwise make the fast paths index out of range.
func checkSource(src image.Image) error {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	plane := func(name string, n, stride, rowLen, rows int) error {
		if stride < rowLen || n < (rows-1)*stride+rowLen {
			return fmt.Errorf("blit: %T %v: %s plane of %d bytes with stride %d is too short for %d rows of %d", src, b, name, n, stride, rows, rowLen)
		}
		return nil
	}
	switch p := src.(type) {
	case *image.YCbCr:
		hd, vd, ok := chromaDivisors(p.SubsampleRatio)
		if !ok {
			return nil // slow path, through At
		}
		if err := plane("Y", len(p.Y), p.YStride, w, h); err != nil {
			return err
		}
		cw := (b.Max.X+hd-1)/hd - b.Min.X/hd
		ch := (b.Max.Y+vd-1)/vd - b.Min.Y/vd
		if err := plane("Cb", len(p.Cb), p.CStride, cw, ch); err != nil {
			return err
		}
		return plane("Cr", len(p.Cr), p.CStride, cw, ch)
	case *image.RGBA:
		return plane("Pix", len(p.Pix), p.Stride, 4*w, h)
	case *image.NRGBA:
		return plane("Pix", len(p.Pix), p.Stride, 4*w, h)
	case *image.Gray:
		return plane("Pix", len(p.Pix), p.Stride, w, h)
	}
	return nil
}

// chromaDivisors gives how many luma columns and rows share one chroma
// sample for each subsample ratio.
func chromaDivisors(r image.YCbCrSubsampleRatio) (h, v int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// prepare (re)builds the index tables when the geometry changed. Sampling
// is at pixel centres, as golang.org/x/image/draw.NearestNeighbor does:
// destination column dx reads source column floor((dx+½)·srcW/drawnW).
func (s *Scaler) prepare(k key) {
	if s.valid && s.key == k {
		return
	}
	sw, sh := int64(k.rect.Dx()), int64(k.rect.Dy())
	dw, dh := int64(k.drawnW), int64(k.drawnH)
	s.xs = grow(s.xs, k.drawnW)
	s.ys = grow(s.ys, k.drawnH)
	bpp := int64(1)
	if k.kind == kindRGBA {
		bpp = 4
	}
	for i := range s.xs {
		s.xs[i] = int32((2*int64(i) + 1) * sw / (2 * dw) * bpp)
	}
	for j := range s.ys {
		s.ys[j] = int32(int64(k.rect.Min.Y) + (2*int64(j)+1)*sh/(2*dh))
	}
	if k.kind == kindYCbCr {
		if cap(s.xy) < k.drawnW {
			s.xy = make([]yc, k.drawnW)
		}
		s.xy = s.xy[:k.drawnW]
		minX := k.rect.Min.X
		for i := range s.xy {
			x := minX + int(s.xs[i])
			s.xy[i] = yc{s.xs[i], int32(x/k.hdiv - minX/k.hdiv)}
		}
	}
	s.key, s.valid = k, true
}

func grow(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// fillBlack fills r (in destination pixels) opaque black.
func fillBlack(dst []byte, stride int, r image.Rectangle) {
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst[y*stride+r.Min.X*4 : y*stride+r.Max.X*4]
		for i := 0; i+4 <= len(row); i += 4 {
			binary.LittleEndian.PutUint32(row[i:], black)
		}
	}
}

// fillBars fills the part of the dstW×dstH area outside drawn black.
func fillBars(dst []byte, stride, dstW, dstH int, drawn image.Rectangle) {
	if drawn.Empty() {
		fillBlack(dst, stride, image.Rect(0, 0, dstW, dstH))
		return
	}
	fillBlack(dst, stride, image.Rect(0, 0, dstW, drawn.Min.Y))
	fillBlack(dst, stride, image.Rect(0, drawn.Max.Y, dstW, dstH))
	fillBlack(dst, stride, image.Rect(0, drawn.Min.Y, drawn.Min.X, drawn.Max.Y))
	fillBlack(dst, stride, image.Rect(drawn.Max.X, drawn.Min.Y, dstW, drawn.Max.Y))
}

// dstRow returns the bytes of the picture part of destination row j.
func dstRow(dst []byte, stride int, drawn image.Rectangle, j int) []byte {
	off := (drawn.Min.Y+j)*stride + drawn.Min.X*4
	return dst[off : off+drawn.Dx()*4 : off+drawn.Dx()*4]
}

// clampTab saturates x = v>>16 for a 16.16 fixed-point colour value v,
// indexed by x&2047: x in [0, 255] maps to itself, negative x to 0, larger
// to 255. For YCbCr input x stays within [-300, 560] for every matrix and
// range (limited-range BT.709 blue reaches 546), so the same result as
// image/color.YCbCrToRGB's bit trick, in one load (a third of the
// instructions of a branch-free clamp).
var clampTab = func() (t [2048]uint8) {
	for i := range t {
		x := i
		if i >= 1024 {
			x = i - 2048
		}
		t[i] = uint8(min(max(x, 0), 255))
	}
	return t
}()

// clamp16 turns a 16.16 fixed-point colour value from a YCbCr conversion
// into a byte, saturating.
func clamp16(v int32) uint32 {
	return uint32(clampTab[uint32(v>>16)&2047])
}

// yc is a luma column and its chroma column.
type yc struct{ y, c int32 }

// chroma is the chroma part of one sample's R, G and B in 16.16 fixed
// point, as image/color.YCbCrToRGB computes it (with the frame's own
// coefficients).
type chroma struct{ r, g, b int32 }

func (s *Scaler) drawYCbCr(dst []byte, stride int, drawn image.Rectangle, rs, bs uint, p *image.YCbCr) {
	_, vdiv, _ := chromaDivisors(p.SubsampleRatio)
	hdiv, _, _ := chromaDivisors(p.SubsampleRatio)
	// Unscaled width with two luma columns per chroma column, aligned:
	// convert by pairs, with no index tables (the camera-preview case).
	pairs := hdiv == 2 && len(s.xy) == p.Rect.Dx() && p.Rect.Min.X%2 == 0
	if pairs && haveSIMD {
		s.drawYCbCrPairsSIMD(dst, stride, drawn, rs == 0, p, vdiv)
		return
	}
	if hdiv == 2 && p.Rect.Min.X%2 == 0 && haveSIMD {
		s.drawYCbCrScaledSIMD(dst, stride, drawn, rs == 0, p, vdiv)
		return
	}
	// Chroma columns used: they are non-decreasing.
	c0, c1 := int(s.xy[0].c), int(s.xy[len(s.xy)-1].c)+1
	s.crow = growChroma(s.crow, c1)
	crow := s.crow
	minY := p.Rect.Min.Y
	lastCo := -1
	for j, sy := range s.ys {
		yo := (int(sy) - minY) * p.YStride
		co := (int(sy)/vdiv - minY/vdiv) * p.CStride
		if co != lastCo {
			// Each chroma row is converted once, however many output
			// rows and columns share it.
			cb, cr := p.Cb[co+c0:co+c1], p.Cr[co+c0:co+c1]
			cc := crow[c0:c1]
			cf := &s.co
			for k := range cc {
				cb1 := int32(cb[k]) - 128
				cr1 := int32(cr[k]) - 128
				cc[k] = chroma{cf.rCr * cr1, cf.gCb*cb1 + cf.gCr*cr1, cf.bCb * cb1}
			}
			lastCo = co
		}
		d := dstRow(dst, stride, drawn, j)
		switch {
		case pairs && rs == 0:
			yuvPairsRGBA(d, p.Y[yo:yo+len(s.xy)], crow, &s.ytab)
		case pairs:
			yuvPairsBGRX(d, p.Y[yo:yo+len(s.xy)], crow, &s.ytab)
		case rs == 0:
			yuvRowRGBA(d, p.Y[yo:], s.xy, crow, &s.ytab)
		default:
			yuvRowBGRX(d, p.Y[yo:], s.xy, crow, &s.ytab)
		}
	}
}

// yuvRowRGBA and yuvRowBGRX convert one output row. They are separate
// small functions, walking the slices forward, so that the compiler keeps
// the loop in registers with constant shifts (a third of the cost of one
// general loop).
func yuvRowRGBA(d, yrow []byte, xy []yc, crow []chroma, ytab *[256]int32) {
	for len(d) >= 4 && len(xy) > 0 {
		t := xy[0]
		c := crow[t.c]
		yy1 := ytab[yrow[t.y]]
		r := clamp16(yy1 + c.r)
		g := clamp16(yy1 + c.g)
		b := clamp16(yy1 + c.b)
		binary.LittleEndian.PutUint32(d, r|g<<8|b<<16|black)
		d, xy = d[4:], xy[1:]
	}
}

func yuvRowBGRX(d, yrow []byte, xy []yc, crow []chroma, ytab *[256]int32) {
	for len(d) >= 4 && len(xy) > 0 {
		t := xy[0]
		c := crow[t.c]
		yy1 := ytab[yrow[t.y]]
		r := clamp16(yy1 + c.r)
		g := clamp16(yy1 + c.g)
		b := clamp16(yy1 + c.b)
		binary.LittleEndian.PutUint32(d, b|g<<8|r<<16|black)
		d, xy = d[4:], xy[1:]
	}
}

// yuvPairsRGBA and yuvPairsBGRX convert one unscaled row of 2:1
// horizontally subsampled YCbCr: each chroma sample serves two pixels.
func yuvPairsRGBA(d, yrow []byte, crow []chroma, ytab *[256]int32) {
	for len(d) >= 8 && len(yrow) >= 2 && len(crow) > 0 {
		c := crow[0]
		y0 := ytab[yrow[0]]
		y1 := ytab[yrow[1]]
		binary.LittleEndian.PutUint32(d, clamp16(y0+c.r)|clamp16(y0+c.g)<<8|clamp16(y0+c.b)<<16|black)
		binary.LittleEndian.PutUint32(d[4:], clamp16(y1+c.r)|clamp16(y1+c.g)<<8|clamp16(y1+c.b)<<16|black)
		d, yrow, crow = d[8:], yrow[2:], crow[1:]
	}
	if len(d) >= 4 && len(yrow) >= 1 && len(crow) > 0 { // odd width
		c, y0 := crow[0], ytab[yrow[0]]
		binary.LittleEndian.PutUint32(d, clamp16(y0+c.r)|clamp16(y0+c.g)<<8|clamp16(y0+c.b)<<16|black)
	}
}

func yuvPairsBGRX(d, yrow []byte, crow []chroma, ytab *[256]int32) {
	for len(d) >= 8 && len(yrow) >= 2 && len(crow) > 0 {
		c := crow[0]
		y0 := ytab[yrow[0]]
		y1 := ytab[yrow[1]]
		binary.LittleEndian.PutUint32(d, clamp16(y0+c.b)|clamp16(y0+c.g)<<8|clamp16(y0+c.r)<<16|black)
		binary.LittleEndian.PutUint32(d[4:], clamp16(y1+c.b)|clamp16(y1+c.g)<<8|clamp16(y1+c.r)<<16|black)
		d, yrow, crow = d[8:], yrow[2:], crow[1:]
	}
	if len(d) >= 4 && len(yrow) >= 1 && len(crow) > 0 { // odd width
		c, y0 := crow[0], ytab[yrow[0]]
		binary.LittleEndian.PutUint32(d, clamp16(y0+c.b)|clamp16(y0+c.g)<<8|clamp16(y0+c.r)<<16|black)
	}
}

// drawYCbCrPairsSIMD is the pairs case with the assembly row converter;
// the last few pixels of a row (width not a multiple of 16) go through Go.
func (s *Scaler) drawYCbCrPairsSIMD(dst []byte, stride int, drawn image.Rectangle, rgba bool, p *image.YCbCr, vdiv int) {
	w := drawn.Dx()
	minY := p.Rect.Min.Y
	for j, sy := range s.ys {
		yo := (int(sy) - minY) * p.YStride
		co := (int(sy)/vdiv - minY/vdiv) * p.CStride
		d := dstRow(dst, stride, drawn, j)
		yrow := p.Y[yo : yo+w]
		cb, cr := p.Cb[co:co+(w+1)/2], p.Cr[co:co+(w+1)/2]
		n := yuvPairsSIMD(d, yrow, cb, cr, rgba, &s.kv)
		s.yuvPairsTail(d[n*4:], yrow[n:], cb[n/2:], cr[n/2:], rgba)
	}
}

// drawYCbCrScaledSIMD scales 2:1 horizontally subsampled YCbCr: each
// source row needed is converted whole with the assembly row converter
// into s.row, then sampled; an output row that repeats the previous
// one's source row (upscaling) is copied. The result is the same as
// converting each sampled pixel.
func (s *Scaler) drawYCbCrScaledSIMD(dst []byte, stride int, drawn image.Rectangle, rgba bool, p *image.YCbCr, vdiv int) {
	w := p.Rect.Dx()
	if cap(s.row) < 4*w {
		s.row = make([]byte, 4*w)
	}
	row := s.row[:4*w]
	minY := p.Rect.Min.Y
	lastSy := int32(-1)
	var prev []byte
	for j, sy := range s.ys {
		d := dstRow(dst, stride, drawn, j)
		if sy == lastSy {
			copy(d, prev)
			continue
		}
		yo := (int(sy) - minY) * p.YStride
		co := (int(sy)/vdiv - minY/vdiv) * p.CStride
		yrow := p.Y[yo : yo+w]
		cb, cr := p.Cb[co:co+(w+1)/2], p.Cr[co:co+(w+1)/2]
		n := yuvPairsSIMD(row, yrow, cb, cr, rgba, &s.kv)
		s.yuvPairsTail(row[n*4:], yrow[n:], cb[n/2:], cr[n/2:], rgba)
		gather(d, row, s.xs)
		lastSy, prev = sy, d
	}
}

// gather copies the 4-byte pixels of row at columns xs into d.
func gather(d, row []byte, xs []int32) {
	for len(d) >= 4 && len(xs) > 0 {
		o := 4 * int(xs[0])
		binary.LittleEndian.PutUint32(d, binary.LittleEndian.Uint32(row[o:o+4]))
		d, xs = d[4:], xs[1:]
	}
}

// yuvPairsTail converts what is left of an unscaled pairs row, computing
// each chroma term in place.
func (s *Scaler) yuvPairsTail(d, yrow, cb, cr []byte, rgba bool) {
	co := &s.co
	for i, y := range yrow {
		if len(d) < 4*i+4 || i/2 >= len(cb) || i/2 >= len(cr) {
			return
		}
		cb1 := int32(cb[i/2]) - 128
		cr1 := int32(cr[i/2]) - 128
		yy1 := s.ytab[y]
		r := clamp16(yy1 + co.rCr*cr1)
		g := clamp16(yy1 + co.gCb*cb1 + co.gCr*cr1)
		b := clamp16(yy1 + co.bCb*cb1)
		if rgba {
			r, b = b, r
		}
		binary.LittleEndian.PutUint32(d[4*i:], b|g<<8|r<<16|black)
	}
}

func growChroma(b []chroma, n int) []chroma {
	if cap(b) < n {
		return make([]chroma, n)
	}
	return b[:n]
}

// drawRGBA handles *image.RGBA: premultiplied, so "over black" is the
// colour bytes as they are, made opaque.
func (s *Scaler) drawRGBA(dst []byte, stride int, drawn image.Rectangle, rs, bs uint, pix []byte, srcStride int, rect image.Rectangle) {
	unscaled := len(s.xs) == rect.Dx()
	for j, sy := range s.ys {
		so := (int(sy) - rect.Min.Y) * srcStride
		d := dstRow(dst, stride, drawn, j)
		switch {
		case unscaled && rs == 0:
			n := 4 * rgbaRowSIMD(d, pix[so:so+len(d)], false)
			rgbaCopyRGBA(d[n:], pix[so+n:so+len(d)])
		case unscaled:
			n := 4 * rgbaRowSIMD(d, pix[so:so+len(d)], true)
			rgbaCopyBGRX(d[n:], pix[so+n:so+len(d)])
		case rs == 0:
			row := pix[so:]
			for i, xi := range s.xs {
				binary.LittleEndian.PutUint32(d[i*4:], binary.LittleEndian.Uint32(row[xi:])|black)
			}
		default:
			row := pix[so:]
			for i, xi := range s.xs {
				v := binary.LittleEndian.Uint32(row[xi:])
				binary.LittleEndian.PutUint32(d[i*4:], v&0x0000ff00|(v&0xff)<<16|(v>>16)&0xff|black)
			}
		}
	}
}

// rgbaCopyRGBA and rgbaCopyBGRX convert an unscaled row two pixels at a
// time (screen capture at the view's size).
func rgbaCopyRGBA(d, s []byte) {
	for len(d) >= 8 && len(s) >= 8 {
		binary.LittleEndian.PutUint64(d, binary.LittleEndian.Uint64(s)|black<<32|black)
		d, s = d[8:], s[8:]
	}
	if len(d) >= 4 && len(s) >= 4 {
		binary.LittleEndian.PutUint32(d, binary.LittleEndian.Uint32(s)|black)
	}
}

func rgbaCopyBGRX(d, s []byte) {
	const g, rb = 0x0000ff000000ff00, 0x000000ff000000ff
	for len(d) >= 8 && len(s) >= 8 {
		v := binary.LittleEndian.Uint64(s)
		binary.LittleEndian.PutUint64(d, v&g|(v&rb)<<16|(v>>16)&rb|black<<32|black)
		d, s = d[8:], s[8:]
	}
	if len(d) >= 4 && len(s) >= 4 {
		v := binary.LittleEndian.Uint32(s)
		binary.LittleEndian.PutUint32(d, v&0x0000ff00|(v&0xff)<<16|(v>>16)&0xff|black)
	}
}

// drawNRGBA handles *image.NRGBA: opaque pixels are copied, others are
// premultiplied as color.NRGBA.RGBA does, then made opaque (over black).
func (s *Scaler) drawNRGBA(dst []byte, stride int, drawn image.Rectangle, rs, bs uint, p *image.NRGBA) {
	for j, sy := range s.ys {
		so := (int(sy) - p.Rect.Min.Y) * p.Stride
		row := p.Pix[so:]
		d := dstRow(dst, stride, drawn, j)
		for i, xi := range s.xs {
			px := row[xi : xi+4 : xi+4]
			r, g, b := uint32(px[0]), uint32(px[1]), uint32(px[2])
			if a := uint32(px[3]); a != 0xff {
				r, g, b = premul(r, a), premul(g, a), premul(b, a)
			}
			binary.LittleEndian.PutUint32(d[i*4:], r<<rs|g<<8|b<<bs|black)
		}
	}
}

// premul is color.NRGBA.RGBA's premultiplication, reduced to 8 bits.
func premul(c, a uint32) uint32 {
	c |= c << 8
	a |= a << 8
	return (c * a / 0xffff) >> 8
}

func (s *Scaler) drawGray(dst []byte, stride int, drawn image.Rectangle, p *image.Gray) {
	for j, sy := range s.ys {
		so := (int(sy) - p.Rect.Min.Y) * p.Stride
		row := p.Pix[so:]
		d := dstRow(dst, stride, drawn, j)
		for i, xi := range s.xs {
			v := uint32(row[xi])
			binary.LittleEndian.PutUint32(d[i*4:], v|v<<8|v<<16|black)
		}
	}
}

// drawGeneric is the slow path: one At call and colour conversion per
// destination pixel. *image.YCbCr with an unknown ratio also lands here.
func (s *Scaler) drawGeneric(dst []byte, stride int, drawn image.Rectangle, rs, bs uint, src image.Image) {
	minX := src.Bounds().Min.X
	for j, sy := range s.ys {
		d := dstRow(dst, stride, drawn, j)
		for i, xi := range s.xs {
			var r, g, b uint32
			switch c := src.At(minX+int(xi), int(sy)).(type) {
			case color.YCbCr:
				r8, g8, b8 := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				r, g, b = uint32(r8), uint32(g8), uint32(b8)
			default:
				r, g, b, _ = c.RGBA()
				r, g, b = r>>8, g>>8, b>>8
			}
			binary.LittleEndian.PutUint32(d[i*4:], r<<rs|g<<8|b<<bs|black)
		}
	}
}
