package gui

import (
	"context"
	"image"
	"image/color"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/blit"
)

// placeholderColor fills an empty video view. It is not black, so an empty
// view is told apart from a black (disabled) frame at a glance and in tests.
var placeholderColor = color.NRGBA{R: 0x2b, G: 0x2f, B: 0x36, A: 0xff}

// VideoStats counts a view's frames since its current stream was attached.
type VideoStats struct {
	Read    uint64 // frames read from the track
	Shown   uint64 // frames handed to the screen (Fyne image or X11 sink)
	Dropped uint64 // frames read but not shown: a newer one came first, or the X server was busy
	// Width and Height are the size of the last frame read: the track's
	// own (its crop-and-scale output), whatever size the view draws it at.
	Width, Height int
}

// VideoView is the Go form of an HTML <video> element: SetSrcObject attaches
// a stream and the view shows its first video track; nil detaches it and
// clears the picture to the placeholder.
//
// Frames are read on a goroutine of the view, one per attached stream,
// converted and scaled once into a reused *image.RGBA of the view's pixel
// size (or put into an X11 child window, see frameSink), and shown latest
// wins: at most one fyne.Do per view is ever queued.
//
// Its methods must be called on the Fyne goroutine.
type VideoView struct {
	widget.BaseWidget

	do        func(func()) // runs a function on the UI goroutine: fyne.Do, or a test's queue
	presentFn func()       // v.present, made once: a method value allocates
	sink      frameSink    // nil: the Fyne canvas path

	image       *canvas.Image
	placeholder *canvas.Text
	bg          *canvas.Rectangle

	stream *capture.MediaStream
	track  *capture.MediaStreamTrack
	cancel context.CancelFunc
	wg     sync.WaitGroup // the reader goroutine

	gen     atomic.Uint64 // bumped on every attach and detach; stale frames are ignored
	pending atomic.Bool   // a present is queued on the UI goroutine
	pixW    atomic.Int32  // the view's size in pixels, for the converter
	pixH    atomic.Int32

	mu    sync.Mutex    // protects ready, free, rgen
	ready *image.RGBA   // the newest converted frame, not yet shown
	free  []*image.RGBA // buffers the converter may write into
	rgen  uint64        // generation of ready

	read, shown, dropped atomic.Uint64
	frameW, frameH       atomic.Int32 // the last frame's size
}

var _ fyne.Widget = (*VideoView)(nil)

// NewVideoView returns an empty view.
func NewVideoView() *VideoView {
	v := &VideoView{do: fyne.Do}
	v.presentFn = v.present
	v.bg = canvas.NewRectangle(placeholderColor)
	v.placeholder = canvas.NewText("No video", theme.Color(theme.ColorNameDisabled))
	v.placeholder.Alignment = fyne.TextAlignCenter
	v.placeholder.TextSize = theme.TextSize() * 1.2
	v.image = &canvas.Image{ScaleMode: canvas.ImageScaleFastest, FillMode: canvas.ImageFillStretch}
	v.image.Hide()
	v.ExtendBaseWidget(v)
	return v
}

// SrcObject returns the attached stream, or nil.
func (v *VideoView) SrcObject() *capture.MediaStream { return v.stream }

// SetSrcObject shows the first video track of s; nil detaches the current
// stream and shows the placeholder (https://html.spec.whatwg.org/#dom-media-srcobject).
// The view reads the track; it never stops it.
func (v *VideoView) SetSrcObject(s *capture.MediaStream) {
	v.detach()
	v.stream = s
	if s != nil {
		if vt := s.GetVideoTracks(); len(vt) > 0 {
			v.attach(vt[0])
		}
	}
	v.updateEmpty()
}

// SetPlaceholder sets the text of the empty view.
func (v *VideoView) SetPlaceholder(text string) {
	v.placeholder.Text = text
	v.placeholder.Refresh()
}

