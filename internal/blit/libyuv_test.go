package blit_test

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/blit"
	"github.com/tally-app/tally/internal/yuv"
)

// The libyuv path: its rounding and its bilinear scaling differ from our
// rows, so these tests allow a tolerance, and check that what libyuv would
// get wrong (BT.709/BT.2020 limited range, odd origins) takes our rows.

func needLibyuv(t *testing.T) {
	if !yuv.Available {
		t.Skip("built without libyuv")
	}
	t.Cleanup(blit.SetLibyuv(true))
}

// libyuvExact lists the colorimetries libyuv converts; the others it only
// scales.
func libyuvConverts(m capture.YCbCrMatrix, full bool) bool { return m == capture.BT601 || full }

// Every in-gamut (Y, Cb, Cr) triple within 3 of At where libyuv converts;
// exactly At where our rows do.
func TestLibyuvColours(t *testing.T) {
	needLibyuv(t)
	if testing.Short() || blit.RaceEnabled {
		t.Skip("16.7M pixels per colorimetry; skipped with -short and -race")
	}
	for _, c := range colorimetries {
		p := capture.NewYCbCr(image.Rect(0, 0, 256, 256), image.YCbCrSubsampleRatio444, c.m, c.full)
		for cr := range 256 {
			for cb := range 256 {
				p.Cb[cr*p.CStride+cb] = byte(cb)
				p.Cr[cr*p.CStride+cb] = byte(cr)
			}
		}
		dst := make([]byte, 256*256*4)
		var s blit.Scaler
		tol := 0
		if libyuvConverts(c.m, c.full) {
			tol = 3
		}
		for y := range 256 {
			for i := range p.Y {
				p.Y[i] = byte(y)
			}
			if _, err := s.Draw(dst, 256*4, 256, 256, blit.BGRX, p); err != nil {
				t.Fatal(err)
			}
			for cr := range 256 {
				for cb := range 256 {
					r, g, b := capture.YCbCrToRGB(byte(y), byte(cb), byte(cr), c.m, c.full)
					if tol > 0 && (r == 0 || r == 255 || g == 0 || g == 255 || b == 0 || b == 255) {
						continue // out of gamut: libyuv clamps at other steps
					}
					o := (cr*256 + cb) * 4
					got := dst[o : o+4]
					if d := maxDiff(got[2], r, got[1], g, got[0], b); d > tol || got[3] != 0xff {
						t.Fatalf("%v full=%v Y=%d Cb=%d Cr=%d: got BGRX % x, want %d,%d,%d ±%d", c.m, c.full, y, cb, cr, got, r, g, b, tol)
					}
				}
			}
		}
	}
}

func maxDiff(a, b, c, d, e, f uint8) int {
	m := 0
	for _, p := range [][2]uint8{{a, b}, {c, d}, {e, f}} {
		x := int(p[0]) - int(p[1])
		m = max(m, x, -x)
	}
	return m
}

// smoothTagged is a gentle gradient, where bilinear and nearest sampling
// agree within a few levels.
func smoothTagged(r image.Rectangle, ratio image.YCbCrSubsampleRatio, m capture.YCbCrMatrix, full bool) *capture.YCbCr {
	p := capture.NewYCbCr(r, ratio, m, full)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p.Y[p.YOffset(x, y)] = byte(40 + (x-r.Min.X)*150/r.Dx() + (y-r.Min.Y)*30/r.Dy())
			p.Cb[p.COffset(x, y)] = byte(105 + (y-r.Min.Y)*40/r.Dy())
			p.Cr[p.COffset(x, y)] = byte(150 - (x-r.Min.X)*40/r.Dx())
		}
	}
	return p
}

