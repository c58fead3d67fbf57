package synthetic

import (
	"context"
	"image"
	"io"
	"math"
	"sync"
	"time"

	"github.com/tally-app/tally/capture"
)

// videoDevice is an open camera or screen.
type videoDevice struct {
	*openDevice
	gen   generator
	pace  pacer
	timer *time.Timer
	n     int64
}

// generator draws frame n of a w×h pattern into a pooled buffer.
type generator interface {
	frame(w, h int, n int64) (image.Image, *capture.FrameBuffer)
}

func (v *videoDevice) ReadVideo(ctx context.Context) (capture.VideoFrame, error) {
	if v.timer == nil {
		v.timer = time.NewTimer(time.Hour)
		v.timer.Stop()
	}
	for {
		if err := v.failure(); err != nil {
			return capture.VideoFrame{}, err
		}
		mode, muted := v.state()
		if muted {
			// A muted device delivers nothing until unmuted.
			if _, err := v.wait(ctx, time.Now().Add(time.Hour), v.timer); err != nil {
				return capture.VideoFrame{}, err
			}
			continue
		}
		at, _ := v.pace.next(mode.FrameRate, time.Now())
		ok, err := v.wait(ctx, at, v.timer)
		if err != nil {
			return capture.VideoFrame{}, err
		}
		if !ok {
			continue // woken: mode changed or muted
		}
		img, fb := v.gen.frame(mode.Width, mode.Height, v.n)
		v.n++
		if img == nil {
			continue // dropped (the MJPEG camera's undecodable frames)
		}
		return fb.Frame(img, at.Sub(v.started)), nil
	}
}

// Close closes the device, then its generator if it holds anything (the
// MJPEG camera's decoder).
func (v *videoDevice) Close() error {
	err := v.openDevice.Close()
	if c, ok := v.gen.(io.Closer); ok {
		c.Close()
	}
	return err
}

// micDevice is an open microphone: a 440 Hz tone in 10 ms chunks.
type micDevice struct {
	*openDevice
	pace  pacer
	timer *time.Timer
	phase float64
	sent  int64 // sample frames delivered
}

// chunksPerSecond is the synthetic microphone's period: 10 ms.
const chunksPerSecond = 100

func (m *micDevice) ReadAudio(ctx context.Context) (capture.AudioChunk, error) {
	if m.timer == nil {
		m.timer = time.NewTimer(time.Hour)
		m.timer.Stop()
	}
	for {
		if err := m.failure(); err != nil {
			return capture.AudioChunk{}, err
		}
		mode, muted := m.state()
		if muted {
			if _, err := m.wait(ctx, time.Now().Add(time.Hour), m.timer); err != nil {
				return capture.AudioChunk{}, err
			}
			continue
		}
		at, _ := m.pace.next(chunksPerSecond, time.Now())
		ok, err := m.wait(ctx, at, m.timer)
		if err != nil {
			return capture.AudioChunk{}, err
		}
		if !ok {
			continue
		}
		rate, ch := mode.SampleRate, max(mode.ChannelCount, 1)
		frames := rate / chunksPerSecond
		samples := make([]float32, frames*ch)
		step := 2 * math.Pi * ToneHz / float64(rate)
		for i := 0; i < frames; i++ {
			v := float32(0.5 * math.Sin(m.phase))
			m.phase += step
			for c := 0; c < ch; c++ {
				samples[i*ch+c] = v
			}
		}
		m.phase = math.Mod(m.phase, 2*math.Pi)
		ts := time.Duration(m.sent) * time.Second / time.Duration(rate)
		m.sent += int64(frames)
		return capture.AudioChunk{Samples: samples, Channels: ch, SampleRate: rate, Timestamp: ts}, nil
	}
}

// pool recycles frame buffers of one size, each with its reference count
// made once, so a steady stream allocates nothing.
type pool[T any] struct {
	mu   sync.Mutex // protects w, h, free
	w, h int
	free []*pooled[T]
}

type pooled[T any] struct {
	v    T
	w, h int
	fb   *capture.FrameBuffer
}

func (p *pool[T]) get(w, h int, alloc func() T) *pooled[T] {
	p.mu.Lock()
	if p.w != w || p.h != h {
		p.w, p.h, p.free = w, h, nil
	}
	if n := len(p.free); n > 0 {
		it := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return it
	}
	p.mu.Unlock()
	it := &pooled[T]{v: alloc(), w: w, h: h}
	it.fb = capture.NewFrameBuffer(func() { p.put(it) })
	return it
}

func (p *pool[T]) put(it *pooled[T]) {
	p.mu.Lock()
	if p.w == it.w && p.h == it.h && len(p.free) < 8 {
		p.free = append(p.free, it)
	}
	p.mu.Unlock()
}

