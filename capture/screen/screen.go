// Package screen is Tally's screen backend for GetDisplayMedia: every screen
// of the X display, captured with MIT-SHM (or plain GetImage where shared
// memory is unavailable) into recycled *image.RGBA frames.
//
// # Why not pion's X11 screen driver
//
// pion/mediadevices v0.9.4's pkg/driver/screen (cgo Xlib) was read and
// measured against Tally's contract, and it cannot meet it:
//   - it opens the display named by $DISPLAY once, in init(), and registers
//     its screens then: a display that appears later (a test's private Xvfb,
//     a session started after the program) is never seen, and calling
//     Initialize again registers duplicates;
//   - its reader waits on a time.Ticker that Close stops but never wakes, so
//     a Read blocked at Close never returns (a leaked goroutine, and
//     capture.Device requires Close to end a blocked read);
//   - Close frees the XImage that a concurrent Read may be copying from;
//   - every frame allocates width×height×4 bytes (C.GoBytes) and is then
//     copied into one *image.RGBA that is overwritten by the next frame
//     while consumers may still hold it.
//
// So this package talks X11 itself with github.com/jezek/xgb (pure Go, which
// pion's driver is not): the display is looked up when devices are listed
// (WithDisplay, else $DISPLAY at that moment), frames are paced by a timer
// that Close and the context interrupt, and each frame is converted once from
// the server's BGRX into a pooled RGBA buffer.
package screen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"

	"github.com/tally-app/tally/capture"
)

// IDPrefix starts every device id of this backend; the rest is the X11
// screen name, display and screen number (":0.0").
const IDPrefix = "screen:"

// FrameRates are the frame rates each screen lists as modes. Open accepts
// any rate up to MaxFrameRate: capture is paced by a timer, not the display.
var FrameRates = []float64{5, 10, 15, 30, 60}

// MaxFrameRate bounds the rate Open accepts.
const MaxFrameRate = 60

// DefaultFrameRate is used when a mode asks for no particular rate.
const DefaultFrameRate = 30

// DefaultPollInterval is how often the screens are checked for hot-plug
// (a display appearing or going, a screen resized) while someone listens.
const DefaultPollInterval = time.Second

// poolSize is how many frame buffers an open screen keeps for reuse.
const poolSize = 4

// Backend is the screen backend. It implements capture.Backend and
// capture.DeviceChangeNotifier.
type Backend struct {
	display string // fixed by WithDisplay; "" means $DISPLAY at each call
	poll    time.Duration

	mu        sync.Mutex
	open      map[string]*device // by device id: each screen opens once
	listeners map[int]func()
	nextL     int
	stopPoll  chan struct{} // non-nil while the poller runs
}

// Option configures a Backend.
type Option func(*Backend)

// WithDisplay makes the backend use the named X display (":1") instead of
// $DISPLAY.
func WithDisplay(name string) Option { return func(b *Backend) { b.display = name } }

// WithPollInterval sets how often screens are checked for changes while
// someone listens for devicechange (DefaultPollInterval if d <= 0).
func WithPollInterval(d time.Duration) Option {
	return func(b *Backend) {
		if d > 0 {
			b.poll = d
		}
	}
}

