//go:build cgo && !noturbojpeg

package mjpeg

/*
#cgo pkg-config: libturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// The plane arrays are built here, on the C stack: cgo forbids handing C a
// Go array of Go pointers.
static int tally_decode(tjhandle h, const unsigned char *src, unsigned long n,
		unsigned char *y, unsigned char *u, unsigned char *v,
		int sy, int su, int sv, int w, int hgt, int flags) {
	unsigned char *planes[3] = {y, u, v};
	int strides[3] = {sy, su, sv};
	return tjDecompressToYUVPlanes(h, src, n, planes, w, strides, hgt, flags);
}

static int tally_encode(tjhandle h, const unsigned char *y, const unsigned char *u,
		const unsigned char *v, int sy, int su, int sv, int w, int hgt,
		int subsamp, int quality, unsigned char **out, unsigned long *outSize) {
	const unsigned char *planes[3] = {y, u, v};
	int strides[3] = {sy, su, sv};
	return tjCompressFromYUVPlanes(h, planes, w, strides, hgt, subsamp, out,
		outSize, quality, 0);
}

// Whether libjpeg-turbo scales by 1/2, 1/4 and 1/8 (every build since 1.2
// does; checked rather than assumed).
static int tally_has_scales(void) {
	int n = 0, found = 0;
	tjscalingfactor *f = tjGetScalingFactors(&n);
	for (int i = 0; f != NULL && i < n; i++) {
		if (f[i].num == 1 && (f[i].denom == 2 || f[i].denom == 4 || f[i].denom == 8)) {
			found++;
		}
	}
	return found == 3;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"unsafe"

	"github.com/tally-app/tally/capture"
)

// Implementation names the decoder this build uses.
func Implementation() string { return "libjpeg-turbo (TurboJPEG)" }

// decodeFlags: stop at the first warning (a corrupt frame is dropped, not
// shown half grey) and bound progressive scans (a crafted frame cannot
// make one decode take minutes).
const decodeFlags = C.TJFLAG_STOPONWARNING | C.TJFLAG_LIMITSCANS

var hasScales = sync.OnceValue(func() bool { return C.tally_has_scales() != 0 })

// Decoder decodes frames with one TurboJPEG handle, reused for every frame.
// It is not safe for concurrent use: one per capture goroutine. The frames
// it returns may be released from any goroutine.
type Decoder struct {
	// MaxPixels bounds the width×height a frame may claim; zero means
	// DefaultMaxPixels.
	MaxPixels int
	// FastDCT selects libjpeg's fast, less accurate integer inverse DCT
	// (JDCT_IFAST, what libyuv's MJPGToI420 asks for) over the accurate
	// one (JDCT_ISLOW, djpeg's default).
	FastDCT bool

	h    C.tjhandle
	pool framePool
	// hdr receives tjDecompressHeader3's results: a field, not locals,
	// since locals whose address goes to C escape and allocate per frame.
	hdr [4]C.int
}

// NewDecoder returns a decoder; Close frees it.
func NewDecoder() (*Decoder, error) {
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("mjpeg: tjInitDecompress: " + C.GoString(C.tjGetErrorStr2(nil)))
	}
	return &Decoder{h: h}, nil
}

// Close frees the TurboJPEG handle. Frames already decoded stay valid.
func (d *Decoder) Close() error {
	if d.h != nil {
		C.tjDestroy(d.h)
		d.h = nil
	}
	return nil
}

var errClosed = errors.New("mjpeg: decoder is closed")

// Header reads a frame's header.
func (d *Decoder) Header(jpeg []byte) (Header, error) {
	if d.h == nil {
		return Header{}, errClosed
	}
	if len(jpeg) < 4 {
		return Header{}, badFrame("%d bytes is too short for a JPEG", len(jpeg))
	}
	if C.tjDecompressHeader3(d.h, (*C.uchar)(unsafe.Pointer(&jpeg[0])), C.ulong(len(jpeg)), &d.hdr[0], &d.hdr[1], &d.hdr[2], &d.hdr[3]) != 0 {
		return Header{}, badFrame("header of a %d-byte frame: %s", len(jpeg), d.failed())
	}
	w, h, samp, cs := d.hdr[0], d.hdr[1], d.hdr[2], d.hdr[3]
	if cs != C.TJCS_YCbCr && cs != C.TJCS_GRAY {
		return Header{}, badFrame("colour space %s: only Y′CbCr and grey JPEGs are decoded", colourSpaceName(cs))
	}
	hd := Header{Width: int(w), Height: int(h)}
	switch samp {
	case C.TJSAMP_444:
		hd.Subsampling = image.YCbCrSubsampleRatio444
	case C.TJSAMP_422:
		hd.Subsampling = image.YCbCrSubsampleRatio422
	case C.TJSAMP_420:
		hd.Subsampling = image.YCbCrSubsampleRatio420
	case C.TJSAMP_440:
		hd.Subsampling = image.YCbCrSubsampleRatio440
	case C.TJSAMP_411:
		hd.Subsampling = image.YCbCrSubsampleRatio411
	case C.TJSAMP_GRAY:
		hd.Subsampling, hd.Grey = image.YCbCrSubsampleRatio420, true
	default:
		return Header{}, badFrame("unknown chroma subsampling %d", int(samp))
	}
	return hd, nil
}

// decode decodes a frame at scale s into a pooled frame of its pool.
func (d *Decoder) decode(jpeg []byte, s Scale) (*capture.YCbCr, *pooledFrame, error) {
	if !s.valid() {
		return nil, nil, errors.New("mjpeg: scale must be 1, 2, 4 or 8")
	}
	if s != Full && !hasScales() {
		return nil, nil, errors.New("mjpeg: this libjpeg-turbo does not scale by 1/2, 1/4 and 1/8")
	}
	hd, err := d.Header(jpeg)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSize(hd.Width, hd.Height, d.MaxPixels); err != nil {
		return nil, nil, err
	}
	w, h := s.Size(hd.Width, hd.Height)
	samp := d.hdr[2]
	f := d.pool.get(frameKey{w: w, h: h, ratio: hd.Subsampling, grey: hd.Grey,
		yStride: int(C.tjPlaneWidth(0, C.int(w), samp)), yRows: int(C.tjPlaneHeight(0, C.int(h), samp))})
	p := f.img
	if !planesFit(p, w, h, samp) {
		f.put()
		return nil, nil, fmt.Errorf("mjpeg: %dx%d planes do not fit what libjpeg-turbo writes (subsampling %d)", w, h, int(samp))
	}
	var cb, cr *C.uchar
	if !hd.Grey {
		cb, cr = (*C.uchar)(unsafe.Pointer(&p.Cb[0])), (*C.uchar)(unsafe.Pointer(&p.Cr[0]))
	}
	if C.tally_decode(d.h, (*C.uchar)(unsafe.Pointer(&jpeg[0])), C.ulong(len(jpeg)),
		(*C.uchar)(unsafe.Pointer(&p.Y[0])), cb, cr,
		C.int(p.YStride), C.int(p.CStride), C.int(p.CStride),
		C.int(w), C.int(h), d.flags()) != 0 {
		f.put()
		return nil, nil, badFrame("%dx%d frame of %d bytes: %s", hd.Width, hd.Height, len(jpeg), d.failed())
	}
	return p, f, nil
}

// planesFit checks each plane against the size libjpeg-turbo will write
// into it, so that a layout mistake is an error rather than a heap overrun.
func planesFit(p *capture.YCbCr, w, h int, samp C.int) bool {
	planes := [3][]byte{p.Y, p.Cb, p.Cr}
	strides := [3]int{p.YStride, p.CStride, p.CStride}
	n := 3
	if samp == C.TJSAMP_GRAY {
		n = 1
	}
	for i := range n {
		need := C.tjPlaneSizeYUV(C.int(i), C.int(w), C.int(strides[i]), C.int(h), samp)
		if need == C.ulong(^C.ulong(0)) || uint64(need) > uint64(len(planes[i])) {
			return false
		}
	}
	return true
}

func (d *Decoder) flags() C.int {
	if d.FastDCT {
		return decodeFlags | C.TJFLAG_FASTDCT
	}
	return decodeFlags
}

// failed returns the handle's error message and replaces the handle:
// libjpeg-turbo 2.1 does not abort the decompressor when a call fails, so
// after some errors ("Bogus marker length") the next frame, however good,
// fails with the same error.
func (d *Decoder) failed() string {
	msg := C.GoString(C.tjGetErrorStr2(d.h))
	C.tjDestroy(d.h)
	d.h = C.tjInitDecompress() // nil on failure: the decoder then reports itself closed
	return msg
}

func colourSpaceName(cs C.int) string {
	switch cs {
	case C.TJCS_RGB:
		return "RGB"
	case C.TJCS_CMYK:
		return "CMYK"
	case C.TJCS_YCCK:
		return "YCCK"
	}
	return "unknown"
}

// Encode compresses a Y′CbCr picture (read as JFIF: full-range BT.601) at
// quality 1–100, keeping its subsampling. It is for making frames, not for
// the capture path: it allocates.
func Encode(img *image.YCbCr, quality int) ([]byte, error) {
	samp, ok := map[image.YCbCrSubsampleRatio]C.int{
		image.YCbCrSubsampleRatio444: C.TJSAMP_444, image.YCbCrSubsampleRatio422: C.TJSAMP_422,
		image.YCbCrSubsampleRatio420: C.TJSAMP_420, image.YCbCrSubsampleRatio440: C.TJSAMP_440,
		image.YCbCrSubsampleRatio411: C.TJSAMP_411,
	}[img.SubsampleRatio]
	if !ok {
		return nil, errors.New("mjpeg: encode: unsupported subsampling " + img.SubsampleRatio.String())
	}
	return encode(img, samp, quality)
}

// EncodeGrey compresses img's Y′ plane alone as a greyscale JPEG.
func EncodeGrey(img *image.YCbCr, quality int) ([]byte, error) {
	return encode(img, C.TJSAMP_GRAY, quality)
}

func encode(img *image.YCbCr, samp C.int, quality int) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= 0 || h <= 0 || quality < 1 || quality > 100 {
		return nil, errors.New("mjpeg: encode: need a non-empty picture and quality 1-100")
	}
	if img.Rect.Min != (image.Point{}) {
		return nil, errors.New("mjpeg: encode: the picture must start at 0,0")
	}
	// libjpeg-turbo reads luma padded to the subsampling (see frameKey):
	// copy into planes of its layout.
	ratio := img.SubsampleRatio
	if samp == C.TJSAMP_GRAY {
		ratio = image.YCbCrSubsampleRatio420
	}
	k := frameKey{w: w, h: h, ratio: ratio, grey: samp == C.TJSAMP_GRAY,
		yStride: int(C.tjPlaneWidth(0, C.int(w), samp)), yRows: int(C.tjPlaneHeight(0, C.int(h), samp))}
	src := img
	img = &newPlanes(k).YCbCr
	for y := range h {
		copy(img.Y[y*img.YStride:y*img.YStride+w], src.Y[y*src.YStride:])
	}
	if samp != C.TJSAMP_GRAY {
		cw, ch := chromaSize(w, h, ratio)
		for y := range ch {
			copy(img.Cb[y*cw:(y+1)*cw], src.Cb[y*src.CStride:])
			copy(img.Cr[y*cw:(y+1)*cw], src.Cr[y*src.CStride:])
		}
	}
	if !planesFit(&capture.YCbCr{YCbCr: *img}, w, h, samp) {
		return nil, errors.New("mjpeg: encode: planes do not fit libjpeg-turbo's layout")
	}
	hd := C.tjInitCompress()
	if hd == nil {
		return nil, errors.New("mjpeg: tjInitCompress: " + C.GoString(C.tjGetErrorStr2(nil)))
	}
	defer C.tjDestroy(hd)
	var cb, cr *C.uchar
	if samp != C.TJSAMP_GRAY {
		cb, cr = (*C.uchar)(unsafe.Pointer(&img.Cb[0])), (*C.uchar)(unsafe.Pointer(&img.Cr[0]))
	}
	var out *C.uchar
	var n C.ulong
	if C.tally_encode(hd, (*C.uchar)(unsafe.Pointer(&img.Y[0])), cb, cr,
		C.int(img.YStride), C.int(img.CStride), C.int(img.CStride),
		C.int(w), C.int(h), samp, C.int(quality), &out, &n) != 0 {
		if out != nil {
			C.tjFree(out)
		}
		return nil, errors.New("mjpeg: encode: " + C.GoString(C.tjGetErrorStr2(hd)))
	}
	defer C.tjFree(out)
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}
