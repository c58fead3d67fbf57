package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/yuv"
)

// bar is one of the 75 % colour bars, as BT.601 limited-range Y′CbCr (what
// vivid and a test signal generator send) and as the R′G′B′ it means.
type bar struct {
	name      string
	y, cb, cr uint8
	r, g, b   uint8
}

var bars75 = []bar{
	{"white", 180, 128, 128, 191, 191, 191},
	{"yellow", 162, 44, 142, 191, 191, 0},
	{"cyan", 131, 156, 44, 0, 191, 191},
	{"green", 112, 72, 58, 0, 191, 0},
	{"magenta", 84, 184, 198, 191, 0, 191},
	{"red", 65, 100, 212, 191, 0, 0},
	{"blue", 35, 212, 114, 0, 0, 191},
	{"black", 16, 128, 128, 0, 0, 0},
}

// pixelFunc gives the sample the test frame holds at (x, y).
type pixelFunc func(x, y int) (yy, cb, cr, r, g, b uint8)

func barsAt(w int) pixelFunc {
	return func(x, _ int) (uint8, uint8, uint8, uint8, uint8, uint8) {
		c := bars75[x*len(bars75)/w]
		return c.y, c.cb, c.cr, c.r, c.g, c.b
	}
}

// rampAt makes every sample a distinct function of position, so a swapped
// plane, a wrong stride or an off-by-one lands on a wrong value.
func rampAt(x, y int) (uint8, uint8, uint8, uint8, uint8, uint8) {
	return uint8(16 + (x*7+y*13)%220), uint8(40 + (x*5+y*3)%180), uint8(200 - (x*3+y*11)%180),
		uint8(x*31 + y*7), uint8(x*3 + y*17), uint8(255 - x*11 - y*5)
}

// family says how the test encodes a fourcc, independently of the code
// under test.
type family struct {
	kind       string // packed, semi, planar, rgb, grey
	order      string // packed: byte order of a pair; semi: "UV"/"VU"; planar: "UV"/"VU"; rgb: bytes per pixel
	hsub, vsub int
}

var families = map[string]family{
	"YUYV": {"packed", "YUYV", 2, 1}, "YVYU": {"packed", "YVYU", 2, 1},
	"UYVY": {"packed", "UYVY", 2, 1}, "VYUY": {"packed", "VYUY", 2, 1},
	"NV12": {"semi", "UV", 2, 2}, "NV21": {"semi", "VU", 2, 2},
	"NV16": {"semi", "UV", 2, 1}, "NV61": {"semi", "VU", 2, 1},
	"NV24": {"semi", "UV", 1, 1}, "NV42": {"semi", "VU", 1, 1},
	"NM12": {"semi", "UV", 2, 2}, "NM21": {"semi", "VU", 2, 2},
	"NM16": {"semi", "UV", 2, 1}, "NM61": {"semi", "VU", 2, 1},
	"YU12": {"planar", "UV", 2, 2}, "YV12": {"planar", "VU", 2, 2},
	"YM12": {"planar", "UV", 2, 2}, "YM21": {"planar", "VU", 2, 2},
	"422P": {"planar", "UV", 2, 1}, "YM16": {"planar", "UV", 2, 1}, "YM61": {"planar", "VU", 2, 1},
	"RGB3": {"rgb", "RGB", 1, 1}, "BGR3": {"rgb", "BGR", 1, 1},
	"RGB4": {"rgb", "XRGB", 1, 1}, "BX24": {"rgb", "XRGB", 1, 1}, "BA24": {"rgb", "ARGB", 1, 1},
	"BGR4": {"rgb", "BGRX", 1, 1}, "XR24": {"rgb", "BGRX", 1, 1}, "AR24": {"rgb", "BGRA", 1, 1},
	"XB24": {"rgb", "RGBX", 1, 1}, "AB24": {"rgb", "RGBA", 1, 1},
	"RX24": {"rgb", "XBGR", 1, 1}, "RA24": {"rgb", "ABGR", 1, 1},
	"RGBP": {"rgb565", "", 1, 1},
	"GREY": {"grey", "", 1, 1},
}

