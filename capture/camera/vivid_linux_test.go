//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

// Tests against the kernel's own V4L2 test driver, vivid, in the test VM
// (scripts/vm.sh). TestVivid, on the host, runs the TestVivid_* tests in one
// boot of the VM; there /dev/video0 is vivid's capture node.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/testenv"
)

// vividParams is what the VM boots vivid with and what each test restores:
// one device, a capture node only.
const vividParams = "n_devs=1 node_types=0x1"

// vividLoaded is the parameters vivid was last loaded with in this run
// ("" forces a reload: a test left it disconnected).
var vividLoaded = vividParams

// TestVivid runs the TestVivid_* tests in the test VM.
func TestVivid(t *testing.T) {
	testenv.RunTestsInVM(t, "^TestVivid_", testenv.VMOptions{Vivid: vividParams})
}

func inVM(t *testing.T) {
	t.Helper()
	testenv.SkipUnlessInVM(t, "TestVivid")
}

// useVivid makes sure vivid is loaded with params, reloading it if not.
func useVivid(t *testing.T, params string) {
	t.Helper()
	inVM(t)
	if vividLoaded == params {
		return
	}
	out, err := exec.Command("tally-vivid", params).CombinedOutput()
	if err != nil {
		t.Fatalf("tally-vivid %s: %v\n%s", params, err, out)
	}
	vividLoaded = params
}

// ctl sets a vivid control through v4l2-ctl, as another program would.
func ctl(t *testing.T, set string) {
	t.Helper()
	if out, err := exec.Command("v4l2-ctl", "-d", "/dev/video0", "-c", set).CombinedOutput(); err != nil {
		t.Fatalf("v4l2-ctl -c %s: %v\n%s", set, err, out)
	}
}

// held counts this process's mappings of a node (lines of /proc/self/maps)
// and its open descriptors on it.
func held(t *testing.T, node string) (maps, fds int) {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasSuffix(sc.Text(), " "+node) {
			maps++
		}
	}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == node {
			fds++
		}
	}
	return maps, fds
}

func assertReleased(t *testing.T, what string) {
	t.Helper()
	if maps, fds := held(t, "/dev/video0"); maps != 0 || fds != 0 {
		t.Errorf("%s: /dev/video0 still has %d mappings and %d fds in this process", what, maps, fds)
	}
}

// otherProgramStreams checks that another program can stream the camera.
func otherProgramStreams(t *testing.T) {
	t.Helper()
	out, err := exec.Command("v4l2-ctl", "-d", "/dev/video0", "--stream-mmap", "--stream-count=3").CombinedOutput()
	if err != nil {
		t.Errorf("v4l2-ctl --stream-mmap after Tally: %v\n%s", err, out)
	}
}

// vividCamera lists the cameras and returns the only one.
func vividCamera(t *testing.T, b *Backend) capture.DeviceDescriptor {
	t.Helper()
	devs, err := b.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 {
		t.Fatalf("%d cameras listed, want vivid's one: %+v", len(devs), devs)
	}
	return devs[0]
}

func openMode(t *testing.T, b *Backend, id string, m capture.MediaTrackSettings) *device {
	t.Helper()
	d, err := b.Open(context.Background(), id, m)
	if err != nil {
		t.Fatalf("open %s in %s %dx%d@%g: %v", id, m.Format, m.Width, m.Height, m.FrameRate, err)
	}
	return d.(*device)
}

func readFrames(t *testing.T, d *device, n int) []capture.VideoFrame {
	t.Helper()
	var out []capture.VideoFrame
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		f, err := d.ReadVideo(ctx)
		cancel()
		if err != nil {
			t.Fatalf("reading frame %d of %d: %v", len(out)+1, n, err)
		}
		out = append(out, f)
	}
	return out
}

// fastest is the mode of a format and size with the highest rate.
func fastest(modes []capture.MediaTrackSettings, format string, w, h int) (capture.MediaTrackSettings, bool) {
	var best capture.MediaTrackSettings
	ok := false
	for _, m := range modes {
		if m.Format == format && m.Width == w && m.Height == h && (!ok || m.FrameRate > best.FrameRate) {
			best, ok = m, true
		}
	}
	return best, ok
}

