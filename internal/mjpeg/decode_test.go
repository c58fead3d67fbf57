package mjpeg_test

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/tally-app/tally/internal/mjpeg"
)

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
		if sos := bytes.Index(bare, []byte{0xff, 0xda}); bytes.Contains(bare[:sos], []byte{0xff, 0xc4}) {
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
	// A frame header whose length field is 0.
	bad = append(bad, []byte{0xff, 0xd8, 0xff, 0xc0, 0, 0})
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
		// No error sticks to the decoder.
		_, release, err = d.Decode(good, mjpeg.Full)
		if err != nil {
			t.Fatalf("a good frame after bad frame %d (%d bytes): %v", i, len(b), err)
		}
		release()
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
