package camera

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tally-app/tally/capture"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// vp is a mode as a driver lists it; 29.97 is NTSC's 1001/30000 s.
func vp(fourcc string, w, h int, fps float64) Mode {
	m := Mode{Format: fourcc, Width: w, Height: h}
	switch {
	case fps == 29.97:
		m.Interval = Interval{1001, 30000}
	case fps > 0:
		m.Interval = Interval{1, uint32(fps)}
	}
	return m
}

// A webcam like a C270: YUYV at several sizes and rates, MJPEG up to 720p,
// and props the backend must drop (a depth format, a zero size, duplicates).
var c270 = CameraInfo{
	ID: "usb-046d_0825-video-index0", Label: "HD Webcam C270", Path: "/dev/video0", Group: "usb-0000:00:14.0-1",
	Modes: []Mode{
		vp("YUYV", 640, 480, 30), vp("YUYV", 640, 480, 15),
		vp("YUYV", 1280, 720, 10), vp("YUYV", 160, 120, 30),
		vp("MJPG", 1280, 720, 30), vp("MJPG", 640, 480, 30),
		vp("YUYV", 640, 480, 30), // duplicate
		vp("Z16", 640, 480, 30),  // depth: not converted
		vp("YUYV", 0, 0, 30),     // nonsense
	},
}

var ntsc = CameraInfo{
	ID: "pci-0000:03:00.0-video-index0", Label: "Capture card", Path: "/dev/video2",
	Modes: []Mode{
		vp("NV12", 720, 480, 29.97), vp("YU12", 720, 480, 29.97),
		vp("UYVY", 720, 480, 0), // rate unknown to the driver
	},
}

func mode(f string, w, h int, fps float64) capture.MediaTrackSettings {
	return capture.MediaTrackSettings{Width: w, Height: h, FrameRate: fps, AspectRatio: float64(w) / float64(h), ResizeMode: capture.ResizeModeNone, Format: f}
}

func withIDs(ms []capture.MediaTrackSettings, id, group string) []capture.MediaTrackSettings {
	for i := range ms {
		ms[i].DeviceID, ms[i].GroupID = id, group
	}
	return ms
}

func TestBuildModes(t *testing.T) {
	modes, caps, unsupported := buildModes("camera:x", "g", c270.Modes)
	want := withIDs([]capture.MediaTrackSettings{
		mode(FormatYUYV, 160, 120, 30),
		mode(FormatYUYV, 640, 480, 15),
		mode(FormatYUYV, 640, 480, 30),
		mode("MJPG", 640, 480, 30),
		mode(FormatYUYV, 1280, 720, 10),
		mode("MJPG", 1280, 720, 30),
	}, "camera:x", "g")
	if !reflect.DeepEqual(modes, want) {
		t.Errorf("modes:\n got %+v\nwant %+v", modes, want)
	}
	wantCaps := capture.MediaTrackCapabilities{
		Width: capture.ULongRange{Min: 160, Max: 1280}, Height: capture.ULongRange{Min: 120, Max: 720},
		FrameRate:   capture.DoubleRange{Min: 10, Max: 30},
		AspectRatio: capture.DoubleRange{Min: 4.0 / 3, Max: 16.0 / 9},
		ResizeMode:  []string{capture.ResizeModeNone},
		DeviceID:    "camera:x", GroupID: "g",
	}
	if !reflect.DeepEqual(caps, wantCaps) {
		t.Errorf("caps:\n got %+v\nwant %+v", caps, wantCaps)
	}
	if !reflect.DeepEqual(unsupported, []string{"Z16"}) {
		t.Errorf("unsupported formats %q, want the depth format Z16 only", unsupported)
	}

	modes, caps, _ = buildModes("camera:y", "", ntsc.Modes)
	want = withIDs([]capture.MediaTrackSettings{
		mode(FormatUYVY, 720, 480, 0),
		mode(FormatNV12, 720, 480, 29.97),
		mode("YU12", 720, 480, 29.97),
	}, "camera:y", "")
	if !reflect.DeepEqual(modes, want) {
		t.Errorf("modes:\n got %+v\nwant %+v", modes, want)
	}
	if caps.FrameRate != (capture.DoubleRange{Min: 29.97, Max: 29.97}) {
		t.Errorf("frame rate capability %+v, want 29.97 only (the unknown rate does not count)", caps.FrameRate)
	}

	modes, caps, unsupported = buildModes("camera:z", "", []Mode{vp("Z16", 640, 480, 30), {Format: "Y10"}, {Format: "Z16"}})
	if modes != nil || caps.Width != (capture.ULongRange{}) || caps.DeviceID != "camera:z" || !reflect.DeepEqual(unsupported, []string{"Y10", "Z16"}) {
		t.Errorf("a camera with no convertible mode: modes %v, caps %+v", modes, caps)
	}
}

