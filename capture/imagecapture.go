package capture

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"strings"
)

// ErrNotSupported is the Image Capture spec's NotSupportedError: an
// ImageCapture of a track that is not video, a photo format Tally does not
// write.
var ErrNotSupported = &DOMException{Name: "NotSupportedError"}

// ImageCapture takes still images from a video track, as the W3C Image
// Capture spec's ImageCapture does: GrabFrame is its grabFrame(),
// TakePhoto its takePhoto(). It reads the track's frames like any other
// consumer (its own VideoReader, only while a call waits), so it never
// holds up the source or the track's other consumers.
type ImageCapture struct {
	track *MediaStreamTrack
}

// NewImageCapture returns an ImageCapture of a video track; any other
// track is a NotSupportedError.
func NewImageCapture(track *MediaStreamTrack) (*ImageCapture, error) {
	if track == nil || track.Kind() != TrackKindVideo {
		kind := "no"
		if track != nil {
			kind = "an " + track.Kind()
		}
		return nil, NewError(ErrNotSupported, nil, "ImageCapture needs a video track, not %s track", kind)
	}
	return &ImageCapture{track: track}, nil
}

// Track is the track the images come from.
func (ic *ImageCapture) Track() *MediaStreamTrack { return ic.track }

// GrabFrame returns the track's next frame as an image the caller owns: a
// copy, out of the source's recycled buffers, in the frame's own pixel type
// (a *YCbCr keeps its matrix and range). An ended track, or one that ends
// while waiting, is an InvalidStateError; ctx ending is an AbortError.
func (ic *ImageCapture) GrabFrame(ctx context.Context) (image.Image, error) {
	if ic.track.ReadyState() != "live" {
		return nil, NewError(ErrInvalidState, nil, "grabFrame on %s: the track has ended", ic.track)
	}
	r := ic.track.NewVideoReader()
	defer r.Close()
	f, err := r.Read(ctx)
	switch {
	case errors.Is(err, ErrTrackEnded):
		return nil, NewError(ErrInvalidState, err, "grabFrame on %s: the track ended before a frame came", ic.track)
	case ctx.Err() != nil:
		return nil, NewError(ErrAbort, err, "grabFrame on %s", ic.track)
	case err != nil:
		return nil, err
	}
	return copyImage(f.Image), nil // before r.Close releases the frame
}

// copyImage deep-copies the picture types backends deliver; any other is
// drawn into a new RGBA.
func copyImage(img image.Image) image.Image {
	switch m := img.(type) {
	case *YCbCr:
		c := *m
		c.YCbCr = *copyYCbCr(&m.YCbCr)
		return &c
	case *image.YCbCr:
		return copyYCbCr(m)
	case *image.RGBA:
		c := *m
		c.Pix = bytes.Clone(m.Pix)
		return &c
	case *image.Gray:
		c := *m
		c.Pix = bytes.Clone(m.Pix)
		return &c
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

func copyYCbCr(m *image.YCbCr) *image.YCbCr {
	c := *m
	c.Y, c.Cb, c.Cr = bytes.Clone(m.Y), bytes.Clone(m.Cb), bytes.Clone(m.Cr)
	return &c
}

// PhotoSettings are takePhoto's settings Tally honours.
type PhotoSettings struct {
	// MIMEType is "image/png" (the default, as "" is) or "image/jpeg".
	MIMEType string
	// JPEGQuality is 1..100; 0 means 90.
	JPEGQuality int
}

// TakePhoto encodes the track's next frame (GrabFrame) as a PNG or JPEG
// and returns the bytes and their MIME type. An unknown MIME type is a
// NotSupportedError, before any frame is waited for.
func (ic *ImageCapture) TakePhoto(ctx context.Context, s PhotoSettings) ([]byte, string, error) {
	mime := strings.ToLower(s.MIMEType)
	switch mime {
	case "", "image/png":
		mime = "image/png"
	case "image/jpeg", "image/jpg":
		mime = "image/jpeg"
	default:
		return nil, "", NewError(ErrNotSupported, nil, "takePhoto: %q is not image/png or image/jpeg", s.MIMEType)
	}
	q := s.JPEGQuality
	if q == 0 {
		q = 90
	}
	if q < 1 || q > 100 {
		return nil, "", NewError(ErrTypeError, nil, "takePhoto: JPEG quality %d is not 1..100", s.JPEGQuality)
	}
	img, err := ic.GrabFrame(ctx)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	if mime == "image/png" {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: q})
	}
	if err != nil {
		return nil, "", NewError(ErrNotReadable, err, "takePhoto on %s: encoding %s", ic.track, mime)
	}
	return buf.Bytes(), mime, nil
}