// vivid's default node set has output, metadata, VBI, radio, SDR and touch
// nodes beside its capture node: only the capture node is a camera, with a
// sysfs id, flagged default, its unconvertible formats listed as such.
func TestVivid_OnlyCaptureNodes(t *testing.T) {
	useVivid(t, "")
	b := New()
	start := time.Now()
	d := vividCamera(t, b)
	t.Logf("first listing (every node asked, every mode enumerated) took %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	vividCamera(t, b)
	t.Logf("second listing (nothing changed) took %v", time.Since(start).Round(time.Microsecond))
	if d.Path != "/dev/video0" || d.DeviceID != IDPrefix+"platform-vivid.0-video-index0" || !d.Default || d.Label != "vivid" {
		t.Errorf("descriptor: path %s id %s default %v label %q", d.Path, d.DeviceID, d.Default, d.Label)
	}
	if len(d.Modes) == 0 || len(d.UnsupportedFormats) == 0 {
		t.Errorf("%d modes, unsupported %q", len(d.Modes), d.UnsupportedFormats)
	}
	if m, ok := fastest(d.Modes, "YUYV", 640, 480); !ok || m.FrameRate != 25 {
		t.Errorf("YUYV 640x480 at %g fps (listed: %v), want vivid's 25", m.FrameRate, ok)
	}
	t.Logf("%d modes; not supported: %s", len(d.Modes), strings.Join(d.UnsupportedFormats, " "))
}

// Every format Tally converts streams, at three sizes, with frames of the
// size asked for and vivid's bars where they belong; single-planar at three
// sizes, multi-planar at one.
func TestVivid_EveryFormat(t *testing.T) {
	for _, params := range []string{vividParams, vividParams + " multiplanar=2"} {
		t.Run(params, func(t *testing.T) {
			useVivid(t, params)
			b := New()
			cam := vividCamera(t, b)
			formats := map[string]bool{}
			for _, m := range cam.Modes {
				formats[m.Format] = true
			}
			if len(formats) < 4 {
				t.Errorf("only formats %v convertible", formats)
			}
			t.Logf("%d formats to stream", len(formats))
			for f := range formats {
				sizes := [][2]int{{320, 180}, {640, 480}, {1280, 720}}
				if strings.Contains(params, "multiplanar") {
					sizes = sizes[1:2] // the plane handling is what differs; keep the VM run short
				}
				for _, sz := range sizes {
					m, ok := fastest(cam.Modes, f, sz[0], sz[1])
					if !ok {
						t.Errorf("%s has no %dx%d mode", f, sz[0], sz[1])
						continue
					}
					d := openMode(t, b, cam.DeviceID, m)
					frames := readFrames(t, d, 2)
					if got := frames[1].Image.Bounds(); got != image.Rect(0, 0, sz[0], sz[1]) {
						t.Errorf("%s %dx%d: frame bounds %v", f, sz[0], sz[1], got)
					} else if f == "GREY" {
						checkGreyEnds(t, frames[1].Image)
					} else {
						checkBars(t, f+" "+m.Format, frames[1].Image)
					}
					if l := d.stream.Layout(); l.FourCC != f || l.Width != sz[0] {
						t.Errorf("layout read back: %+v", l)
					}
					if err := d.Close(); err != nil {
						t.Error(err)
					}
				}
			}
			assertReleased(t, "after every format")
		})
	}
	useVivid(t, vividParams)
}

// barLuma is the limited-range BT.601 luma of vivid's 75 % colour bars,
// left to right: white, yellow, cyan, green, magenta, red, blue, black.
var barLuma = [8]float64{180, 162, 131, 112, 84, 65, 35, 16}

// lumaAt is a pixel's limited-range luma, whatever the picture's type: the
// Y sample itself for Y'CbCr, else BT.601 of its RGB, mapped to 16-235.
func lumaAt(img image.Image, x, y int) float64 {
	if yc, ok := img.(*capture.YCbCr); ok && !yc.FullRange {
		return float64(yc.Y[yc.YOffset(x, y)])
	}
	r, g, b, _ := img.At(x, y).RGBA()
	full := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
	return 16 + full*219/255
}

// checkBars checks the middle of each of vivid's bars, near the bottom: the frame was
// read from the right bytes in the right layout.
func checkBars(t *testing.T, what string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	for i, want := range barLuma {
		x, y := b.Min.X+(2*i+1)*b.Dx()/16, b.Max.Y-1-b.Dy()/20 // under vivid's text
		if got := lumaAt(img, x, y); got < want-6 || got > want+6 {
			t.Errorf("%s %dx%d: bar %d luma %.0f at (%d,%d), want %.0f", what, b.Dx(), b.Dy(), i, got, x, y, want)
		}
	}
}

// checkGreyEnds checks vivid's GREY white and black bars only: its grey
// is not BT.601 luma of the other bars (yellow 176, magenta 54 in full
// range), but white (75 %) and black say whether the range is right.
func checkGreyEnds(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	y := b.Max.Y - 1 - b.Dy()/20
	for _, bar := range []int{0, 7} {
		x := b.Min.X + (2*bar+1)*b.Dx()/16
		if got, want := lumaAt(img, x, y), barLuma[bar]; got < want-6 || got > want+6 {
			t.Errorf("GREY %dx%d: bar %d luma %.0f, want %.0f", b.Dx(), b.Dy(), bar, got, want)
		}
	}
}

// A failed STREAMON (and REQBUFS) leaves nothing mapped or open: the next
// open works, Tally's and another program's.
func TestVivid_OpenFaults(t *testing.T) {
	for _, inject := range []string{"inject_vidioc_streamon_error=1", "inject_vidioc_reqbufs_error=1"} {
		t.Run(inject, func(t *testing.T) {
			useVivid(t, vividParams)
			b := New()
			cam := vividCamera(t, b)
			m, _ := fastest(cam.Modes, "YUYV", 640, 480)
			ctl(t, inject)
			if _, err := b.Open(context.Background(), cam.DeviceID, m); !errors.Is(err, capture.ErrNotReadable) {
				t.Errorf("open with %s: %v, want NotReadableError", inject, err)
			} else {
				t.Logf("open with %s: %v", inject, err)
			}
			assertReleased(t, "after the failed open")
			if b.OpenCount() != 0 {
				t.Error("the backend counts the failed open as open")
			}
			otherProgramStreams(t)
			d := openMode(t, b, cam.DeviceID, m)
			readFrames(t, d, 2)
			d.Close()
			assertReleased(t, "after close")
		})
	}
}

// A failed QBUF and a buffer the driver flags as errored cost one frame
// each; the stream goes on.
func TestVivid_TransientFaults(t *testing.T) {
	useVivid(t, vividParams)
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	d := openMode(t, b, cam.DeviceID, m)
	defer func() {
		d.Close()
		assertReleased(t, "after close")
	}()
	st := d.stream.(*v4l2Stream)
	readFrames(t, d, 2)
	ctl(t, "inject_vidioc_qbuf_error=1")
	readFrames(t, d, 8)
	if n := st.requeues.Load(); n < 1 {
		t.Errorf("%d failed QBUFs counted after inject_vidioc_qbuf_error", n)
	}
	ctl(t, "inject_v4l2_buf_flag_error=1")
	readFrames(t, d, 8)
	if n := st.errored.Load(); n < 1 {
		t.Errorf("%d errored buffers dropped after inject_v4l2_buf_flag_error", n)
	}
	t.Logf("failed QBUFs %d, errored buffers dropped %d", st.requeues.Load(), st.errored.Load())
}

// endsWith opens the camera through MediaDevices, does what breaks it, and
// checks the track ends exactly once and the device is released.
func endsWith(t *testing.T, breakIt func(), want capture.EndReason) {
	t.Helper()
	b := New()
	md := capture.NewMediaDevices(b)
	defer md.Close()
	s, err := md.GetUserMedia(context.Background(), capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	var ended atomic.Int32
	tr.OnEnded(func() { ended.Add(1) })
	r := tr.NewVideoReader()
	defer r.Close()
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The backend's own view of why: the device's read error.
	b.mu.Lock()
	var dev *device
	for _, d := range b.open {
		dev = d
	}
	b.mu.Unlock()
	breakIt()
	select {
	case <-tr.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the track did not end")
	}
	waitFor(t, "the camera to close", func() bool { return b.OpenCount() == 0 })
	if n := ended.Load(); n != 1 {
		t.Errorf("ended fired %d times, want 1", n)
	}
	if got := tr.EndReason(); got != want {
		t.Errorf("the track ended %q (%v), want %q", got, tr.EndError(), want)
	}
	t.Logf("ended %q: %v", tr.EndReason(), tr.EndError())
	_, err = dev.ReadVideo(context.Background())
	if gone := errors.Is(err, capture.ErrNotFound); gone != (want == capture.EndUnplugged) {
		t.Errorf("read after the fault: %v; want unplugged %v", err, want == capture.EndUnplugged)
	}
	assertReleased(t, "after the track ended")
}

func TestVivid_FatalStreamingError(t *testing.T) {
	useVivid(t, vividParams)
	// The device's read error, seen directly, before capture closes it.
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	d := openMode(t, b, cam.DeviceID, m)
	readFrames(t, d, 1)
	ctl(t, "inject_fatal_streaming_error=1")
	var err error
	for range 100 {
		if _, err = d.ReadVideo(context.Background()); err != nil {
			break
		}
	}
	if !errors.Is(err, capture.ErrNotReadable) || errors.Is(err, capture.ErrNotFound) || !errors.Is(err, syscall.EIO) {
		t.Errorf("after a fatal streaming error: %v, want NotReadableError wrapping EIO", err)
	}
	d.Close()
	assertReleased(t, "after close")
	otherProgramStreams(t)

	endsWith(t, func() { ctl(t, "inject_fatal_streaming_error=1") }, capture.EndFailed)
	otherProgramStreams(t)
}

func TestVivid_Stalled(t *testing.T) {
	useVivid(t, vividParams)
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	d := openMode(t, b, cam.DeviceID, m)
	readFrames(t, d, 1)
	ctl(t, "percentage_of_dropped_buffers=100")
	defer ctl(t, "percentage_of_dropped_buffers=0")
	start := time.Now()
	var err error
	for range 1000 {
		if _, err = d.ReadVideo(context.Background()); err != nil {
			break
		}
	}
	if !errors.Is(err, capture.ErrNotReadable) || !errors.Is(err, capture.ErrStalled) {
		t.Errorf("with every buffer dropped: %v, want a stalled NotReadableError", err)
	}
	t.Logf("stalled after %v: %v", time.Since(start).Round(100*time.Millisecond), err)
	d.Close()
	assertReleased(t, "after close")

	ctl(t, "percentage_of_dropped_buffers=0")
	endsWith(t, func() { ctl(t, "percentage_of_dropped_buffers=100") }, capture.EndStalled)
}

// The disconnect button and a sysfs unbind are unplugs: the track ends as
// NotFound; after a rebind the camera is back with the same id.
func TestVivid_Unplug(t *testing.T) {
	useVivid(t, vividParams)
	endsWith(t, func() { ctl(t, "disconnect=1") }, capture.EndUnplugged)
	vividLoaded = "" // disconnected for good: reload

	useVivid(t, vividParams)
	id := vividCamera(t, New()).DeviceID
	const drv = "/sys/bus/platform/drivers/vivid/"
	unbound := false
	endsWith(t, func() {
		if err := os.WriteFile(drv+"unbind", []byte("vivid.0"), 0); err != nil {
			t.Fatal(err)
		}
		unbound = true
	}, capture.EndUnplugged)
	if !unbound {
		return
	}
	b := New()
	if devs, err := b.Devices(context.Background()); err != nil || len(devs) != 0 {
		t.Errorf("after unbind: %v, %v; want no camera", devs, err)
	}
	if err := os.WriteFile(drv+"bind", []byte("vivid.0"), 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/dev/video0 after rebind", func() bool { _, err := os.Stat("/dev/video0"); return err == nil })
	cam := vividCamera(t, b)
	if cam.DeviceID != id {
		t.Errorf("id after rebind %q, before %q", cam.DeviceID, id)
	}
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	d := openMode(t, b, cam.DeviceID, m)
	readFrames(t, d, 2)
	d.Close()
	assertReleased(t, "after close")
}

// Clone, stop the original: frames still flow; the last stop closes the fd
// and every mapping.
func TestVivid_CloneThenStop(t *testing.T) {
	useVivid(t, vividParams)
	b := New()
	md := capture.NewMediaDevices(b)
	defer md.Close()
	s, err := md.GetUserMedia(context.Background(), capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	set := tr.GetSettings()
	t.Logf("{video: true} opened %s %dx%d @ %g", set.Format, set.Width, set.Height, set.FrameRate)
	clone := tr.Clone()
	tr.Stop()
	r := clone.NewVideoReader()
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := r.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("clone after the original stopped: %v", err)
		}
	}
	r.Close()
	if maps, fds := held(t, "/dev/video0"); maps == 0 || fds == 0 {
		t.Errorf("while the clone is live: %d mappings, %d fds", maps, fds)
	}
	clone.Stop()
	waitFor(t, "the camera to close", func() bool { return b.OpenCount() == 0 })
	assertReleased(t, "after the last stop")
}

// Twenty open/stop cycles leak no fd, mapping or goroutine.
func TestVivid_Cycles(t *testing.T) {
	useVivid(t, vividParams)
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	fdsBefore, _ := os.ReadDir("/proc/self/fd")
	goBefore := runtime.NumGoroutine()
	for range 20 {
		d := openMode(t, b, cam.DeviceID, m)
		readFrames(t, d, 1)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	assertReleased(t, "after 20 cycles")
	fdsAfter, _ := os.ReadDir("/proc/self/fd")
	if len(fdsAfter) != len(fdsBefore) {
		t.Errorf("%d fds before 20 cycles, %d after", len(fdsBefore), len(fdsAfter))
	}
	if g := runtime.NumGoroutine(); g > goBefore {
		t.Errorf("%d goroutines before, %d after", goBefore, g)
	}
}

// A camera another program streams from is busy, and the error names it.
func TestVivid_BusyNamesHolder(t *testing.T) {
	useVivid(t, vividParams)
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	other := exec.Command("v4l2-ctl", "-d", "/dev/video0", "--stream-mmap", "--stream-count=100000")
	var out bytes.Buffer
	other.Stdout, other.Stderr = &out, &out
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = other.Process.Kill()
		_ = other.Wait()
	}()
	// Open only once v4l2-ctl streams (its buffers are mapped): an open
	// while it starts can take the queue from it, and it then gives up.
	maps := fmt.Sprintf("/proc/%d/maps", other.Process.Pid)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if mapped, _ := os.ReadFile(maps); bytes.Contains(mapped, []byte("/dev/video0")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("v4l2-ctl does not stream from /dev/video0 after 20 s: %s", out.String())
		}
	}
	d, err := b.Open(context.Background(), cam.DeviceID, m)
	if err == nil {
		d.Close()
	}
	if !errors.Is(err, capture.ErrNotReadable) || !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "in use by v4l2-ctl (pid ") {
		t.Errorf("open while v4l2-ctl streams: %v\nv4l2-ctl: %s", err, out.String())
	}
	assertReleased(t, "after the busy open")
}

