package screen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"go.uber.org/goleak"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startXvfb starts a private X server and checks, before it stops, that no
// goroutine of this package is left: once the server is gone, xgb's
// goroutines of a leaked connection end by themselves, and TestMain's check
// would miss them.
func startXvfb(t testing.TB, args ...string) *testenv.Xvfb {
	x := testenv.StartXvfb(t, args...)
	before := goleak.IgnoreCurrent() // the server's own watcher, the test runner
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	return x
}

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		id      string
		display string
		screen  int
		ok      bool
	}{
		{"screen::0.0", ":0", 0, true},
		{"screen::100.1", ":100", 1, true},
		{"screen:host:10.2", "host:10", 2, true},
		{"screen::0", "", 0, false},
		{"screen:", "", 0, false},
		{"camera::0.0", "", 0, false},
		{"screen::0.x", "", 0, false},
		{"screen::0.-1", "", 0, false},
	} {
		d, s, ok := parseID(tc.id)
		if d != tc.display || s != tc.screen || ok != tc.ok {
			t.Errorf("parseID(%q) = %q, %d, %v", tc.id, d, s, ok)
		}
	}
	for in, want := range map[string]string{":1": ":1", ":1.0": ":1", "host:3.1": "host:3", "": ""} {
		if got := baseDisplay(in); got != want {
			t.Errorf("baseDisplay(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConvertX(t *testing.T) {
	src := []byte{0x10, 0x20, 0x30, 0x00, 0xff, 0x00, 0x80, 0x7f}
	dst := make([]byte, 8)
	convertX(dst, src, orderBGRX)
	if want := []byte{0x30, 0x20, 0x10, 0xff, 0x80, 0x00, 0xff, 0xff}; string(dst) != string(want) {
		t.Errorf("BGRX: % x, want % x", dst, want)
	}
	convertX(dst, src, orderRGBX)
	if want := []byte{0x10, 0x20, 0x30, 0xff, 0xff, 0x00, 0x80, 0xff}; string(dst) != string(want) {
		t.Errorf("RGBX: % x, want % x", dst, want)
	}
	convertX(dst, src[:5], orderBGRX) // a short source converts what is whole
}

// TestNoDisplay: without an X display there are no screens, no error.
func TestNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	b := New()
	if devs, err := b.Devices(context.Background()); err != nil || len(devs) != 0 {
		t.Errorf("no DISPLAY: %v, %v", devs, err)
	}
	t.Setenv("DISPLAY", ":64999") // nothing listens there
	if devs, err := b.Devices(context.Background()); err != nil || len(devs) != 0 {
		t.Errorf("dead DISPLAY: %v, %v", devs, err)
	}
	for _, id := range []string{"screen::64999.0", "screen:nonsense", "camera:x"} {
		if _, err := b.Open(context.Background(), id, capture.MediaTrackSettings{}); !errors.Is(err, capture.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want NotFoundError", id, err)
		}
	}
	if b.OpenCount() != 0 {
		t.Error("a device is left open")
	}
}

// drawing is an X client that paints the root window with known colours.
type drawing struct {
	conn *xgb.Conn
	root xproto.Window
	gc   xproto.Gcontext
}

func newDrawing(t *testing.T, display string) *drawing {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeConn(conn) })
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	gc, err := xproto.NewGcontextId(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateGCChecked(conn, gc, xproto.Drawable(root), 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	return &drawing{conn: conn, root: root, gc: gc}
}

// fill paints a rectangle in an 0xRRGGBB colour (the TrueColor pixel value
// on a 24-bit Xvfb).
func (d *drawing) fill(t *testing.T, rgb uint32, r image.Rectangle) {
	t.Helper()
	if err := xproto.ChangeGCChecked(d.conn, d.gc, xproto.GcForeground, []uint32{rgb}).Check(); err != nil {
		t.Fatal(err)
	}
	rect := xproto.Rectangle{X: int16(r.Min.X), Y: int16(r.Min.Y), Width: uint16(r.Dx()), Height: uint16(r.Dy())}
	if err := xproto.PolyFillRectangleChecked(d.conn, xproto.Drawable(d.root), d.gc, []xproto.Rectangle{rect}).Check(); err != nil {
		t.Fatal(err)
	}
}

var (
	red   = color.RGBA{0xff, 0, 0, 0xff}
	green = color.RGBA{0, 0xff, 0, 0xff}
	blue  = color.RGBA{0, 0, 0xff, 0xff}
	grey  = color.RGBA{0x12, 0x34, 0x56, 0xff}
)

// paintScene draws the known picture: left half red, right half green, a
// blue square at (100,100)-(200,200), one odd pixel at (1279,799).
func paintScene(t *testing.T, d *drawing) {
	d.fill(t, 0xff0000, image.Rect(0, 0, 640, 800))
	d.fill(t, 0x00ff00, image.Rect(640, 0, 1280, 800))
	d.fill(t, 0x0000ff, image.Rect(100, 100, 200, 200))
	d.fill(t, 0x123456, image.Rect(1279, 799, 1280, 800))
}

var sceneChecks = []struct {
	x, y int
	want color.RGBA
}{
	{0, 0, red}, {639, 799, red}, {99, 150, red}, {100, 100, blue}, {199, 199, blue}, {200, 150, red},
	{640, 0, green}, {1278, 799, green}, {1279, 799, grey}, {900, 400, green},
}

func sceneMismatch(img *image.RGBA) string {
	for _, c := range sceneChecks {
		if got := img.RGBAAt(c.x, c.y); got != c.want {
			return fmt.Sprintf("pixel (%d,%d) is %v, want %v", c.x, c.y, got, c.want)
		}
	}
	return ""
}

// readScene reads frames until one shows the scene (the server may not have
// drawn it by the first grab), failing after a deadline.
func readScene(t *testing.T, d capture.VideoDevice) capture.VideoFrame {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := d.ReadVideo(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		img, ok := f.Image.(*image.RGBA)
		if !ok {
			t.Fatalf("frame is %T, want *image.RGBA", f.Image)
		}
		if img.Rect != image.Rect(0, 0, testenv.XvfbWidth, testenv.XvfbHeight) {
			t.Fatalf("frame bounds %v", img.Rect)
		}
		miss := sceneMismatch(img)
		if miss == "" {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("the captured screen never showed the drawn scene: %s", miss)
		}
	}
}

func captureScene(t *testing.T, wantShm bool, xvfbArgs ...string) {
	x := startXvfb(t, xvfbArgs...)
	t.Setenv("DISPLAY", x.Display()) // the display exists only after the process started
	paintScene(t, newDrawing(t, x.Display()))

	b := New()
	devs, err := b.Devices(context.Background())
	if err != nil || len(devs) != 1 {
		t.Fatalf("Devices() = %+v, %v; want one screen", devs, err)
	}
	desc := devs[0]
	if desc.DeviceID != "screen:"+x.Display()+".0" || desc.Kind != capture.KindDisplay ||
		desc.Capabilities.Width.Max != testenv.XvfbWidth || desc.Capabilities.Height.Max != testenv.XvfbHeight {
		t.Errorf("descriptor %+v", desc)
	}
	if len(desc.Modes) != len(FrameRates) || desc.Modes[0].DisplaySurface != capture.DisplaySurfaceMonitor || desc.Modes[0].Width != testenv.XvfbWidth {
		t.Errorf("modes %+v", desc.Modes)
	}

	dev, err := b.Open(context.Background(), desc.DeviceID, desc.Modes[len(desc.Modes)-1]) // 60 fps
	if err != nil {
		t.Fatal(err)
	}
	if got := dev.(*device).useShm; got != wantShm {
		t.Errorf("MIT-SHM used: %v, want %v", got, wantShm)
	}
	vd := dev.(capture.VideoDevice)
	f := readScene(t, vd)

	// Frames keep coming, later each time, and show what is drawn now.
	d := newDrawing(t, x.Display())
	d.fill(t, 0x0000ff, image.Rect(640, 0, 1280, 800))
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := vd.ReadVideo(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if g.Timestamp <= f.Timestamp {
			t.Fatalf("timestamp %v after %v", g.Timestamp, f.Timestamp)
		}
		f = g
		if g.Image.(*image.RGBA).RGBAAt(900, 400) == blue {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a change on the screen never showed in the frames")
		}
	}
	if err := dev.Close(); err != nil {
		t.Fatal(err)
	}
	if b.OpenCount() != 0 {
		t.Error("screen left open after Close")
	}
}

func TestCaptureShowsDrawing(t *testing.T) { captureScene(t, true) }

func TestCaptureWithoutShm(t *testing.T) { captureScene(t, false, "-extension", "MIT-SHM") }

// TestGetDisplayMedia runs the backend under capture: a display track of
// the screen at the requested rate, frames recycled, closed on Stop.
func TestGetDisplayMedia(t *testing.T) {
	x := startXvfb(t)
	paintScene(t, newDrawing(t, x.Display()))
	b := New(WithDisplay(x.Display()))
	md := capture.NewMediaDevices(b)
	defer md.Close()

	var opts capture.DisplayMediaStreamOptions
	if err := json.Unmarshal([]byte(`{"video": {"frameRate": 60}}`), &opts); err != nil {
		t.Fatal(err)
	}
	s, err := md.GetDisplayMedia(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	set := tr.GetSettings()
	if set.Width != testenv.XvfbWidth || set.FrameRate != 60 || set.DisplaySurface != capture.DisplaySurfaceMonitor {
		t.Errorf("settings %+v", set)
	}
	id := set.DeviceID
	r := tr.NewVideoReader()
	const frames = 12
	for i := 0; i < frames; i++ {
		f, err := r.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// The scene was drawn (checked requests) before the screen opened.
		if miss := sceneMismatch(f.Image.(*image.RGBA)); miss != "" {
			t.Fatalf("frame %d: %s", i, miss)
		}
	}
	r.Close()
	b.mu.Lock()
	made := b.open[id].made.Load()
	b.mu.Unlock()
	if made > poolSize+2 {
		t.Errorf("%d frame buffers made for %d frames: not recycled", made, frames)
	}
	tr.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for b.IsOpen(id) {
		if time.Now().After(deadline) {
			t.Fatal("screen still open after its last track stopped")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestCloseWakesWaitingRead: at 1 fps the second read waits; Close ends it.
func TestCloseWakesWaitingRead(t *testing.T) {
	x := startXvfb(t)
	b := New(WithDisplay(x.Display()))
	dev, err := b.Open(context.Background(), "screen:"+x.Display()+".0", capture.MediaTrackSettings{FrameRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	vd := dev.(capture.VideoDevice)
	if _, err := vd.ReadVideo(context.Background()); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error)
	go func() {
		_, err := vd.ReadVideo(context.Background())
		errc <- err
	}()
	dev.Close()
	if err := <-errc; err == nil {
		t.Error("a read returned a frame after Close")
	}
	// And a context ends a waiting read.
	dev, err = b.Open(context.Background(), "screen:"+x.Display()+".0", capture.MediaTrackSettings{FrameRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close() // on failure; Close twice is safe
	vd = dev.(capture.VideoDevice)
	if _, err := vd.ReadVideo(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := vd.ReadVideo(ctx); !errors.Is(err, capture.ErrAbort) {
		t.Errorf("read with an ending context: %v", err)
	}
	dev.Close()
	if b.OpenCount() != 0 {
		t.Error("screen left open")
	}
}

func TestOpenErrors(t *testing.T) {
	x := startXvfb(t)
	b := New(WithDisplay(x.Display()))
	id := "screen:" + x.Display() + ".0"
	if _, err := b.Open(context.Background(), "screen:"+x.Display()+".3", capture.MediaTrackSettings{}); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("screen 3 of a one-screen display: %v", err)
	}
	if _, err := b.Open(context.Background(), id, capture.MediaTrackSettings{FrameRate: 1000}); !errors.Is(err, capture.ErrNotReadable) {
		t.Errorf("1000 fps: %v", err)
	}
	d, err := b.Open(context.Background(), id, capture.MediaTrackSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(context.Background(), id, capture.MediaTrackSettings{}); !errors.Is(err, capture.ErrNotReadable) || !strings.Contains(err.Error(), "busy") {
		t.Errorf("second open: %v", err)
	}
	d.Close()
	if b.OpenCount() != 0 {
		t.Error("screen left open")
	}
}

// TestDisplayGoesAway: the display's server stops while a screen is open:
// the read ends with NotFoundError, and devicechange fires.
func TestDisplayGoesAway(t *testing.T) {
	var b *Backend
	var dev capture.Device
	var fired atomic.Int32
	var cancel func()
	t.Run("with the display", func(t *testing.T) {
		x := testenv.StartXvfb(t) // stopped when this subtest ends
		b = New(WithDisplay(x.Display()), WithPollInterval(10*time.Millisecond))
		cancel = b.OnDeviceChange(func() { fired.Add(1) })
		var err error
		dev, err = b.Open(context.Background(), "screen:"+x.Display()+".0", capture.MediaTrackSettings{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dev.(capture.VideoDevice).ReadVideo(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	if dev == nil {
		t.FailNow()
	}
	defer cancel()
	defer dev.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := dev.(capture.VideoDevice).ReadVideo(context.Background())
		if errors.Is(err, capture.ErrNotFound) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("read after the display went away: %v, want NotFoundError", err)
		}
	}
	for fired.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no devicechange when the display went away")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if devs, err := b.Devices(context.Background()); err != nil || len(devs) != 0 {
		t.Errorf("Devices after the display went away: %v, %v", devs, err)
	}
	dev.Close()
	if b.OpenCount() != 0 {
		t.Error("screen left open")
	}
}

// Benchmarks: go test -run ^$ -bench . -benchmem ./capture/screen
func BenchmarkConvertX(b *testing.B) {
	const w, h = 1280, 720
	src := make([]byte, w*h*4)
	for i := range src {
		src[i] = byte(i)
	}
	dst := make([]byte, w*h*4)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		convertX(dst, src, orderBGRX)
	}
}

// BenchmarkGrab is what ReadVideo does per frame, unpaced: an MIT-SHM
// GetImage of a 1280x720 Xvfb screen and its conversion into an RGBA buffer.
// (ReadVideo's pooling is checked by TestGetDisplayMedia: a benchmark cannot
// hand frames back, that is capture's part.)
func BenchmarkGrab(b *testing.B) {
	x := testenv.StartXvfb(b, "-screen", "0", "1280x720x24")
	bk := New(WithDisplay(x.Display()))
	dev, err := bk.Open(context.Background(), "screen:"+x.Display()+".0", capture.MediaTrackSettings{FrameRate: MaxFrameRate})
	if err != nil {
		b.Fatal(err)
	}
	defer dev.Close()
	d := dev.(*device)
	if d.w != 1280 || d.h != 720 || !d.useShm {
		b.Fatalf("screen is %dx%d, MIT-SHM %v", d.w, d.h, d.useShm)
	}
	dst := image.NewRGBA(image.Rect(0, 0, d.w, d.h))
	b.SetBytes(int64(d.w * d.h * 4))
	b.ReportAllocs()
	for b.Loop() {
		src, err := d.grab()
		if err != nil {
			b.Fatal(err)
		}
		convertX(dst.Pix, src, d.order)
	}
}