// New returns the screen backend.
func New(opts ...Option) *Backend {
	b := &Backend{poll: DefaultPollInterval, open: make(map[string]*device), listeners: make(map[int]func())}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Name implements capture.Backend.
func (b *Backend) Name() string { return "screen" }

// displayName is the display to list: the fixed one, else $DISPLAY now.
func (b *Backend) displayName() string {
	if b.display != "" {
		return b.display
	}
	return os.Getenv("DISPLAY")
}

// baseDisplay strips the screen number: ":1.0" → ":1", "host:1" → "host:1".
func baseDisplay(name string) string {
	colon := strings.LastIndexByte(name, ':')
	if colon < 0 {
		return name
	}
	if dot := strings.IndexByte(name[colon:], '.'); dot >= 0 {
		return name[:colon+dot]
	}
	return name
}

// parseID splits "screen::1.0" into the display ":1" and screen 0.
func parseID(deviceID string) (display string, screen int, ok bool) {
	rest, found := strings.CutPrefix(deviceID, IDPrefix)
	colon := strings.LastIndexByte(rest, ':')
	if !found || colon < 0 {
		return "", 0, false
	}
	dot := strings.LastIndexByte(rest, '.')
	if dot < colon {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[dot+1:])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return rest[:dot], n, true
}

// connect opens a connection to an X display. xgb's dial has no timeout of
// its own; a local display answers at once, a dead one refuses at once.
func connect(display string) (*xgb.Conn, error) {
	if display == "" {
		return nil, errors.New("no X display (DISPLAY is not set)")
	}
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("connecting to X display %s: %w", display, err)
	}
	return conn, nil
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

// screenInfo is one screen as the server describes it now.
type screenInfo struct {
	num  int
	w, h int
}

// listScreens asks the server for its screens' current sizes (the setup
// block's sizes are those at connection time; GetGeometry sees RandR
// changes since).
func listScreens(conn *xgb.Conn) ([]screenInfo, error) {
	setup := xproto.Setup(conn)
	out := make([]screenInfo, 0, len(setup.Roots))
	for i, root := range setup.Roots {
		g, err := xproto.GetGeometry(conn, xproto.Drawable(root.Root)).Reply()
		if err != nil {
			return nil, fmt.Errorf("size of screen %d: %w", i, err)
		}
		out = append(out, screenInfo{num: i, w: int(g.Width), h: int(g.Height)})
	}
	return out, nil
}

func deviceID(display string, screen int) string {
	return fmt.Sprintf("%s%s.%d", IDPrefix, display, screen)
}

func describe(display string, s screenInfo) capture.DeviceDescriptor {
	id := deviceID(display, s.num)
	modes := make([]capture.MediaTrackSettings, 0, len(FrameRates))
	// The default rate first: selection breaks ties by order, so a request
	// with no frame rate gets DefaultFrameRate.
	rates := append([]float64{DefaultFrameRate}, slices.DeleteFunc(slices.Clone(FrameRates), func(r float64) bool { return r == DefaultFrameRate })...)
	for _, fps := range rates {
		modes = append(modes, capture.MediaTrackSettings{
			DeviceID:       id,
			Width:          s.w,
			Height:         s.h,
			FrameRate:      fps,
			AspectRatio:    float64(s.w) / float64(s.h),
			ResizeMode:     capture.ResizeModeNone,
			DisplaySurface: capture.DisplaySurfaceMonitor,
			Format:         "RGBA",
		})
	}
	return capture.DeviceDescriptor{
		DeviceID: id,
		Kind:     capture.KindDisplay,
		Default:  s.num == 0,
		Label:    fmt.Sprintf("Screen %d of %s (%dx%d)", s.num, display, s.w, s.h),
		Path:     fmt.Sprintf("%s.%d", display, s.num),
		Modes:    modes,
		Capabilities: capture.MediaTrackCapabilities{
			Width:       capture.ULongRange{Min: s.w, Max: s.w},
			Height:      capture.ULongRange{Min: s.h, Max: s.h},
			FrameRate:   capture.DoubleRange{Min: slices.Min(FrameRates), Max: slices.Max(FrameRates)},
			AspectRatio: capture.DoubleRange{Min: float64(s.w) / float64(s.h), Max: float64(s.w) / float64(s.h)},
			ResizeMode:  []string{capture.ResizeModeNone},
			DeviceID:    id,
		},
	}
}

// Devices implements capture.Backend. With no reachable X display there
// are no screens: an empty list, not an error.
func (b *Backend) Devices(ctx context.Context) ([]capture.DeviceDescriptor, error) {
	if err := ctx.Err(); err != nil {
		return nil, capture.NewError(capture.ErrAbort, err, "listing screens")
	}
	display := baseDisplay(b.displayName())
	if display == "" {
		return nil, nil
	}
	conn, err := connect(display)
	if err != nil {
		return nil, nil
	}
	defer closeConn(conn)
	screens, err := listScreens(conn)
	if err != nil {
		return nil, nil // the display went away while we asked
	}
	out := make([]capture.DeviceDescriptor, 0, len(screens))
	for _, s := range screens {
		out = append(out, describe(display, s))
	}
	return out, nil
}

// IsOpen reports whether the screen with the given device id is open.
func (b *Backend) IsOpen(deviceID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.open[deviceID]
	return ok
}

// OpenCount is the number of screens open through this backend.
func (b *Backend) OpenCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.open)
}