// The 75% colour bars (white, yellow, cyan, green, magenta, red, blue) in
// BT.601 studio-range YCbCr.
var bars = [][3]uint8{
	{180, 128, 128}, {168, 44, 136}, {145, 147, 44}, {133, 63, 52},
	{63, 193, 204}, {51, 109, 212}, {28, 212, 120},
}

// cameraPattern is the synthetic camera's picture: colour bars over a
// grey ramp, with a frame counter and a marker sliding along the ramp. The
// bars never change, so a pooled buffer gets them once; each frame redraws
// only the bottom third (copies of precomputed rows), a third of the bytes
// of a whole frame.
type cameraPattern struct {
	pool pool[*cameraFrame]
	// Precomputed rows for the current size.
	w, h               int
	barY, barCb, barCr []byte
	rampY              []byte
}

// cameraFrame is a pooled buffer and whether it holds the bars yet.
type cameraFrame struct {
	img  *image.YCbCr
	bars bool
}

func newCameraPattern() *cameraPattern { return &cameraPattern{} }

func (p *cameraPattern) prepare(w, h int) {
	if p.w == w && p.h == h {
		return
	}
	p.w, p.h = w, h
	cw := (w + 1) / 2
	p.barY = make([]byte, w)
	p.barCb = make([]byte, cw)
	p.barCr = make([]byte, cw)
	p.rampY = make([]byte, w)
	for x := range w {
		p.barY[x] = bars[x*len(bars)/w][0]
		p.rampY[x] = uint8(16 + x*219/max(w-1, 1))
	}
	for x := range cw {
		b := bars[min(2*x, w-1)*len(bars)/w]
		p.barCb[x], p.barCr[x] = b[1], b[2]
	}
}

func (p *cameraPattern) frame(w, h int, n int64) (image.Image, *capture.FrameBuffer) {
	p.prepare(w, h)
	it := p.pool.get(w, h, func() *cameraFrame {
		return &cameraFrame{img: image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)}
	})
	f := it.v
	img := f.img
	split := h * 2 / 3 &^ 1 // even, so no chroma row straddles it
	cw, ch := (w+1)/2, (h+1)/2
	if !f.bars {
		for y := range split {
			copy(img.Y[y*img.YStride:y*img.YStride+w], p.barY)
		}
		for y := range split / 2 {
			copy(img.Cb[y*img.CStride:y*img.CStride+cw], p.barCb)
			copy(img.Cr[y*img.CStride:y*img.CStride+cw], p.barCr)
		}
		f.bars = true
	}
	for y := split; y < h; y++ {
		copy(img.Y[y*img.YStride:y*img.YStride+w], p.rampY)
	}
	for y := split / 2; y < ch; y++ {
		setBytes(img.Cb[y*img.CStride:y*img.CStride+cw], 128)
		setBytes(img.Cr[y*img.CStride:y*img.CStride+cw], 128)
	}
	fill := fillYCbCr(img)
	// The marker crosses the frame in 80 frames, behind the counter.
	mw := max(w/20, 2) &^ 1
	speed := max(w/160, 1) * 2
	fill(int(n*int64(speed))%max(w-mw, 1)&^1, split, mw, h-split, true)
	drawCounter(n, w, split, h, fill)
	return img, it.fb
}

// Seven-segment digits: bits a..g.
var segments = [10]uint8{0x3f, 0x06, 0x5b, 0x4f, 0x66, 0x6d, 0x7d, 0x07, 0x7f, 0x6f}

const counterDigits = 6

// drawCounter draws n as seven-segment digits, lit segments on a dark box,
// centred in the w×(bottom-top) band starting at row top, through fill
// (rectangles are clipped by fill).
func drawCounter(n int64, w, top, bottom int, fill func(x, y, fw, fh int, lit bool)) {
	// Six digits take about 4.4 digit heights of width: fit both ways.
	dh := max(min((bottom-top)*2/3, w*10/48), 8) &^ 1
	dw := max(dh/2, 4) &^ 1
	t := max(dh/10, 2) &^ 1
	boxW := counterDigits*(dw+t*2) + t*2
	x0 := max((w-boxW)/2, 0) &^ 1
	y0 := top + (bottom-top-dh)/2&^1
	fill(x0-t, y0-t, boxW+2*t, dh+2*t, false)
	half := dh / 2
	for i := counterDigits - 1; i >= 0; i-- {
		s := segments[n%10]
		n /= 10
		x := x0 + t + i*(dw+2*t)
		seg := [7][4]int{
			{x, y0, dw, t},                   // a
			{x + dw - t, y0, t, half},        // b
			{x + dw - t, y0 + half, t, half}, // c
			{x, y0 + dh - t, dw, t},          // d
			{x, y0 + half, t, half},          // e
			{x, y0, t, half},                 // f
			{x, y0 + half - t/2, dw, t},      // g
		}
		for k, r := range seg {
			if s&(1<<k) != 0 {
				fill(r[0], r[1], r[2], r[3], true)
			}
		}
	}
}

