package camera

import "encoding/binary"

// Y′CbCr kernels: each copies or de-interleaves the source planes into the
// pooled picture's planes (laid out by image.NewYCbCr: luma rows Width
// bytes apart, chroma rows ceil(Width/hdiv) apart), honouring the source's
// bytes per line. No allocation.

// convPacked422 converts a packed 4:2:2 format: yFirst for Y0 C Y1 C
// (YUYV, YVYU), else C Y0 C Y1 (UYVY, VYUY); cbFirst when Cb is the first
// chroma byte (YUYV, UYVY).
func convPacked422(yFirst, cbFirst bool) func(c *frameConverter, dst *frameBuf, src [3]planeView) {
	return func(c *frameConverter, dst *frameBuf, src [3]planeView) {
		p := dst.ycc
		w, h := c.l.Width, c.l.Height
		cw := half(w)
		for row := 0; row < h; row++ {
			s := src[0].b[row*src[0].stride : row*src[0].stride+4*cw]
			yr := p.Y[row*p.YStride : row*p.YStride+w]
			c0 := p.Cb[row*p.CStride : row*p.CStride+cw]
			c1 := p.Cr[row*p.CStride : row*p.CStride+cw]
			if !cbFirst {
				c0, c1 = c1, c0
			}
			packed422Row(yr, c0, c1, s, w, yFirst)
		}
	}
}

// packed422Row splits one packed row into luma and the two chroma rows
// (first and second chroma byte of each pair), two pairs per 64-bit load.
// Odd widths carry a last half pair, as V4L2 rounds the line up to pairs.
func packed422Row(yr, c0, c1, s []byte, w int, yFirst bool) {
	i := 0
	if yFirst {
		for ; i+2 <= w/2; i += 2 {
			q := binary.LittleEndian.Uint64(s[4*i : 4*i+8])
			binary.LittleEndian.PutUint32(yr[2*i:2*i+4], uint32(q&0xFF|q>>8&0xFF00|q>>16&0xFF0000|q>>24&0xFF000000))
			c0[i], c0[i+1] = byte(q>>8), byte(q>>40)
			c1[i], c1[i+1] = byte(q>>24), byte(q>>56)
		}
	} else {
		for ; i+2 <= w/2; i += 2 {
			q := binary.LittleEndian.Uint64(s[4*i : 4*i+8])
			binary.LittleEndian.PutUint32(yr[2*i:2*i+4], uint32(q>>8&0xFF|q>>16&0xFF00|q>>24&0xFF0000|q>>32&0xFF000000))
			c0[i], c0[i+1] = byte(q), byte(q>>32)
			c1[i], c1[i+1] = byte(q>>16), byte(q>>48)
		}
	}
	yo, co := 0, 1
	if !yFirst {
		yo, co = 1, 0
	}
	for ; i < len(c0); i++ {
		p := s[4*i : 4*i+4]
		c0[i], c1[i] = p[co], p[co+2]
		yr[2*i] = p[yo]
		if 2*i+1 < w {
			yr[2*i+1] = p[yo+2]
		}
	}
}

// convSemiPlanar converts a luma plane and an interleaved chroma plane
// (NV12/NV16/NV24: Cb first; swapped, NV21/NV61/NV42: Cr first).
func convSemiPlanar(swapped bool) func(c *frameConverter, dst *frameBuf, src [3]planeView) {
	return func(c *frameConverter, dst *frameBuf, src [3]planeView) {
		p := dst.ycc
		copyPlaneStrided(p.Y, p.YStride, src[0], c.planes[0].rowBytes, c.planes[0].rows)
		cb, cr := p.Cb, p.Cr
		if swapped {
			cb, cr = cr, cb
		}
		cw, ch := c.planes[1].rowBytes/2, c.planes[1].rows
		for row := 0; row < ch; row++ {
			s := src[1].b[row*src[1].stride : row*src[1].stride+2*cw]
			splitUVRow(cb[row*p.CStride:row*p.CStride+cw], cr[row*p.CStride:row*p.CStride+cw], s)
		}
	}
}

// splitUVRow de-interleaves one chroma row, four pairs per 64-bit load.
func splitUVRow(b, r, s []byte) {
	i := 0
	for ; i+4 <= len(b); i += 4 {
		q := binary.LittleEndian.Uint64(s[2*i : 2*i+8])
		binary.LittleEndian.PutUint32(b[i:i+4], uint32(q&0xFF|q>>8&0xFF00|q>>16&0xFF0000|q>>24&0xFF000000))
		q >>= 8
		binary.LittleEndian.PutUint32(r[i:i+4], uint32(q&0xFF|q>>8&0xFF00|q>>16&0xFF0000|q>>24&0xFF000000))
	}
	for ; i < len(b); i++ {
		b[i] = s[2*i]
		r[i] = s[2*i+1]
	}
}

// convPlanar copies three planes (YU12/422P: Y Cb Cr; swapped, YV12: Y Cr Cb).
func convPlanar(swapped bool) func(c *frameConverter, dst *frameBuf, src [3]planeView) {
	return func(c *frameConverter, dst *frameBuf, src [3]planeView) {
		p := dst.ycc
		cb, cr := p.Cb, p.Cr
		if swapped {
			cb, cr = cr, cb
		}
		copyPlaneStrided(p.Y, p.YStride, src[0], c.planes[0].rowBytes, c.planes[0].rows)
		copyPlaneStrided(cb, p.CStride, src[1], c.planes[1].rowBytes, c.planes[1].rows)
		copyPlaneStrided(cr, p.CStride, src[2], c.planes[2].rowBytes, c.planes[2].rows)
	}
}

// copyPlaneStrided copies rows of rowBytes from src into dst, one copy when
// both are tightly packed.
func copyPlaneStrided(dst []byte, dstStride int, src planeView, rowBytes, rows int) {
	if dstStride == rowBytes && src.stride == rowBytes {
		copy(dst[:rowBytes*rows], src.b[:rowBytes*rows])
		return
	}
	for row := 0; row < rows; row++ {
		copy(dst[row*dstStride:row*dstStride+rowBytes], src.b[row*src.stride:row*src.stride+rowBytes])
	}
}
