//go:build !cgo || noturbojpeg

package mjpeg

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"sync"

	"github.com/tally-app/tally/capture"
)

// Implementation names the decoder this build uses.
func Implementation() string {
	return "Go image/jpeg (built without libjpeg-turbo: no cgo, or the noturbojpeg tag)"
}

// Decoder decodes frames with Go's image/jpeg, then copies (and for a
// scaled decode, box-averages) the result into pooled planes. It allocates
// per frame and is several times slower than libjpeg-turbo. It is not safe
// for concurrent use; the frames it returns may be released from any
// goroutine.
type Decoder struct {
	// MaxPixels bounds the width×height a frame may claim; zero means
	// DefaultMaxPixels.
	MaxPixels int
	// FastDCT is libjpeg-turbo's choice of inverse DCT; image/jpeg has one.
	FastDCT bool

	closed bool
	pool   framePool
}

// NewDecoder returns a decoder; Close frees it.
func NewDecoder() (*Decoder, error) { return &Decoder{}, nil }

// Close marks the decoder closed. Frames already decoded stay valid.
func (d *Decoder) Close() error {
	d.closed = true
	return nil
}

var errClosed = errors.New("mjpeg: decoder is closed")

// Header reads a frame's header.
func (d *Decoder) Header(b []byte) (Header, error) {
	if d.closed {
		return Header{}, errClosed
	}
	if len(b) < 4 {
		return Header{}, badFrame("%d bytes is too short for a JPEG", len(b))
	}
	return readHeader(b)
}

// decode decodes a frame at scale s into a pooled frame of its pool.
func (d *Decoder) decode(b []byte, s Scale) (*capture.YCbCr, *pooledFrame, error) {
	if !s.valid() {
		return nil, nil, errors.New("mjpeg: scale must be 1, 2, 4 or 8")
	}
	hd, err := d.Header(b)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSize(hd.Width, hd.Height, d.MaxPixels); err != nil {
		return nil, nil, err
	}
	src, err := jpeg.Decode(bytes.NewReader(withHuffmanTables(b)))
	if err != nil {
		return nil, nil, badFrame("%dx%d frame of %d bytes: %v", hd.Width, hd.Height, len(b), err)
	}
	w, h := s.Size(hd.Width, hd.Height)
	f := d.pool.get(frameKey{w: w, h: h, ratio: hd.Subsampling, grey: hd.Grey})
	p := f.img
	switch src := src.(type) {
	case *image.YCbCr:
		if src.SubsampleRatio != hd.Subsampling || src.Rect.Dx() != hd.Width || src.Rect.Dy() != hd.Height {
			f.put()
			return nil, nil, badFrame("decoded %v %v, header says %dx%d %v", src.Rect, src.SubsampleRatio, hd.Width, hd.Height, hd.Subsampling)
		}
		sw, sh := chromaSize(hd.Width, hd.Height, hd.Subsampling)
		dw, dh := chromaSize(w, h, hd.Subsampling)
		shrink(p.Y, p.YStride, w, h, src.Y[src.YOffset(0, 0):], src.YStride, hd.Width, hd.Height, int(s))
		shrink(p.Cb, p.CStride, dw, dh, src.Cb[src.COffset(0, 0):], src.CStride, sw, sh, int(s))
		shrink(p.Cr, p.CStride, dw, dh, src.Cr[src.COffset(0, 0):], src.CStride, sw, sh, int(s))
	case *image.Gray:
		if !hd.Grey || src.Rect.Dx() != hd.Width || src.Rect.Dy() != hd.Height {
			f.put()
			return nil, nil, badFrame("decoded a grey %v, header says %dx%d", src.Rect, hd.Width, hd.Height)
		}
		shrink(p.Y, p.YStride, w, h, src.Pix, src.Stride, hd.Width, hd.Height, int(s))
	default:
		f.put()
		return nil, nil, badFrame("colour model %T: only Y′CbCr and grey JPEGs are decoded", src)
	}
	return p, f, nil
}

// shrink writes the w×h box average of the sw×sh plane src (s×s boxes,
// clipped at the edges) to dst; s = 1 copies.
func shrink(dst []byte, ds, w, h int, src []byte, ss, sw, sh, s int) {
	for y := range h {
		drow := dst[y*ds : y*ds+w]
		if s == 1 {
			copy(drow, src[y*ss:y*ss+w])
			continue
		}
		y0, y1 := y*s, min(y*s+s, sh)
		for x := range w {
			x0, x1 := x*s, min(x*s+s, sw)
			sum := 0
			for yy := y0; yy < y1; yy++ {
				for _, v := range src[yy*ss+x0 : yy*ss+x1] {
					sum += int(v)
				}
			}
			n := (y1 - y0) * (x1 - x0)
			drow[x] = uint8((sum + n/2) / n)
		}
	}
}

