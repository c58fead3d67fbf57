//go:build linux && cgo

// Package yuv is a small, bounds-checked cgo binding of libyuv (Google's
// YUV conversion library, the one Chrome's camera capture uses; Debian's
// libyuv-dev), for the conversions where it measured faster than our Go
// (see capture/camera's benchmarks). Every function checks that each plane
// holds the rows it will touch before calling C, and returns an error
// otherwise: C never reads or writes outside a Go slice.
//
// Naming follows libyuv: "ARGB" is a little-endian word, so B, G, R, A in
// memory; "ABGR" is R, G, B, A in memory (image.RGBA's Pix); "RGB24" is
// B, G, R in memory and "RAW" R, G, B.
package yuv

/*
#cgo LDFLAGS: -lyuv
#include <stdint.h>
#include <stddef.h>
#include <libyuv.h>

// matrices are libyuv's constants for each colorimetry (Matrix order),
// U-then-V for ARGB output and V-then-U (with the planes swapped) for ABGR.
static const struct YuvConstants* tally_matrix(int m, int vu) {
	static const struct YuvConstants* uv[6] = {&kYuvI601Constants, &kYuvJPEGConstants, &kYuvH709Constants, &kYuvF709Constants, &kYuv2020Constants, &kYuvV2020Constants};
	static const struct YuvConstants* vuc[6] = {&kYvuI601Constants, &kYvuJPEGConstants, &kYvuH709Constants, &kYvuF709Constants, &kYvu2020Constants, &kYvuV2020Constants};
	return vu ? vuc[m] : uv[m];
}

static int tally_to_argb(int sub, const uint8_t* y, int ys, const uint8_t* u, int us, const uint8_t* v, int vs, uint8_t* d, int ds, int m, int vu, int w, int h) {
	const struct YuvConstants* k = tally_matrix(m, vu);
	if (vu) { const uint8_t* t = u; u = v; v = t; int ts = us; us = vs; vs = ts; }
	switch (sub) {
	case 420: return I420ToARGBMatrix(y, ys, u, us, v, vs, d, ds, k, w, h);
	case 422: return I422ToARGBMatrix(y, ys, u, us, v, vs, d, ds, k, w, h);
	case 444: return I444ToARGBMatrix(y, ys, u, us, v, vs, d, ds, k, w, h);
	}
	return -1;
}

static int tally_scale(int sub, const uint8_t* y, int ys, const uint8_t* u, int us, const uint8_t* v, int vs, int sw, int sh,
		uint8_t* dy, int dys, uint8_t* du, int dus, uint8_t* dv, int dvs, int dw, int dh, int f) {
	switch (sub) {
	case 420: return I420Scale(y, ys, u, us, v, vs, sw, sh, dy, dys, du, dus, dv, dvs, dw, dh, (enum FilterMode)f);
	case 422: return I422Scale(y, ys, u, us, v, vs, sw, sh, dy, dys, du, dus, dv, dvs, dw, dh, (enum FilterMode)f);
	case 444: return I444Scale(y, ys, u, us, v, vs, sw, sh, dy, dys, du, dus, dv, dvs, dw, dh, (enum FilterMode)f);
	}
	return -1;
}

// The size is returned by value: passing the address of Go ints to C
// would make them escape, one allocation per frame.
typedef struct { int rc, w, h; } tally_size;

static tally_size tally_mjpg_size(const uint8_t* b, size_t n) {
	tally_size s = {0, 0, 0};
	s.rc = MJPGSize(b, n, &s.w, &s.h);
	return s;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Available reports whether libyuv is linked in (false without cgo).
const Available = true

func ptr(p Plane) *C.uint8_t { return (*C.uint8_t)(unsafe.Pointer(&p.Pix[0])) }

func call(name string, rc C.int) error {
	if rc != 0 {
		return fmt.Errorf("yuv: libyuv %s failed (%d)", name, int(rc))
	}
	return nil
}

// YUY2ToI422 splits packed Y0 U Y1 V into three planes (4:2:2).
func YUY2ToI422(src, y, u, v Plane, w, h int) error {
	if err := checkPacked422(src, y, u, v, w, h); err != nil {
		return err
	}
	return call("YUY2ToI422", C.YUY2ToI422(ptr(src), C.int(src.Stride), ptr(y), C.int(y.Stride), ptr(u), C.int(u.Stride), ptr(v), C.int(v.Stride), C.int(w), C.int(h)))
}

// UYVYToI422 splits packed U Y0 V Y1 into three planes (4:2:2).
func UYVYToI422(src, y, u, v Plane, w, h int) error {
	if err := checkPacked422(src, y, u, v, w, h); err != nil {
		return err
	}
	return call("UYVYToI422", C.UYVYToI422(ptr(src), C.int(src.Stride), ptr(y), C.int(y.Stride), ptr(u), C.int(u.Stride), ptr(v), C.int(v.Stride), C.int(w), C.int(h)))
}

// SplitUVPlane de-interleaves w×h chroma pairs into two planes.
func SplitUVPlane(src, u, v Plane, w, h int) error {
	if err := checkAll(w, h, pl{"UV", src, 2 * w, h}, pl{"U", u, w, h}, pl{"V", v, w, h}); err != nil {
		return err
	}
	C.SplitUVPlane(ptr(src), C.int(src.Stride), ptr(u), C.int(u.Stride), ptr(v), C.int(v.Stride), C.int(w), C.int(h))
	return nil
}

// CopyPlane copies w×h bytes.
func CopyPlane(src, dst Plane, w, h int) error {
	if err := checkAll(w, h, pl{"src", src, w, h}, pl{"dst", dst, w, h}); err != nil {
		return err
	}
	C.CopyPlane(ptr(src), C.int(src.Stride), ptr(dst), C.int(dst.Stride), C.int(w), C.int(h))
	return nil
}

// RGB24ToARGB widens 3-byte pixels to 4, alpha 255, keeping byte order:
// B G R -> B G R A (so R G B -> R G B A too).
func RGB24ToARGB(src, dst Plane, w, h int) error {
	if err := checkAll(w, h, pl{"src", src, 3 * w, h}, pl{"dst", dst, 4 * w, h}); err != nil {
		return err
	}
	return call("RGB24ToARGB", C.RGB24ToARGB(ptr(src), C.int(src.Stride), ptr(dst), C.int(dst.Stride), C.int(w), C.int(h)))
}

// RAWToARGB widens 3-byte pixels to 4, alpha 255, reversing the colour
// bytes: R G B -> B G R A (so B G R -> R G B A).
func RAWToARGB(src, dst Plane, w, h int) error {
	if err := checkAll(w, h, pl{"src", src, 3 * w, h}, pl{"dst", dst, 4 * w, h}); err != nil {
		return err
	}
	return call("RAWToARGB", C.RAWToARGB(ptr(src), C.int(src.Stride), ptr(dst), C.int(dst.Stride), C.int(w), C.int(h)))
}

// ARGBShuffle reorders the four bytes of each pixel: destination byte i
// of every pixel is source byte shuffler[i] (the 16-byte mask repeats the
// pattern for four pixels, as libyuv wants it).
func ARGBShuffle(src, dst Plane, shuffler *[16]byte, w, h int) error {
	if err := checkAll(w, h, pl{"src", src, 4 * w, h}, pl{"dst", dst, 4 * w, h}); err != nil {
		return err
	}
	return call("ARGBShuffle", C.ARGBShuffle(ptr(src), C.int(src.Stride), ptr(dst), C.int(dst.Stride), (*C.uint8_t)(unsafe.Pointer(&shuffler[0])), C.int(w), C.int(h)))
}

// ToARGBMatrix converts 4:2:0, 4:2:2 or 4:4:4 (sub 420, 422, 444) planes
// to 32-bit pixels with matrix m: B G R A in memory, or R G B A when rgba.
func ToARGBMatrix(sub int, y, u, v, dst Plane, m Matrix, rgba bool, w, h int) error {
	cw, ch, err := chromaSize(sub, w, h)
	if err != nil {
		return err
	}
	if m < BT601Limited || m > BT2020Full {
		return fmt.Errorf("yuv: unknown matrix %d", m)
	}
	if err := checkAll(w, h, pl{"Y", y, w, h}, pl{"U", u, cw, ch}, pl{"V", v, cw, ch}, pl{"dst", dst, 4 * w, h}); err != nil {
		return err
	}
	vu := C.int(0)
	if rgba {
		vu = 1
	}
	return call("ToARGBMatrix", C.tally_to_argb(C.int(sub), ptr(y), C.int(y.Stride), ptr(u), C.int(u.Stride), ptr(v), C.int(v.Stride), ptr(dst), C.int(dst.Stride), C.int(m), vu, C.int(w), C.int(h)))
}

// chromaSize is the chroma plane size of a w×h picture (sub 420, 422 or
// 444), or an error for another subsampling.
func chromaSize(sub, w, h int) (cw, ch int, err error) {
	switch sub {
	case 420:
		return (w + 1) / 2, (h + 1) / 2, nil
	case 422:
		return (w + 1) / 2, h, nil
	case 444:
		return w, h, nil
	}
	return 0, 0, fmt.Errorf("yuv: unknown subsampling %d", sub)
}

// Scale scales 4:2:0, 4:2:2 or 4:4:4 planes from sw×sh to dw×dh.
func Scale(sub int, y, u, v Plane, sw, sh int, dy, du, dv Plane, dw, dh int, f Filter) error {
	scw, sch, err := chromaSize(sub, sw, sh)
	if err != nil {
		return err
	}
	dcw, dch, _ := chromaSize(sub, dw, dh)
	if f < FilterNone || f > FilterBox {
		return fmt.Errorf("yuv: unknown filter %d", f)
	}
	if err := checkAll(sw, sh, pl{"Y", y, sw, sh}, pl{"U", u, scw, sch}, pl{"V", v, scw, sch}); err != nil {
		return err
	}
	if err := checkAll(dw, dh, pl{"dst Y", dy, dw, dh}, pl{"dst U", du, dcw, dch}, pl{"dst V", dv, dcw, dch}); err != nil {
		return err
	}
	return call("Scale", C.tally_scale(C.int(sub), ptr(y), C.int(y.Stride), ptr(u), C.int(u.Stride), ptr(v), C.int(v.Stride), C.int(sw), C.int(sh),
		ptr(dy), C.int(dy.Stride), ptr(du), C.int(du.Stride), ptr(dv), C.int(dv.Stride), C.int(dw), C.int(dh), C.int(f)))
}

// opaqueRow is a row of alpha 255 that SetOpaque reads for every row
// (stride 0).
var opaqueRow = func() (b [maxWidth]byte) {
	for i := range b {
		b[i] = 0xff
	}
	return b
}()

// SetOpaque sets the fourth byte of every 4-byte pixel to 255.
func SetOpaque(dst Plane, w, h int) error {
	if w > maxWidth {
		return fmt.Errorf("yuv: SetOpaque: width %d over %d", w, maxWidth)
	}
	if err := checkAll(w, h, pl{"dst", dst, 4 * w, h}); err != nil {
		return err
	}
	return call("ARGBCopyYToAlpha", C.ARGBCopyYToAlpha((*C.uint8_t)(unsafe.Pointer(&opaqueRow[0])), 0, ptr(dst), C.int(dst.Stride), C.int(w), C.int(h)))
}

// RGB565ToARGB widens little-endian 5-6-5 words to B G R A bytes.
func RGB565ToARGB(src, dst Plane, w, h int) error {
	if err := checkAll(w, h, pl{"src", src, 2 * w, h}, pl{"dst", dst, 4 * w, h}); err != nil {
		return err
	}
	return call("RGB565ToARGB", C.RGB565ToARGB(ptr(src), C.int(src.Stride), ptr(dst), C.int(dst.Stride), C.int(w), C.int(h)))
}

// MJPGSize reads a JPEG's dimensions from its header.
func MJPGSize(b []byte) (w, h int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("yuv: empty JPEG")
	}
	s := C.tally_mjpg_size((*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b)))
	if s.rc != 0 {
		return 0, 0, fmt.Errorf("yuv: not a JPEG this decoder reads (MJPGSize %d)", int(s.rc))
	}
	return int(s.w), int(s.h), nil
}

// MJPGToI420 decodes a w×h JPEG (any subsampling; through libjpeg-turbo)
// into 4:2:0 planes. A JPEG of another size is an error, checked first.
func MJPGToI420(b []byte, y, u, v Plane, w, h int) error {
	jw, jh, err := MJPGSize(b)
	if err != nil {
		return err
	}
	if jw != w || jh != h {
		return fmt.Errorf("yuv: JPEG is %dx%d, want %dx%d", jw, jh, w, h)
	}
	cw, ch := (w+1)/2, (h+1)/2
	if err := checkAll(w, h, pl{"Y", y, w, h}, pl{"U", u, cw, ch}, pl{"V", v, cw, ch}); err != nil {
		return err
	}
	return call("MJPGToI420", C.MJPGToI420((*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b)), ptr(y), C.int(y.Stride), ptr(u), C.int(u.Stride), ptr(v), C.int(v.Stride), C.int(w), C.int(h), C.int(w), C.int(h)))
}
