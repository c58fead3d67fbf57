//go:build linux

package x11sink

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"go.uber.org/goleak"

	"github.com/tally-app/tally/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Colours as the screen holds them (BGRX, read back as 0xRRGGBB).
const (
	parentBG = 0x336699
	blackPx  = 0x000000
)

// xtest is a test's own connection, playing the toolkit: it owns the
// parent window and reads the screen back.
type xtest struct {
	t      *testing.T
	x      *testenv.Xvfb
	conn   *xgb.Conn
	root   xproto.Window
	parent xproto.Window
	px, py int // parent's position on the root window
}

func newXTest(t *testing.T) *xtest {
	t.Helper()
	x := testenv.StartXvfb(t)
	conn, err := xgb.NewConnDisplay(x.Display())
	if err != nil {
		t.Fatalf("connect to %s: %v", x.Display(), err)
	}
	t.Cleanup(func() { closeConn(conn) })
	xt := &xtest{t: t, x: x, conn: conn, root: xproto.Setup(conn).DefaultScreen(conn).Root, px: 100, py: 50}
	xt.parent, err = xproto.NewWindowId(conn)
	if err != nil {
		t.Fatal(err)
	}
	err = xproto.CreateWindowChecked(conn, 0, xt.parent, xt.root, int16(xt.px), int16(xt.py), 800, 600, 0,
		xproto.WindowClassInputOutput, 0, xproto.CwBackPixel, []uint32{parentBG}).Check()
	if err != nil {
		t.Fatalf("create parent: %v", err)
	}
	if err := xproto.MapWindowChecked(conn, xt.parent).Check(); err != nil {
		t.Fatalf("map parent: %v", err)
	}
	return xt
}

// shot reads w×h pixels at (x, y) of the parent window, through the root
// window (what a screenshot shows), as 0xRRGGBB values.
func (xt *xtest) shot(x, y, w, h int) []uint32 {
	xt.t.Helper()
	r, err := xproto.GetImage(xt.conn, xproto.ImageFormatZPixmap, xproto.Drawable(xt.root),
		int16(xt.px+x), int16(xt.py+y), uint16(w), uint16(h), 0xffffffff).Reply()
	if err != nil {
		xt.t.Fatalf("GetImage: %v", err)
	}
	px := make([]uint32, w*h)
	for i := range px {
		px[i] = uint32(r.Data[i*4]) | uint32(r.Data[i*4+1])<<8 | uint32(r.Data[i*4+2])<<16
	}
	return px
}

// expectFunc gives the wanted colour of pixel (x, y) of an area.
type expectFunc func(x, y int) uint32

// waitFor polls the area until it matches want everywhere, or fails after
// a deadline with the first mismatch. Frames reach the screen through
// another connection, so polling is the only way to see them.
func (xt *xtest) waitFor(what string, x, y, w, h int, want expectFunc) {
	xt.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := xt.shot(x, y, w, h)
		bad := -1
		for i, p := range got {
			if p != want(i%w, i/w) {
				bad = i
				break
			}
		}
		if bad < 0 {
			return
		}
		if time.Now().After(deadline) {
			bx, by := bad%w, bad/w
			xt.t.Fatalf("%s: pixel (%d,%d) of area (%d,%d %dx%d) is %06x, want %06x",
				what, bx, by, x, y, w, h, got[bad], want(bx, by))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func uniform(c uint32) expectFunc { return func(int, int) uint32 { return c } }

func rgb(c color.Color) uint32 {
	r, g, b, _ := c.RGBA()
	return r>>8<<16 | g>>8<<8 | b>>8
}

// quadrants is a 64×36 (16:9) frame: red, green / blue, white.
var quadColors = [4]color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}

func quadrants() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 64, 36))
	for y := range 36 {
		for x := range 64 {
			img.SetRGBA(x, y, quadColors[(y/18)*2+x/32])
		}
	}
	return img
}

// expectQuadrants is what quadrants() looks like letterboxed into w×h.
func expectQuadrants(w, h int) expectFunc {
	r := letterbox(64, 36, w, h)
	return func(x, y int) uint32 {
		if !(image.Point{x, y}).In(r) {
			return blackPx
		}
		qx := (x - r.Min.X) * 2 / r.Dx()
		qy := (y - r.Min.Y) * 2 / r.Dy()
		return rgb(quadColors[qy*2+qx])
	}
}

// letterbox is computed here independently of package blit, for sizes
// that divide evenly.
func letterbox(sw, sh, w, h int) image.Rectangle {
	if w*sh <= h*sw { // bars top and bottom
		dh := w * sh / sw
		return image.Rect(0, (h-dh)/2, w, (h-dh)/2+dh)
	}
	dw := h * sw / sh
	return image.Rect((w-dw)/2, 0, (w-dw)/2+dw, h)
}