// encode builds one frame of fourcc from px: pad extra bytes per luma (or
// only) line, chroma lines padded by pad/hsub as V4L2 derives them; planes
// separately when multi.
func encode(fourcc string, w, h, pad int, multi bool, px pixelFunc) ([][]byte, []int) {
	f := families[fourcc]
	cw, ch := (w+f.hsub-1)/f.hsub, (h+f.vsub-1)/f.vsub
	chroma := func(cx, cy int) (cb, cr uint8) {
		_, cb, cr, _, _, _ = px(cx*f.hsub, cy*f.vsub)
		return
	}
	row := func(n, stride int, fill func(b []byte)) []byte {
		b := make([]byte, stride)
		for i := range b {
			b[i] = 0x5A // padding must never be read as picture
		}
		fill(b[:n])
		return b
	}
	var planes [][]byte
	var bpl []int
	switch f.kind {
	case "packed":
		stride := 4*cw + pad
		var b []byte
		for y := 0; y < h; y++ {
			b = append(b, row(4*cw, stride, func(d []byte) {
				for i := 0; i < cw; i++ {
					y0, _, _, _, _, _ := px(2*i, y)
					y1 := y0
					if 2*i+1 < w {
						y1, _, _, _, _, _ = px(2*i+1, y)
					}
					cb, cr := chroma(i, y)
					ys := []uint8{y0, y1}
					for k, c := range f.order {
						switch c {
						case 'Y':
							d[4*i+k], ys = ys[0], ys[1:]
						case 'U':
							d[4*i+k] = cb
						case 'V':
							d[4*i+k] = cr
						}
					}
				}
			})...)
		}
		planes, bpl = [][]byte{b}, []int{stride}
	case "semi", "planar":
		ys := w + pad
		var yp []byte
		for y := 0; y < h; y++ {
			yp = append(yp, row(w, ys, func(d []byte) {
				for x := range d {
					d[x], _, _, _, _, _ = px(x, y)
				}
			})...)
		}
		var c1, c2 []byte
		var cs int
		if f.kind == "semi" {
			cs = 2*cw + pad*2/f.hsub
			if pad > 0 && !multi { // V4L2 derives it from the luma line
				cs = ys * 2 / f.hsub
			}
			for y := 0; y < ch; y++ {
				c1 = append(c1, row(2*cw, cs, func(d []byte) {
					for i := 0; i < cw; i++ {
						cb, cr := chroma(i, y)
						if f.order == "VU" {
							cb, cr = cr, cb
						}
						d[2*i], d[2*i+1] = cb, cr
					}
				})...)
			}
		} else {
			cs = cw + pad/2
			if pad > 0 && !multi {
				cs = ys / 2
			}
			for _, want := range f.order {
				var p []byte
				for y := 0; y < ch; y++ {
					p = append(p, row(cw, cs, func(d []byte) {
						for i := range d {
							cb, cr := chroma(i, y)
							d[i] = cb
							if want == 'V' {
								d[i] = cr
							}
						}
					})...)
				}
				if c1 == nil {
					c1 = p
				} else {
					c2 = p
				}
			}
		}
		planes = [][]byte{yp, c1}
		bpl = []int{ys, cs}
		if c2 != nil {
			planes, bpl = append(planes, c2), append(bpl, cs)
		}
	default:
		bpp := map[string]int{"rgb": len(f.order), "rgb565": 2, "grey": 1}[f.kind]
		stride := bpp*w + pad
		var b []byte
		for y := 0; y < h; y++ {
			b = append(b, row(bpp*w, stride, func(d []byte) {
				for x := 0; x < w; x++ {
					yy, _, _, r, g, bl := px(x, y)
					switch f.kind {
					case "grey":
						d[x] = yy
					case "rgb565":
						v := uint16(r>>3)<<11 | uint16(g>>2)<<5 | uint16(bl>>3)
						d[2*x], d[2*x+1] = byte(v), byte(v>>8)
					default:
						for k, c := range f.order {
							d[bpp*x+k] = map[rune]uint8{'R': r, 'G': g, 'B': bl, 'X': 0, 'A': 0x33}[c]
						}
					}
				}
			})...)
		}
		planes, bpl = [][]byte{b}, []int{stride}
	}
	if !multi && len(planes) > 1 {
		var all []byte
		for _, p := range planes {
			all = append(all, p...)
		}
		planes, bpl = [][]byte{all}, bpl[:1]
	}
	return planes, bpl
}

var testFourCCs = func() []string {
	var out []string
	for f := range families {
		out = append(out, f)
	}
	return out
}()

func isMulti(fourcc string) bool {
	return strings.HasPrefix(fourcc, "NM") || strings.HasPrefix(fourcc, "YM")
}

