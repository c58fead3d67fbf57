package blit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	xdraw "golang.org/x/image/draw"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// refPixel is the expected destination colour of source pixel (x, y):
// YCbCr through image/color.YCbCrToRGB, everything else through
// Color.RGBA (premultiplied, so this is "over black").
func refPixel(src image.Image, x, y int) (r, g, b uint8) {
	if p, ok := src.(*image.YCbCr); ok {
		c := p.YCbCrAt(x, y)
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	}
	r32, g32, b32, _ := src.At(x, y).RGBA()
	return uint8(r32 >> 8), uint8(g32 >> 8), uint8(b32 >> 8)
}

// reference renders src into a fresh dstW×dstH buffer with a plain
// per-pixel nearest-neighbour loop written independently of the Scaler.
func reference(src image.Image, dstW, dstH int, order Order) ([]byte, image.Rectangle) {
	buf := make([]byte, dstW*dstH*4)
	sb := src.Bounds()
	drawn := Letterbox(sb.Dx(), sb.Dy(), dstW, dstH)
	for y := 0; y < dstH; y++ {
		for x := 0; x < dstW; x++ {
			var r, g, b uint8
			if (image.Point{x, y}).In(drawn) {
				dx, dy := x-drawn.Min.X, y-drawn.Min.Y
				sx := sb.Min.X + (2*dx+1)*sb.Dx()/(2*drawn.Dx())
				sy := sb.Min.Y + (2*dy+1)*sb.Dy()/(2*drawn.Dy())
				r, g, b = refPixel(src, sx, sy)
			}
			o := (y*dstW + x) * 4
			if order == RGBA {
				buf[o], buf[o+1], buf[o+2] = r, g, b
			} else {
				buf[o], buf[o+1], buf[o+2] = b, g, r
			}
			buf[o+3] = 0xff
		}
	}
	return buf, drawn
}

func randomYCbCr(rng *rand.Rand, r image.Rectangle, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	p := image.NewYCbCr(r, ratio)
	for _, pl := range [][]byte{p.Y, p.Cb, p.Cr} {
		for i := range pl {
			pl[i] = byte(rng.UintN(256))
		}
	}
	return p
}

func randomRGBA(rng *rand.Rand, r image.Rectangle, opaque bool) *image.RGBA {
	p := image.NewRGBA(r)
	for i := 0; i < len(p.Pix); i += 4 {
		a := byte(255)
		if !opaque {
			a = byte(rng.UintN(256))
		}
		// Valid premultiplied colour: channels ≤ alpha.
		p.Pix[i] = byte(rng.UintN(uint(a) + 1))
		p.Pix[i+1] = byte(rng.UintN(uint(a) + 1))
		p.Pix[i+2] = byte(rng.UintN(uint(a) + 1))
		p.Pix[i+3] = a
	}
	return p
}

func randomNRGBA(rng *rand.Rand, r image.Rectangle) *image.NRGBA {
	p := image.NewNRGBA(r)
	for i := range p.Pix {
		p.Pix[i] = byte(rng.UintN(256))
	}
	for i := 3; i < len(p.Pix); i += 8 { // half opaque, half not
		p.Pix[i] = 0xff
	}
	return p
}

func randomGray(rng *rand.Rand, r image.Rectangle) *image.Gray {
	p := image.NewGray(r)
	for i := range p.Pix {
		p.Pix[i] = byte(rng.UintN(256))
	}
	return p
}

// paletted exercises the generic slow path.
func randomPaletted(rng *rand.Rand, r image.Rectangle) *image.Paletted {
	pal := color.Palette{color.Black, color.White, color.RGBA{200, 10, 30, 255}, color.NRGBA{10, 200, 30, 128}}
	p := image.NewPaletted(r, pal)
	for i := range p.Pix {
		p.Pix[i] = byte(rng.UintN(uint(len(pal))))
	}
	return p
}

type srcCase struct {
	name string
	img  image.Image
}

