//go:build !cgo || noturbojpeg

package mjpeg_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/tally-app/tally/internal/mjpeg"
)

// The fallback's full-size planes are image/jpeg's own; scaled ones are
// its planes box-averaged, of the sizes TurboJPEG would give.
func TestFallbackMatchesImageJPEG(t *testing.T) {
	d := newDecoder(t)
	for _, l := range layouts {
		b := frame(t, 317, 203, l.ratio, l.grey, 85)
		src, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []mjpeg.Scale{mjpeg.Full, mjpeg.Half, mjpeg.Quarter, mjpeg.Eighth} {
			img, release, err := d.Decode(b, s)
			if err != nil {
				t.Fatal(err)
			}
			if w, h := s.Size(317, 203); img.Rect != image.Rect(0, 0, w, h) {
				t.Errorf("%s 1:%d: decoded to %v", l.name, s, img.Rect)
			}
			if s == mjpeg.Full {
				for y := range 203 {
					for x := range 317 {
						var want uint8
						switch src := src.(type) {
						case *image.YCbCr:
							want = src.Y[src.YOffset(x, y)]
						case *image.Gray:
							want = src.Pix[src.PixOffset(x, y)]
						}
						if got := img.Y[img.YOffset(x, y)]; got != want {
							t.Fatalf("%s: luma at %d,%d is %d, image/jpeg says %d", l.name, x, y, got, want)
						}
					}
				}
			}
			release()
		}
	}
	if mjpeg.Implementation() == "" {
		t.Error("Implementation is empty")
	}
}