func TestChooseMode(t *testing.T) {
	for _, tc := range []struct {
		mode capture.MediaTrackSettings
		want Mode
	}{
		{mode("MJPG", 1280, 720, 30), vp("MJPG", 1280, 720, 30)},
		{mode(FormatYUYV, 1280, 720, 10), vp("YUYV", 1280, 720, 10)},
		{mode(FormatYUYV, 640, 480, 15), vp("YUYV", 640, 480, 15)},
		{capture.MediaTrackSettings{Width: 1280, Height: 720}, vp("YUYV", 1280, 720, 10)}, // raw first
		{capture.MediaTrackSettings{Width: 600, Height: 400, FrameRate: 14}, vp("YUYV", 640, 480, 15)},
		{capture.MediaTrackSettings{}, vp("YUYV", 640, 480, 30)}, // anything
	} {
		got, ok := chooseMode(c270.Modes, tc.mode)
		if !ok || got != tc.want {
			t.Errorf("chooseMode(%+v) = %v, %v; want %v", tc.mode, got, ok, tc.want)
		}
	}
	if _, ok := chooseMode([]Mode{vp("Z16", 640, 480, 30)}, capture.MediaTrackSettings{}); ok {
		t.Error("chooseMode picked a format that cannot be converted")
	}
}

func TestDevicesFromFakeList(t *testing.T) {
	b := NewWithSystem(newFakeSystem(c270, ntsc))
	devs, err := b.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 {
		t.Fatalf("%d devices, want 2: %+v", len(devs), devs)
	}
	d := devs[0]
	if d.DeviceID != "camera:usb-046d_0825-video-index0" || d.Kind != capture.KindVideoInput || d.Label != "HD Webcam C270" ||
		d.Path != "/dev/video0" || d.GroupID != "camera:group:usb-0000:00:14.0-1" || len(d.Modes) != 6 {
		t.Errorf("descriptor %+v", d)
	}
	if d.Capabilities.Width.Max != 1280 || d.Capabilities.DeviceID != d.DeviceID {
		t.Errorf("capabilities %+v", d.Capabilities)
	}
	if devs[1].GroupID != "" || len(devs[1].Modes) != 3 {
		t.Errorf("second descriptor %+v", devs[1])
	}
	// The first camera is the default; formats Tally cannot convert are
	// listed as such.
	if !d.Default || devs[1].Default {
		t.Errorf("defaults %v, %v: want the first camera only", d.Default, devs[1].Default)
	}
	if !reflect.DeepEqual(d.UnsupportedFormats, []string{"Z16"}) || devs[1].UnsupportedFormats != nil {
		t.Errorf("unsupported formats %q, %q", d.UnsupportedFormats, devs[1].UnsupportedFormats)
	}

	// A failing list is an error naming what failed, not an empty list.
	fs := newFakeSystem()
	fs.listErr = errors.New("udev exploded")
	if _, err := NewWithSystem(fs).Devices(context.Background()); !errors.Is(err, capture.ErrNotReadable) || !strings.Contains(err.Error(), "udev exploded") {
		t.Errorf("Devices with a failing system: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Devices(ctx); !errors.Is(err, capture.ErrAbort) {
		t.Errorf("Devices with a cancelled context: %v", err)
	}
	if b.OpenCount() != 0 {
		t.Error("listing left a device open")
	}
}

func TestOpenNonexistent(t *testing.T) {
	b := NewWithSystem(newFakeSystem(c270))
	for _, id := range []string{"camera:nope", "nope", "screen:0", ""} {
		_, err := b.Open(context.Background(), id, capture.MediaTrackSettings{})
		if !errors.Is(err, capture.ErrNotFound) {
			t.Errorf("Open(%q) = %v, want NotFoundError", id, err)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", id)) {
			t.Errorf("Open(%q) error does not name the device: %v", id, err)
		}
	}
	if b.OpenCount() != 0 {
		t.Error("a device is left open")
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind *capture.DOMException
		text string
	}{
		{fmt.Errorf("VIDIOC_S_FMT: %w", syscall.EBUSY), capture.ErrNotReadable, "busy"},
		{syscall.EACCES, capture.ErrNotAllowed, "permission"},
		{syscall.ENODEV, capture.ErrNotFound, "gone"},
		{errors.New("ioctl failed"), capture.ErrNotReadable, "ioctl failed"},
		{capture.NewError(capture.ErrNotFound, nil, "raced away"), capture.ErrNotFound, "raced away"},
	} {
		fs := newFakeSystem(c270)
		fs.openErr[c270.ID] = tc.err
		b := NewWithSystem(fs)
		_, err := b.Open(context.Background(), IDPrefix+c270.ID, capture.MediaTrackSettings{})
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), c270.Label) {
			t.Errorf("open failing with %v: got %v, want %s mentioning %q and the camera", tc.err, err, tc.kind.Name, tc.text)
		}
		if b.OpenCount() != 0 {
			t.Errorf("open failing with %v left the device open", tc.err)
		}
	}
}