// Stats returns the frame counters of the current stream.
func (v *VideoView) Stats() VideoStats {
	st := VideoStats{Read: v.read.Load(), Shown: v.shown.Load(), Dropped: v.dropped.Load(),
		Width: int(v.frameW.Load()), Height: int(v.frameH.Load())}
	if v.sink != nil {
		shown, dropped := v.sink.stats()
		st.Shown += shown
		st.Dropped += dropped
	}
	return st
}

// showing reports whether a picture (not the placeholder) is up.
func (v *VideoView) showing() bool { return v.track != nil && v.Stats().Shown > 0 }

func (v *VideoView) attach(t *capture.MediaStreamTrack) {
	v.track = t
	v.read.Store(0)
	v.shown.Store(0)
	v.dropped.Store(0)
	v.frameW.Store(0)
	v.frameH.Store(0)
	gen := v.gen.Add(1)
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	r := t.NewVideoReader()
	v.wg.Add(1)
	go v.run(ctx, r, gen)
	if v.sink != nil {
		v.sink.attach(v)
	}
}

// detach stops the reader goroutine and waits for it: it never waits on the
// UI goroutine, so this cannot deadlock.
func (v *VideoView) detach() {
	if v.cancel == nil {
		return
	}
	v.cancel()
	v.wg.Wait()
	v.cancel = nil
	v.track = nil
	v.gen.Add(1)
	v.mu.Lock()
	if v.ready != nil {
		v.freeLocked(v.ready)
		v.ready = nil
	}
	// Not the last frame: the buffer goes back to the pool and the picture
	// to the placeholder.
	if img, ok := v.image.Image.(*image.RGBA); ok {
		v.freeLocked(img)
	}
	v.mu.Unlock()
	if v.sink != nil {
		v.sink.detach()
	}
	v.image.Image = nil
	v.image.Hide()
}

// updateEmpty shows the placeholder when no track is attached.
func (v *VideoView) updateEmpty() {
	if v.track == nil {
		v.image.Hide()
		v.bg.FillColor = placeholderColor
		v.placeholder.Show()
	} else {
		v.bg.FillColor = color.Black
		v.placeholder.Hide()
	}
	v.bg.Refresh()
	v.image.Refresh()
}

// run reads frames until the track ends, the reader fails or ctx ends.
func (v *VideoView) run(ctx context.Context, r *capture.VideoReader, gen uint64) {
	defer v.wg.Done()
	defer r.Close()
	var sc blit.Scaler
	for {
		f, err := r.Read(ctx)
		if err != nil {
			if ctx.Err() == nil {
				// The track ended by itself or was stopped: show the
				// placeholder rather than a frozen last frame.
				v.do(func() { v.trackGone(gen) })
			}
			return
		}
		v.read.Add(1)
		fb := f.Image.Bounds()
		v.frameW.Store(int32(fb.Dx()))
		v.frameH.Store(int32(fb.Dy()))
		if v.sink != nil && v.sink.put(f.Image) {
			continue
		}
		v.convert(&sc, f.Image, gen)
	}
}

// convert scales img into a free buffer of the view's pixel size and makes
// it the newest frame, queueing one present if none is queued.
func (v *VideoView) convert(sc *blit.Scaler, img image.Image, gen uint64) {
	w, h := int(v.pixW.Load()), int(v.pixH.Load())
	if w <= 0 || h <= 0 {
		b := img.Bounds()
		w, h = b.Dx(), b.Dy()
	}
	buf := v.takeBuffer(w, h)
	if _, err := sc.DrawRGBA(buf, img); err != nil {
		v.putFree(buf)
		return
	}
	v.mu.Lock()
	if v.ready != nil {
		v.freeLocked(v.ready)
		v.dropped.Add(1)
	}
	v.ready, v.rgen = buf, gen
	v.mu.Unlock()
	if !v.pending.Swap(true) {
		v.do(v.presentFn)
	}
}

