package gui

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"github.com/tally-app/tally/gui/x11sink"
)

// Video sinks, as --video-sink and TALLY_VIDEO_SINK name them.
const (
	SinkAuto = "auto" // x11 where it works, else gl
	SinkX11  = "x11"  // an X11 child window fed through MIT-SHM (GStreamer's cost)
	SinkGL   = "gl"   // Fyne's canvas: works everywhere, costly on software GL
)

// ChooseSink resolves a --video-sink preference to the sink the views will
// use, with the reason for the choice (for the log and the UI). It checks
// the X server when x11 is possible; it does not open any window.
func ChooseSink(pref string) (sink, reason string, err error) {
	switch pref {
	case "", SinkAuto:
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			return SinkGL, "auto: Wayland session, no X11 child windows", nil
		}
		if err := x11sink.Available(""); err != nil {
			return SinkGL, "auto: " + err.Error(), nil
		}
		return SinkX11, "auto: X11 with MIT-SHM", nil
	case SinkX11:
		if err := x11sink.Available(""); err != nil {
			return SinkGL, "x11 requested but unavailable (" + err.Error() + "), falling back to gl", nil
		}
		return SinkX11, "requested", nil
	case SinkGL:
		return SinkGL, "requested", nil
	}
	return "", "", fmt.Errorf("unknown video sink %q (want auto, x11 or gl)", pref)
}

// frameSink is a renderer a VideoView can put frames to instead of its
// Fyne image. The view calls attach, detach, follow and close on the UI
// goroutine and put on its reader goroutine.
type frameSink interface {
	// put shows img and reports true, or reports false when the sink cannot
	// show it now (not created yet, hidden under a dialog): the view then
	// draws it through Fyne.
	put(img image.Image) bool
	attach(v *VideoView)
	detach()
	follow(v *VideoView)
	// stats counts the frames the sink showed and dropped (the server
	// still busy with both buffers) since the stream was attached.
	stats() (shown, dropped uint64)
	close()
}

// x11View keeps an x11sink window over a VideoView.
type x11View struct {
	win    fyne.Window
	logf   func(format string, args ...any)
	s      atomic.Pointer[x11sink.Sink]
	failed bool          // creating the sink failed for good; UI goroutine only
	live   atomic.Bool   // the window is mapped over the view: frames go to it
	base   x11sink.Stats // the sink's counters when the stream was attached
	bounds [4]int        // last SetBounds; UI goroutine only
}

func newX11View(win fyne.Window, logf func(string, ...any)) *x11View {
	return &x11View{win: win, logf: logf, bounds: [4]int{-1, -1, -1, -1}}
}

func (x *x11View) put(img image.Image) bool {
	s := x.s.Load()
	if s == nil || !x.live.Load() {
		return false
	}
	if err := s.PutFrame(img); err != nil {
		if x.live.Swap(false) {
			x.logf("video sink x11: %v; showing frames through gl", err)
		}
		return false
	}
	return true
}

func (x *x11View) attach(v *VideoView) {
	if s := x.s.Load(); s != nil {
		x.base = s.Stats()
	}
	x.follow(v)
}

func (x *x11View) detach() {
	x.live.Store(false)
	if s := x.s.Load(); s != nil {
		_ = s.Clear()
		_ = s.Hide()
	}
}

func (x *x11View) stats() (shown, dropped uint64) {
	s := x.s.Load()
	if s == nil {
		return 0, 0
	}
	st := s.Stats()
	return st.Put - x.base.Put, st.Dropped - x.base.Dropped
}

// create makes the sink's window once the Fyne window has an X11 handle.
func (x *x11View) create() *x11sink.Sink {
	if s := x.s.Load(); s != nil || x.failed {
		return s
	}
	nw, ok := x.win.(driver.NativeWindow)
	if !ok {
		x.failed = true
		return nil
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if c, ok := ctx.(driver.X11WindowContext); ok {
			handle = c.WindowHandle
		}
	})
	if handle == 0 {
		return nil // not shown yet: try again on the next follow
	}
	s, err := x11sink.New(uint32(handle), "")
	if err != nil {
		x.failed = true
		x.logf("video sink x11: %v; showing frames through gl", err)
		return nil
	}
	x.base = x11sink.Stats{}
	x.s.Store(s)
	return s
}

// follow places the window over the view, and maps it only while the view
// has a stream, is visible and no dialog or popup covers the canvas.
func (x *x11View) follow(v *VideoView) {
	if v.track == nil {
		x.detach()
		return
	}
	s := x.create()
	if s == nil {
		return
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(v)
	if c == nil {
		x.hide(s)
		return
	}
	scale := c.Scale()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v)
	size := v.Size()
	// Outward to whole pixels, so no sliver of the canvas shows at an edge.
	x0, y0 := math.Floor(float64(pos.X*scale)), math.Floor(float64(pos.Y*scale))
	x1, y1 := math.Ceil(float64((pos.X+size.Width)*scale)), math.Ceil(float64((pos.Y+size.Height)*scale))
	b := [4]int{int(x0), int(y0), int(x1 - x0), int(y1 - y0)}
	if b != x.bounds {
		if err := s.SetBounds(b[0], b[1], b[2], b[3]); err != nil {
			x.logf("video sink x11: %v", err)
		}
		x.bounds = b
	}
	if !v.Visible() || c.Overlays().Top() != nil || b[2] <= 0 || b[3] <= 0 {
		x.hide(s)
		return
	}
	if !x.live.Load() {
		if err := s.Show(); err != nil {
			x.logf("video sink x11: %v", err)
			return
		}
		x.live.Store(true)
		// Only the black background under the window: no gl frame may peek
		// out at its edges. The gl path shows the image again if needed.
		v.image.Hide()
	}
}

func (x *x11View) hide(s *x11sink.Sink) {
	if x.live.Swap(false) {
		_ = s.Hide()
	}
}

func (x *x11View) close() {
	x.live.Store(false)
	if s := x.s.Swap(nil); s != nil {
		if err := s.Close(); err != nil && !errors.Is(err, x11sink.ErrClosed) {
			x.logf("video sink x11: %v", err)
		}
	}
}
