package camera

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/pion/mediadevices/pkg/frame"
)

// Known pixel values: Y, Cb and Cr are distinct functions of position, so a
// swapped plane, a wrong stride or an off-by-one lands on a wrong value.
func yAt(x, y int) byte  { return byte(16 + (x*7+y*13)%220) }
func cbAt(x, y int) byte { return byte(40 + (x*5+y*3)%180) }   // x, y in chroma samples
func crAt(x, y int) byte { return byte(200 - (x*3+y*11)%180) } // x, y in chroma samples

// makeYUYV builds a packed 4:2:2 frame (order "YUYV" or "UYVY").
func makePacked(w, h int, order string) []byte {
	pairs := (w + 1) / 2
	b := make([]byte, 0, pairs*4*h)
	for y := 0; y < h; y++ {
		for i := 0; i < pairs; i++ {
			y0, y1 := yAt(2*i, y), yAt(2*i+1, y)
			u, v := cbAt(i, y), crAt(i, y)
			if order == FormatYUYV {
				b = append(b, y0, u, y1, v)
			} else {
				b = append(b, u, y0, v, y1)
			}
		}
	}
	return b
}

func makeI420(w, h int) []byte {
	cw, ch := (w+1)/2, (h+1)/2
	var b []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			b = append(b, yAt(x, y))
		}
	}
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			b = append(b, cbAt(x, y))
		}
	}
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			b = append(b, crAt(x, y))
		}
	}
	return b
}

func makeNV(w, h int, swapped bool) []byte {
	cw, ch := (w+1)/2, (h+1)/2
	var b []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			b = append(b, yAt(x, y))
		}
	}
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			if swapped {
				b = append(b, crAt(x, y), cbAt(x, y))
			} else {
				b = append(b, cbAt(x, y), crAt(x, y))
			}
		}
	}
	return b
}

func makeRaw(format string, w, h int) []byte {
	switch format {
	case FormatYUYV, FormatUYVY:
		return makePacked(w, h, format)
	case FormatI420:
		return makeI420(w, h)
	case FormatNV12:
		return makeNV(w, h, false)
	case FormatNV21:
		return makeNV(w, h, true)
	}
	panic("no generator for " + format)
}

// checkYCbCr compares every sample of img with the known values.
func checkYCbCr(t *testing.T, img *image.YCbCr, w, h int, ratio image.YCbCrSubsampleRatio) {
	t.Helper()
	if img.SubsampleRatio != ratio {
		t.Fatalf("subsample ratio %v, want %v", img.SubsampleRatio, ratio)
	}
	if img.Rect != image.Rect(0, 0, w, h) {
		t.Fatalf("bounds %v, want %dx%d", img.Rect, w, h)
	}
	bad := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			cx, cy := x/2, y
			if ratio == image.YCbCrSubsampleRatio420 {
				cy = y / 2
			}
			got := img.YCbCrAt(x, y)
			want := color.YCbCr{Y: yAt(x, y), Cb: cbAt(cx, cy), Cr: crAt(cx, cy)}
			if got != want && bad < 5 {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, want)
				bad++
			}
		}
	}
}

// rawFormats are the formats the fake camera (fake_test.go) streams.
var rawFormats = []struct {
	format string
	ratio  image.YCbCrSubsampleRatio
}{
	{FormatYUYV, image.YCbCrSubsampleRatio422},
	{FormatUYVY, image.YCbCrSubsampleRatio422},
	{FormatI420, image.YCbCrSubsampleRatio420},
	{FormatNV12, image.YCbCrSubsampleRatio420},
	{FormatNV21, image.YCbCrSubsampleRatio420},
}

// makeJPEG encodes a 4:2:0 image: left half one colour, right half another.
func makeJPEG(t testing.TB, w, h int, left, right color.YCbCr) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := left
			if x >= w/2 {
				c = right
			}
			img.Y[img.YOffset(x, y)] = c.Y
			img.Cb[img.COffset(x, y)] = c.Cb
			img.Cr[img.COffset(x, y)] = c.Cr
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func near(a, b byte, tol int) bool {
	d := int(a) - int(b)
	return d <= tol && d >= -tol
}

func TestDecodeMJPEG(t *testing.T) {
	left, right := color.YCbCr{Y: 200, Cb: 60, Cr: 180}, color.YCbCr{Y: 50, Cb: 190, Cr: 90}
	img, err := decodeMJPEG(makeJPEG(t, 64, 32, left, right))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 64, 32) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	yc, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded %T, want *image.YCbCr", img)
	}
	for _, p := range []struct {
		x, y int
		want color.YCbCr
	}{{4, 4, left}, {20, 28, left}, {44, 4, right}, {60, 28, right}} {
		got := yc.YCbCrAt(p.x, p.y)
		if !near(got.Y, p.want.Y, 3) || !near(got.Cb, p.want.Cb, 3) || !near(got.Cr, p.want.Cr, 3) {
			t.Errorf("(%d,%d) = %v, want about %v", p.x, p.y, got, p.want)
		}
	}
	for _, bad := range [][]byte{nil, {0xFF, 0xD8}, []byte("not a jpeg at all")} {
		if _, err := decodeMJPEG(bad); err == nil {
			t.Errorf("decodeMJPEG(%q) succeeded", bad)
		}
	}
}

// TestConvertMatchesPion cross-checks the converters against pion's own
// decoders, written by other hands, on even sizes (pion's 4:2:0 decoders
// assume them).
func TestConvertMatchesPion(t *testing.T) {
	const w, h = 32, 16
	for _, lib := range kernelModes(t) {
		useLibyuv = lib == "libyuv"
		for fourcc, pion := range map[string]frame.Format{"YUYV": frame.FormatYUYV, "UYVY": frame.FormatUYVY, "YU12": frame.FormatI420, "NV12": frame.FormatNV12, "NV21": frame.FormatNV21} {
			dec, err := frame.NewDecoder(pion)
			if err != nil {
				t.Fatal(err)
			}
			raw := makeRaw(rawName[fourcc], w, h)
			want, _, err := dec.Decode(append([]byte(nil), raw...), w, h)
			if err != nil {
				t.Fatalf("%s: pion: %v", fourcc, err)
			}
			got, err := newTestConverter(t, fourcc, w, h, nil).convertBuf([][]byte{raw})
			if err != nil {
				t.Fatal(err)
			}
			checkYCbCr(t, got.ycc.Planes(), w, h, want.(*image.YCbCr).SubsampleRatio)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if g, p := got.ycc.YCbCrAt(x, y), want.(*image.YCbCr).YCbCrAt(x, y); g != p {
						t.Fatalf("%s %s (%d,%d): ours %v, pion's %v", lib, fourcc, x, y, g, p)
					}
				}
			}
		}
	}
}