// Scaled through libyuv: the letterbox, bars and padding as ever, and the
// picture within a few levels of the nearest-neighbour reference.
func TestLibyuvScaled(t *testing.T) {
	needLibyuv(t)
	var s blit.Scaler
	for _, c := range colorimetries {
		for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio444} {
			src := smoothTagged(image.Rect(0, 0, 160, 90), ratio, c.m, c.full)
			for _, ds := range []image.Point{{160, 90}, {64, 36}, {320, 180}, {100, 100}, {333, 91}} {
				for _, order := range []blit.Order{blit.RGBA, blit.BGRX} {
					what := fmt.Sprintf("%v full=%v %v → %v %v", c.m, c.full, ratio, ds, order)
					want := referenceAt(src, ds.X, ds.Y, order)
					stride := ds.X*4 + 8
					got := make([]byte, stride*ds.Y)
					for i := range got {
						got[i] = 0xa5
					}
					drawn, err := s.Draw(got, stride, ds.X, ds.Y, order, src)
					if err != nil {
						t.Fatal(err)
					}
					if drawn != blit.Letterbox(160, 90, ds.X, ds.Y) {
						t.Fatalf("%s: drawn %v", what, drawn)
					}
					for y := 0; y < ds.Y; y++ {
						for x := 0; x < ds.X; x++ {
							g, w := got[y*stride+4*x:y*stride+4*x+4], want[(y*ds.X+x)*4:(y*ds.X+x)*4+4]
							tol := 6 // a step of rounding, and half a pixel of position on the gradient
							if !(image.Point{x, y}).In(drawn) {
								tol = 0 // the bars are black exactly
							}
							if maxDiff(g[0], w[0], g[1], w[1], g[2], w[2]) > tol || g[3] != 0xff {
								t.Fatalf("%s: pixel (%d,%d) = % x, want % x ±%d", what, x, y, g, w, tol)
							}
						}
						for _, b := range got[y*stride+4*ds.X : (y+1)*stride] {
							if b != 0xa5 {
								t.Fatalf("%s: row %d padding overwritten", what, y)
							}
						}
					}
				}
			}
		}
	}
}

// Pictures libyuv cannot take (odd origins, 4:1:1) are drawn by our rows,
// exactly as At says, with libyuv on.
func TestLibyuvFallsBack(t *testing.T) {
	needLibyuv(t)
	rng := rand.New(rand.NewPCG(31, 32))
	var s blit.Scaler
	for _, c := range colorimetries {
		full := randomTagged(rng, image.Rect(0, 0, 70, 40), image.YCbCrSubsampleRatio420, c.m, c.full)
		odd := randomTagged(rng, image.Rect(0, 0, 70, 40), image.YCbCrSubsampleRatio411, c.m, c.full)
		for _, src := range []image.Image{full.SubImage(image.Rect(1, 2, 61, 34)), full.SubImage(image.Rect(2, 3, 62, 35)), odd} {
			for _, ds := range []image.Point{src.Bounds().Size(), {33, 17}} {
				want := referenceAt(src, ds.X, ds.Y, blit.BGRX)
				got := make([]byte, len(want))
				if _, err := s.Draw(got, ds.X*4, ds.X, ds.Y, blit.BGRX, src); err != nil {
					t.Fatal(err)
				}
				firstDiff(t, got, want, ds.X, fmt.Sprintf("%v full=%v %v → %v", c.m, c.full, src.Bounds(), ds))
			}
		}
	}
}

func TestLibyuvNoAllocs(t *testing.T) {
	needLibyuv(t)
	src := capture.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420, capture.BT601, false)
	dst := make([]byte, 400*300*4)
	var s blit.Scaler
	for _, size := range []image.Point{{320, 180}, {400, 300}, {160, 90}} {
		s.Draw(dst, size.X*4, size.X, size.Y, blit.BGRX, src)
		if n := testing.AllocsPerRun(20, func() { s.Draw(dst, size.X*4, size.X, size.Y, blit.BGRX, src) }); n != 0 {
			t.Errorf("%v: %v allocations per frame, want 0", size, n)
		}
	}
}
