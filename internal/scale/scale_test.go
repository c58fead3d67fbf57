package scale

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// content is a plane with smooth gradients and noise, like a camera's.
func content(w, h int) []byte {
	p := make([]byte, w*h)
	r := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			p[y*w+x] = byte((x*255/w+y*255/h)/2 + r.IntN(8))
		}
	}
	return p
}

func TestPlaneMatchesGoBilinear(t *testing.T) {
	for _, sz := range [][4]int{{1280, 720, 640, 360}, {1280, 720, 320, 240}, {640, 480, 1, 1}, {7, 5, 3, 2}} {
		sw, sh, dw, dh := sz[0], sz[1], sz[2], sz[3]
		src := content(sw, sh)
		got, want := make([]byte, dw*dh), make([]byte, dw*dh)
		if err := Plane(got, dw, dw, dh, src, sw, sw, sh, Bilinear); err != nil {
			t.Fatal(err)
		}
		goBilinear(want, dw, dw, dh, src, sw, sw, sh, 1)
		worst := 0
		for i := range got {
			worst = max(worst, abs(int(got[i])-int(want[i])))
		}
		// Filters differ in where they sample; on smooth content a few steps.
		if worst > 12 {
			t.Errorf("%dx%d -> %dx%d: differs from Go bilinear by up to %d", sw, sh, dw, dh, worst)
		}
	}
}

func TestPixels32KeepsAFlatColour(t *testing.T) {
	sw, sh, dw, dh := 64, 48, 20, 10
	src := make([]byte, sw*sh*4)
	for i := 0; i < len(src); i += 4 {
		copy(src[i:], []byte{10, 200, 30, 255})
	}
	dst := make([]byte, dw*dh*4)
	if err := Pixels32(dst, dw*4, dw, dh, src, sw*4, sw, sh, Bilinear); err != nil {
		t.Fatal(err)
	}
	// libyuv's bilinear rows round down by a step or two (pixels.md).
	want := []byte{10, 200, 30, 255}
	for i := range dst {
		if d := int(want[i%4]) - int(dst[i]); d < 0 || d > 2 {
			t.Fatalf("pixel %d = %v, want %v within 2", i/4, dst[i/4*4:i/4*4+4], want)
		}
	}
}

func TestBadRectanglesAreErrors(t *testing.T) {
	src, dst := make([]byte, 100), make([]byte, 100)
	for _, tc := range []struct {
		name              string
		dstStride, dw, dh int
		srcStride, sw, sh int
	}{
		{"empty", 10, 0, 10, 10, 10, 10},
		{"short stride", 5, 10, 10, 10, 10, 10},
		{"short source", 10, 10, 10, 10, 10, 11},
		{"short destination", 10, 10, 11, 10, 10, 10},
	} {
		if err := Plane(dst, tc.dstStride, tc.dw, tc.dh, src, tc.srcStride, tc.sw, tc.sh, Bilinear); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := Pixels32(dst, 40, 10, 3, src, 40, 10, 3, Bilinear); err == nil {
		t.Error("32-bit: a 100-byte source passed for 10x3 pixels of 4 bytes")
	}
}

func abs(v int) int { return max(v, -v) }

// BenchmarkPlane: a 720p luma plane to 640×360 and 320×240, libyuv's
// filters against the Go bilinear scaler.
func BenchmarkPlane(b *testing.B) {
	sw, sh := 1280, 720
	src := content(sw, sh)
	for _, d := range [][2]int{{640, 360}, {320, 240}} {
		dw, dh := d[0], d[1]
		dst := make([]byte, dw*dh)
		for _, f := range []struct {
			name string
			f    Filter
		}{{"bilinear", Bilinear}, {"box", Box}} {
			b.Run(fmt.Sprintf("%s-%s/%dx%d", Library, f.name, dw, dh), func(b *testing.B) {
				for b.Loop() {
					_ = Plane(dst, dw, dw, dh, src, sw, sw, sh, f.f)
				}
			})
		}
		b.Run(fmt.Sprintf("go-bilinear/%dx%d", dw, dh), func(b *testing.B) {
			for b.Loop() {
				goBilinear(dst, dw, dw, dh, src, sw, sw, sh, 1)
			}
		})
	}
}
