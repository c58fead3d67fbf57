package blit_test

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/blit"
)

// The colour-tagged pictures the camera backend makes: the blit must read
// them with their own matrix and range, exactly as their At does
// (capture.YCbCrToRGB, itself checked against image/color and the colour
// bars), on every path: SIMD and Go, scaled and unscaled, sub-images.

var colorimetries = []struct {
	m    capture.YCbCrMatrix
	full bool
}{
	{capture.BT601, false}, {capture.BT601, true},
	{capture.BT709, false}, {capture.BT709, true},
	{capture.BT2020, false}, {capture.BT2020, true},
}

func randomTagged(rng *rand.Rand, r image.Rectangle, ratio image.YCbCrSubsampleRatio, m capture.YCbCrMatrix, full bool) *capture.YCbCr {
	p := capture.NewYCbCr(r, ratio, m, full)
	for _, pl := range [][]byte{p.Y, p.Cb, p.Cr} {
		for i := range pl {
			pl[i] = byte(rng.UintN(256))
		}
	}
	return p
}

// referenceAt renders src with a plain nearest-neighbour loop through At.
func referenceAt(src image.Image, dstW, dstH int, order blit.Order) []byte {
	buf := make([]byte, dstW*dstH*4)
	sb := src.Bounds()
	drawn := blit.Letterbox(sb.Dx(), sb.Dy(), dstW, dstH)
	for y := 0; y < dstH; y++ {
		for x := 0; x < dstW; x++ {
			var r, g, b uint8
			if (image.Point{x, y}).In(drawn) {
				dx, dy := x-drawn.Min.X, y-drawn.Min.Y
				sx := sb.Min.X + (2*dx+1)*sb.Dx()/(2*drawn.Dx())
				sy := sb.Min.Y + (2*dy+1)*sb.Dy()/(2*drawn.Dy())
				r32, g32, b32, _ := src.At(sx, sy).RGBA()
				r, g, b = uint8(r32>>8), uint8(g32>>8), uint8(b32>>8)
			}
			o := (y*dstW + x) * 4
			if order == blit.RGBA {
				buf[o], buf[o+1], buf[o+2] = r, g, b
			} else {
				buf[o], buf[o+1], buf[o+2] = b, g, r
			}
			buf[o+3] = 0xff
		}
	}
	return buf
}

func firstDiff(t *testing.T, got, want []byte, dstW int, what string) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	for i := 0; i < len(got); i += 4 {
		if !bytes.Equal(got[i:i+4], want[i:i+4]) {
			t.Fatalf("%s: first difference at pixel (%d,%d): got % x, want % x", what, i/4%dstW, i/4/dstW, got[i:i+4], want[i:i+4])
		}
	}
}

func TestTaggedMatchesAt(t *testing.T) {
	defer blit.SetLibyuv(false)()
	rng := rand.New(rand.NewPCG(21, 22))
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio411}
	for _, simd := range []bool{true, false} {
		restore := blit.SetSIMD(simd)
		var s blit.Scaler
		for _, c := range colorimetries {
			for _, ratio := range ratios {
				full := randomTagged(rng, image.Rect(-3, 1, 70, 40), ratio, c.m, c.full)
				for _, src := range []image.Image{full, full.SubImage(image.Rect(1, 3, 66, 37)), full.SubImage(image.Rect(2, 4, 66, 36))} {
					w, h := src.Bounds().Dx(), src.Bounds().Dy()
					for _, ds := range []image.Point{{w, h}, {2*w + 1, 2*h + 1}, {w/2 + 1, h / 2}, {17, 40}} {
						for _, order := range []blit.Order{blit.RGBA, blit.BGRX} {
							want := referenceAt(src, ds.X, ds.Y, order)
							got := make([]byte, len(want))
							if _, err := s.Draw(got, ds.X*4, ds.X, ds.Y, order, src); err != nil {
								t.Fatal(err)
							}
							firstDiff(t, got, want, ds.X, fmt.Sprintf("simd=%v %v full=%v %v %v → %v %v", simd, c.m, c.full, ratio, src.Bounds(), ds, order))
						}
					}
				}
			}
		}
		restore()
	}
}