// Open implements capture.Backend: it connects to the screen's display and
// prepares capture at mode.FrameRate (DefaultFrameRate when 0).
func (b *Backend) Open(ctx context.Context, deviceID string, mode capture.MediaTrackSettings) (capture.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, capture.NewError(capture.ErrAbort, err, "opening screen %q", deviceID)
	}
	display, num, ok := parseID(deviceID)
	if !ok {
		return nil, capture.NewError(capture.ErrNotFound, nil, "%q is not a screen of this backend", deviceID)
	}
	fps := mode.FrameRate
	if fps <= 0 {
		fps = DefaultFrameRate
	}
	if fps > MaxFrameRate {
		return nil, capture.NewError(capture.ErrNotReadable, nil, "screen %q: frame rate %g is above the maximum %d", deviceID, fps, MaxFrameRate)
	}

	b.mu.Lock()
	if _, busy := b.open[deviceID]; busy {
		b.mu.Unlock()
		return nil, capture.NewError(capture.ErrNotReadable, nil, "screen %q is busy: already open in this process", deviceID)
	}
	b.open[deviceID] = nil // reserved while connecting
	b.mu.Unlock()

	d, err := openScreen(deviceID, display, num, fps)
	b.mu.Lock()
	if err != nil {
		delete(b.open, deviceID)
	} else {
		d.b = b
		b.open[deviceID] = d
	}
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return d, nil
}

// pixelOrder says where red is in the server's 32-bit pixels.
type pixelOrder int

const (
	orderBGRX pixelOrder = iota // red mask 0xff0000: bytes B, G, R, X (the usual)
	orderRGBX                   // red mask 0xff: bytes R, G, B, X
)

// rootFormat finds the byte layout of the root window's pixels, accepting
// what converts with byte moves: 32 bits per pixel, little-endian, 8 bits
// per channel.
func rootFormat(setup *xproto.SetupInfo, root xproto.ScreenInfo) (pixelOrder, error) {
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return 0, errors.New("the X server sends big-endian images; only little-endian is supported")
	}
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == root.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 32 {
		return 0, fmt.Errorf("the root window has depth %d at %d bits per pixel; only 32 bits per pixel is supported", root.RootDepth, bpp)
	}
	for _, d := range root.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId != root.RootVisual {
				continue
			}
			switch {
			case v.RedMask == 0xff0000 && v.GreenMask == 0xff00 && v.BlueMask == 0xff:
				return orderBGRX, nil
			case v.RedMask == 0xff && v.GreenMask == 0xff00 && v.BlueMask == 0xff0000:
				return orderRGBX, nil
			}
			return 0, fmt.Errorf("unsupported root visual masks R %#x G %#x B %#x", v.RedMask, v.GreenMask, v.BlueMask)
		}
	}
	return 0, errors.New("the root visual is not among the screen's visuals")
}

// device is an open screen.
type device struct {
	b        *Backend
	deviceID string
	conn     *xgb.Conn
	root     xproto.Window
	w, h     int
	order    pixelOrder
	interval time.Duration

	// MIT-SHM: the server writes each frame into mem. Without it (a remote
	// display, or the extension turned off) frames come in GetImage replies.
	useShm bool
	seg    shm.Seg
	mem    []byte

	start time.Time
	next  time.Time // when the next frame is due

	free chan *image.RGBA
	made atomic.Int32 // buffers allocated, for tests of the recycling

	closed    chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex // held by a read in progress; Close waits for it
	torn      bool
}

func openScreen(deviceID, display string, num int, fps float64) (*device, error) {
	conn, err := connect(display)
	if err != nil {
		return nil, capture.NewError(capture.ErrNotFound, err, "screen %q", deviceID)
	}
	fail := func(kind *capture.DOMException, err error, format string, args ...any) (*device, error) {
		closeConn(conn)
		return nil, capture.NewError(kind, err, "screen %q: "+format, append([]any{deviceID}, args...)...)
	}
	setup := xproto.Setup(conn)
	if num >= len(setup.Roots) {
		return fail(capture.ErrNotFound, nil, "display %s has %d screen(s)", display, len(setup.Roots))
	}
	root := setup.Roots[num]
	order, err := rootFormat(setup, root)
	if err != nil {
		return fail(capture.ErrNotReadable, err, "cannot capture")
	}
	g, err := xproto.GetGeometry(conn, xproto.Drawable(root.Root)).Reply()
	if err != nil {
		return fail(capture.ErrNotFound, err, "reading its size")
	}
	d := &device{
		deviceID: deviceID,
		conn:     conn,
		root:     root.Root,
		w:        int(g.Width),
		h:        int(g.Height),
		order:    order,
		interval: time.Duration(float64(time.Second) / fps),
		free:     make(chan *image.RGBA, poolSize),
		closed:   make(chan struct{}),
		start:    time.Now(),
	}
	d.next = d.start
	d.useShm = d.attachShm() == nil
	return d, nil
}

