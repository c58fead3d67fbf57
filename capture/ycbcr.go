package capture

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// YCbCrMatrix is the matrix that turns a picture's R′G′B′ into Y′CbCr: the
// luma weights Kr and Kb of a standard. The zero value is BT.601.
type YCbCrMatrix uint8

const (
	// BT601 is ITU-R BT.601 (SMPTE 170M): standard definition, webcams,
	// JPEG. Kr 0.299, Kb 0.114.
	BT601 YCbCrMatrix = iota
	// BT709 is ITU-R BT.709: HD video. Kr 0.2126, Kb 0.0722.
	BT709
	// BT2020 is ITU-R BT.2020 non-constant luminance: UHD. Kr 0.2627,
	// Kb 0.0593.
	BT2020
)

func (m YCbCrMatrix) String() string {
	switch m {
	case BT601:
		return "BT.601"
	case BT709:
		return "BT.709"
	case BT2020:
		return "BT.2020"
	}
	return fmt.Sprintf("YCbCrMatrix(%d)", uint8(m))
}

// Coefficients returns the matrix's luma weights of red and blue. An
// unknown matrix is treated as BT.601.
func (m YCbCrMatrix) Coefficients() (kr, kb float64) {
	switch m {
	case BT709:
		return 0.2126, 0.0722
	case BT2020:
		return 0.2627, 0.0593
	}
	return 0.299, 0.114
}

// YCbCr is a Y′CbCr picture that says how its samples are to be read: its
// matrix and whether it is full range.
//
// Why not image.YCbCr alone: package image (and image/color, image/draw,
// image/png) reads every image.YCbCr as JFIF — BT.601 at full range, black
// at Y′ 0. Cameras send limited ("video") range, black at Y′ 16 and white at
// 235, chroma 16–240, and HD sources BT.709: drawn as JFIF their black is
// grey and 75 % white 179 instead of 191. The embedded image.YCbCr holds the
// samples (its YCbCrAt gives them raw); At and ColorModel of this type give
// the colour they mean, so any consumer of a VideoFrame.Image — a snapshot
// encoded as PNG, image/draw, a test — sees true colours. Fast paths (the
// preview's blit) use the planes and the tag directly.
//
// The zero tag, BT601 and not FullRange, is what V4L2 defaults a webcam's
// Y′CbCr to.
type YCbCr struct {
	image.YCbCr
	Matrix    YCbCrMatrix
	FullRange bool
}

// NewYCbCr returns a tagged picture with the given bounds, subsample ratio,
// matrix and range, its planes laid out as image.NewYCbCr lays them out.
func NewYCbCr(r image.Rectangle, ratio image.YCbCrSubsampleRatio, m YCbCrMatrix, fullRange bool) *YCbCr {
	return &YCbCr{YCbCr: *image.NewYCbCr(r, ratio), Matrix: m, FullRange: fullRange}
}

// Planes returns the untagged samples (no copy). Code that reads them must
// apply Colorimetry itself.
func (p *YCbCr) Planes() *image.YCbCr { return &p.YCbCr }

// Colorimetry returns the luma weights of the picture's matrix and its range,
// for converters that take the coefficients rather than the tag.
func (p *YCbCr) Colorimetry() (kr, kb float64, fullRange bool) {
	kr, kb = p.Matrix.Coefficients()
	return kr, kb, p.FullRange
}

// ColorModel converts any colour to a YCbCrColor with the picture's tag.
func (p *YCbCr) ColorModel() color.Model {
	return ycbcrModel{p.Matrix, p.FullRange}
}

// At returns the colour of the pixel at (x, y) as a YCbCrColor, whose RGBA
// applies the picture's matrix and range.
func (p *YCbCr) At(x, y int) color.Color {
	c := p.YCbCr.YCbCrAt(x, y)
	return YCbCrColor{Y: c.Y, Cb: c.Cb, Cr: c.Cr, Matrix: p.Matrix, FullRange: p.FullRange}
}

// RGBAAt returns the colour of the pixel at (x, y) as 8-bit R′G′B′.
func (p *YCbCr) RGBAAt(x, y int) color.RGBA {
	c := p.YCbCr.YCbCrAt(x, y)
	r, g, b := YCbCrToRGB(c.Y, c.Cb, c.Cr, p.Matrix, p.FullRange)
	return color.RGBA{R: r, G: g, B: b, A: 0xff}
}

// RGBA64At implements image.RGBA64Image (image/draw's fast path), so it
// must apply the tag too rather than image.YCbCr's JFIF reading.
func (p *YCbCr) RGBA64At(x, y int) color.RGBA64 {
	c := p.RGBAAt(x, y)
	return color.RGBA64{R: uint16(c.R) * 0x101, G: uint16(c.G) * 0x101, B: uint16(c.B) * 0x101, A: 0xffff}
}

// SubImage returns the part of p inside r, sharing its samples and keeping
// its tag.
func (p *YCbCr) SubImage(r image.Rectangle) image.Image {
	sub, ok := p.YCbCr.SubImage(r).(*image.YCbCr)
	if !ok { // image.YCbCr.SubImage always returns *image.YCbCr
		return &YCbCr{Matrix: p.Matrix, FullRange: p.FullRange}
	}
	return &YCbCr{YCbCr: *sub, Matrix: p.Matrix, FullRange: p.FullRange}
}

// YCbCrColor is one Y′CbCr sample with its matrix and range.
type YCbCrColor struct {
	Y, Cb, Cr uint8
	Matrix    YCbCrMatrix
	FullRange bool
}

