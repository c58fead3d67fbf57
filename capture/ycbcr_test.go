package capture

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"
)

func TestYCbCrToRGBFullBT601IsImageColor(t *testing.T) {
	for y := 0; y < 256; y++ {
		for cb := 0; cb < 256; cb++ {
			for cr := 0; cr < 256; cr++ {
				r, g, b := YCbCrToRGB(uint8(y), uint8(cb), uint8(cr), BT601, true)
				wr, wg, wb := color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr))
				if r != wr || g != wg || b != wb {
					t.Fatalf("YCbCr(%d,%d,%d) full BT.601 = %d,%d,%d; image/color says %d,%d,%d", y, cb, cr, r, g, b, wr, wg, wb)
				}
			}
		}
	}
}

// Limited range: black is Y′ 16, white 235; 75 % white is Y′ 180 → 191.
func TestYCbCrToRGBLimitedRange(t *testing.T) {
	for _, m := range []YCbCrMatrix{BT601, BT709, BT2020} {
		for _, c := range []struct{ y, want uint8 }{{16, 0}, {0, 0}, {235, 255}, {255, 255}, {180, 191}, {126, 128}} {
			r, g, b := YCbCrToRGB(c.y, 128, 128, m, false)
			if r != c.want || g != c.want || b != c.want {
				t.Errorf("%v limited Y′ %d = %d,%d,%d; want grey %d", m, c.y, r, g, b, c.want)
			}
		}
	}
}

// Every RGB colour survives the trip to Y′CbCr and back within rounding, for
// every matrix and range; limited range has fewer levels, so a wider margin.
func TestRGBRoundTrip(t *testing.T) {
	for _, m := range []YCbCrMatrix{BT601, BT709, BT2020} {
		for _, full := range []bool{false, true} {
			tol := 2
			if !full {
				tol = 3
			}
			for r := 0; r < 256; r += 5 {
				for g := 0; g < 256; g += 5 {
					for b := 0; b < 256; b += 5 {
						y, cb, cr := RGBToYCbCr(uint8(r), uint8(g), uint8(b), m, full)
						r2, g2, b2 := YCbCrToRGB(y, cb, cr, m, full)
						if d := maxDiff(r, g, b, r2, g2, b2); d > tol {
							t.Fatalf("%v full=%v: RGB %d,%d,%d -> YCbCr %d,%d,%d -> %d,%d,%d", m, full, r, g, b, y, cb, cr, r2, g2, b2)
						}
					}
				}
			}
		}
	}
}

func maxDiff(r, g, b int, r2, g2, b2 uint8) int {
	d := 0
	for _, p := range [][2]int{{r, int(r2)}, {g, int(g2)}, {b, int(b2)}} {
		d = max(d, p[0]-p[1], p[1]-p[0])
	}
	return d
}

// The 75 % colour bars of BT.601 limited range (the values vivid and a test
// signal generator send) read as 191-level primaries and secondaries.
func TestYCbCrBars(t *testing.T) {
	bars := []struct {
		name      string
		y, cb, cr uint8
		r, g, b   uint8
	}{
		{"white", 180, 128, 128, 191, 191, 191},
		{"yellow", 162, 44, 142, 191, 191, 0},
		{"cyan", 131, 156, 44, 0, 191, 191},
		{"green", 112, 72, 58, 0, 191, 0},
		{"magenta", 84, 184, 198, 191, 0, 191},
		{"red", 65, 100, 212, 191, 0, 0},
		{"blue", 35, 212, 114, 0, 0, 191},
		{"black", 16, 128, 128, 0, 0, 0},
	}
	for _, c := range bars {
		r, g, b := YCbCrToRGB(c.y, c.cb, c.cr, BT601, false)
		if d := maxDiff(int(c.r), int(c.g), int(c.b), r, g, b); d > 2 {
			t.Errorf("%s: %d,%d,%d, want about %d,%d,%d", c.name, r, g, b, c.r, c.g, c.b)
		}
	}
}

func TestYCbCrImage(t *testing.T) {
	p := NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio422, BT601, false)
	for i := range p.Y {
		p.Y[i] = 16
	}
	for i := range p.Cb {
		p.Cb[i], p.Cr[i] = 128, 128
	}
	p.Y[p.YOffset(3, 1)] = 180
	if got := p.RGBAAt(0, 0); got != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("black: RGBAAt = %v", got)
	}
	if r, g, b, a := p.At(3, 1).RGBA(); r>>8 != 191 || g>>8 != 191 || b>>8 != 191 || a != 0xffff {
		t.Errorf("75%% white: At().RGBA() = %d,%d,%d,%d", r>>8, g>>8, b>>8, a)
	}
	sub, ok := p.SubImage(image.Rect(2, 1, 4, 2)).(*YCbCr)
	if !ok {
		t.Fatalf("SubImage gave %T", p.SubImage(image.Rect(2, 1, 4, 2)))
	}
	if sub.Matrix != p.Matrix || sub.FullRange != p.FullRange || sub.Bounds() != image.Rect(2, 1, 4, 2) {
		t.Errorf("SubImage lost its tag or bounds: %v %v %v", sub.Matrix, sub.FullRange, sub.Bounds())
	}
	if got := sub.RGBAAt(3, 1); got.R != 191 {
		t.Errorf("SubImage pixel = %v", got)
	}

	// A consumer that knows nothing of the tag gets the true colours.
	var buf bytes.Buffer
	if err := png.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	dec, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := dec.At(0, 0).RGBA(); r != 0 {
		t.Errorf("PNG of limited-range black has red %d", r>>8)
	}
	dst := image.NewRGBA(p.Bounds())
	draw.Draw(dst, dst.Rect, p, image.Point{}, draw.Src)
	if got := dst.RGBAAt(3, 1); got != (color.RGBA{191, 191, 191, 255}) {
		t.Errorf("image/draw of 75%% white = %v", got)
	}

	// ColorModel round-trips a colour into the picture's own terms.
	c := p.ColorModel().Convert(color.RGBA{191, 0, 0, 255}).(YCbCrColor)
	if c.Matrix != BT601 || c.FullRange || c.Y != 65 {
		t.Errorf("ColorModel(75%% red) = %+v, want Y′ 65 limited BT.601", c)
	}
}

func TestYCbCrMatrixString(t *testing.T) {
	for m, want := range map[YCbCrMatrix]string{BT601: "BT.601", BT709: "BT.709", BT2020: "BT.2020", 9: "YCbCrMatrix(9)"} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", m, got, want)
		}
	}
}
