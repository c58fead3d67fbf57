//go:build linux

package x11sink

import (
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"

	"github.com/tally-app/tally/internal/blit"
)

// nbuf is how many frame buffers the shared segment holds: the server may
// still be reading one or two (it lags when the machine is busy) while the
// next frame is drawn into another; with all busy a frame is dropped.
const nbuf = 3

// maxSide bounds the window's width and height: X sizes are 16-bit, and a
// bigger window would need a shared buffer of more than 2 GiB.
const maxSide = 16384

// Sink is an X11 child window showing frames uploaded through MIT-SHM.
//
// Thread safety: all methods may be called from any goroutine; they are
// serialised by a mutex. The intended use is one goroutine calling
// PutFrame and the UI goroutine calling SetBounds, Show, Hide and Clear.
// PutFrame holds the mutex while it converts a frame (a few milliseconds at
// 720p), so a SetBounds may wait that long.
type Sink struct {
	conn   *xgb.Conn
	win    xproto.Window
	gc     xproto.Gcontext
	depth  byte
	evDone chan struct{} // closed when the event goroutine has returned

	mu       sync.Mutex
	closed   bool
	dead     error // the connection is gone (server died or closed it)
	asyncErr error // an X error reported for one of our requests
	x, y     int
	w, h     int
	visible  bool // Show called more recently than Hide
	mapped   bool // what we last asked the server
	seg      segment
	slot     int       // len(seg.mem)/nbuf: buffer i starts at i*slot, whatever the frame size
	pending  [nbuf]int // puts sent from each buffer, not yet completed
	last     int       // buffer holding the newest frame put, or -1
	lastW    int       // window size that frame was drawn at
	lastH    int
	scaler   blit.Scaler
	stats    Stats
}

// segment is one System V shared memory segment, attached here and by the
// server. It is marked for removal as soon as both have attached, so the
// kernel frees it when the last of them detaches or exits, even after a
// crash.
type segment struct {
	seg shm.Seg
	mem []byte
}

// Available reports whether a Sink can work on display ("" means $DISPLAY):
// nil if the server is reachable, has the MIT-SHM extension, can attach a
// segment of this process (it cannot over a network or in another
// container), and its default visual takes 32-bit BGRX pixels. Otherwise
// the error says what is missing.
func Available(display string) error {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return fmt.Errorf("x11sink: cannot connect to X display %q: %w", display, err)
	}
	defer closeConn(conn)
	if err := initShm(conn); err != nil {
		return err
	}
	setup := xproto.Setup(conn)
	if len(setup.Roots) == 0 {
		return errors.New("x11sink: X server reports no screens")
	}
	root := setup.DefaultScreen(conn)
	if err := checkVisual(setup, root.RootDepth, root.RootVisual); err != nil {
		return err
	}
	seg, err := attachSegment(conn, 4096)
	if err != nil {
		return err
	}
	detachSegment(conn, seg)
	return nil
}

// Hold connects to display ("" means $DISPLAY) and keeps the connection
// until release is called, or returns the connection's error. An X server
// that resets when its last client leaves (Xvfb does by default) refuses
// connections while it resets: holding one across start-up keeps the
// app's later connections (GLFW's, the sink's check) from landing in that
// moment.
func Hold(display string) (release func(), err error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { closeConn(conn) }) }, nil
}

// New creates the sink's window, unmapped and 1×1, as a child of parent (an
// X window id; on Fyne, driver.X11WindowContext.WindowHandle) on display
// ("" means $DISPLAY), with its own connection to the server. Call
// SetBounds and Show to see it, and Close to release it.
func New(parent uint32, display string) (*Sink, error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("x11sink: cannot connect to X display %q: %w", display, err)
	}
	s, err := newSink(conn, xproto.Window(parent))
	if err != nil {
		closeConn(conn)
		return nil, err
	}
	go s.events()
	return s, nil
}