// takeBuffer returns a free buffer of w×h, reusing one when it can. At most
// three exist per size: one shown, one ready, one being written.
func (v *VideoView) takeBuffer(w, h int) *image.RGBA {
	v.mu.Lock()
	defer v.mu.Unlock()
	for len(v.free) > 0 {
		b := v.free[len(v.free)-1]
		v.free = v.free[:len(v.free)-1]
		if b.Rect.Dx() == w && b.Rect.Dy() == h {
			return b
		}
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

func (v *VideoView) putFree(b *image.RGBA) {
	v.mu.Lock()
	v.freeLocked(b)
	v.mu.Unlock()
}

// freeLocked pools b, keeping at most three buffers: the most the frame
// path ever has in flight. Called with v.mu held.
func (v *VideoView) freeLocked(b *image.RGBA) {
	if len(v.free) < 3 {
		v.free = append(v.free, b)
	}
}

// present runs on the UI goroutine: it swaps the newest frame into the
// image. Only the image is refreshed, never its container.
func (v *VideoView) present() {
	v.pending.Store(false)
	v.mu.Lock()
	buf, gen := v.ready, v.rgen
	v.ready = nil
	v.mu.Unlock()
	if buf == nil {
		return
	}
	if gen != v.gen.Load() || v.track == nil {
		v.putFree(buf)
		return
	}
	if old, ok := v.image.Image.(*image.RGBA); ok {
		// Fyne reads the image when it paints, on this goroutine; from the
		// next paint on it reads buf, so old is free again.
		v.putFree(old)
	}
	v.image.Image = buf
	v.image.Show()
	// Through the view's canvas, not v.image.Refresh: that finds the canvas
	// by a cache filled only for objects painted before, and an image
	// hidden until its first frame is not, so the window would never
	// repaint it.
	if c := fyne.CurrentApp().Driver().CanvasForObject(v); c != nil {
		c.Refresh(v.image)
	} else {
		v.image.Refresh()
	}
	v.shown.Add(1)
}

// trackGone clears the view when its track ended (not by SetSrcObject).
func (v *VideoView) trackGone(gen uint64) {
	if gen != v.gen.Load() {
		return
	}
	v.detach()
	v.updateEmpty()
}

// Resize records the pixel size frames are converted to.
func (v *VideoView) Resize(s fyne.Size) {
	v.BaseWidget.Resize(s)
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(v); c != nil {
		scale = c.Scale()
	}
	v.pixW.Store(int32(s.Width * scale))
	v.pixH.Store(int32(s.Height * scale))
	if v.sink != nil {
		v.sink.follow(v)
	}
}

// Move keeps an X11 sink's window over the view.
func (v *VideoView) Move(p fyne.Position) {
	v.BaseWidget.Move(p)
	if v.sink != nil {
		v.sink.follow(v)
	}
}

// Destroy detaches the stream and releases the sink; Fyne calls it when
// the view is removed from its window for good.
func (v *VideoView) Destroy() {
	v.detach()
	if v.sink != nil {
		v.sink.close()
	}
}

// MinSize keeps a preview large enough to read.
func (v *VideoView) MinSize() fyne.Size { return fyne.NewSize(192, 108) }

// CreateRenderer implements fyne.Widget.
func (v *VideoView) CreateRenderer() fyne.WidgetRenderer {
	v.updateEmpty()
	return &videoRenderer{v: v, objects: []fyne.CanvasObject{v.bg, v.image, v.placeholder}}
}

type videoRenderer struct {
	v       *VideoView
	objects []fyne.CanvasObject
}

func (r *videoRenderer) Layout(s fyne.Size) {
	for _, o := range r.objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
	ts := r.v.placeholder.MinSize()
	r.v.placeholder.Move(fyne.NewPos(0, (s.Height-ts.Height)/2))
	r.v.placeholder.Resize(fyne.NewSize(s.Width, ts.Height))
}

func (r *videoRenderer) MinSize() fyne.Size           { return r.v.MinSize() }
func (r *videoRenderer) Refresh()                     { r.v.updateEmpty() }
func (r *videoRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *videoRenderer) Destroy()                     {}