// RGBA implements color.Color: opaque, 16 bits per channel.
func (c YCbCrColor) RGBA() (r, g, b, a uint32) {
	r8, g8, b8 := YCbCrToRGB(c.Y, c.Cb, c.Cr, c.Matrix, c.FullRange)
	return uint32(r8) * 0x101, uint32(g8) * 0x101, uint32(b8) * 0x101, 0xffff
}

// YCbCrCoeffs are the 16.16 fixed-point factors that turn one Y′CbCr
// sample into 8-bit R′G′B′:
//
//	R = (Y·YMul + YBias + RCr·(Cr−128)) >> 16, clamped to 0..255
//	G = (Y·YMul + YBias + GCb·(Cb−128) + GCr·(Cr−128)) >> 16
//	B = (Y·YMul + YBias + BCb·(Cb−128)) >> 16
//
// For full-range BT.601 they are image/color.YCbCrToRGB's own constants, so
// the result is bit-exact with it. Limited range scales Y′ by 255/219 and
// chroma by 255/224 after taking 16 from Y′, rounding to nearest.
type YCbCrCoeffs struct {
	YMul, YBias, RCr, GCb, GCr, BCb int32
}

// CoeffsFor returns the fixed-point factors of a matrix and range.
func CoeffsFor(m YCbCrMatrix, fullRange bool) YCbCrCoeffs {
	if m > BT2020 {
		m = BT601
	}
	i := int(m) * 2
	if fullRange {
		i++
	}
	return coeffTable[i]
}

// coeffTable holds CoeffsFor of every matrix, limited then full range.
var coeffTable = func() (t [6]YCbCrCoeffs) {
	for m := BT601; m <= BT2020; m++ {
		t[2*m] = computeCoeffs(m, false)
		t[2*m+1] = computeCoeffs(m, true)
	}
	return t
}()

func computeCoeffs(m YCbCrMatrix, fullRange bool) YCbCrCoeffs {
	kr, kb := m.Coefficients()
	kg := 1 - kr - kb
	ys, cs := 1.0, 1.0
	if !fullRange {
		ys, cs = 255.0/219, 255.0/224
	}
	f := func(v float64) int32 { return int32(math.Round(v * 65536)) }
	c := YCbCrCoeffs{
		RCr: f(2 * (1 - kr) * cs),
		GCb: f(-2 * kb * (1 - kb) / kg * cs),
		GCr: f(-2 * kr * (1 - kr) / kg * cs),
		BCb: f(2 * (1 - kb) * cs),
	}
	if fullRange && m == BT601 {
		// JFIF: image/color.YCbCrToRGB's own constants, to be bit-exact with it.
		return YCbCrCoeffs{YMul: 0x10101, RCr: 91881, GCb: -22554, GCr: -46802, BCb: 116130}
	}
	if fullRange {
		// image/color's Y′·0x10101 (Y′·257/256, then truncated) rather than
		// rounding: the same as it for BT.601, and within one step elsewhere.
		c.YMul, c.YBias = 0x10101, 0
	} else {
		c.YMul = f(ys)
		c.YBias = -16*c.YMul + 1<<15
	}
	return c
}

// YCbCrToRGB converts one Y′CbCr sample of the given matrix and range to
// 8-bit R′G′B′. For BT601 at full range it equals image/color.YCbCrToRGB.
func YCbCrToRGB(y, cb, cr uint8, m YCbCrMatrix, fullRange bool) (r, g, b uint8) {
	k := CoeffsFor(m, fullRange)
	yy := int32(y)*k.YMul + k.YBias
	cb1, cr1 := int32(cb)-128, int32(cr)-128
	return clampFix(yy + k.RCr*cr1), clampFix(yy + k.GCb*cb1 + k.GCr*cr1), clampFix(yy + k.BCb*cb1)
}

func clampFix(v int32) uint8 {
	return uint8(min(max(v>>16, 0), 255))
}

// RGBToYCbCr converts 8-bit R′G′B′ to a Y′CbCr sample of the given matrix
// and range, rounding to nearest.
func RGBToYCbCr(r, g, b uint8, m YCbCrMatrix, fullRange bool) (y, cb, cr uint8) {
	kr, kb := m.Coefficients()
	R, G, B := float64(r)/255, float64(g)/255, float64(b)/255
	Y := kr*R + (1-kr-kb)*G + kb*B
	pb := (B - Y) / (2 * (1 - kb))
	pr := (R - Y) / (2 * (1 - kr))
	q := func(v float64) uint8 { return uint8(min(max(math.Round(v), 0), 255)) }
	if fullRange {
		return q(Y * 255), q(128 + pb*255), q(128 + pr*255)
	}
	return q(16 + Y*219), q(128 + pb*224), q(128 + pr*224)
}

// ycbcrModel converts colours to YCbCrColor of one matrix and range.
type ycbcrModel struct {
	m    YCbCrMatrix
	full bool
}

func (md ycbcrModel) Convert(c color.Color) color.Color {
	if y, ok := c.(YCbCrColor); ok && y.Matrix == md.m && y.FullRange == md.full {
		return y
	}
	// RGBA is premultiplied: these are the colour over black, as an opaque
	// image.YCbCr stores it.
	r, g, b, _ := c.RGBA()
	y, cb, cr := RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(b>>8), md.m, md.full)
	return YCbCrColor{Y: y, Cb: cb, Cr: cr, Matrix: md.m, FullRange: md.full}
}
