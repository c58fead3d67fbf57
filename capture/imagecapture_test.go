package capture_test

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/tally-app/tally/capture"
)

// pixels is a comparable copy of a picture's samples.
func pixels(t *testing.T, img image.Image) []byte {
	t.Helper()
	switch m := img.(type) {
	case *capture.YCbCr:
		return bytes.Join([][]byte{m.Y, m.Cb, m.Cr}, nil)
	case *image.YCbCr:
		return bytes.Join([][]byte{m.Y, m.Cb, m.Cr}, nil)
	case *image.RGBA:
		return bytes.Clone(m.Pix)
	}
	t.Fatalf("picture type %T", img)
	return nil
}

// The grabbed frame is the caller's: the source's later frames (the
// synthetic camera's counter changes each one) do not write into it.
func TestGrabFrameIsACopy(t *testing.T) {
	md, _ := setup(t)
	tr := video(t, md, `{"video": {"width": 320, "height": 240}}`)
	ic, err := capture.NewImageCapture(tr)
	if err != nil {
		t.Fatal(err)
	}
	img, err := ic.GrabFrame(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 320, 240) {
		t.Fatalf("grabbed %v, want 320x240", img.Bounds())
	}
	before := pixels(t, img)
	r := tr.NewVideoReader()
	defer r.Close()
	var last []byte
	for range 5 {
		f, err := r.Read(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		last = pixels(t, f.Image)
	}
	if bytes.Equal(last, before) {
		t.Fatal("the source's frames do not change: the test cannot tell a copy from an alias")
	}
	if !bytes.Equal(pixels(t, img), before) {
		t.Error("the grabbed frame changed as the source went on: it aliases a pooled buffer")
	}
}

func TestTakePhoto(t *testing.T) {
	md, _ := setup(t)
	tr := video(t, md, `{"video": {"width": 320, "height": 240}}`)
	ic, err := capture.NewImageCapture(tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mime   string
		decode func([]byte) (image.Image, error)
	}{
		{"", func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
		{"image/jpeg", func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }},
	} {
		b, mime, err := ic.TakePhoto(ctxT(t), capture.PhotoSettings{MIMEType: tc.mime})
		if err != nil {
			t.Fatal(err)
		}
		img, err := tc.decode(b)
		if err != nil {
			t.Fatalf("%s (%q): %v", mime, tc.mime, err)
		}
		if img.Bounds().Dx() != 320 || img.Bounds().Dy() != 240 {
			t.Errorf("%s: %v, want 320x240", mime, img.Bounds())
		}
	}
	if _, _, err := ic.TakePhoto(ctxT(t), capture.PhotoSettings{MIMEType: "image/webp"}); !errors.Is(err, capture.ErrNotSupported) {
		t.Errorf("image/webp: %v, want NotSupportedError", err)
	}
	if _, _, err := ic.TakePhoto(ctxT(t), capture.PhotoSettings{JPEGQuality: 101, MIMEType: "image/jpeg"}); !errors.Is(err, capture.ErrTypeError) {
		t.Errorf("quality 101: %v, want TypeError", err)
	}
}

// The spec: an ended track is an InvalidStateError; an audio track cannot
// have an ImageCapture.
func TestImageCaptureStates(t *testing.T) {
	md, _ := setup(t)
	if _, err := capture.NewImageCapture(audio(t, md)); !errors.Is(err, capture.ErrNotSupported) {
		t.Errorf("audio track: %v, want NotSupportedError", err)
	}
	tr := video(t, md, `{"video": true}`)
	ic, err := capture.NewImageCapture(tr)
	if err != nil {
		t.Fatal(err)
	}
	tr.Stop()
	if _, err := ic.GrabFrame(ctxT(t)); !errors.Is(err, capture.ErrInvalidState) {
		t.Errorf("grabFrame on an ended track: %v, want InvalidStateError", err)
	}
	if _, _, err := ic.TakePhoto(ctxT(t), capture.PhotoSettings{}); !errors.Is(err, capture.ErrInvalidState) {
		t.Errorf("takePhoto on an ended track: %v, want InvalidStateError", err)
	}
	if ic.Track() != tr {
		t.Error("Track() is not the track")
	}
}