func newSink(conn *xgb.Conn, parent xproto.Window) (*Sink, error) {
	if err := initShm(conn); err != nil {
		return nil, err
	}
	geom, err := xproto.GetGeometry(conn, xproto.Drawable(parent)).Reply()
	if err != nil {
		return nil, fmt.Errorf("x11sink: parent window 0x%x: %w", uint32(parent), err)
	}
	attrs, err := xproto.GetWindowAttributes(conn, parent).Reply()
	if err != nil {
		return nil, fmt.Errorf("x11sink: parent window 0x%x: %w", uint32(parent), err)
	}
	setup := xproto.Setup(conn)
	if err := checkVisual(setup, geom.Depth, attrs.Visual); err != nil {
		return nil, fmt.Errorf("%w (parent window 0x%x)", err, uint32(parent))
	}
	var black uint32
	for _, sc := range setup.Roots {
		if sc.Root == geom.Root {
			black = sc.BlackPixel
		}
	}

	wid, err := xproto.NewWindowId(conn)
	if err != nil {
		return nil, fmt.Errorf("x11sink: no window id: %w", err)
	}
	// Same depth and visual as the parent (CopyFromParent); black
	// background, so an exposed area without a frame is black; Exposure
	// events to repaint the last frame. No input events are selected, so
	// clicks and keys go to the parent (the Fyne window) as if we were not
	// there.
	err = xproto.CreateWindowChecked(conn, 0, wid, parent, 0, 0, 1, 1, 0,
		xproto.WindowClassInputOutput, 0,
		xproto.CwBackPixel|xproto.CwEventMask,
		[]uint32{black, xproto.EventMaskExposure}).Check()
	if err != nil {
		return nil, fmt.Errorf("x11sink: cannot create child window of 0x%x: %w", uint32(parent), err)
	}
	gc, err := xproto.NewGcontextId(conn)
	if err == nil {
		err = xproto.CreateGCChecked(conn, gc, xproto.Drawable(wid), xproto.GcGraphicsExposures, []uint32{0}).Check()
	}
	if err != nil {
		xproto.DestroyWindow(conn, wid)
		return nil, fmt.Errorf("x11sink: cannot create graphics context: %w", err)
	}
	return &Sink{
		conn:   conn,
		win:    wid,
		gc:     gc,
		depth:  geom.Depth,
		evDone: make(chan struct{}),
		w:      1,
		h:      1,
		last:   -1,
	}, nil
}

// Window returns the X id of the sink's window (for tests and debugging).
func (s *Sink) Window() uint32 { return uint32(s.win) }

// usable reports why the sink cannot take requests, if it cannot. Called
// with s.mu held.
func (s *Sink) usable() error {
	if s.closed {
		return ErrClosed
	}
	return s.dead
}

// SetBounds places the window at (x, y) relative to its parent, w×h
// pixels. A zero or negative size hides it until a later SetBounds gives it
// an area again (Show/Hide state is kept).
func (s *Sink) SetBounds(x, y, w, h int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if w > maxSide || h > maxSide {
		return fmt.Errorf("x11sink: bounds %dx%d larger than %dx%d", w, h, maxSide, maxSide)
	}
	if x < -32768 || x > 32767 || y < -32768 || y > 32767 {
		return fmt.Errorf("x11sink: position (%d,%d) outside X's 16-bit range", x, y)
	}
	changed := x != s.x || y != s.y || w != s.w || h != s.h
	s.x, s.y, s.w, s.h = x, y, w, h
	if changed && w > 0 && h > 0 { // layouts repeat bounds often: send only changes
		xproto.ConfigureWindow(s.conn, s.win,
			xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
			[]uint32{uint32(int32(x)), uint32(int32(y)), uint32(w), uint32(h)})
	}
	s.updateMapping()
	return nil
}

// updateMapping maps or unmaps the window as visibility and size ask.
// Called with s.mu held.
func (s *Sink) updateMapping() {
	want := s.visible && s.w > 0 && s.h > 0
	switch {
	case want && !s.mapped:
		xproto.MapWindow(s.conn, s.win)
	case !want && s.mapped:
		xproto.UnmapWindow(s.conn, s.win)
	}
	s.mapped = want
}

// Show maps the window (if it has an area); the last frame is repainted
// when the server exposes it.
func (s *Sink) Show() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	s.visible = true
	s.updateMapping()
	return nil
}

// Hide unmaps the window, uncovering whatever the parent draws there.
// Frames put while hidden are counted in Stats.Hidden and not drawn.
func (s *Sink) Hide() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	s.visible = false
	s.updateMapping()
	return nil
}

// Clear paints the window black and forgets the last frame, so an Expose
// does not bring it back.
func (s *Sink) Clear() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	s.last = -1
	xproto.ClearArea(s.conn, false, s.win, 0, 0, 0, 0)
	return nil
}