// With vivid's pattern moving, consecutive frames differ, below the text
// (whose counters change anyway): each read is a new frame from the driver,
// not the same buffer again.
func TestVivid_MovingPattern(t *testing.T) {
	useVivid(t, vividParams)
	ctl(t, "horizontal_movement=6") // "Move Right Fast"
	defer ctl(t, "horizontal_movement=3")
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	d := openMode(t, b, cam.DeviceID, m)
	defer d.Close()
	var prev []byte
	for i := range 4 {
		f := readFrames(t, d, 1)[0]
		img := samples(t, f.Image)
		y := bytes.Clone(img.Y[img.YOffset(0, 179):][:320])
		if prev != nil && bytes.Equal(prev, y) {
			t.Errorf("frame %d is the same picture as the one before", i)
		}
		prev = y
	}
}

// A camera another Tally process streams from is busy, and the error names
// that process: the helper below, this test binary run again, holds it.
func TestVivid_BusyByAnotherTally(t *testing.T) {
	useVivid(t, vividParams)
	other := exec.Command(os.Args[0], "-test.run", "^TestHelperHoldCamera$")
	other.Env = append(os.Environ(), "TALLY_HOLD_CAMERA=1")
	stdin, err := other.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := other.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // the helper closes the camera and exits
		if err := other.Wait(); err != nil {
			t.Errorf("the holding process: %v", err)
		}
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "holding" {
	}
	go func() { // drain the rest (PASS) so the helper never blocks on its output
		for sc.Scan() {
		}
	}()
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	_, err = b.Open(context.Background(), cam.DeviceID, m)
	want := "in use by " + filepath.Base(os.Args[0]) + " (pid "
	if !errors.Is(err, capture.ErrNotReadable) || !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), want) {
		t.Errorf("open while another Tally streams: %v, want EBUSY naming %q", err, want)
	}
	t.Logf("%v", err)
	assertReleased(t, "after the busy open")
}

