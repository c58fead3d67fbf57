package yuv

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
)

func need(t *testing.T) {
	if !Available {
		t.Skip("built without libyuv")
	}
}

func TestChecksRejectOverruns(t *testing.T) {
	need(t)
	buf := make([]byte, 16*4)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"short src", YUY2ToI422(Plane{buf[:31], 32}, Plane{buf, 16}, Plane{buf, 8}, Plane{buf, 8}, 16, 1)},
		{"narrow stride", CopyPlane(Plane{buf, 8}, Plane{buf, 16}, 16, 2)},
		{"zero size", CopyPlane(Plane{buf, 16}, Plane{buf, 16}, 0, 2)},
		{"negative", RGB24ToARGB(Plane{buf, 48}, Plane{buf, 64}, -1, 1)},
		{"short dst", RAWToARGB(Plane{buf, 12}, Plane{buf[:15], 16}, 4, 1)},
		{"too wide", SetOpaque(Plane{make([]byte, 4*(maxWidth+1)), 4 * (maxWidth + 1)}, maxWidth+1, 1)},
		{"empty jpeg", MJPGToI420(nil, Plane{buf, 4}, Plane{buf, 2}, Plane{buf, 2}, 4, 4)},
		{"not a jpeg", MJPGToI420([]byte("definitely not a JPEG"), Plane{buf, 4}, Plane{buf, 2}, Plane{buf, 2}, 4, 4)},
	} {
		if c.err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestPackedAndRGB(t *testing.T) {
	need(t)
	// Two pixels of YUYV: Y0 U Y1 V.
	y, u, v := make([]byte, 2), make([]byte, 1), make([]byte, 1)
	if err := YUY2ToI422(Plane{[]byte{10, 20, 30, 40}, 4}, Plane{y, 2}, Plane{u, 1}, Plane{v, 1}, 2, 1); err != nil {
		t.Fatal(err)
	}
	if y[0] != 10 || y[1] != 30 || u[0] != 20 || v[0] != 40 {
		t.Errorf("YUY2ToI422: y %v u %v v %v", y, u, v)
	}
	dst := make([]byte, 4)
	if err := RGB24ToARGB(Plane{[]byte{1, 2, 3}, 3}, Plane{dst, 4}, 1, 1); err != nil || !bytes.Equal(dst, []byte{1, 2, 3, 255}) {
		t.Errorf("RGB24ToARGB: % x %v", dst, err)
	}
	if err := RAWToARGB(Plane{[]byte{1, 2, 3}, 3}, Plane{dst, 4}, 1, 1); err != nil || !bytes.Equal(dst, []byte{3, 2, 1, 255}) {
		t.Errorf("RAWToARGB: % x %v", dst, err)
	}
	px := []byte{1, 2, 3, 0, 5, 6, 7, 0}
	if err := ARGBShuffle(Plane{px, 8}, Plane{px, 8}, &[16]byte{2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15}, 2, 1); err != nil || !bytes.Equal(px, []byte{3, 2, 1, 0, 7, 6, 5, 0}) {
		t.Errorf("ARGBShuffle in place: % x %v", px, err)
	}
	if err := SetOpaque(Plane{px, 8}, 2, 1); err != nil || !bytes.Equal(px, []byte{3, 2, 1, 255, 7, 6, 5, 255}) {
		t.Errorf("SetOpaque: % x %v", px, err)
	}
}

// stripDHT removes the Huffman tables, as many webcams send MJPEG: the
// decoder must fall back to the standard ones (which Go's encoder uses).
func stripDHT(b []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			break
		}
		marker, n := b[i+1], int(b[i+2])<<8|int(b[i+3])
		if marker == 0xDA { // start of scan: the rest is data
			return append(out, b[i:]...)
		}
		if marker != 0xC4 {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	return out
}

func TestMJPGToI420(t *testing.T) {
	need(t)
	const w, h = 64, 32
	src := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = 200
		if i%w >= w/2 {
			src.Y[i] = 50
		}
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 60, 180
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"full": buf.Bytes(), "no DHT": stripDHT(buf.Bytes())} {
		if name == "no DHT" && bytes.Contains(data, []byte{0xFF, 0xC4}) {
			t.Fatal("DHT not stripped")
		}
		dst := image.NewYCbCr(src.Rect, image.YCbCrSubsampleRatio420)
		err := MJPGToI420(data, Plane{dst.Y, dst.YStride}, Plane{dst.Cb, dst.CStride}, Plane{dst.Cr, dst.CStride}, w, h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range []struct {
			x, y int
			want color.YCbCr
		}{{4, 4, color.YCbCr{200, 60, 180}}, {60, 28, color.YCbCr{50, 60, 180}}} {
			got := dst.YCbCrAt(p.x, p.y)
			if d := int(got.Y) - int(p.want.Y); d < -3 || d > 3 || absDiff(got.Cb, p.want.Cb) > 3 || absDiff(got.Cr, p.want.Cr) > 3 {
				t.Errorf("%s (%d,%d) = %v, want about %v", name, p.x, p.y, got, p.want)
			}
		}
	}
	// The wrong size and a truncated frame are errors, not crashes.
	dst := image.NewYCbCr(image.Rect(0, 0, 2*w, h), image.YCbCrSubsampleRatio420)
	if err := MJPGToI420(buf.Bytes(), Plane{dst.Y, dst.YStride}, Plane{dst.Cb, dst.CStride}, Plane{dst.Cr, dst.CStride}, 2*w, h); err == nil || !strings.Contains(err.Error(), "64x32") {
		t.Errorf("wrong size: %v", err)
	}
	if err := MJPGToI420(buf.Bytes()[:20], Plane{dst.Y, dst.YStride}, Plane{dst.Cb, dst.CStride}, Plane{dst.Cr, dst.CStride}, w, h); err == nil {
		t.Errorf("truncated header accepted")
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestMJPGSizeNoAllocs(t *testing.T) {
	need(t)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 8)), nil); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { MJPGSize(buf.Bytes()) }); n != 0 {
		t.Errorf("MJPGSize: %v allocations", n)
	}
}