// attachShm sets up a shared memory segment for the whole screen. It
// registers MIT-SHM on this connection only: shm.Init also writes xgb's
// global error and event tables, unsynchronised with every other
// connection's reader (the GUI's X11 sink has its own), and capture needs
// no MIT-SHM events.
func (d *device) attachShm() error {
	ext, err := xproto.QueryExtension(d.conn, 7, "MIT-SHM").Reply()
	if err != nil {
		return err
	}
	if !ext.Present {
		return errors.New("no MIT-SHM")
	}
	d.conn.ExtLock.Lock()
	d.conn.Extensions["MIT-SHM"] = ext.MajorOpcode
	d.conn.ExtLock.Unlock()
	if _, err := shm.QueryVersion(d.conn).Reply(); err != nil {
		return err
	}
	size := d.w * d.h * 4
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return err
	}
	// The segment goes away with its last user, whatever happens next.
	defer unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	mem, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		return err
	}
	seg, err := shm.NewSegId(d.conn)
	if err == nil {
		err = shm.AttachChecked(d.conn, seg, uint32(id), false).Check()
	}
	if err != nil {
		unix.SysvShmDetach(mem)
		return err // a remote server cannot attach our memory
	}
	d.seg, d.mem = seg, mem
	return nil
}

// ReadVideo implements capture.VideoDevice: it waits until the next frame is
// due, grabs the screen and converts it into a pooled *image.RGBA.
func (d *device) ReadVideo(ctx context.Context) (capture.VideoFrame, error) {
	// Checked first as well as while waiting: a grab slower than the frame
	// interval never waits, and must still stop when asked.
	if err := ctx.Err(); err != nil {
		return capture.VideoFrame{}, capture.NewError(capture.ErrAbort, err, "reading screen %q", d.deviceID)
	}
	if wait := time.Until(d.next); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return capture.VideoFrame{}, capture.NewError(capture.ErrAbort, ctx.Err(), "reading screen %q", d.deviceID)
		case <-d.closed:
			t.Stop()
			return capture.VideoFrame{}, capture.NewError(capture.ErrNotReadable, nil, "screen %q is closed", d.deviceID)
		}
	}
	// Due times advance by the interval, but never fall behind now: a slow
	// grab skips frames instead of bursting to catch up.
	d.next = d.next.Add(d.interval)
	if now := time.Now(); d.next.Before(now) {
		d.next = now
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.torn {
		return capture.VideoFrame{}, capture.NewError(capture.ErrNotReadable, nil, "screen %q is closed", d.deviceID)
	}
	src, err := d.grab()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return capture.VideoFrame{}, capture.NewError(capture.ErrNotFound, err, "screen %q: its X display went away", d.deviceID)
		}
		return capture.VideoFrame{}, capture.NewError(capture.ErrNotReadable, err, "grabbing screen %q", d.deviceID)
	}
	ts := time.Since(d.start)
	buf := d.getBuffer()
	convertX(buf.Pix, src, d.order)
	return capture.NewPooledVideoFrame(buf, ts, func() { d.putBuffer(buf) }), nil
}

// grab fetches the screen's pixels: into the shared segment, or in a reply.
func (d *device) grab() ([]byte, error) {
	const allPlanes = 0xffffffff
	if d.useShm {
		_, err := shm.GetImage(d.conn, xproto.Drawable(d.root), 0, 0, uint16(d.w), uint16(d.h),
			allPlanes, xproto.ImageFormatZPixmap, d.seg, 0).Reply()
		if err != nil {
			return nil, err
		}
		return d.mem, nil
	}
	r, err := xproto.GetImage(d.conn, xproto.ImageFormatZPixmap, xproto.Drawable(d.root), 0, 0,
		uint16(d.w), uint16(d.h), allPlanes).Reply()
	if err != nil {
		return nil, err
	}
	if len(r.Data) < d.w*d.h*4 {
		return nil, fmt.Errorf("short image: %d bytes for %dx%d", len(r.Data), d.w, d.h)
	}
	return r.Data, nil
}

