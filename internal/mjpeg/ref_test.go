package mjpeg_test

import (
	"image"
	"testing"

	"github.com/tally-app/tally/capture/synthetic"
	"github.com/tally-app/tally/internal/mjpeg"
)

// frame is a test JPEG: the synthetic texture at w×h in a subsampling.
func frame(t testing.TB, w, h int, ratio image.YCbCrSubsampleRatio, grey bool, quality int) []byte {
	t.Helper()
	img := synthetic.Texture(w, h, ratio)
	var b []byte
	var err error
	if grey {
		b, err = mjpeg.EncodeGrey(img, quality)
	} else {
		b, err = mjpeg.Encode(img, quality)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
