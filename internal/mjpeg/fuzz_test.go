package mjpeg_test

import (
	"bytes"
	"errors"
	"image"
	"os/exec"
	"testing"

	"github.com/tally-app/tally/internal/mjpeg"
)

// FuzzDecode feeds the decoder arbitrary frames at every scale: it returns a
// picture of the size the header says or an error wrapping ErrBadFrame
// after which a good frame still decodes, and never crashes. Seeds are small frames of every layout, whole and cut.
//
//	go test -run XX -fuzz FuzzDecode -parallel 1 ./internal/mjpeg/
func FuzzDecode(f *testing.F) {
	for _, l := range layouts {
		jpeg := frame(f, 48, 40, l.ratio, l.grey, 75)
		f.Add(jpeg, uint8(0))
		f.Add(jpeg[:len(jpeg)*2/3], uint8(1))
	}
	odd := frame(f, 33, 17, image.YCbCrSubsampleRatio422, false, 90)
	f.Add(odd, uint8(3))
	// Progressive, arithmetic-coded and restart-marked frames reach other
	// parts of libjpeg-turbo, whose branches Go's fuzzer cannot see: seed
	// them, where jpegtran is installed.
	if tool, err := exec.LookPath("jpegtran"); err == nil {
		for _, args := range [][]string{{"-progressive"}, {"-arithmetic"}, {"-restart", "1"}, {"-optimize"}} {
			cmd := exec.Command(tool, args...)
			cmd.Stdin = bytes.NewReader(odd)
			if out, err := cmd.Output(); err == nil {
				f.Add(out, uint8(0))
			}
		}
	}
	good := frame(f, 16, 16, image.YCbCrSubsampleRatio420, false, 50)
	d, err := mjpeg.NewDecoder()
	if err != nil {
		f.Fatal(err)
	}
	defer d.Close()
	d.MaxPixels = 512 * 512 // fuzzed headers may claim anything
	f.Fuzz(func(t *testing.T, jpeg []byte, scale uint8) {
		s := []mjpeg.Scale{mjpeg.Full, mjpeg.Half, mjpeg.Quarter, mjpeg.Eighth}[scale%4]
		img, release, err := d.Decode(jpeg, s)
		if err != nil {
			if !errors.Is(err, mjpeg.ErrBadFrame) {
				t.Fatalf("error %v does not wrap ErrBadFrame", err)
			}
			// A bad frame leaves nothing behind: the next good one decodes.
			_, release, err := d.Decode(good, mjpeg.Full)
			if err != nil {
				t.Fatalf("a good frame after this one: %v", err)
			}
			release()
			return
		}
		defer release()
		h, err := d.Header(jpeg)
		if err != nil {
			t.Fatalf("decoded, but the header does not read: %v", err)
		}
		if w, hh := s.Size(h.Width, h.Height); img.Rect != image.Rect(0, 0, w, hh) {
			t.Fatalf("decoded to %v, header says %dx%d at 1:%d", img.Rect, h.Width, h.Height, s)
		}
	})
}
