package mjpeg_test

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/mjpeg"
)

func newDecoder(t testing.TB) *mjpeg.Decoder {
	t.Helper()
	d, err := mjpeg.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

var layouts = []struct {
	name  string
	ratio image.YCbCrSubsampleRatio
	grey  bool
}{
	{"420", image.YCbCrSubsampleRatio420, false},
	{"422", image.YCbCrSubsampleRatio422, false},
	{"444", image.YCbCrSubsampleRatio444, false},
	{"440", image.YCbCrSubsampleRatio440, false},
	{"grey", image.YCbCrSubsampleRatio420, true},
}

// Every subsampling at every scale decodes to what libjpeg-turbo's djpeg
// decodes from the same file, within one step per channel; odd sizes cover
// partial MCUs at the edges.
func TestDecodeMatchesDjpeg(t *testing.T) {
	d := newDecoder(t)
	for _, l := range layouts {
		for _, sz := range [][2]int{{1280, 720}, {317, 203}} {
			jpeg := frame(t, sz[0], sz[1], l.ratio, l.grey, 85)
			for _, s := range []mjpeg.Scale{mjpeg.Full, mjpeg.Half, mjpeg.Quarter, mjpeg.Eighth} {
				t.Run(l.name+"/"+image.Pt(sz[0], sz[1]).String()+"/1:"+string(rune('0'+s)), func(t *testing.T) {
					img, release, err := d.Decode(jpeg, s)
					if err != nil {
						t.Fatal(err)
					}
					defer release()
					checkTag(t, img, l.ratio)
					ref, rw, rh, ch := djpeg(t, jpeg, s, false)
					if w, h := s.Size(sz[0], sz[1]); img.Rect != image.Rect(0, 0, w, h) || rw != w || rh != h {
						t.Fatalf("decoded %v, djpeg %dx%d, want %dx%d", img.Rect, rw, rh, w, h)
					}
					// Luma: djpeg -grayscale writes the Y′ plane itself.
					refY, _, _, _ := djpeg(t, jpeg, s, true)
					if worst, at := compare(img, refY, 1, rw, rh); worst > 1 {
						t.Errorf("luma differs from djpeg's by up to %d at %v", worst, at)
					}
					worst, at := compare(img, ref, ch, rw, rh)
					if s != mjpeg.Full && l.ratio == image.YCbCrSubsampleRatio420 && !l.grey {
						// Scaling 4:2:0, djpeg decodes chroma with a larger inverse
						// DCT instead of replicating it (libjpeg's jdmaster.c), which
						// the planes of a raw decode cannot do: their colour is
						// close, not equal.
						if mean := meanDiff(img, ref, rw, rh); mean > 3 {
							t.Errorf("colour differs from djpeg's by %.2f on average", mean)
						}
					} else if worst > 1 {
						t.Errorf("colour differs from djpeg's by up to %d at %v", worst, at)
					}
					if l.grey {
						for i, v := range img.Cb {
							if v != 128 || img.Cr[i] != 128 {
								t.Fatalf("grey frame's chroma is %d,%d at %d, want neutral 128", v, img.Cr[i], i)
							}
						}
					}
				})
			}
		}
	}
}

// compare returns the largest difference between img, read as libjpeg
// reads it (replicated chroma), and djpeg's samples, and where it is.
func compare(img *capture.YCbCr, ref []byte, ch, w, h int) (worst int, at image.Point) {
	for y := range h {
		for x := range w {
			got := pixel(img, x, y, ch)
			for c := range ch {
				if d := absDiff(got[c], ref[(y*w+x)*ch+c]); d > worst {
					worst, at = d, image.Pt(x, y)
				}
			}
		}
	}
	return worst, at
}

func meanDiff(img *capture.YCbCr, ref []byte, w, h int) float64 {
	sum := 0
	for y := range h {
		for x := range w {
			got := pixel(img, x, y, 3)
			for c := range 3 {
				sum += absDiff(got[c], ref[(y*w+x)*3+c])
			}
		}
	}
	return float64(sum) / float64(3*w*h)
}

func pixel(img *capture.YCbCr, x, y, ch int) (p [3]uint8) {
	yi, ci := img.YOffset(x, y), img.COffset(x, y)
	if ch == 1 {
		p[0] = img.Y[yi]
		return p
	}
	p[0], p[1], p[2] = jfifRGB(img.Y[yi], img.Cb[ci], img.Cr[ci])
	return p
}

func checkTag(t *testing.T, img *capture.YCbCr, ratio image.YCbCrSubsampleRatio) {
	t.Helper()
	if img.Matrix != capture.BT601 || !img.FullRange {
		t.Errorf("tagged %v full=%v, want JFIF: BT.601 full range", img.Matrix, img.FullRange)
	}
	if img.SubsampleRatio != ratio {
		t.Errorf("subsampling %v, want %v", img.SubsampleRatio, ratio)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// stripDHT removes every Huffman table segment: an MJPEG frame as UVC
// webcams send it.
func stripDHT(t *testing.T, jpeg []byte) []byte {
	t.Helper()
	out := append([]byte(nil), jpeg[:2]...)
	i, removed := 2, 0
	for i+4 <= len(jpeg) && jpeg[i] == 0xff {
		marker := jpeg[i+1]
		n := int(jpeg[i+2])<<8 | int(jpeg[i+3])
		if marker == 0xda { // start of scan: the rest is entropy-coded data
			break
		}
		if marker == 0xc4 {
			removed++
		} else {
			out = append(out, jpeg[i:i+2+n]...)
		}
		i += 2 + n
	}
	if removed == 0 {
		t.Fatal("test frame has no DHT segment to remove")
	}
	return append(out, jpeg[i:]...)
}

// Frames without Huffman tables decode with the standard ones, the same
// as the frame that has them (TurboJPEG's encoder writes those tables).
func TestDecodeWithoutHuffmanTables(t *testing.T) {
	d := newDecoder(t)
	for _, l := range layouts[:2] {
		jpeg := frame(t, 640, 480, l.ratio, false, 85)
		bare := stripDHT(t, jpeg)
		if bytes.Contains(bare[:len(bare)-len(jpeg)+bytes.Index(jpeg, []byte{0xff, 0xda})+1], []byte{0xff, 0xc4}) {
			t.Fatal("stripDHT left a DHT marker")
		}
		want, rel1, err := d.Decode(jpeg, mjpeg.Full)
		if err != nil {
			t.Fatal(err)
		}
		got, rel2, err := d.Decode(bare, mjpeg.Full)
		if err != nil {
			t.Fatalf("%s frame without DHT (%d of %d bytes): %v", l.name, len(bare), len(jpeg), err)
		}
		if !bytes.Equal(got.Y, want.Y) || !bytes.Equal(got.Cb, want.Cb) || !bytes.Equal(got.Cr, want.Cr) {
			t.Errorf("%s: frame without DHT decodes differently from the same frame with it", l.name)
		}
		rel1()
		rel2()
	}
}

// Truncated, corrupt and hostile frames are errors wrapping ErrBadFrame;
// none panics, and the decoder keeps decoding good frames after them.
func TestBadFrames(t *testing.T) {
	d := newDecoder(t)
	good := frame(t, 320, 240, image.YCbCrSubsampleRatio422, false, 85)
	var bad [][]byte
	for _, n := range []int{0, 1, 3, 4, 20, 100, 600, len(good) / 2, len(good) - 2} {
		bad = append(bad, good[:n])
	}
	bad = append(bad, []byte("not a jpeg at all, just text"))
	// A header that claims 65000×65000: refused before anything is allocated.
	huge := append([]byte(nil), good...)
	sof := bytes.Index(huge, []byte{0xff, 0xc0})
	huge[sof+5], huge[sof+6], huge[sof+7], huge[sof+8] = 0xfd, 0xe8, 0xfd, 0xe8
	bad = append(bad, huge)
	for i, b := range bad {
		img, release, err := d.Decode(b, mjpeg.Full)
		if err == nil {
			release()
			t.Errorf("bad frame %d (%d bytes) decoded to %v", i, len(b), img.Rect)
			continue
		}
		if !errors.Is(err, mjpeg.ErrBadFrame) {
			t.Errorf("bad frame %d: %v does not wrap ErrBadFrame", i, err)
		}
		if img != nil || release != nil {
			t.Errorf("bad frame %d: an error came with a picture", i)
		}
	}
	// Corrupt entropy-coded data: libjpeg-turbo may or may not notice, but
	// it must not crash, and what it returns has the frame's size.
	sos := bytes.Index(good, []byte{0xff, 0xda})
	for k := 0; k < 50; k++ {
		c := append([]byte(nil), good...)
		for j := sos + 20 + k*37; j < len(c)-2; j += 997 {
			c[j] ^= 0x5a
		}
		if img, release, err := d.Decode(c, mjpeg.Half); err == nil {
			if img.Rect.Dx() != 160 || img.Rect.Dy() != 120 {
				t.Errorf("corrupt frame decoded to %v", img.Rect)
			}
			release()
		} else if !errors.Is(err, mjpeg.ErrBadFrame) {
			t.Errorf("corrupt frame: %v does not wrap ErrBadFrame", err)
		}
	}
	img, release, err := d.Decode(good, mjpeg.Full)
	if err != nil {
		t.Fatalf("a good frame after bad ones: %v", err)
	}
	if img.Rect.Dx() != 320 {
		t.Errorf("good frame decoded to %v", img.Rect)
	}
	release()
}

func TestMaxPixels(t *testing.T) {
	d := newDecoder(t)
	d.MaxPixels = 320*240 - 1
	if _, _, err := d.Decode(frame(t, 320, 240, image.YCbCrSubsampleRatio420, false, 50), mjpeg.Eighth); !errors.Is(err, mjpeg.ErrBadFrame) {
		t.Errorf("a frame over MaxPixels: err %v, want ErrBadFrame", err)
	}
}

func TestBadScaleAndClosed(t *testing.T) {
	d, err := mjpeg.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	jpeg := frame(t, 64, 48, image.YCbCrSubsampleRatio420, false, 50)
	if _, _, err := d.Decode(jpeg, 3); err == nil || errors.Is(err, mjpeg.ErrBadFrame) {
		t.Errorf("scale 3: err %v, want an error about the scale", err)
	}
	d.Close()
	if _, _, err := d.Decode(jpeg, mjpeg.Full); err == nil {
		t.Error("Decode after Close succeeded")
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A steady stream of same-sized frames reuses its buffers: no allocation
// per frame once the pool is warm.
func TestDecodeDoesNotAllocate(t *testing.T) {
	d := newDecoder(t)
	jpeg := frame(t, 640, 480, image.YCbCrSubsampleRatio422, false, 85)
	for _, s := range []mjpeg.Scale{mjpeg.Full, mjpeg.Half} {
		allocs := testing.AllocsPerRun(20, func() {
			_, release, err := d.Decode(jpeg, s)
			if err != nil {
				t.Fatal(err)
			}
			release()
		})
		if allocs != 0 {
			t.Errorf("scale 1:%d: %.1f allocations per frame, want 0", s, allocs)
		}
	}
}

// Frames held by consumers are not handed out again until released.
func TestHeldFramesAreNotReused(t *testing.T) {
	d := newDecoder(t)
	a := frame(t, 64, 48, image.YCbCrSubsampleRatio420, false, 85)
	img1, rel1, err := d.Decode(a, mjpeg.Full)
	if err != nil {
		t.Fatal(err)
	}
	img2, rel2, err := d.Decode(a, mjpeg.Full)
	if err != nil {
		t.Fatal(err)
	}
	if &img1.Y[0] == &img2.Y[0] {
		t.Fatal("a frame still held was decoded into again")
	}
	rel1()
	img3, rel3, err := d.Decode(a, mjpeg.Full)
	if err != nil {
		t.Fatal(err)
	}
	if &img3.Y[0] != &img1.Y[0] {
		t.Error("a released frame was not reused")
	}
	rel2()
	rel3()
}

func TestHeader(t *testing.T) {
	d := newDecoder(t)
	for _, l := range layouts {
		h, err := d.Header(frame(t, 100, 50, l.ratio, l.grey, 80))
		if err != nil {
			t.Fatal(err)
		}
		if h.Width != 100 || h.Height != 50 || h.Subsampling != l.ratio || h.Grey != l.grey {
			t.Errorf("%s: header %+v", l.name, h)
		}
	}
	if mjpeg.Implementation() == "" {
		t.Error("Implementation is empty")
	}
}