// PutFrame converts and scales img to the window's size (aspect ratio kept,
// black bars) in a free shared buffer and asks the server to show it. It
// never waits for the server: if every buffer is still being read, the
// frame is dropped (Stats.Dropped) and nil is returned. A nil img is
// drawn black. It returns an error if the connection is gone, the sink is
// closed, img cannot be read, or the server reported an error since the
// last call.
func (s *Sink) PutFrame(img image.Image) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.asyncErr; err != nil {
		s.asyncErr = nil
		return err
	}
	if !s.mapped {
		s.stats.Hidden++
		return nil
	}
	frame := s.w * s.h * 4
	if err := s.ensureSegment(frame); err != nil {
		return err
	}
	// Round robin from the newest frame's buffer, which is reused last
	// (an Expose repaints from it).
	i := -1
	for k := 1; k <= nbuf; k++ {
		if c := (s.last + k) % nbuf; s.pending[c] == 0 {
			i = c
			break
		}
	}
	if i < 0 {
		s.stats.Dropped++
		return nil
	}
	buf := s.seg.mem[i*s.slot : i*s.slot+frame]
	if _, err := s.scaler.Draw(buf, s.w*4, s.w, s.h, blit.BGRX, img); err != nil {
		return fmt.Errorf("x11sink: %w", err)
	}
	s.put(i)
	s.last, s.lastW, s.lastH = i, s.w, s.h
	s.stats.Put++
	return nil
}

// put asks the server to copy buffer i into the window, with a completion
// event. Called with s.mu held.
func (s *Sink) put(i int) {
	w, h := uint16(s.w), uint16(s.h)
	shm.PutImage(s.conn, xproto.Drawable(s.win), s.gc, w, h, 0, 0, w, h, 0, 0,
		s.depth, xproto.ImageFormatZPixmap, 1, s.seg.seg, uint32(i*s.slot))
	s.pending[i]++
}

// ensureSegment makes the shared segment hold nbuf frames of frameBytes.
// It is replaced when too small, or much too big (a shrunk window should
// not pin a large segment). The buffers' offsets depend only on the
// segment, so a put still in flight stays valid when the window is
// resized. Called with s.mu held.
func (s *Sink) ensureSegment(frameBytes int) error {
	need := nbuf * frameBytes
	if have := len(s.seg.mem); have >= need && have <= 4*need {
		return nil
	}
	// Requests are processed in order, so the server finishes any put
	// from the old segment before it detaches it.
	if s.seg.mem != nil {
		detachSegment(s.conn, s.seg)
		s.seg = segment{}
	}
	seg, err := attachSegment(s.conn, need)
	if err != nil {
		return err
	}
	s.seg, s.slot, s.pending, s.last = seg, len(seg.mem)/nbuf, [nbuf]int{}, -1
	return nil
}

// Stats returns the frame counters.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Sync waits until the server has processed every request the sink sent
// so far (a round trip), so that what it shows can be read back.
func (s *Sink) Sync() error {
	s.mu.Lock()
	err := s.usable()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if _, err := xproto.GetInputFocus(s.conn).Reply(); err != nil {
		return fmt.Errorf("x11sink: round trip to X server: %w", err)
	}
	return nil
}

// Close destroys the window, releases the shared memory and closes the
// connection, and returns once the sink's goroutine has ended. Calling it
// again does nothing.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.dead == nil {
		xproto.FreeGC(s.conn, s.gc)
		xproto.DestroyWindow(s.conn, s.win)
	}
	if s.seg.mem != nil {
		detachSegment(s.conn, s.seg)
		s.seg = segment{}
	}
	s.mu.Unlock()
	// Close flushes the requests above with a round trip, then the event
	// goroutine sees the event channel close and returns.
	s.conn.Close()
	<-s.evDone
	return nil
}

// events handles the server's events until the connection closes: buffer
// completions, Expose (repaint the last frame) and errors.
func (s *Sink) events() {
	defer close(s.evDone)
	for {
		ev, xerr := s.conn.WaitForEvent()
		if ev == nil && xerr == nil {
			s.mu.Lock()
			if !s.closed {
				s.dead = errors.New("x11sink: connection to the X server was lost")
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		switch e := ev.(type) {
		case shm.CompletionEvent:
			if e.Shmseg == s.seg.seg && s.slot > 0 {
				if i := int(e.Offset) / s.slot; i < nbuf && s.pending[i] > 0 {
					s.pending[i]--
				}
			}
		case xproto.ExposeEvent:
			if e.Count == 0 && !s.closed && s.mapped && s.last >= 0 && s.lastW == s.w && s.lastH == s.h {
				s.put(s.last)
			}
		}
		if xerr != nil && !s.closed {
			// A failed put sends no completion: free the buffers so frames
			// keep flowing, and report the error from the next PutFrame.
			s.asyncErr = fmt.Errorf("x11sink: X server error: %v", xerr)
			s.pending = [nbuf]int{}
		}
		s.mu.Unlock()
	}
}

// attachSegment creates a segment of size bytes, attaches it here and in
// the server, and marks it for removal right away.
func attachSegment(conn *xgb.Conn, size int) (segment, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return segment{}, fmt.Errorf("x11sink: shmget of %d bytes: %w", size, err)
	}
	// Whatever happens next, the segment goes away with its last user.
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	mem, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return segment{}, fmt.Errorf("x11sink: shmat: %w", err)
	}
	seg, err := shm.NewSegId(conn)
	if err == nil {
		err = shm.AttachChecked(conn, seg, uint32(id), true).Check()
	}
	if err != nil {
		unix.SysvShmDetach(mem)
		return segment{}, fmt.Errorf("x11sink: the X server cannot attach MIT-SHM segment (is it remote?): %w", err)
	}
	return segment{seg: seg, mem: mem}, nil
}

