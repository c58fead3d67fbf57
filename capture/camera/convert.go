package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/pion/mediadevices/pkg/frame"
)

// Pixel formats the backend converts, named as pion's frame.Format names them
// (and as MediaTrackSettings.Format reports them).
const (
	FormatYUYV  = string(frame.FormatYUYV)  // packed 4:2:2, Y0 U Y1 V
	FormatUYVY  = string(frame.FormatUYVY)  // packed 4:2:2, U Y0 V Y1
	FormatI420  = string(frame.FormatI420)  // planar 4:2:0, Y then U then V
	FormatNV12  = string(frame.FormatNV12)  // Y plane, then interleaved U V
	FormatNV21  = string(frame.FormatNV21)  // Y plane, then interleaved V U
	FormatMJPEG = string(frame.FormatMJPEG) // one JPEG per frame
)

// decodeMJPEG decodes one MJPEG frame. Many webcams leave out the Huffman
// tables (they are fixed by the MJPEG spec); pion's decoder puts them back,
// so use it rather than image/jpeg alone.
var mjpegDecoder, _ = frame.NewDecoder(frame.FormatMJPEG)

func decodeMJPEG(src []byte) (image.Image, error) {
	if len(src) == 0 {
		return nil, fmt.Errorf("empty MJPEG frame")
	}
	if mjpegDecoder == nil {
		return jpeg.Decode(bytes.NewReader(src))
	}
	img, _, err := mjpegDecoder.Decode(src, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("decoding MJPEG frame: %w", err)
	}
	return img, nil
}
