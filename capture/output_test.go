package capture

import (
	"fmt"
	"image"
	"testing"
)

func TestCentredCrop(t *testing.T) {
	for _, tc := range []struct {
		src  image.Rectangle
		w, h int
		want image.Rectangle
	}{
		{image.Rect(0, 0, 1280, 720), 240, 240, image.Rect(280, 0, 1000, 720)},
		{image.Rect(0, 0, 1280, 720), 320, 240, image.Rect(160, 0, 1120, 720)},
		{image.Rect(0, 0, 640, 480), 640, 360, image.Rect(0, 60, 640, 420)},
		{image.Rect(0, 0, 1280, 720), 640, 360, image.Rect(0, 0, 1280, 720)},
		{image.Rect(10, 20, 50, 60), 1, 2, image.Rect(20, 20, 40, 60)},
		{image.Rect(0, 0, 1000, 10), 1, 1000, image.Rect(499, 0, 500, 10)}, // never empty
	} {
		if got := centredCrop(tc.src, tc.w, tc.h); got != tc.want {
			t.Errorf("centredCrop(%v, %dx%d) = %v, want %v", tc.src, tc.w, tc.h, got, tc.want)
		}
	}
}

// BenchmarkScaleFrame is one output's work per kept source frame: a 720p
// 4:2:0 camera frame cropped and scaled into a pooled buffer and released,
// as the capture goroutine does it. 0 allocs/op in steady state.
func BenchmarkScaleFrame(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = byte(i)
	}
	f := VideoFrame{Image: src}
	for _, sz := range [][2]int{{640, 360}, {320, 240}, {160, 90}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			o := &output{key: outputKey{w: sz[0], h: sz[1], n: 1}}
			b.ReportAllocs()
			for b.Loop() {
				out, err := o.scaleFrame(f)
				if err != nil {
					b.Fatal(err)
				}
				out.release()
			}
		})
	}
}

// A sub-image at odd coordinates: the crop starts on a chroma sample and
// stays inside.
func TestScaleOddSubImage(t *testing.T) {
	full := image.NewYCbCr(image.Rect(0, 0, 65, 49), image.YCbCrSubsampleRatio420)
	for i := range full.Y {
		full.Y[i] = 200
	}
	for i := range full.Cb {
		full.Cb[i], full.Cr[i] = 90, 160
	}
	sub := full.SubImage(image.Rect(1, 3, 64, 48)).(*image.YCbCr)
	for _, sz := range [][2]int{{63, 45}, {20, 20}, {1, 1}, {31, 7}} {
		o := &output{key: outputKey{w: sz[0], h: sz[1], n: 1}}
		out, err := o.scaleFrame(VideoFrame{Image: sub})
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		img := out.Image.(*image.YCbCr)
		if b := img.Bounds(); b.Dx() != sz[0] || b.Dy() != sz[1] {
			t.Errorf("%v: bounds %v", sz, b)
		}
		if y, cb := img.Y[0], img.Cb[0]; y < 198 || y > 200 || cb < 88 || cb > 90 {
			t.Errorf("%v: Y %d Cb %d, want 200 and 90", sz, y, cb)
		}
		out.release()
	}
}