func newTestConverter(t testing.TB, fourcc string, w, h int, bpl []int) *frameConverter {
	t.Helper()
	c, err := newFrameConverter(FrameLayout{FourCC: fourcc, Width: w, Height: h, BytesPerLine: bpl})
	if err != nil {
		t.Fatalf("%s %dx%d: %v", fourcc, w, h, err)
	}
	return c
}

// Every format, as 75 % bars at three sizes, reads back as the bars'
// colours through image.Image's own At: black near 0, 75 % white near 191.
func TestConvertBars(t *testing.T) {
	for _, lib := range kernelModes(t) {
		for _, fourcc := range testFourCCs {
			for _, size := range [][2]int{{64, 8}, {320, 180}, {640, 480}} {
				w, h := size[0], size[1]
				t.Run(fmt.Sprintf("%s/%s/%dx%d", lib, fourcc, w, h), func(t *testing.T) {
					useLibyuv = lib == "libyuv"
					planes, bpl := encode(fourcc, w, h, 0, isMulti(fourcc), barsAt(w))
					c := newTestConverter(t, fourcc, w, h, bpl)
					fr, err := c.Convert(planes, 0)
					if err != nil {
						t.Fatal(err)
					}
					img := fr.Image
					checkType(t, fourcc, img)
					tol := 2
					if fourcc == "RGBP" {
						tol = 4 // 5 and 6 bits per channel
					}
					for i, b := range bars75 {
						x := (2*i + 1) * w / (2 * len(bars75))
						for _, y := range []int{0, h / 2, h - 1} {
							r, g, bl, a := img.At(x, y).RGBA()
							want := [3]uint8{b.r, b.g, b.b}
							if fourcc == "GREY" { // full range by default: the luma as it is
								want = [3]uint8{b.y, b.y, b.y}
							}
							if a != 0xffff || !near(uint8(r>>8), want[0], tol) || !near(uint8(g>>8), want[1], tol) || !near(uint8(bl>>8), want[2], tol) {
								t.Fatalf("%s bar at (%d,%d) = %d,%d,%d,%d; want %v", b.name, x, y, r>>8, g>>8, bl>>8, a>>8, want)
							}
						}
					}
				})
			}
		}
	}
}

// kernelModes lists the kernel sets to test: ours, and libyuv's when it is
// linked in. The test restores the default when it ends.
func kernelModes(t *testing.T) []string {
	was := useLibyuv
	t.Cleanup(func() { useLibyuv = was })
	if yuv.Available {
		return []string{"go", "libyuv"}
	}
	return []string{"go"}
}

func checkType(t *testing.T, fourcc string, img image.Image) {
	t.Helper()
	switch families[fourcc].kind {
	case "packed", "semi", "planar":
		p, ok := img.(*capture.YCbCr)
		if !ok {
			t.Fatalf("%s gave %T, want *capture.YCbCr", fourcc, img)
		}
		if p.Matrix != capture.BT601 || p.FullRange {
			t.Fatalf("%s tagged %v full=%v, want limited BT.601 by default", fourcc, p.Matrix, p.FullRange)
		}
	case "grey":
		if _, ok := img.(*image.Gray); !ok {
			t.Fatalf("%s gave %T, want *image.Gray", fourcc, img)
		}
	default:
		if _, ok := img.(*image.RGBA); !ok {
			t.Fatalf("%s gave %T, want *image.RGBA", fourcc, img)
		}
	}
}

// Every sample lands where it belongs, at odd and even sizes, with padded
// lines, single- or multi-planar.
func TestConvertLayouts(t *testing.T) {
	for _, lib := range kernelModes(t) {
		useLibyuv = lib == "libyuv"
		testConvertLayouts(t, lib)
	}
}

func testConvertLayouts(t *testing.T, lib string) {
	for _, fourcc := range testFourCCs {
		f := families[fourcc]
		for _, size := range [][2]int{{1, 1}, {5, 3}, {16, 4}, {34, 6}} {
			for _, pad := range []int{0, 8} {
				multis := []bool{false, true}
				if isMulti(fourcc) {
					multis = []bool{true}
				} else if f.kind != "semi" && f.kind != "planar" {
					multis = []bool{false}
				}
				for _, multi := range multis {
					w, h := size[0], size[1]
					t.Run(fmt.Sprintf("%s/%s/%dx%d/pad%d/multi=%v", lib, fourcc, w, h, pad, multi), func(t *testing.T) {
						planes, bpl := encode(fourcc, w, h, pad, multi, rampAt)
						if pad == 0 && !multi {
							bpl = nil // tightly packed, as a driver reporting 0
						}
						c := newTestConverter(t, fourcc, w, h, bpl)
						// Twice: the second frame reuses the first's buffer,
						// so stale samples would show.
						for range 2 {
							b, err := c.convertBuf(planes)
							if err != nil {
								t.Fatal(err)
							}
							checkSamples(t, fourcc, b.img, w, h)
							b.release()
						}
					})
				}
			}
		}
	}
}