// filledRows are rows of the values the camera pattern fills with (black,
// white and neutral chroma), so most fills are a single copy.
var filledRows = func() (m [256][]byte) {
	for _, v := range []byte{16, 128, 235} {
		m[v] = make([]byte, 4096)
		for i := range m[v] {
			m[v][i] = v
		}
	}
	return m
}()

// setBytes sets every byte of b to v (the compiler only turns zeroing loops
// into memset; copying from a filled row is the fast way otherwise).
func setBytes(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	if r := filledRows[v]; len(b) <= len(r) {
		copy(b, r)
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// fillYCbCr returns a fill for drawCounter on a 4:2:0 picture.
func fillYCbCr(img *image.YCbCr) func(x, y, fw, fh int, lit bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	return func(x, y, fw, fh int, lit bool) {
		yv := uint8(16)
		if lit {
			yv = 235
		}
		x0, y0, x1, y1 := max(x, 0), max(y, 0), min(x+fw, w), min(y+fh, h)
		if x0 >= x1 || y0 >= y1 {
			return
		}
		for yy := y0; yy < y1; yy++ {
			setBytes(img.Y[yy*img.YStride+x0:yy*img.YStride+x1], yv)
		}
		for yy := y0 / 2; yy < y1/2; yy++ {
			setBytes(img.Cb[yy*img.CStride+x0/2:yy*img.CStride+x1/2], 128)
			setBytes(img.Cr[yy*img.CStride+x0/2:yy*img.CStride+x1/2], 128)
		}
	}
}

// fillRGBA returns a fill for drawCounter on an RGBA picture.
func fillRGBA(img *image.RGBA) func(x, y, fw, fh int, lit bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	return func(x, y, fw, fh int, lit bool) {
		v := uint8(0)
		if lit {
			v = 0xff
		}
		x0, y0, x1, y1 := max(x, 0), max(y, 0), min(x+fw, w), min(y+fh, h)
		if x0 >= x1 || y0 >= y1 {
			return
		}
		first := img.Pix[y0*img.Stride+4*x0 : y0*img.Stride+4*x1]
		for i := 0; i < len(first); i += 4 {
			first[i], first[i+1], first[i+2], first[i+3] = v, v, v, 0xff
		}
		for yy := y0 + 1; yy < y1; yy++ {
			copy(img.Pix[yy*img.Stride+4*x0:], first)
		}
	}
}

// screenPattern is the synthetic screen: a desktop with a window that
// drifts and shows a frame counter, in RGBA as real screens deliver.
type screenPattern struct {
	pool pool[*image.RGBA]
	bg   *image.RGBA
}

func newScreenPattern() *screenPattern { return &screenPattern{} }

func (p *screenPattern) frame(w, h int, n int64) (image.Image, *capture.FrameBuffer) {
	if p.bg == nil || p.bg.Rect.Dx() != w || p.bg.Rect.Dy() != h {
		p.bg = image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				i := y*p.bg.Stride + 4*x
				p.bg.Pix[i+0] = uint8(30 + 40*y/h)
				p.bg.Pix[i+1] = uint8(60 + 60*y/h)
				p.bg.Pix[i+2] = uint8(110 + 80*x/w)
				p.bg.Pix[i+3] = 0xff
			}
		}
	}
	it := p.pool.get(w, h, func() *image.RGBA { return image.NewRGBA(image.Rect(0, 0, w, h)) })
	img := it.v
	copy(img.Pix, p.bg.Pix)
	ww, wh := w/3, h/3
	x0 := int(n*4) % max(w-ww, 1)
	y0 := h / 4
	title := max(wh/10, 4)
	x1 := min(x0+ww, w)
	for y := y0; y < min(y0+wh, h); y++ {
		row := img.Pix[y*img.Stride+4*x0 : y*img.Stride+4*x1]
		r, g, b := uint8(235), uint8(235), uint8(235)
		if y < y0+title {
			r, g, b = 40, 90, 200
		}
		if y == y0 || y == y0+title {
			for i := 0; i < len(row); i += 4 {
				row[i], row[i+1], row[i+2] = r, g, b
			}
		} else {
			copy(row, img.Pix[(y-1)*img.Stride+4*x0:(y-1)*img.Stride+4*x1])
		}
	}
	fill := fillRGBA(img)
	drawCounter(n, ww, y0+title, y0+wh, func(x, y, fw, fh int, lit bool) { fill(x0+x, y, fw, fh, lit) })
	return img, it.fb
}