// detachSegment detaches seg from the server and from this process.
func detachSegment(conn *xgb.Conn, seg segment) {
	shm.Detach(conn, seg.seg)
	unix.SysvShmDetach(seg.mem)
}

// closeConn closes conn and waits until xgb's goroutines have ended, which
// WaitForEvent signals by returning (nil, nil).
func closeConn(conn *xgb.Conn) {
	conn.Close()
	for {
		if ev, err := conn.WaitForEvent(); ev == nil && err == nil {
			return
		}
	}
}

// shmInit guards the registration of MIT-SHM's event and error numbers in
// xgb's global tables: shm.Init writes them unsynchronised, while every
// open connection reads them, so it runs once per distinct numbering.
var shmInit struct {
	sync.Mutex
	done map[[2]byte]bool // {first event, first error} already registered
}

// initShm enables MIT-SHM requests on conn, or says it is missing.
func initShm(conn *xgb.Conn) error {
	reply, err := xproto.QueryExtension(conn, 7, "MIT-SHM").Reply()
	if err != nil {
		return fmt.Errorf("x11sink: querying the MIT-SHM extension: %w", err)
	}
	if !reply.Present {
		return errors.New("x11sink: the X server has no MIT-SHM extension")
	}
	shmInit.Lock()
	defer shmInit.Unlock()
	k := [2]byte{reply.FirstEvent, reply.FirstError}
	if !shmInit.done[k] {
		if err := shm.Init(conn); err != nil {
			return fmt.Errorf("x11sink: MIT-SHM: %w", err)
		}
		if shmInit.done == nil {
			shmInit.done = map[[2]byte]bool{}
		}
		shmInit.done[k] = true
	} else {
		conn.ExtLock.Lock()
		conn.Extensions["MIT-SHM"] = reply.MajorOpcode
		conn.ExtLock.Unlock()
	}
	if _, err := shm.QueryVersion(conn).Reply(); err != nil {
		return fmt.Errorf("x11sink: MIT-SHM version query: %w", err)
	}
	return nil
}

// checkVisual accepts what BGRX pixels can be put into directly: 32 bits
// per pixel, little-endian image byte order, a TrueColor (or DirectColor)
// visual with red, green and blue masks 0xff0000, 0xff00, 0xff.
func checkVisual(setup *xproto.SetupInfo, depth byte, visual xproto.Visualid) error {
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return errors.New("x11sink: X server uses big-endian images; only BGRX little-endian is supported")
	}
	bpp := byte(0)
	for _, f := range setup.PixmapFormats {
		if f.Depth == depth {
			bpp = f.BitsPerPixel
		}
	}
	if bpp != 32 {
		return fmt.Errorf("x11sink: depth %d uses %d bits per pixel; only 32 is supported", depth, bpp)
	}
	for _, sc := range setup.Roots {
		for _, d := range sc.AllowedDepths {
			if d.Depth != depth {
				continue
			}
			for _, v := range d.Visuals {
				if v.VisualId != visual {
					continue
				}
				if (v.Class != xproto.VisualClassTrueColor && v.Class != xproto.VisualClassDirectColor) ||
					v.RedMask != 0xff0000 || v.GreenMask != 0xff00 || v.BlueMask != 0xff {
					return fmt.Errorf("x11sink: visual 0x%x (class %d, masks %06x %06x %06x) is not 24-bit BGR TrueColor",
						uint32(visual), v.Class, v.RedMask, v.GreenMask, v.BlueMask)
				}
				return nil
			}
		}
	}
	return fmt.Errorf("x11sink: visual 0x%x of depth %d not found in the server's setup", uint32(visual), depth)
}