func checkSamples(t *testing.T, fourcc string, img image.Image, w, h int) {
	t.Helper()
	f := families[fourcc]
	if img.Bounds() != image.Rect(0, 0, w, h) {
		t.Fatalf("bounds %v, want %dx%d", img.Bounds(), w, h)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			yy, _, _, r, g, b := rampAt(x, y)
			_, cb, cr, _, _, _ := rampAt(x/f.hsub*f.hsub, y/f.vsub*f.vsub)
			var got, want any
			switch p := img.(type) {
			case *capture.YCbCr:
				got, want = p.YCbCrAt(x, y), color.YCbCr{Y: yy, Cb: cb, Cr: cr}
			case *image.RGBA:
				if fourcc == "RGBP" {
					r, g, b = r>>3<<3|r>>5, g>>2<<2|g>>6, b>>3<<3|b>>5
				}
				got, want = p.RGBAAt(x, y), color.RGBA{r, g, b, 255}
			case *image.Gray:
				got, want = p.GrayAt(x, y), color.Gray{Y: yy}
			default:
				t.Fatalf("%T", img)
			}
			if got != want {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestConvertColorimetryTag(t *testing.T) {
	for _, c := range []struct {
		cs, enc, q uint32
		m          capture.YCbCrMatrix
		full       bool
	}{
		{0, 0, 0, capture.BT601, false},
		{v4l2ColorspaceSMPTE170M, 0, 0, capture.BT601, false},
		{v4l2ColorspaceSRGB, 0, 0, capture.BT601, false},
		{v4l2ColorspaceREC709, 0, 0, capture.BT709, false},
		{v4l2ColorspaceDCIP3, 0, 0, capture.BT709, false},
		{v4l2ColorspaceBT2020, 0, 0, capture.BT2020, false},
		{v4l2ColorspaceJPEG, 0, 0, capture.BT601, true},
		{v4l2ColorspaceREC709, v4l2YCbCrEnc601, v4l2QuantizationFull, capture.BT601, true},
		{v4l2ColorspaceSMPTE170M, v4l2YCbCrEnc709, 0, capture.BT709, false},
		{v4l2ColorspaceJPEG, 0, v4l2QuantizationLimited, capture.BT601, false},
		{v4l2ColorspaceSMPTE240M, 0, 0, capture.BT709, false},
		{0, v4l2YCbCrEncBT2020ConstLum, 0, capture.BT2020, false},
		{0, v4l2YCbCrEncXV709, 0, capture.BT709, false},
	} {
		conv, err := newFrameConverter(FrameLayout{FourCC: "NV12", Width: 4, Height: 2, Colorspace: c.cs, YCbCrEnc: c.enc, Quantization: c.q})
		if err != nil {
			t.Fatal(err)
		}
		fr, err := conv.Convert([][]byte{make([]byte, 12)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		p := fr.Image.(*capture.YCbCr)
		if p.Matrix != c.m || p.FullRange != c.full {
			t.Errorf("colorspace %d enc %d quantization %d: %v full=%v, want %v full=%v", c.cs, c.enc, c.q, p.Matrix, p.FullRange, c.m, c.full)
		}
	}
	// GREY is copied as it is by default (full range, as vivid sends it),
	// and expanded when the driver says limited range.
	for _, c := range []struct {
		cs, q uint32
		want  []byte
	}{
		{0, 0, []byte{16, 180, 235}},
		{v4l2ColorspaceSRGB, v4l2QuantizationFull, []byte{16, 180, 235}},
		{v4l2ColorspaceSMPTE170M, 0, []byte{16, 180, 235}},
		{v4l2ColorspaceSRGB, v4l2QuantizationLimited, []byte{0, 191, 255}},
	} {
		conv, err := newFrameConverter(FrameLayout{FourCC: "GREY", Width: 3, Height: 1, Colorspace: c.cs, Quantization: c.q})
		if err != nil {
			t.Fatal(err)
		}
		fr, err := conv.Convert([][]byte{{16, 180, 235}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if g := fr.Image.(*image.Gray).Pix; !bytes.Equal(g, c.want) {
			t.Errorf("GREY colorspace %d quantization %d: 16, 180, 235 -> %v, want %v", c.cs, c.q, g, c.want)
		}
	}
}

func TestConvertRejectsMalformed(t *testing.T) {
	for _, l := range []FrameLayout{
		{FourCC: "H264", Width: 8, Height: 8},
		{FourCC: "", Width: 8, Height: 8},
		{FourCC: "YUYV", Width: 0, Height: 8},
		{FourCC: "YUYV", Width: 8, Height: -1},
		{FourCC: "YUYV", Width: 1 << 20, Height: 8},
		{FourCC: "YUYV", Width: 8, Height: 8, BytesPerLine: []int{15}},
		{FourCC: "YU12", Width: 8, Height: 8, BytesPerLine: []int{8, 3, 4}},
		{FourCC: "NM12", Width: 8, Height: 8, BytesPerLine: []int{8, 8, 8}},
		{FourCC: "YUYV", Width: 8, Height: 8, BytesPerLine: []int{16}, SizeImage: []int{127}},
		{FourCC: "NV12", Width: 8, Height: 8, SizeImage: []int{95}},
		{FourCC: "NM12", Width: 8, Height: 8, BytesPerLine: []int{8, 8}, SizeImage: []int{64, 31}},
		{FourCC: "NM12", Width: 8, Height: 8, BytesPerLine: []int{8, 8}, SizeImage: []int{64, 32, 1}},
	} {
		if _, err := newFrameConverter(l); err == nil {
			t.Errorf("%+v accepted", l)
		} else if l.FourCC != "" && !strings.Contains(err.Error(), l.FourCC) {
			t.Errorf("%+v: error %q does not name the format", l, err)
		}
	}
	for _, l := range []FrameLayout{
		{FourCC: "YUYV", Width: 8, Height: 8, BytesPerLine: []int{16}, SizeImage: []int{128}},
		{FourCC: "NV12", Width: 8, Height: 8, SizeImage: []int{96}},
		{FourCC: "NM12", Width: 8, Height: 8, BytesPerLine: []int{8, 8}, SizeImage: []int{64, 32}},
		{FourCC: "MJPG", Width: 8, Height: 8, SizeImage: []int{1}},
	} {
		if _, err := newFrameConverter(l); err != nil {
			t.Errorf("%+v refused: %v", l, err)
		}
	}
	for _, fourcc := range testFourCCs {
		w, h := 16, 4
		planes, bpl := encode(fourcc, w, h, 0, isMulti(fourcc), rampAt)
		c := newTestConverter(t, fourcc, w, h, bpl)
		bad := [][][]byte{nil, {}, {nil}, append(planes, []byte{1}), {}}
		short := make([][]byte, len(planes))
		copy(short, planes)
		short[len(short)-1] = short[len(short)-1][:len(short[len(short)-1])-1]
		bad = append(bad, short)
		for _, p := range bad {
			if len(p) == len(planes) && len(p) == 1 && len(p[0]) == len(planes[0]) {
				continue
			}
			_, err := c.Convert(p, 0)
			if err == nil {
				t.Errorf("%s: %d planes of %v bytes accepted", fourcc, len(p), planeLens(p))
				continue
			}
			if !strings.Contains(err.Error(), fourcc) || !strings.Contains(err.Error(), "16x4") {
				t.Errorf("%s: error %q names neither the format nor the size", fourcc, err)
			}
		}
	}
}

func planeLens(p [][]byte) []int {
	var n []int
	for _, b := range p {
		n = append(n, len(b))
	}
	return n
}

// In steady state, converting a frame allocates nothing but the frame's
// reference count (capture.NewPooledVideoFrame's one small object).
func TestConvertAllocs(t *testing.T) {
	for _, lib := range kernelModes(t) {
		useLibyuv = lib == "libyuv"
		testConvertAllocs(t)
	}
}

func testConvertAllocs(t *testing.T) {
	for _, fourcc := range testFourCCs {
		planes, bpl := encode(fourcc, 64, 16, 0, isMulti(fourcc), rampAt)
		c := newTestConverter(t, fourcc, 64, 16, bpl)
		if n := testing.AllocsPerRun(50, func() {
			b, err := c.convertBuf(planes)
			if err != nil {
				t.Fatal(err)
			}
			b.release()
		}); n != 0 {
			t.Errorf("%s: %v allocations per conversion, want 0", fourcc, n)
		}
		if n := testing.AllocsPerRun(50, func() {
			b, err := c.convertBuf(planes)
			if err != nil {
				t.Fatal(err)
			}
			_ = capture.NewPooledVideoFrame(b.img, 0, b.release)
			b.release() // what the last consumer's release does
		}); n > 1 {
			t.Errorf("%s: %v allocations per frame, want at most the frame's reference count", fourcc, n)
		}
	}
}

// Frames released on other goroutines go back to the pool without a race.
func TestConvertPoolAcrossGoroutines(t *testing.T) {
	planes, bpl := encode("YUYV", 32, 8, 0, false, rampAt)
	c := newTestConverter(t, "YUYV", 32, 8, bpl)
	var wg sync.WaitGroup
	for range 200 {
		b, err := c.convertBuf(planes)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(b.release)
	}
	wg.Wait()
	if n := len(c.free); n == 0 || n > framePool {
		t.Errorf("pool holds %d buffers after all were released, want 1..%d", n, framePool)
	}
}

// MJPEG through the converter: tagged JFIF, the right colours, frames
// without Huffman tables (as many webcams send them), and bad frames as
// errors naming the format and size.
func TestConvertMJPEG(t *testing.T) {
	left, right := color.YCbCr{Y: 200, Cb: 60, Cr: 180}, color.YCbCr{Y: 50, Cb: 190, Cr: 90}
	const w, h = 64, 32
	good := makeJPEG(t, w, h, left, right)
	for _, lib := range kernelModes(t) {
		useLibyuv = lib == "libyuv"
		c := newTestConverter(t, "MJPG", w, h, nil)
		for name, data := range map[string][]byte{"full": good, "no DHT": stripDHT(good)} {
			fr, err := c.Convert([][]byte{data}, 0)
			if err != nil {
				t.Fatalf("%s %s: %v", lib, name, err)
			}
			p, ok := fr.Image.(*capture.YCbCr)
			if !ok || !p.FullRange || p.Matrix != capture.BT601 {
				t.Fatalf("%s %s: %T, want *capture.YCbCr tagged full-range BT.601", lib, name, fr.Image)
			}
			for _, q := range []struct {
				x, y int
				want color.YCbCr
			}{{4, 4, left}, {20, 28, left}, {44, 4, right}, {60, 28, right}} {
				got := p.YCbCrAt(q.x, q.y)
				if !near(got.Y, q.want.Y, 3) || !near(got.Cb, q.want.Cb, 3) || !near(got.Cr, q.want.Cr, 3) {
					t.Errorf("%s %s (%d,%d) = %v, want about %v", lib, name, q.x, q.y, got, q.want)
				}
			}
		}
		other := newTestConverter(t, "MJPG", 2*w, h, nil)
		for name, planes := range map[string][][]byte{
			"wrong size": {good}, "garbage": {[]byte("not a jpeg at all")}, "empty": {nil}, "no planes": nil, "two planes": {good, good},
		} {
			_, err := other.Convert(planes, 0)
			if err == nil {
				t.Errorf("%s %s: accepted", lib, name)
			} else if !strings.Contains(err.Error(), "MJPG") && !strings.Contains(err.Error(), "JPEG") {
				t.Errorf("%s %s: error %q does not name the format", lib, name, err)
			}
		}
	}
}

// stripDHT removes a JPEG's Huffman tables.
func stripDHT(b []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	for i := 2; i+4 <= len(b); {
		marker, n := b[i+1], int(b[i+2])<<8|int(b[i+3])
		if marker == 0xDA {
			return append(out, b[i:]...)
		}
		if marker != 0xC4 {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	return out
}

func TestConvertMJPEGAllocs(t *testing.T) {
	if !yuv.Available {
		t.Skip("image/jpeg allocates each picture; only libyuv decodes into the pool")
	}
	raw := makeJPEG(t, 64, 32, color.YCbCr{Y: 200, Cb: 60, Cr: 180}, color.YCbCr{Y: 50, Cb: 190, Cr: 90})
	c := newTestConverter(t, "MJPG", 64, 32, nil)
	if n := testing.AllocsPerRun(20, func() {
		b, err := c.convertBuf([][]byte{raw})
		if err != nil {
			t.Fatal(err)
		}
		b.release()
	}); n != 0 {
		t.Errorf("%v allocations per MJPEG frame, want 0", n)
	}
}