// readHeader finds the frame header (SOFn) and reads size and sampling.
func readHeader(b []byte) (Header, error) {
	if b[0] != 0xff || b[1] != 0xd8 {
		return Header{}, badFrame("no JPEG start-of-image marker")
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return Header{}, badFrame("garbage at byte %d where a marker should be", i)
		}
		m := b[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return Header{}, badFrame("marker %#x at byte %d runs past the frame", m, i)
		}
		seg := b[i+4 : i+2+n]
		switch {
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return sofHeader(seg)
		case m == 0xda:
			return Header{}, badFrame("scan before the frame header")
		}
		i += 2 + n
	}
	return Header{}, badFrame("no frame header")
}

func sofHeader(seg []byte) (Header, error) {
	if len(seg) < 6 {
		return Header{}, badFrame("frame header too short")
	}
	hd := Header{Height: int(seg[1])<<8 | int(seg[2]), Width: int(seg[3])<<8 | int(seg[4])}
	nc := int(seg[5])
	if len(seg) < 6+3*nc {
		return Header{}, badFrame("frame header too short for %d components", nc)
	}
	switch nc {
	case 1:
		hd.Subsampling, hd.Grey = image.YCbCrSubsampleRatio420, true
		return hd, nil
	case 3:
	default:
		return Header{}, badFrame("%d components: only Y′CbCr and grey JPEGs are decoded", nc)
	}
	hv := func(c int) (int, int) { return int(seg[6+3*c+1] >> 4), int(seg[6+3*c+1] & 15) }
	h0, v0 := hv(0)
	h1, v1 := hv(1)
	h2, v2 := hv(2)
	if h1 != 1 || v1 != 1 || h2 != 1 || v2 != 1 {
		return Header{}, badFrame("chroma sampled %dx%d, %dx%d", h1, v1, h2, v2)
	}
	ratios := map[[2]int]image.YCbCrSubsampleRatio{
		{1, 1}: image.YCbCrSubsampleRatio444, {2, 1}: image.YCbCrSubsampleRatio422,
		{2, 2}: image.YCbCrSubsampleRatio420, {1, 2}: image.YCbCrSubsampleRatio440,
		{4, 1}: image.YCbCrSubsampleRatio411,
	}
	r, ok := ratios[[2]int{h0, v0}]
	if !ok {
		return Header{}, badFrame("luma sampled %dx%d", h0, v0)
	}
	hd.Subsampling = r
	return hd, nil
}

// stdDHT is the DHT segment of ITU-T T.81 K.3's tables, the ones MJPEG
// frames without tables are to be decoded with. image/jpeg's encoder writes
// exactly these, so they are taken from a frame it encodes.
var stdDHT = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420), nil); err != nil {
		return nil
	}
	b := buf.Bytes()
	for i := 2; i+4 <= len(b) && b[i] == 0xff; {
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] == 0xc4 {
			return append([]byte(nil), b[i:i+2+n]...)
		}
		i += 2 + n
	}
	return nil
})

// withHuffmanTables returns b with the standard tables inserted before its
// first scan when it has none (Go's decoder, unlike libjpeg-turbo, does not
// assume them).
func withHuffmanTables(b []byte) []byte {
	for i := 2; i+4 <= len(b) && b[i] == 0xff; {
		m := b[i+1]
		n := int(b[i+2])<<8 | int(b[i+3])
		switch m {
		case 0xc4:
			return b
		case 0xda:
			out := make([]byte, 0, len(b)+len(stdDHT()))
			out = append(append(append(out, b[:i]...), stdDHT()...), b[i:]...)
			return out
		}
		i += 2 + n
	}
	return b
}

// Encode compresses a Y′CbCr picture (read as JFIF) at quality 1–100 with
// image/jpeg, which always writes 4:2:0. It is for making frames, not for
// the capture path.
func Encode(img *image.YCbCr, quality int) ([]byte, error) {
	if img.Rect.Empty() || quality < 1 || quality > 100 {
		return nil, errors.New("mjpeg: encode: need a non-empty picture and quality 1-100")
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncodeGrey compresses img's Y′ plane alone as a greyscale JPEG.
func EncodeGrey(img *image.YCbCr, quality int) ([]byte, error) {
	if img.Rect.Empty() || quality < 1 || quality > 100 {
		return nil, errors.New("mjpeg: encode: need a non-empty picture and quality 1-100")
	}
	g := &image.Gray{Pix: img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y):], Stride: img.YStride, Rect: image.Rect(0, 0, img.Rect.Dx(), img.Rect.Dy())}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