func newSinkT(t *testing.T, xt *xtest) *Sink {
	t.Helper()
	s, err := New(uint32(xt.parent), xt.x.Display())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSinkShowsFramesFollowsBoundsAndCleansUp(t *testing.T) {
	xt := newXTest(t)
	if err := Available(xt.x.Display()); err != nil {
		t.Fatalf("Available on Xvfb with MIT-SHM: %v", err)
	}
	s := newSinkT(t, xt)
	must(t, s.SetBounds(20, 30, 320, 240))
	must(t, s.Show())
	must(t, s.PutFrame(quadrants()))
	must(t, s.Sync())
	// 320×240 with a 16:9 frame: 320×180 and bars of 30 above and below.
	xt.waitFor("frame in sink bounds", 20, 30, 320, 240, expectQuadrants(320, 240))
	xt.waitFor("parent around the sink", 0, 0, 20, 300, uniform(parentBG))

	// The segment exists, is attached by us and the server, and is
	// already marked for removal.
	segs := ownSegments(t)
	if len(segs) != 1 {
		t.Fatalf("segments of this process: %v, want 1", segs)
	}
	if !segs[0].dest {
		t.Errorf("segment %+v is not marked for removal (IPC_RMID)", segs[0])
	}

	// Move and resize: pillarbox-free tall area, bars top and bottom.
	must(t, s.SetBounds(400, 100, 160, 300))
	must(t, s.PutFrame(quadrants()))
	must(t, s.Sync())
	xt.waitFor("frame after move", 400, 100, 160, 300, expectQuadrants(160, 300))
	xt.waitFor("old area shows the parent", 20, 30, 320, 60, uniform(parentBG))

	// Wide area: bars left and right.
	must(t, s.SetBounds(10, 400, 400, 108))
	must(t, s.PutFrame(quadrants()))
	must(t, s.Sync())
	xt.waitFor("frame pillarboxed", 10, 400, 400, 108, expectQuadrants(400, 108))

	// Hidden: the parent shows through; frames are skipped, not drawn.
	must(t, s.Hide())
	must(t, s.Sync())
	xt.waitFor("hidden sink", 10, 400, 400, 108, uniform(parentBG))
	must(t, s.PutFrame(quadrants()))
	if st := s.Stats(); st.Hidden != 1 || st.Put != 3 {
		t.Errorf("stats %+v, want Put 3 Hidden 1", st)
	}
	// Shown again: the last frame is repainted on Expose without a new one.
	must(t, s.Show())
	must(t, s.Sync())
	xt.waitFor("repainted after Show", 10, 400, 400, 108, expectQuadrants(400, 108))

	// Clear: black, and not brought back by an Expose.
	must(t, s.Clear())
	must(t, s.Hide())
	must(t, s.Show())
	must(t, s.Sync())
	xt.waitFor("cleared", 10, 400, 400, 108, uniform(blackPx))

	win := s.Window()
	must(t, s.Close())
	must(t, s.Close()) // twice is fine
	tree, err := xproto.QueryTree(xt.conn, xt.parent).Reply()
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Children) != 0 {
		t.Errorf("parent still has children %v after Close (sink window was 0x%x)", tree.Children, win)
	}
	if segs := ownSegments(t); len(segs) != 0 {
		t.Errorf("shared memory segments left after Close: %v", segs)
	}
	xt.waitFor("after Close", 10, 400, 400, 108, uniform(parentBG))
	for name, err := range map[string]error{
		"PutFrame": s.PutFrame(quadrants()), "SetBounds": s.SetBounds(0, 0, 1, 1),
		"Show": s.Show(), "Hide": s.Hide(), "Clear": s.Clear(), "Sync": s.Sync(),
	} {
		if err != ErrClosed {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestSinkYCbCr(t *testing.T) {
	xt := newXTest(t)
	s := newSinkT(t, xt)
	// 4:2:0 frame, 64×48 (4:3), left and right halves of two colours,
	// shown 1:1 and at twice the size.
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	halves := [2]color.YCbCr{{81, 90, 240}, {145, 54, 34}}
	for y := range 48 {
		for x := range 64 {
			c := halves[x/32]
			img.Y[img.YOffset(x, y)] = c.Y
			img.Cb[img.COffset(x, y)] = c.Cb
			img.Cr[img.COffset(x, y)] = c.Cr
		}
	}
	want := func(w, h int) expectFunc {
		return func(x, y int) uint32 {
			c := halves[x*2/w]
			r, g, b := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			return uint32(r)<<16 | uint32(g)<<8 | uint32(b)
		}
	}
	must(t, s.Show())
	for _, sz := range []image.Point{{64, 48}, {128, 96}} {
		must(t, s.SetBounds(5, 7, sz.X, sz.Y))
		must(t, s.PutFrame(img))
		must(t, s.Sync())
		xt.waitFor(fmt.Sprintf("YCbCr at %v", sz), 5, 7, sz.X, sz.Y, want(sz.X, sz.Y))
	}
}

// TestSinkSeveral: two sinks in one parent, each with its own window and
// segment, closed independently.
func TestSinkSeveral(t *testing.T) {
	xt := newXTest(t)
	a, b := newSinkT(t, xt), newSinkT(t, xt)
	must(t, a.SetBounds(0, 0, 64, 36))
	must(t, b.SetBounds(100, 0, 128, 72))
	for _, s := range []*Sink{a, b} {
		must(t, s.Show())
		must(t, s.PutFrame(quadrants()))
		must(t, s.Sync())
	}
	xt.waitFor("sink a", 0, 0, 64, 36, expectQuadrants(64, 36))
	xt.waitFor("sink b", 100, 0, 128, 72, expectQuadrants(128, 72))
	if n := len(ownSegments(t)); n != 2 {
		t.Errorf("%d segments, want 2", n)
	}
	must(t, a.Close())
	xt.waitFor("sink a closed", 0, 0, 64, 36, uniform(parentBG))
	xt.waitFor("sink b still there", 100, 0, 128, 72, expectQuadrants(128, 72))
	must(t, b.Close())
	if segs := ownSegments(t); len(segs) != 0 {
		t.Errorf("segments left: %v", segs)
	}
}

func TestSinkBadInput(t *testing.T) {
	xt := newXTest(t)
	if _, err := New(0x3fffff, xt.x.Display()); err == nil || !strings.Contains(err.Error(), "parent window") {
		t.Errorf("New with a missing parent: %v, want an error naming the parent window", err)
	}
	if _, err := New(uint32(xt.parent), ":9999"); err == nil {
		t.Error("New on a display without a server succeeded")
	}
	if err := Available(":9999"); err == nil {
		t.Error("Available on a display without a server succeeded")
	}
	s := newSinkT(t, xt)
	if err := s.SetBounds(0, 0, 100000, 10); err == nil {
		t.Error("SetBounds 100000 wide succeeded")
	}
	if err := s.SetBounds(40000, 0, 10, 10); err == nil {
		t.Error("SetBounds at x=40000 succeeded")
	}
	// Zero area hides; a broken image is an error, not a panic.
	must(t, s.Show())
	must(t, s.SetBounds(0, 0, 0, 10))
	must(t, s.PutFrame(quadrants()))
	if st := s.Stats(); st.Hidden != 1 {
		t.Errorf("zero-area frame: stats %+v, want Hidden 1", st)
	}
	must(t, s.SetBounds(0, 0, 10, 10))
	bad := &image.RGBA{Pix: make([]byte, 3), Stride: 4, Rect: image.Rect(0, 0, 5, 5)}
	if err := s.PutFrame(bad); err == nil {
		t.Error("PutFrame of a truncated image succeeded")
	}
	must(t, s.PutFrame(nil)) // black
	must(t, s.Sync())
	xt.waitFor("nil frame", 0, 0, 10, 10, uniform(blackPx))
}

func TestAvailableWithoutMITSHM(t *testing.T) {
	x := testenv.StartXvfb(t, "-extension", "MIT-SHM")
	err := Available(x.Display())
	if err == nil || !strings.Contains(err.Error(), "MIT-SHM") {
		t.Fatalf("Available without MIT-SHM: %v, want an error naming MIT-SHM", err)
	}
	t.Log(err)
	c := mustConn(t, x)
	root := xproto.Setup(c).DefaultScreen(c).Root
	if _, err := New(uint32(root), x.Display()); err == nil || !strings.Contains(err.Error(), "MIT-SHM") {
		t.Fatalf("New without MIT-SHM: %v, want an error naming MIT-SHM", err)
	}
}

func mustConn(t *testing.T, x *testenv.Xvfb) *xgb.Conn {
	t.Helper()
	c, err := xgb.NewConnDisplay(x.Display())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeConn(c) })
	return c
}

// TestServerVanishes kills the X server under a sink: its methods return
// errors, nothing panics, and Close leaves no goroutine (goleak).
func TestServerVanishes(t *testing.T) {
	xt := newXTest(t)
	s := newSinkT(t, xt)
	must(t, s.SetBounds(0, 0, 64, 36))
	must(t, s.Show())
	must(t, s.PutFrame(quadrants()))
	must(t, s.Sync())
	killXvfb(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := s.PutFrame(quadrants())
		if err != nil {
			t.Logf("PutFrame after the server died: %v", err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("PutFrame still succeeds 5 s after the X server died")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.SetBounds(1, 1, 10, 10); err == nil {
		t.Error("SetBounds succeeded on a dead connection")
	}
	if err := s.Sync(); err == nil {
		t.Error("Sync succeeded on a dead connection")
	}
	must(t, s.Close())
	if segs := ownSegments(t); len(segs) != 0 {
		t.Errorf("segments left: %v", segs)
	}
}

// killXvfb SIGKILLs the one Xvfb this test process has running (its
// child, started by testenv; -displayfd servers leave no lock file to read
// the pid from).
func killXvfb(t *testing.T) {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		st := string(b)
		i := strings.LastIndexByte(st, ')')
		if i < 0 || !strings.HasSuffix(st[:i], "(Xvfb") {
			continue
		}
		if fs := strings.Fields(st[i+1:]); len(fs) > 1 && fs[1] == strconv.Itoa(os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	if len(pids) != 1 {
		t.Fatalf("want exactly one Xvfb child of this test, found %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatalf("kill Xvfb %d: %v", pids[0], err)
	}
}

type shmSeg struct {
	shmid, size, nattch int
	dest                bool
}

// ownSegments lists System V segments created by this process. Segments
// go away once every user detached, so this polls briefly for the server
// to process its detach.
func ownSegments(t *testing.T) []shmSeg {
	t.Helper()
	pid := strconv.Itoa(os.Getpid())
	var segs []shmSeg
	for range 50 {
		segs = segs[:0]
		f, err := os.Open("/proc/sysvipc/shm")
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// key shmid perms size cpid lpid nattch ...
			fs := strings.Fields(sc.Text())
			if len(fs) < 7 || fs[4] != pid {
				continue
			}
			id, _ := strconv.Atoi(fs[1])
			perms, _ := strconv.ParseInt(fs[2], 8, 32)
			size, _ := strconv.Atoi(fs[3])
			n, _ := strconv.Atoi(fs[6])
			segs = append(segs, shmSeg{shmid: id, size: size, nattch: n, dest: perms&0o1000 != 0})
		}
		f.Close()
		if len(segs) == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return segs
}

// processCPU is this process's user+system CPU time, all threads (the
// X connection's goroutines included).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPutFrame720 puts 1280×720 YCbCr 4:2:0 frames into a 1280×720
// sink, each followed by a round trip so that none is dropped. cpu-ns/frame
// is this process's CPU time (the server's is not included).
func BenchmarkPutFrame720(b *testing.B) {
	x := testenv.StartXvfb(b)
	conn, err := xgb.NewConnDisplay(x.Display())
	if err != nil {
		b.Fatal(err)
	}
	defer closeConn(conn)
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	parent, _ := xproto.NewWindowId(conn)
	if err := xproto.CreateWindowChecked(conn, 0, parent, root, 0, 0, 1280, 720, 0,
		xproto.WindowClassInputOutput, 0, 0, nil).Check(); err != nil {
		b.Fatal(err)
	}
	xproto.MapWindow(conn, parent)
	s, err := New(uint32(parent), x.Display())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetBounds(0, 0, 1280, 720); err != nil {
		b.Fatal(err)
	}
	if err := s.Show(); err != nil {
		b.Fatal(err)
	}
	img := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = byte(i)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = byte(i/7), byte(i/13)
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if err := s.PutFrame(img); err != nil {
			b.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/frame")
	st := s.Stats()
	b.ReportMetric(float64(st.Dropped), "dropped")
}

// TestSinkBurst puts frames as fast as possible: none is queued, each is
// either put or dropped, and the last one put is what the window shows.
func TestSinkBurst(t *testing.T) {
	xt := newXTest(t)
	s := newSinkT(t, xt)
	must(t, s.SetBounds(0, 0, 256, 144))
	must(t, s.Show())
	const n = 200
	for range n {
		must(t, s.PutFrame(quadrants()))
	}
	must(t, s.Sync())
	st := s.Stats()
	if st.Put+st.Dropped != n || st.Put == 0 || st.Hidden != 0 {
		t.Fatalf("stats %+v after %d frames, want Put+Dropped = %d", st, n, n)
	}
	t.Logf("burst of %d: %+v", n, st)
	xt.waitFor("after burst", 0, 0, 256, 144, expectQuadrants(256, 144))
}
