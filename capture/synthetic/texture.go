package synthetic

import (
	"image"
	"math"
)

// Texture returns a deterministic picture-like w×h image in the given
// subsampling, full-range BT.601 (JFIF) as JPEG holds it: value noise at
// several scales (land, fabric, grain), a gradient sky, and hard-edged
// shapes, so that a JPEG of it costs what a webcam's picture costs —
// 1920×1080 4:2:2 at quality 85 is about 370 KB — where flat test bars
// compress to almost nothing and hide the decoder's real cost.
func Texture(w, h int, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	// Shapes and noise are laid out in units of the picture's height, so a
	// smaller mode shows the same scene.
	u := float64(h)
	for y := range h {
		row := img.Y[y*img.YStride:]
		for x := range w {
			row[x] = clamp8(luma(float64(x)/u, float64(y)/u, x, y))
		}
	}
	cw, ch := img.CStride, 0 // image.NewYCbCr packs chroma rows at CStride
	if cw > 0 {
		ch = len(img.Cb) / cw
	}
	sx, sy := float64(w)/float64(cw), float64(h)/float64(ch)
	for y := range ch {
		for x := range cw {
			px, py := (float64(x)+0.5)*sx/u, (float64(y)+0.5)*sy/u
			cb, cr := chroma(px, py)
			img.Cb[y*img.CStride+x] = clamp8(cb)
			img.Cr[y*img.CStride+x] = clamp8(cr)
		}
	}
	return img
}

// shape is a hard-edged region with its own shade and colour.
type shape struct {
	circle         bool
	x0, y0, x1, y1 float64 // box, or centre and radius (x1) for a circle
	y, cb, cr      float64
}

var shapes = []shape{
	{x0: 0.10, y0: 0.55, x1: 0.55, y1: 0.95, y: 70, cb: 110, cr: 150},     // a brown table
	{circle: true, x0: 0.35, y0: 0.62, x1: 0.12, y: 200, cb: 90, cr: 170}, // an orange
	{x0: 1.10, y0: 0.20, x1: 1.45, y1: 0.70, y: 150, cb: 160, cr: 110},    // a blue book
	{circle: true, x0: 1.50, y0: 0.30, x1: 0.08, y: 235, cb: 128, cr: 128},
	{x0: 0.60, y0: 0.10, x1: 0.64, y1: 0.90, y: 30, cb: 128, cr: 128}, // a dark post
}

func inside(s shape, x, y float64) bool {
	if s.circle {
		dx, dy := x-s.x0, y-s.y0
		return dx*dx+dy*dy < s.x1*s.x1
	}
	return x >= s.x0 && x < s.x1 && y >= s.y0 && y < s.y1
}

func luma(x, y float64, px, py int) float64 {
	v := 90 + 70*y // the scene darkens towards the top, like a lit room
	v += 60*(noise(x*3, y*3, 1)-0.5) + 40*(noise(x*14, y*14, 2)-0.5)
	for _, s := range shapes {
		if inside(s, x, y) {
			v = s.y + 0.4*(v-120)
		}
	}
	// Fabric-like detail and sensor grain: what makes a real frame large.
	v += 30*(noise(x*80, y*80, 3)-0.5) + 18*(noise(x*260, y*260, 4)-0.5)
	v += 14 * (hash(px, py, 5) - 0.5)
	if x >= 1.2 && x < 1.7 && y >= 0.72 { // a striped shirt: fine edges
		v += 45 * math.Sin(x*190+8*noise(x*6, y*6, 10))
	}
	return v
}

func chroma(x, y float64) (cb, cr float64) {
	cb = 128 + 30*(noise(x*2, y*2, 6)-0.5) + 10*(noise(x*20, y*20, 7)-0.5)
	cr = 128 + 30*(noise(x*2, y*2, 8)-0.5) + 10*(noise(x*20, y*20, 9)-0.5)
	for _, s := range shapes {
		if inside(s, x, y) {
			cb, cr = s.cb+0.3*(cb-128), s.cr+0.3*(cr-128)
		}
	}
	return cb, cr
}

// noise is value noise on the unit lattice, smoothly interpolated: 0..1.
func noise(x, y float64, seed uint32) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int(fx), int(fy)
	tx, ty := smooth(x-fx), smooth(y-fy)
	a := hash(ix, iy, seed) + tx*(hash(ix+1, iy, seed)-hash(ix, iy, seed))
	b := hash(ix, iy+1, seed) + tx*(hash(ix+1, iy+1, seed)-hash(ix, iy+1, seed))
	return a + ty*(b-a)
}

func smooth(t float64) float64 { return t * t * (3 - 2*t) }

// hash maps a lattice point to 0..1 (a 32-bit integer mix).
func hash(x, y int, seed uint32) float64 {
	h := uint32(x)*0x8da6b343 ^ uint32(y)*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 13
	h *= 0x5bd1e995
	h ^= h >> 15
	return float64(h&0xffffff) / (1 << 24)
}

func clamp8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
