package scale

// goBilinear scales bpp-byte pixels bilinearly in 16.16 fixed point, each
// byte of a pixel alike: the scaler of a build without cgo, and the
// yardstick BenchmarkPlane measures libyuv against.
func goBilinear(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh, bpp int) {
	xs := (sw << 16) / dw
	ys := (sh << 16) / dh
	for y := range dh {
		fy := max(0, y*ys+ys/2-1<<15)
		y0 := min(fy>>16, sh-1)
		y1 := min(y0+1, sh-1)
		wy := fy & 0xffff
		r0, r1 := src[y0*srcStride:], src[y1*srcStride:]
		out := dst[y*dstStride:]
		for x := range dw {
			fx := max(0, x*xs+xs/2-1<<15)
			x0 := min(fx>>16, sw-1)
			x1 := min(x0+1, sw-1)
			wx := fx & 0xffff
			if bpp == 1 { // a plane: the common case, without the channel loop
				a := int(r0[x0])*(0x10000-wx) + int(r0[x1])*wx
				b := int(r1[x0])*(0x10000-wx) + int(r1[x1])*wx
				out[x] = byte((((a>>16)*(0x10000-wy) + (b>>16)*wy) + 0x8000) >> 16)
				continue
			}
			for c := range bpp {
				i0, i1 := x0*bpp+c, x1*bpp+c
				a := int(r0[i0])*(0x10000-wx) + int(r0[i1])*wx
				b := int(r1[i0])*(0x10000-wx) + int(r1[i1])*wx
				out[x*bpp+c] = byte((((a>>16)*(0x10000-wy) + (b>>16)*wy) + 0x8000) >> 16)
			}
		}
	}
}
