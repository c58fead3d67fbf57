//go:build cgo && libyuv

package mjpeg_test

import (
	"image"
	"testing"

	"github.com/tally-app/tally/internal/mjpeg"
)

// BenchmarkLibyuv is BenchmarkDecode's full-size case through libyuv's
// MJPGToI420, the other way to reach libjpeg-turbo.
func BenchmarkLibyuv(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sizeName(sz), func(b *testing.B) {
			jpeg := benchFrame(b, sz)
			dst := image.NewYCbCr(image.Rect(0, 0, sz[0], sz[1]), image.YCbCrSubsampleRatio420)
			b.SetBytes(int64(len(jpeg)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if err := mjpeg.DecodeLibyuvI420(jpeg, dst); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}

// libyuv's output is close to TurboJPEG's, not equal: it asks libjpeg for
// the fast, less accurate inverse DCT (JDCT_IFAST), TurboJPEG for the
// accurate one that djpeg also uses.
func TestLibyuvAgrees(t *testing.T) {
	jpeg := frame(t, 640, 480, image.YCbCrSubsampleRatio420, false, 85)
	dst := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	if err := mjpeg.DecodeLibyuvI420(jpeg, dst); err != nil {
		t.Fatal(err)
	}
	d := newDecoder(t)
	img, release, err := d.Decode(jpeg, mjpeg.Full)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	sum, worst := 0, 0
	for i := range dst.Y {
		d := absDiff(dst.Y[i], img.Y[i])
		sum, worst = sum+d, max(worst, d)
	}
	if mean := float64(sum) / float64(len(dst.Y)); mean > 0.5 || worst > 8 {
		t.Errorf("luma: libyuv differs from TurboJPEG by %.2f on average, %d at most", mean, worst)
	}
}