// TestHelperHoldCamera is TestVivid_BusyByAnotherTally's other process: it
// streams vivid until its stdin closes.
func TestHelperHoldCamera(t *testing.T) {
	if os.Getenv("TALLY_HOLD_CAMERA") != "1" {
		t.Skip("the other process of TestVivid_BusyByAnotherTally")
	}
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	d := openMode(t, b, cam.DeviceID, m)
	defer d.Close()
	readFrames(t, d, 1)
	os.Stdout.WriteString("holding\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// Two identical cameras (two vivid instances) get distinct labels and ids.
func TestVivid_TwoIdenticalCameras(t *testing.T) {
	useVivid(t, "n_devs=2 node_types=0x1,0x1")
	defer useVivid(t, vividParams)
	devs, err := New().Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 {
		t.Fatalf("%d cameras, want 2: %+v", len(devs), devs)
	}
	if devs[0].Label != "vivid" || devs[1].Label != "vivid (2)" {
		t.Errorf("labels %q, %q; want vivid, vivid (2)", devs[0].Label, devs[1].Label)
	}
	// vivid's instances share one platform device: the second is told apart
	// by its bus_info.
	if devs[0].DeviceID != IDPrefix+"platform-vivid.0-video-index0" || devs[1].DeviceID != IDPrefix+"platform-vivid-001-video-index0" {
		t.Errorf("ids %q, %q", devs[0].DeviceID, devs[1].DeviceID)
	}
	if !devs[0].Default || devs[1].Default {
		t.Error("want the first camera, only, as default")
	}
}

// Close while a read waits for a frame that will not come returns the read
// at once (the eventfd wakes its poll), and nothing stays mapped.
func TestVivid_CloseWakesBlockedRead(t *testing.T) {
	useVivid(t, vividParams)
	b := New()
	cam := vividCamera(t, b)
	m, _ := fastest(cam.Modes, "YUYV", 320, 180)
	d := openMode(t, b, cam.DeviceID, m)
	readFrames(t, d, 1)
	ctl(t, "percentage_of_dropped_buffers=100")
	defer ctl(t, "percentage_of_dropped_buffers=0")
	errc := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			_, err = d.ReadVideo(context.Background())
		}
		errc <- err
	}()
	time.Sleep(500 * time.Millisecond) // let the read block in poll: not a timing assertion
	closing := time.Now()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		// Under a loaded emulator the read may have stalled (3 s without a
		// frame) before Close came: then it did not wait for Close at all.
		if errors.Is(err, capture.ErrStalled) {
			t.Logf("the read stalled before Close (%v): nothing to wake", err)
		} else {
			t.Logf("read returned %v %v after Close", err, time.Since(closing).Round(time.Millisecond))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the read still blocks after Close")
	}
	assertReleased(t, "after Close")
}