func sources(rng *rand.Rand, r image.Rectangle) []srcCase {
	return []srcCase{
		{"YCbCr420", randomYCbCr(rng, r, image.YCbCrSubsampleRatio420)},
		{"YCbCr422", randomYCbCr(rng, r, image.YCbCrSubsampleRatio422)},
		{"YCbCr444", randomYCbCr(rng, r, image.YCbCrSubsampleRatio444)},
		{"YCbCr440", randomYCbCr(rng, r, image.YCbCrSubsampleRatio440)},
		{"YCbCr411", randomYCbCr(rng, r, image.YCbCrSubsampleRatio411)},
		{"YCbCr410", randomYCbCr(rng, r, image.YCbCrSubsampleRatio410)},
		{"RGBA", randomRGBA(rng, r, false)},
		{"NRGBA", randomNRGBA(rng, r)},
		{"Gray", randomGray(rng, r)},
		{"Paletted", randomPaletted(rng, r)},
	}
}

// subImage cuts an interior rectangle out of img, giving non-zero Rect.Min
// (odd on purpose, to exercise chroma alignment) and a stride wider than
// the picture.
func subImage(img image.Image, r image.Rectangle) image.Image {
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

func compare(t *testing.T, got, want []byte, dstW int, what string) {
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

func TestDrawMatchesReference(t *testing.T) {
	defer SetLibyuv(false)() // our rows, bit-exact; libyuv has its own tests
	rng := rand.New(rand.NewPCG(1, 2))
	srcSizes := []image.Point{{1, 1}, {2, 2}, {7, 5}, {33, 17}, {64, 48}, {160, 90}}
	dstSizes := []image.Point{{1, 1}, {33, 17}, {3, 7}, {16, 9}, {31, 17}, {64, 48}, {100, 20}, {20, 100}, {320, 180}, {333, 251}}
	if raceEnabled {
		dstSizes = dstSizes[:7] // the large ones take half a minute under -race
	}
	var s Scaler // one Scaler across geometries: its cache must follow them
	for _, ss := range srcSizes {
		for _, sc := range sources(rng, image.Rectangle{Max: ss}) {
			for _, ds := range dstSizes {
				for _, order := range []Order{RGBA, BGRX} {
					want, wantDrawn := reference(sc.img, ds.X, ds.Y, order)
					got := make([]byte, len(want))
					for i := range got {
						got[i] = 0x5a // garbage that must be overwritten
					}
					drawn, err := s.Draw(got, ds.X*4, ds.X, ds.Y, order, sc.img)
					what := fmt.Sprintf("%s %v → %v %v", sc.name, ss, ds, order)
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if drawn != wantDrawn {
						t.Fatalf("%s: drawn %v, want %v", what, drawn, wantDrawn)
					}
					compare(t, got, want, ds.X, what)
				}
			}
		}
	}
}

func TestDrawSubImagesAndStrides(t *testing.T) {
	defer SetLibyuv(false)() // our rows, bit-exact; libyuv has its own tests
	rng := rand.New(rand.NewPCG(3, 4))
	full := image.Rect(-3, 5, 97, 80)
	var s Scaler
	// Odd and even origins (chroma alignment), odd size; 61×43 is 1:1.
	for _, sc := range sources(rng, full) {
		for _, inner := range []image.Rectangle{image.Rect(7, 11, 68, 54), image.Rect(8, 12, 69, 55)} {
			sub := subImage(sc.img, inner)
			if sub.Bounds() != inner {
				t.Fatalf("%s: sub-image bounds %v", sc.name, sub.Bounds())
			}
			for _, ds := range []image.Point{{61, 43}, {200, 90}, {30, 70}} {
				for _, order := range []Order{RGBA, BGRX} {
					want, _ := reference(sub, ds.X, ds.Y, order)
					// Destination with padding at each row end that must stay untouched.
					stride := ds.X*4 + 12
					got := make([]byte, stride*ds.Y)
					for i := range got {
						got[i] = 0xa5
					}
					if _, err := s.Draw(got, stride, ds.X, ds.Y, order, sub); err != nil {
						t.Fatal(err)
					}
					packed := make([]byte, 0, len(want))
					for y := 0; y < ds.Y; y++ {
						packed = append(packed, got[y*stride:y*stride+ds.X*4]...)
						for _, b := range got[y*stride+ds.X*4 : (y+1)*stride] {
							if b != 0xa5 {
								t.Fatalf("%s: row %d padding overwritten", sc.name, y)
							}
						}
					}
					compare(t, packed, want, ds.X, fmt.Sprintf("sub %s %v → %v %v", sc.name, inner, ds, order))
				}
			}
		}
	}
}

// TestYCbCrExhaustive checks every (Y, Cb, Cr) triple against
// image/color.YCbCrToRGB: a 256×256 4:4:4 frame per Y value, drawn 1:1.
func TestYCbCrExhaustive(t *testing.T) {
	defer SetLibyuv(false)() // our rows, bit-exact; libyuv has its own tests
	if testing.Short() || raceEnabled {
		t.Skip("16.7M pixels; skipped with -short and -race (no concurrency to check)")
	}
	p := image.NewYCbCr(image.Rect(0, 0, 256, 256), image.YCbCrSubsampleRatio444)
	for cr := range 256 {
		for cb := range 256 {
			p.Cb[cr*p.CStride+cb] = byte(cb)
			p.Cr[cr*p.CStride+cb] = byte(cr)
		}
	}
	dst := make([]byte, 256*256*4)
	var s Scaler
	for y := range 256 {
		for i := range p.Y {
			p.Y[i] = byte(y)
		}
		if _, err := s.Draw(dst, 256*4, 256, 256, RGBA, p); err != nil {
			t.Fatal(err)
		}
		for cr := range 256 {
			for cb := range 256 {
				r, g, b := color.YCbCrToRGB(byte(y), byte(cb), byte(cr))
				o := (cr*256 + cb) * 4
				if dst[o] != r || dst[o+1] != g || dst[o+2] != b || dst[o+3] != 0xff {
					t.Fatalf("Y=%d Cb=%d Cr=%d: got % x, want %02x %02x %02x ff", y, cb, cr, dst[o:o+4], r, g, b)
				}
			}
		}
	}
}

// TestAgainstImageDraw cross-checks with the standard library's own
// conversion (image/draw at 1:1) and golang.org/x/image/draw's nearest
// scaler, which use YCbCr's 16-bit colour path: within ±1 per channel.
func TestAgainstImageDraw(t *testing.T) {
	defer SetLibyuv(false)() // our rows, bit-exact; libyuv has its own tests
	rng := rand.New(rand.NewPCG(5, 6))
	var s Scaler
	for _, sc := range sources(rng, image.Rect(0, 0, 96, 54)) {
		// 1:1 against image/draw (draw.Over onto black = our "over black").
		want := image.NewRGBA(image.Rect(0, 0, 96, 54))
		draw.Draw(want, want.Bounds(), image.Black, image.Point{}, draw.Src)
		draw.Draw(want, want.Bounds(), sc.img, image.Point{}, draw.Over)
		got := image.NewRGBA(want.Bounds())
		if _, err := s.DrawRGBA(got, sc.img); err != nil {
			t.Fatal(err)
		}
		within1(t, got.Pix, want.Pix, "image/draw "+sc.name)

		// Scaled, opaque sources only (x/image/draw's Src copies alpha).
		if sc.name == "RGBA" || sc.name == "NRGBA" || sc.name == "Paletted" {
			continue
		}
		dst := image.NewRGBA(image.Rect(0, 0, 150, 100))
		drawn, err := s.DrawRGBA(dst, sc.img)
		if err != nil {
			t.Fatal(err)
		}
		ref := image.NewRGBA(dst.Bounds())
		draw.Draw(ref, ref.Bounds(), image.Black, image.Point{}, draw.Src)
		xdraw.NearestNeighbor.Scale(ref, drawn, sc.img, sc.img.Bounds(), xdraw.Src, nil)
		within1(t, dst.Pix, ref.Pix, "x/image/draw "+sc.name)
	}
}

func within1(t *testing.T, got, want []byte, what string) {
	t.Helper()
	for i := range got {
		d := int(got[i]) - int(want[i])
		if d < -1 || d > 1 {
			t.Fatalf("%s: byte %d (pixel %d channel %d): got %d, want %d±1", what, i, i/4, i%4, got[i], want[i])
		}
	}
}

func TestLetterbox(t *testing.T) {
	for _, c := range []struct {
		sw, sh, dw, dh int
		want           image.Rectangle
	}{
		{1280, 720, 1280, 720, image.Rect(0, 0, 1280, 720)},
		{1280, 720, 1920, 1080, image.Rect(0, 0, 1920, 1080)},
		{1280, 720, 1280, 800, image.Rect(0, 40, 1280, 760)}, // letterbox
		{1280, 720, 1000, 720, image.Rect(0, 78, 1000, 641)}, // 1000·720/1280 = 562.5 → 563; bars 78 and 79
		{640, 480, 1280, 720, image.Rect(160, 0, 1120, 720)}, // pillarbox
		{720, 1280, 1280, 720, image.Rect(437, 0, 842, 720)}, // 720·720/1280 = 405
		{1, 1, 7, 3, image.Rect(2, 0, 5, 3)},
		{1000, 1, 10, 10, image.Rect(0, 4, 10, 5)}, // never thinner than 1 px
		{1, 1000, 10, 10, image.Rect(4, 0, 5, 10)},
		{0, 10, 10, 10, image.Rectangle{}},
		{10, 10, 0, 10, image.Rectangle{}},
		{10, -1, 10, 10, image.Rectangle{}},
	} {
		if got := Letterbox(c.sw, c.sh, c.dw, c.dh); got != c.want {
			t.Errorf("Letterbox(%d, %d, %d, %d) = %v, want %v", c.sw, c.sh, c.dw, c.dh, got, c.want)
		}
	}
	// Property: inside the area, touching two opposite sides, centred, and
	// aspect within half a pixel.
	for sw := 1; sw < 40; sw += 3 {
		for sh := 1; sh < 40; sh += 5 {
			for dw := 1; dw < 60; dw += 7 {
				for dh := 1; dh < 60; dh += 4 {
					r := Letterbox(sw, sh, dw, dh)
					if !r.In(image.Rect(0, 0, dw, dh)) || r.Empty() {
						t.Fatalf("Letterbox(%d,%d,%d,%d) = %v outside or empty", sw, sh, dw, dh, r)
					}
					if r.Dx() != dw && r.Dy() != dh {
						t.Fatalf("Letterbox(%d,%d,%d,%d) = %v touches no side", sw, sh, dw, dh, r)
					}
					if l, rr := r.Min.X, dw-r.Max.X; rr-l < 0 || rr-l > 1 {
						t.Fatalf("Letterbox(%d,%d,%d,%d) = %v not centred", sw, sh, dw, dh, r)
					}
				}
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	var s Scaler
	src := image.NewRGBA(image.Rect(0, 0, 4, 4))
	buf := make([]byte, 10*10*4)
	for _, c := range []struct {
		name         string
		dst          []byte
		stride, w, h int
		order        Order
		src          image.Image
	}{
		{"short buffer", buf[:10*10*4-1], 40, 10, 10, RGBA, src},
		{"short stride", buf, 36, 10, 10, RGBA, src},
		{"negative size", buf, 40, -1, 10, RGBA, src},
		{"unknown order", buf, 40, 10, 10, Order(7), src},
		{"short RGBA", buf, 40, 10, 10, RGBA, &image.RGBA{Pix: make([]byte, 15), Stride: 4, Rect: image.Rect(0, 0, 1, 4)}},
		{"short Y", buf, 40, 10, 10, RGBA, &image.YCbCr{Y: make([]byte, 3), Cb: make([]byte, 4), Cr: make([]byte, 4), YStride: 2, CStride: 1, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 2, 2)}},
		{"short Cr", buf, 40, 10, 10, RGBA, &image.YCbCr{Y: make([]byte, 4), Cb: make([]byte, 1), Cr: make([]byte, 0), YStride: 2, CStride: 1, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 2, 2)}},
		{"short Gray", buf, 40, 10, 10, RGBA, &image.Gray{Pix: make([]byte, 3), Stride: 2, Rect: image.Rect(0, 0, 2, 2)}},
	} {
		for i := range buf {
			buf[i] = 0x11
		}
		if _, err := s.Draw(c.dst, c.stride, c.w, c.h, c.order, c.src); err == nil {
			t.Errorf("%s: no error", c.name)
		} else if bytes.Count(buf, []byte{0x11}) != len(buf) {
			t.Errorf("%s: wrote to dst despite error %v", c.name, err)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
	// nil and empty sources blacken the whole area.
	for _, src := range []image.Image{nil, image.NewRGBA(image.Rectangle{}), image.NewYCbCr(image.Rect(3, 3, 3, 9), image.YCbCrSubsampleRatio420)} {
		for i := range buf {
			buf[i] = 0x11
		}
		drawn, err := s.Draw(buf, 40, 10, 10, BGRX, src)
		if err != nil || !drawn.Empty() {
			t.Fatalf("%T empty source: drawn %v, err %v", src, drawn, err)
		}
		for i := 0; i < len(buf); i += 4 {
			if binary.LittleEndian.Uint32(buf[i:]) != black {
				t.Fatalf("%T empty source: pixel %d not black", src, i/4)
			}
		}
	}
	if _, err := s.DrawRGBA(nil, src); err == nil {
		t.Error("DrawRGBA(nil) gave no error")
	}
	// Zero-sized destination is a no-op.
	if _, err := s.Draw(nil, 0, 0, 0, RGBA, src); err != nil {
		t.Errorf("zero-sized destination: %v", err)
	}
}

func TestDrawNoAllocs(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420)
	rgba := image.NewRGBA(image.Rect(0, 0, 320, 180))
	dst := make([]byte, 400*300*4)
	var s Scaler
	for _, img := range []image.Image{src, rgba} {
		s.Draw(dst, 400*4, 400, 300, BGRX, img) // builds the tables
		if n := testing.AllocsPerRun(20, func() { s.Draw(dst, 400*4, 400, 300, BGRX, img) }); n != 0 {
			t.Errorf("%T: %v allocations per frame, want 0", img, n)
		}
	}
}

// threadCPU is the CPU time of the calling OS thread: on a machine shared
// with other work, the wall-clock ns/op overstates the cost.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchDraw(b *testing.B, src image.Image, dstW, dstH int, order Order) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dst := make([]byte, dstW*dstH*4)
	var s Scaler
	b.SetBytes(int64(dstW * dstH * 4))
	b.ReportAllocs()
	cpu0 := threadCPU()
	for b.Loop() {
		if _, err := s.Draw(dst, dstW*4, dstW, dstH, order, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((threadCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/frame")
}

func benchYCbCr(ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	return randomYCbCr(rand.New(rand.NewPCG(7, 8)), image.Rect(0, 0, 1280, 720), ratio)
}

func BenchmarkYCbCr420To720RGBA(b *testing.B) {
	benchDraw(b, benchYCbCr(image.YCbCrSubsampleRatio420), 1280, 720, RGBA)
}
func BenchmarkYCbCr420To1080BGRX(b *testing.B) {
	benchDraw(b, benchYCbCr(image.YCbCrSubsampleRatio420), 1920, 1080, BGRX)
}
func BenchmarkYCbCr420To360BGRX(b *testing.B) {
	benchDraw(b, benchYCbCr(image.YCbCrSubsampleRatio420), 640, 360, BGRX)
}
func BenchmarkYCbCr422To720BGRX(b *testing.B) {
	benchDraw(b, benchYCbCr(image.YCbCrSubsampleRatio422), 1280, 720, BGRX)
}
func BenchmarkRGBATo720RGBA(b *testing.B) {
	benchDraw(b, randomRGBA(rand.New(rand.NewPCG(9, 10)), image.Rect(0, 0, 1280, 720), true), 1280, 720, RGBA)
}
func BenchmarkRGBATo720BGRX(b *testing.B) {
	benchDraw(b, randomRGBA(rand.New(rand.NewPCG(9, 10)), image.Rect(0, 0, 1280, 720), true), 1280, 720, BGRX)
}

// BenchmarkImageDrawBaseline is the naive path this package replaces:
// image/draw converting a 720p YCbCr frame into an RGBA buffer at 1:1.
func BenchmarkImageDrawBaseline(b *testing.B) {
	src := benchYCbCr(image.YCbCrSubsampleRatio420)
	dst := image.NewRGBA(src.Bounds())
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	for b.Loop() {
		draw.Draw(dst, dst.Bounds(), src, image.Point{}, draw.Src)
	}
	b.ReportMetric(float64((threadCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/frame")
}

// TestYCbCrPairsExhaustive checks the unscaled 4:2:2 path (assembly where
// available) on every (Y, Cb, Cr) triple: rows are Cb, chroma columns Cr,
// and each chroma sample's two pixels take Y values 2k and 2k+1.
func TestYCbCrPairsExhaustive(t *testing.T) {
	defer SetLibyuv(false)() // our rows, bit-exact; libyuv has its own tests
	if testing.Short() || raceEnabled {
		t.Skip("16.7M pixels; skipped with -short and -race (no concurrency to check)")
	}
	t.Logf("SIMD: %v", haveSIMD)
	p := image.NewYCbCr(image.Rect(0, 0, 512, 256), image.YCbCrSubsampleRatio422)
	for cb := range 256 {
		for cr := range 256 {
			p.Cb[cb*p.CStride+cr] = byte(cb)
			p.Cr[cb*p.CStride+cr] = byte(cr)
		}
	}
	dst := make([]byte, 512*256*4)
	var s Scaler
	for _, order := range []Order{RGBA, BGRX} {
		for yk := range 128 {
			for row := range 256 {
				for x := range 512 {
					p.Y[row*p.YStride+x] = byte(2*yk + x%2)
				}
			}
			if _, err := s.Draw(dst, 512*4, 512, 256, order, p); err != nil {
				t.Fatal(err)
			}
			for cb := range 256 {
				for x := range 512 {
					y, cr := byte(2*yk+x%2), byte(x/2)
					r, g, b := color.YCbCrToRGB(y, byte(cb), cr)
					o := (cb*512 + x) * 4
					want := [4]byte{r, g, b, 0xff}
					if order == BGRX {
						want = [4]byte{b, g, r, 0xff}
					}
					if [4]byte(dst[o:o+4]) != want {
						t.Fatalf("%v Y=%d Cb=%d Cr=%d: got % x, want % x", order, y, cb, cr, dst[o:o+4], want)
					}
				}
			}
		}
	}
}

// TestSIMDMatchesGo compares the assembly rows with the Go rows on random
// 4:2:0 frames of many widths (tails included) and sub-image origins.
func TestSIMDMatchesGo(t *testing.T) {
	defer SetLibyuv(false)() // our rows, bit-exact; libyuv has its own tests
	if !haveSIMD {
		t.Skip("no SIMD path on this machine")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, w := range []int{1, 2, 15, 16, 17, 31, 32, 33, 64, 100, 1280} {
		full := randomYCbCr(rng, image.Rect(0, 0, w+4, 9), image.YCbCrSubsampleRatio420)
		src := subImage(full, image.Rect(2, 1, w+2, 9))
		for _, order := range []Order{RGBA, BGRX} {
			// Unscaled, upscaled and downscaled.
			for _, ds := range []image.Point{{w, 8}, {2*w + 1, 17}, {w/2 + 1, 5}} {
				var s Scaler
				a := make([]byte, ds.X*ds.Y*4)
				b := make([]byte, ds.X*ds.Y*4)
				if _, err := s.Draw(a, ds.X*4, ds.X, ds.Y, order, src); err != nil {
					t.Fatal(err)
				}
				haveSIMD = false
				_, err := s.Draw(b, ds.X*4, ds.X, ds.Y, order, src)
				haveSIMD = true
				if err != nil {
					t.Fatal(err)
				}
				compare(t, a, b, ds.X, fmt.Sprintf("SIMD vs Go, width %d → %v %v", w, ds, order))
			}
		}
		rgba := subImage(randomRGBA(rng, image.Rect(0, 0, w+4, 9), false), image.Rect(3, 1, w+3, 9))
		for _, order := range []Order{RGBA, BGRX} {
			want, _ := reference(rgba, w, 8, order)
			got := make([]byte, len(want))
			var s Scaler
			if _, err := s.Draw(got, w*4, w, 8, order, rgba); err != nil {
				t.Fatal(err)
			}
			compare(t, got, want, w, fmt.Sprintf("RGBA SIMD, width %d %v", w, order))
		}
	}
}