func TestOpenTwiceIsBusy(t *testing.T) {
	fs := newFakeSystem(c270)
	b := NewWithSystem(fs)
	id := IDPrefix + c270.ID
	d, err := b.Open(context.Background(), id, mode(FormatYUYV, 160, 120, 30))
	if err != nil {
		t.Fatal(err)
	}
	if !b.IsOpen(id) {
		t.Error("IsOpen is false for an open camera")
	}
	_, err = b.Open(context.Background(), id, mode(FormatYUYV, 160, 120, 30))
	if !errors.Is(err, capture.ErrNotReadable) || !strings.Contains(err.Error(), "busy") {
		t.Errorf("second Open = %v, want NotReadableError saying busy", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if b.IsOpen(id) || fs.anyOpen() {
		t.Error("device left open after Close")
	}
	// Closed, it opens again.
	d, err = b.Open(context.Background(), id, mode(FormatYUYV, 160, 120, 30))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	d.Close()
	if fs.opens[c270.ID] != 2 || fs.anyOpen() {
		t.Errorf("opens %d, anything open %v", fs.opens[c270.ID], fs.anyOpen())
	}
}

// TestReadVideoEachFormat reads one frame of each raw format through the
// backend and checks every pixel.
func TestReadVideoEachFormat(t *testing.T) {
	cam := CameraInfo{ID: "multi", Label: "Multi", Path: "/dev/video9"}
	fourcc := func(legacy string) string {
		for k, v := range rawName {
			if v == legacy {
				return k
			}
		}
		t.Fatalf("no fourcc for %s", legacy)
		return ""
	}
	for _, f := range rawFormats {
		cam.Modes = append(cam.Modes, vp(fourcc(f.format), 48, 32, 30))
	}
	fs := newFakeSystem(cam)
	b := NewWithSystem(fs)
	for _, f := range rawFormats {
		t.Run(f.format, func(t *testing.T) {
			d, err := b.Open(context.Background(), IDPrefix+cam.ID, mode(fourcc(f.format), 48, 32, 30))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if got := fs.stream(cam.ID).m.Format; got != fourcc(f.format) {
				t.Fatalf("opened %s, want %s", got, fourcc(f.format))
			}
			fr, err := d.(capture.VideoDevice).ReadVideo(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			img := samples(t, fr.Image)
			checkYCbCr(t, img, 48, 32, f.ratio)
		})
	}
	if b.OpenCount() != 0 || fs.anyOpen() {
		t.Error("a device is left open")
	}
}

func TestReadVideoMJPEG(t *testing.T) {
	cam := CameraInfo{ID: "mj", Label: "MJPEG cam", Modes: []Mode{vp("MJPG", 64, 32, 30)}}
	fs := newFakeSystem(cam)
	fs.blocking = true
	b := NewWithSystem(fs)
	d, err := b.Open(context.Background(), IDPrefix+cam.ID, capture.MediaTrackSettings{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		d.Close()
		if fs.anyOpen() {
			t.Error("device left open")
		}
	}()
	vd := d.(capture.VideoDevice)
	left, right := color.YCbCr{Y: 200, Cb: 60, Cr: 180}, color.YCbCr{Y: 50, Cb: 190, Cr: 90}
	go func() { fs.stream(cam.ID).push <- makeJPEG(t, 64, 32, left, right) }()
	fr, err := vd.ReadVideo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := samples(t, fr.Image).YCbCrAt(60, 20); !near(got.Y, right.Y, 3) {
		t.Errorf("right half %v, want about %v", got, right)
	}
	// A corrupt frame fails the read with NotReadableError naming the camera.
	go func() { fs.stream(cam.ID).push <- []byte("garbage") }()
	if _, err := vd.ReadVideo(context.Background()); !errors.Is(err, capture.ErrNotReadable) || !strings.Contains(err.Error(), "MJPEG cam") {
		t.Errorf("corrupt frame: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	fs := newFakeSystem(c270)
	fs.blocking = true
	b := NewWithSystem(fs)
	id := IDPrefix + c270.ID
	d, err := b.Open(context.Background(), id, mode(FormatYUYV, 160, 120, 30))
	if err != nil {
		t.Fatal(err)
	}
	vd := d.(capture.VideoDevice)

	// The caller's context ends a blocked read.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := vd.ReadVideo(ctx); !errors.Is(err, capture.ErrAbort) {
		t.Errorf("read with an ended context: %v", err)
	}
	// A short frame is NotReadable, not a panic.
	go func() { fs.stream(c270.ID).push <- []byte{1, 2, 3} }()
	if _, err := vd.ReadVideo(context.Background()); !errors.Is(err, capture.ErrNotReadable) || !strings.Contains(err.Error(), "short") {
		t.Errorf("short frame: %v", err)
	}
	// A failing device that is still listed is NotReadable...
	close(fs.stream(c270.ID).push)
	if _, err := vd.ReadVideo(context.Background()); !errors.Is(err, capture.ErrNotReadable) || !strings.Contains(err.Error(), c270.Label) {
		t.Errorf("failing device: %v", err)
	}
	// ...and one gone from the list is NotFound.
	fs.unplug(c270.ID)
	if _, err := vd.ReadVideo(context.Background()); !errors.Is(err, capture.ErrNotFound) || !strings.Contains(err.Error(), "unplugged") {
		t.Errorf("vanished device: %v", err)
	}
	d.Close()
	if b.OpenCount() != 0 || fs.anyOpen() {
		t.Error("device left open")
	}
}

// Close while ReadVideo blocks makes it return.
func TestCloseUnblocksRead(t *testing.T) {
	fs := newFakeSystem(c270)
	fs.blocking = true
	b := NewWithSystem(fs)
	d, err := b.Open(context.Background(), IDPrefix+c270.ID, capture.MediaTrackSettings{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error)
	go func() {
		_, err := d.(capture.VideoDevice).ReadVideo(context.Background())
		errc <- err
	}()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Error("ReadVideo returned a frame after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadVideo still blocks after Close")
	}
	if b.OpenCount() != 0 || fs.anyOpen() {
		t.Error("device left open")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func getUserMedia(t *testing.T, md *capture.MediaDevices, js string) *capture.MediaStream {
	t.Helper()
	var c capture.MediaStreamConstraints
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	s, err := md.GetUserMedia(context.Background(), c)
	if err != nil {
		t.Fatalf("GetUserMedia(%s): %v", js, err)
	}
	return s
}

// TestThroughMediaDevices runs the backend under capture: constraint
// selection over the modes, one open for several tracks, frames recycled,
// the device closed after the last track stops.
func TestThroughMediaDevices(t *testing.T) {
	fs := newFakeSystem(c270)
	b := NewWithSystem(fs)
	md := capture.NewMediaDevices(b)
	defer md.Close()
	id := IDPrefix + c270.ID

	s1 := getUserMedia(t, md, `{"video": {"deviceId": {"exact": "`+id+`"}, "width": {"exact": 640}, "frameRate": 15}}`)
	tr := s1.GetVideoTracks()[0]
	set := tr.GetSettings()
	if set.Width != 640 || set.Height != 480 || set.FrameRate != 15 || set.DeviceID != id {
		t.Errorf("settings %+v", set)
	}
	if got := fs.stream(c270.ID).m; got.Width != 640 || got.FrameRate() != 15 || got.Format != "YUYV" {
		t.Errorf("device opened in %+v", got)
	}
	clone := tr.Clone()
	s2 := getUserMedia(t, md, `{"video": {"deviceId": "`+id+`"}}`)
	tr2 := s2.GetVideoTracks()[0]
	if fs.opens[c270.ID] != 1 {
		t.Errorf("camera opened %d times for three tracks", fs.opens[c270.ID])
	}

	r := tr.NewVideoReader()
	buffers := map[*uint8]bool{} // distinct pictures, by their first sample
	for i := 0; i < 40; i++ {
		f, err := r.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		img := samples(t, f.Image)
		if img.Rect.Dx() != 640 || img.Y[0] != yAt(0, 0) || img.Cr[img.COffset(639, 479)] != crAt(319, 479) {
			t.Fatalf("frame %d has wrong pixels", i)
		}
		buffers[&img.Y[0]] = true
	}
	r.Close()
	// The converter's pool holds 4; a few more may be out with the readers.
	if n := len(buffers); n > 8 {
		t.Errorf("%d frame buffers for 40 frames: buffers are not recycled", n)
	}

	tr.Stop()
	clone.Stop()
	if !b.IsOpen(id) {
		t.Error("device closed while a track still uses it")
	}
	tr2.Stop()
	waitFor(t, "the camera to close after its last track stopped", func() bool { return !b.IsOpen(id) && !fs.anyOpen() })
}

// TestVanishWhileOpen: the poller sees the camera gone, its source ends with
// "ended" on the track, devicechange fires, and the device closes.
func TestVanishWhileOpen(t *testing.T) {
	fs := newFakeSystem(c270, ntsc)
	fs.blocking = true // a driver that does not notice: only the poll can tell
	b := NewWithSystem(fs, WithPollInterval(5*time.Millisecond))
	md := capture.NewMediaDevices(b)
	defer md.Close()
	var changes atomic.Int32
	cancel := md.OnDeviceChange(func() { changes.Add(1) })
	defer cancel()

	id := IDPrefix + c270.ID
	s := getUserMedia(t, md, `{"video": {"deviceId": {"exact": "`+id+`"}}}`)
	tr := s.GetVideoTracks()[0]
	ended := make(chan struct{})
	tr.OnEnded(func() { close(ended) })

	fs.unplug(c270.ID)
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("track did not end after its camera vanished")
	}
	if tr.ReadyState() != capture.StateEnded {
		t.Errorf("readyState %q", tr.ReadyState())
	}
	waitFor(t, "devicechange", func() bool { return changes.Load() > 0 })
	waitFor(t, "the vanished camera to close", func() bool { return !b.IsOpen(id) && !fs.anyOpen() })

	// A new camera appearing fires devicechange again, and is listed.
	n := changes.Load()
	fs.plug(c270)
	waitFor(t, "devicechange for a plugged camera", func() bool { return changes.Load() > n })
	devs, err := b.Devices(context.Background())
	if err != nil || len(devs) != 2 {
		t.Errorf("after replug: %d devices, %v", len(devs), err)
	}
}

// TestVanishDirect: the device itself ends with ErrNotFound when the poller
// finds its camera gone, even while ReadVideo blocks.
func TestVanishDirect(t *testing.T) {
	fs := newFakeSystem(c270)
	fs.blocking = true
	b := NewWithSystem(fs, WithPollInterval(5*time.Millisecond))
	var fired atomic.Int32
	cancel := b.OnDeviceChange(func() { fired.Add(1) })
	defer cancel()
	d, err := b.Open(context.Background(), IDPrefix+c270.ID, capture.MediaTrackSettings{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		d.Close()
		if b.OpenCount() != 0 || fs.anyOpen() {
			t.Error("device left open")
		}
	}()
	errc := make(chan error)
	go func() {
		_, err := d.(capture.VideoDevice).ReadVideo(context.Background())
		errc <- err
	}()
	fs.unplug(c270.ID)
	select {
	case err := <-errc:
		if !errors.Is(err, capture.ErrNotFound) {
			t.Errorf("ReadVideo after unplug: %v, want NotFoundError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadVideo still blocks after its camera vanished")
	}
	// The poller ends the device before it tells the listeners: wait.
	waitFor(t, "devicechange for the unplug", func() bool { return fired.Load() > 0 })
}

// TestNoCameraHere runs the real V4L2 system. This machine has no camera:
// importing pion's driver registered nothing, and the backend lists nothing,
// without error or panic.
func TestNoCameraHere(t *testing.T) {
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
		t.Skipf("this machine has cameras (%v); the test is for one without", nodes)
	}
	b := New()
	devs, err := b.Devices(context.Background())
	if err != nil || len(devs) != 0 {
		t.Fatalf("Devices() = %v, %v; want none, no error", devs, err)
	}
	_, err = b.Open(context.Background(), "camera:video0", capture.MediaTrackSettings{Width: 640, Height: 480})
	if !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("Open on a machine without cameras: %v, want NotFoundError", err)
	}
	cancel := b.OnDeviceChange(func() { t.Error("devicechange on a machine where nothing changes") })
	b.pollOnce()
	cancel()
	if b.OpenCount() != 0 {
		t.Error("device left open")
	}
}

// A layout the converter cannot read (lines shorter than a row) fails the
// open with NotReadableError naming the mode, and closes the stream.
func TestOpenUnconvertibleLayout(t *testing.T) {
	fs := newFakeSystem(c270)
	fs.layout[c270.ID] = func(l *FrameLayout) { l.BytesPerLine[0] = 100 } // less than a row
	b := NewWithSystem(fs)
	_, err := b.Open(context.Background(), IDPrefix+c270.ID, mode("YUYV", 640, 480, 30))
	if !errors.Is(err, capture.ErrNotReadable) || !strings.Contains(err.Error(), "YUYV 640x480") || !strings.Contains(err.Error(), "bytesperline 100") {
		t.Errorf("open with padded lines: %v", err)
	}
	if b.OpenCount() != 0 || fs.anyOpen() {
		t.Error("a failed open left the device open")
	}
}

// A stream whose error says the device went away (ENODEV from DQBUF, as
// the V4L2 system reports it) ends the source as unplugged, even while the
// camera is still listed.
func TestReadUnpluggedError(t *testing.T) {
	fs := newFakeSystem(c270)
	fs.blocking = true
	b := NewWithSystem(fs)
	d, err := b.Open(context.Background(), IDPrefix+c270.ID, mode("YUYV", 160, 120, 30))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st := fs.stream(c270.ID)
	d.(*device).stream = errStream{st, streamError(fmt.Errorf("VIDIOC_DQBUF: %w", syscall.ENODEV))}
	if _, err := d.(capture.VideoDevice).ReadVideo(context.Background()); !errors.Is(err, capture.ErrNotFound) || !strings.Contains(err.Error(), "unplugged") {
		t.Errorf("read after ENODEV: %v, want NotFoundError", err)
	}
}

type errStream struct {
	*fakeStream
	err error
}

func (s errStream) ReadFrame(context.Context) ([][]byte, error) { return nil, s.err }

// samples is a frame's Y'CbCr samples, tagged or not.
func samples(t *testing.T, img image.Image) *image.YCbCr {
	t.Helper()
	switch p := img.(type) {
	case *capture.YCbCr:
		return p.Planes()
	case *image.YCbCr:
		return p
	}
	t.Fatalf("frame is %T, not Y'CbCr", img)
	return nil
}
