package camera

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/yuv"
)

// photo makes a photo-like w×h picture, so that benchmarks (MJPEG above
// all: flat bars compress to nothing and decode in a fraction of the time)
// see real-looking content: a lit gradient, soft-edged shapes of several
// colours, and fractal noise texture at four scales.
func photo(w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(42, 7))
	const g = 64
	var grid [4][g + 1][g + 1]float64
	for o := range grid {
		for i := range grid[o] {
			for j := range grid[o][i] {
				grid[o][i][j] = rng.Float64()*2 - 1
			}
		}
	}
	noise := func(x, y float64) float64 {
		sum, amp, f := 0.0, 1.0, 4.0
		for o := range grid {
			fx, fy := x*f, y*f
			ix, iy := int(fx)%g, int(fy)%g
			tx, ty := fx-math.Floor(fx), fy-math.Floor(fy)
			a := grid[o][iy][ix]*(1-tx) + grid[o][iy][ix+1]*tx
			b := grid[o][iy+1][ix]*(1-tx) + grid[o][iy+1][ix+1]*tx
			sum += amp * (a*(1-ty) + b*ty)
			amp, f = amp/2, f*2.7
		}
		return sum
	}
	type blob struct{ x, y, r, cr, cg, cb float64 }
	var blobs []blob
	for range 12 {
		blobs = append(blobs, blob{rng.Float64(), rng.Float64(), 0.05 + rng.Float64()*0.2, rng.Float64(), rng.Float64(), rng.Float64()})
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			r, gg, b := 0.55-0.3*v, 0.6-0.2*v+0.1*u, 0.8-0.4*v
			for _, o := range blobs {
				d := math.Hypot(u-o.x, (v-o.y)*float64(h)/float64(w)) / o.r
				if a := 1 / (1 + math.Exp((d-1)*12)); a > 0.01 {
					r, gg, b = r*(1-a)+o.cr*a, gg*(1-a)+o.cg*a, b*(1-a)+o.cb*a
				}
			}
			n := 0.18 * noise(u, v)
			q := func(c float64) uint8 { return uint8(min(max((c+n)*255, 0), 255)) }
			img.Pix[img.PixOffset(x, y)+0] = q(r)
			img.Pix[img.PixOffset(x, y)+1] = q(gg)
			img.Pix[img.PixOffset(x, y)+2] = q(b)
			img.Pix[img.PixOffset(x, y)+3] = 255
		}
	}
	return img
}

// photoPixels reads a photo as the test encoder's pixel function, in
// limited-range BT.601 for the Y′CbCr formats.
func photoPixels(p *image.RGBA) pixelFunc {
	return func(x, y int) (uint8, uint8, uint8, uint8, uint8, uint8) {
		c := p.RGBAAt(x, y)
		yy, cb, cr := capture.RGBToYCbCr(c.R, c.G, c.B, capture.BT601, false)
		return yy, cb, cr, c.R, c.G, c.B
	}
}

var benchPhoto = map[[2]int]*image.RGBA{}

func photoFor(w, h int) *image.RGBA {
	if p, ok := benchPhoto[[2]int{w, h}]; ok {
		return p
	}
	p := photo(w, h)
	benchPhoto[[2]int{w, h}] = p
	return p
}