// TestTaggedPairsExhaustive checks every (Y, Cb, Cr) triple of every
// colorimetry on the unscaled 4:2:2 path (the assembly on amd64) and the
// 4:4:4 Go path against At.
func TestTaggedPairsExhaustive(t *testing.T) {
	defer blit.SetLibyuv(false)()
	if testing.Short() || blit.RaceEnabled {
		t.Skip("16.7M pixels per colorimetry; skipped with -short and -race")
	}
	for _, c := range colorimetries {
		p := capture.NewYCbCr(image.Rect(0, 0, 512, 256), image.YCbCrSubsampleRatio422, c.m, c.full)
		for cb := range 256 {
			for cr := range 256 {
				p.Cb[cb*p.CStride+cr] = byte(cb)
				p.Cr[cb*p.CStride+cr] = byte(cr)
			}
		}
		dst := make([]byte, 512*256*4)
		var s blit.Scaler
		for yk := range 128 {
			for row := range 256 {
				for x := range 512 {
					p.Y[row*p.YStride+x] = byte(2*yk + x%2)
				}
			}
			if _, err := s.Draw(dst, 512*4, 512, 256, blit.RGBA, p); err != nil {
				t.Fatal(err)
			}
			for cb := range 256 {
				for x := range 512 {
					y, cr := byte(2*yk+x%2), byte(x/2)
					r, g, b := capture.YCbCrToRGB(y, byte(cb), cr, c.m, c.full)
					o := (cb*512 + x) * 4
					if want := [4]byte{r, g, b, 0xff}; [4]byte(dst[o:o+4]) != want {
						t.Fatalf("%v full=%v Y=%d Cb=%d Cr=%d: got % x, want % x", c.m, c.full, y, cb, cr, dst[o:o+4], want)
					}
				}
			}
		}
	}
}

// Limited-range black is 0 and 75 % white 191 on screen, in both orders.
func TestTaggedBlackAndWhite(t *testing.T) {
	p := capture.NewYCbCr(image.Rect(0, 0, 64, 2), image.YCbCrSubsampleRatio420, capture.BT601, false)
	for x := range 64 {
		p.Y[x], p.Y[64+x] = 16, 16
		if x >= 32 {
			p.Y[x], p.Y[64+x] = 180, 180
		}
	}
	for i := range p.Cb {
		p.Cb[i], p.Cr[i] = 128, 128
	}
	var s blit.Scaler
	for _, order := range []blit.Order{blit.RGBA, blit.BGRX} {
		for _, dw := range []int{64, 100, 32} { // unscaled, up, down
			dh := dw / 32
			dst := make([]byte, dw*dh*4)
			if _, err := s.Draw(dst, dw*4, dw, dh, order, p); err != nil {
				t.Fatal(err)
			}
			if got := dst[:3]; !bytes.Equal(got, []byte{0, 0, 0}) {
				t.Errorf("%v %d wide: black = % x", order, dw, got)
			}
			if got := dst[(dw-1)*4 : (dw-1)*4+3]; !bytes.Equal(got, []byte{191, 191, 191}) {
				t.Errorf("%v %d wide: 75%% white = %v", order, dw, got)
			}
		}
	}
}

func TestTaggedNoAllocs(t *testing.T) {
	src := capture.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio422, capture.BT709, false)
	dst := make([]byte, 400*300*4)
	var s blit.Scaler
	s.Draw(dst, 400*4, 400, 300, blit.BGRX, src)
	if n := testing.AllocsPerRun(20, func() { s.Draw(dst, 400*4, 400, 300, blit.BGRX, src) }); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}

func benchTagged(b *testing.B, ratio image.YCbCrSubsampleRatio, dstW, dstH int) {
	src := randomTagged(rand.New(rand.NewPCG(7, 8)), image.Rect(0, 0, 1280, 720), ratio, capture.BT601, false)
	dst := make([]byte, dstW*dstH*4)
	var s blit.Scaler
	b.SetBytes(int64(dstW * dstH * 4))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := s.Draw(dst, dstW*4, dstW, dstH, blit.BGRX, src); err != nil {
			b.Fatal(err)
		}
	}
}

// The camera's frames (limited-range BT.601, tagged) as the preview draws
// them; compare with BenchmarkYCbCr* (plain image.YCbCr, our rows):
//
//	go test -run '^$' -bench 'Tagged|YCbCr' -benchmem ./internal/blit/
func BenchmarkTagged420To720RGBA(b *testing.B) {
	benchTagged(b, image.YCbCrSubsampleRatio420, 1280, 720)
}

func BenchmarkTagged420To1080BGRX(b *testing.B) {
	benchTagged(b, image.YCbCrSubsampleRatio420, 1920, 1080)
}

func BenchmarkTagged422To720BGRX(b *testing.B) {
	benchTagged(b, image.YCbCrSubsampleRatio422, 1280, 720)
}
func BenchmarkTagged420To360BGRX(b *testing.B) {
	benchTagged(b, image.YCbCrSubsampleRatio420, 640, 360)
}
