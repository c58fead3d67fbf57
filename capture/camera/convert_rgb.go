package camera

import "encoding/binary"

// R′G′B′ and grey kernels: into *image.RGBA with alpha 255, and
// *image.Gray. No allocation.

const opaque = 0xff000000

// convRGB24 converts 3-byte pixels with red, green and blue at offsets r,
// g, b (RGB3: 0 1 2, BGR3: 2 1 0).
func convRGB24(r, g, b int) func(c *frameConverter, dst *frameBuf, src [3]planeView) {
	return func(c *frameConverter, dst *frameBuf, src [3]planeView) {
		p := dst.rgba
		w, h := c.l.Width, c.l.Height
		for row := 0; row < h; row++ {
			s := src[0].b[row*src[0].stride : row*src[0].stride+3*w]
			d := p.Pix[row*p.Stride : row*p.Stride+4*w]
			for len(s) >= 3 && len(d) >= 4 {
				binary.LittleEndian.PutUint32(d, uint32(s[r])|uint32(s[g])<<8|uint32(s[b])<<16|opaque)
				s, d = s[3:], d[4:]
			}
		}
	}
}

// convRGB32 converts 4-byte pixels with red, green and blue at byte
// offsets r, g, b; the fourth byte (alpha or padding) is dropped.
func convRGB32(r, g, b int) func(c *frameConverter, dst *frameBuf, src [3]planeView) {
	rs, gs, bs := uint(8*r), uint(8*g), uint(8*b)
	return func(c *frameConverter, dst *frameBuf, src [3]planeView) {
		p := dst.rgba
		w, h := c.l.Width, c.l.Height
		for row := 0; row < h; row++ {
			s := src[0].b[row*src[0].stride : row*src[0].stride+4*w]
			d := p.Pix[row*p.Stride : row*p.Stride+4*w]
			for len(s) >= 4 && len(d) >= 4 {
				v := binary.LittleEndian.Uint32(s)
				binary.LittleEndian.PutUint32(d, v>>rs&0xff|(v>>gs&0xff)<<8|(v>>bs&0xff)<<16|opaque)
				s, d = s[4:], d[4:]
			}
		}
	}
}

// convRGB565 converts RGBP: 16-bit little-endian words, red in the top five
// bits, green the middle six, blue the low five; each widened by repeating
// its top bits, so 0 and the maximum map to 0 and 255.
func convRGB565(c *frameConverter, dst *frameBuf, src [3]planeView) {
	p := dst.rgba
	w, h := c.l.Width, c.l.Height
	for row := 0; row < h; row++ {
		s := src[0].b[row*src[0].stride : row*src[0].stride+2*w]
		d := p.Pix[row*p.Stride : row*p.Stride+4*w]
		for len(s) >= 2 && len(d) >= 4 {
			v := uint32(binary.LittleEndian.Uint16(s))
			r, g, b := v>>11, v>>5&0x3f, v&0x1f
			r, g, b = r<<3|r>>2, g<<2|g>>4, b<<3|b>>2
			binary.LittleEndian.PutUint32(d, r|g<<8|b<<16|opaque)
			s, d = s[2:], d[4:]
		}
	}
}

// convGrey copies GREY luma, expanding limited range (16–235) to full
// through the converter's table when the format says so.
func convGrey(c *frameConverter, dst *frameBuf, src [3]planeView) {
	p := dst.gray
	w, h := c.l.Width, c.l.Height
	if c.lut == nil {
		copyPlaneStrided(p.Pix, p.Stride, src[0], w, h)
		return
	}
	lut := c.lut
	for row := 0; row < h; row++ {
		s := src[0].b[row*src[0].stride : row*src[0].stride+w]
		d := p.Pix[row*p.Stride : row*p.Stride+w]
		for i, v := range s {
			d[i] = lut[v]
		}
	}
}

// limitedToFull maps limited-range luma to full range, rounding, clamped.
var limitedToFull = func() (t [256]byte) {
	for i := range t {
		v := ((i-16)*255*2 + 219) / (219 * 2)
		if i < 16 {
			v = 0
		}
		t[i] = byte(min(max(v, 0), 255))
	}
	return t
}()