func photoJPEG(b *testing.B, w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoFor(w, h), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkJobs measures each conversion job at 1280×720 our way and
// libyuv's way into the same buffers, so the faster can be kept:
//
//	go test -run '^$' -bench Jobs -benchmem ./capture/camera/
func BenchmarkJobs(b *testing.B) {
	const w, h = 1280, 720
	px := photoPixels(photoFor(w, h))
	frame := func(b *testing.B, fourcc string) ([][]byte, *frameConverter, *frameBuf) {
		planes, bpl := encode(fourcc, w, h, 0, false, px)
		c := newTestConverter(b, fourcc, w, h, bpl)
		buf, err := c.convertBuf(planes)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(planes[0])))
		b.ReportAllocs()
		return planes, c, buf
	}
	ours := func(fourcc string) func(b *testing.B) {
		return func(b *testing.B) {
			planes, c, _ := frame(b, fourcc)
			for b.Loop() {
				buf, err := c.convertBuf(planes)
				if err != nil {
					b.Fatal(err)
				}
				buf.release()
			}
		}
	}
	lib := func(fourcc string, conv func(src []byte, d *frameBuf) error) func(b *testing.B) {
		return func(b *testing.B) {
			if !yuv.Available {
				b.Skip("built without libyuv")
			}
			planes, _, d := frame(b, fourcc)
			for b.Loop() {
				if err := conv(planes[0], d); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	i422 := func(d *frameBuf) (yuv.Plane, yuv.Plane, yuv.Plane) {
		p := d.ycc
		return yuv.Plane{Pix: p.Y, Stride: p.YStride}, yuv.Plane{Pix: p.Cb, Stride: p.CStride}, yuv.Plane{Pix: p.Cr, Stride: p.CStride}
	}
	rgba := func(d *frameBuf) yuv.Plane { return yuv.Plane{Pix: d.rgba.Pix, Stride: d.rgba.Stride} }

	b.Run("YUYV/ours", ours("YUYV"))
	b.Run("YUYV/libyuv", lib("YUYV", func(s []byte, d *frameBuf) error {
		y, u, v := i422(d)
		return yuv.YUY2ToI422(yuv.Plane{Pix: s, Stride: 2 * w}, y, u, v, w, h)
	}))
	b.Run("UYVY/ours", ours("UYVY"))
	b.Run("UYVY/libyuv", lib("UYVY", func(s []byte, d *frameBuf) error {
		y, u, v := i422(d)
		return yuv.UYVYToI422(yuv.Plane{Pix: s, Stride: 2 * w}, y, u, v, w, h)
	}))
	b.Run("NV12/ours", ours("NV12"))
	b.Run("NV12/libyuv", lib("NV12", func(s []byte, d *frameBuf) error {
		y, u, v := i422(d)
		if err := yuv.CopyPlane(yuv.Plane{Pix: s, Stride: w}, y, w, h); err != nil {
			return err
		}
		return yuv.SplitUVPlane(yuv.Plane{Pix: s[w*h:], Stride: w}, u, v, w/2, h/2)
	}))
	b.Run("NV16/ours", ours("NV16"))
	b.Run("NV16/libyuv", lib("NV16", func(s []byte, d *frameBuf) error {
		y, u, v := i422(d)
		if err := yuv.CopyPlane(yuv.Plane{Pix: s, Stride: w}, y, w, h); err != nil {
			return err
		}
		return yuv.SplitUVPlane(yuv.Plane{Pix: s[w*h:], Stride: w}, u, v, w/2, h)
	}))
	b.Run("YU12/ours", ours("YU12"))
	b.Run("RGB3/ours", ours("RGB3"))
	b.Run("RGB3/libyuv", lib("RGB3", func(s []byte, d *frameBuf) error {
		return yuv.RGB24ToARGB(yuv.Plane{Pix: s, Stride: 3 * w}, rgba(d), w, h)
	}))
	b.Run("BGR3/ours", ours("BGR3"))
	b.Run("BGR3/libyuv", lib("BGR3", func(s []byte, d *frameBuf) error {
		return yuv.RAWToARGB(yuv.Plane{Pix: s, Stride: 3 * w}, rgba(d), w, h)
	}))
	b.Run("XR24/ours", ours("XR24"))
	b.Run("XR24/libyuv", lib("XR24", func(s []byte, d *frameBuf) error {
		return yuv.ARGBShuffle(yuv.Plane{Pix: s, Stride: 4 * w}, rgba(d), &shuffleBGRXToRGBA, w, h)
	}))
	b.Run("RGBP/ours", ours("RGBP"))
	b.Run("RGBP/libyuv", lib("RGBP", func(s []byte, d *frameBuf) error {
		if err := yuv.RGB565ToARGB(yuv.Plane{Pix: s, Stride: 2 * w}, rgba(d), w, h); err != nil {
			return err
		}
		return yuv.ARGBShuffle(rgba(d), rgba(d), &shuffleBGRXToRGBA, w, h)
	}))
	b.Run("GREY/ours", ours("GREY"))

	for _, size := range [][2]int{{1280, 720}, {1920, 1080}} {
		mw, mh := size[0], size[1]
		name := "MJPG" + map[int]string{720: "720p", 1080: "1080p"}[mh]
		b.Run(name+"/ours", func(b *testing.B) {
			raw := photoJPEG(b, mw, mh)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeMJPEG(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/libyuv", func(b *testing.B) {
			if !yuv.Available {
				b.Skip("built without libyuv")
			}
			raw := photoJPEG(b, mw, mh)
			p := image.NewYCbCr(image.Rect(0, 0, mw, mh), image.YCbCrSubsampleRatio420)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := yuv.MJPGToI420(raw, yuv.Plane{Pix: p.Y, Stride: p.YStride}, yuv.Plane{Pix: p.Cb, Stride: p.CStride}, yuv.Plane{Pix: p.Cr, Stride: p.CStride}, mw, mh); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// shuffleBGRXToRGBA: destination R G B A from source bytes 2 1 0 3.
var shuffleBGRXToRGBA = [16]byte{2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15}

var _ = color.RGBA{}