// convertX turns the server's 32-bit pixels into RGBA with opaque alpha.
func convertX(dst, src []byte, order pixelOrder) {
	n := min(len(dst), len(src)) &^ 3
	dst, src = dst[:n], src[:n]
	if order == orderRGBX {
		for i := 0; i < n; i += 4 {
			binary.LittleEndian.PutUint32(dst[i:i+4], binary.LittleEndian.Uint32(src[i:i+4])|0xff000000)
		}
		return
	}
	// Two pixels per 64-bit load: swap bytes 0 and 2 of each, set alpha.
	i := 0
	for ; i+8 <= n; i += 8 {
		v := binary.LittleEndian.Uint64(src[i : i+8])
		binary.LittleEndian.PutUint64(dst[i:i+8], v>>16&0x000000ff000000ff|v&0x0000ff000000ff00|(v&0x000000ff000000ff)<<16|0xff000000ff000000)
	}
	for ; i < n; i += 4 {
		v := binary.LittleEndian.Uint32(src[i : i+4])
		binary.LittleEndian.PutUint32(dst[i:i+4], v>>16&0xff|v&0xff00|(v&0xff)<<16|0xff000000)
	}
}

func (d *device) getBuffer() *image.RGBA {
	select {
	case b := <-d.free:
		return b
	default:
		d.made.Add(1)
		return image.NewRGBA(image.Rect(0, 0, d.w, d.h))
	}
}

func (d *device) putBuffer(b *image.RGBA) {
	select {
	case d.free <- b:
	default:
	}
}

// Close implements capture.Device. A read in progress finishes its grab
// first (the shared segment must outlive it); a read waiting for its frame
// time returns at once.
func (d *device) Close() error {
	d.closeOnce.Do(func() {
		close(d.closed)
		d.mu.Lock()
		d.torn = true
		if d.useShm {
			shm.Detach(d.conn, d.seg)
		}
		closeConn(d.conn)
		if d.mem != nil {
			unix.SysvShmDetach(d.mem)
			d.mem = nil
		}
		d.mu.Unlock()
		if d.b != nil {
			d.b.mu.Lock()
			if d.b.open[d.deviceID] == d {
				delete(d.b.open, d.deviceID)
			}
			d.b.mu.Unlock()
		}
	})
	return nil
}

// OnDeviceChange implements capture.DeviceChangeNotifier: while a callback
// is registered, the display's screens are checked every poll interval and
// the callbacks run when the list or a screen's size changes (including the
// display appearing or going away).
func (b *Backend) OnDeviceChange(f func()) (cancel func()) {
	b.mu.Lock()
	id := b.nextL
	b.nextL++
	b.listeners[id] = f
	if b.stopPoll == nil {
		b.stopPoll = make(chan struct{})
		go b.pollLoop(b.stopPoll)
	}
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.listeners, id)
			if len(b.listeners) == 0 && b.stopPoll != nil {
				// Not waiting for the poller: cancel may be called from a
				// callback, on the poller's goroutine. It exits at once.
				close(b.stopPoll)
				b.stopPoll = nil
			}
			b.mu.Unlock()
		})
	}
}

// watcher keeps one connection for polling, so a poll is a few round trips
// instead of a connection setup each time.
type watcher struct {
	display string
	conn    *xgb.Conn
}

func (w *watcher) close() {
	if w.conn != nil {
		closeConn(w.conn)
		w.conn = nil
	}
}

// fingerprint describes the screens now; "" when there is no display.
func (w *watcher) fingerprint(display string) string {
	if display != w.display {
		w.close()
		w.display = display
	}
	if display == "" {
		return ""
	}
	if w.conn == nil {
		conn, err := connect(display)
		if err != nil {
			return ""
		}
		w.conn = conn
	}
	screens, err := listScreens(w.conn)
	if err != nil {
		w.close() // the display went away; reconnect on a later tick
		return ""
	}
	var sb strings.Builder
	sb.WriteString(display)
	for _, s := range screens {
		fmt.Fprintf(&sb, "|%d:%dx%d", s.num, s.w, s.h)
	}
	return sb.String()
}

func (b *Backend) pollLoop(stop chan struct{}) {
	w := &watcher{}
	defer w.close()
	last := w.fingerprint(baseDisplay(b.displayName()))
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		fp := w.fingerprint(baseDisplay(b.displayName()))
		if fp == last {
			continue
		}
		last = fp
		b.mu.Lock()
		fns := make([]func(), 0, len(b.listeners))
		for _, f := range b.listeners {
			fns = append(fns, f)
		}
		b.mu.Unlock()
		for _, f := range fns {
			f()
		}
	}
}
