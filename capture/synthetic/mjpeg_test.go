package synthetic

import (
	"context"
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/mjpeg"
)

const turboJPEG = "libjpeg-turbo (TurboJPEG)" // mjpeg.Implementation with cgo

func readFrame(t *testing.T, d capture.Device) *capture.YCbCr {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := d.(capture.VideoDevice).ReadVideo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, ok := f.Image.(*capture.YCbCr)
	if !ok {
		t.Fatalf("frame is a %T, want *capture.YCbCr", f.Image)
	}
	return img
}

// The MJPEG camera's frames are JPEGs decoded on the way out: JFIF-tagged
// 4:2:2 pictures of the mode's size, detailed, with a moving marker.
func TestMJPEGCameraFrames(t *testing.T) {
	b := New()
	id, err := b.AddMJPEGCamera("MJPEG Camera", "")
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := b.Devices(context.Background())
	var desc capture.DeviceDescriptor
	for _, d := range ds {
		if d.DeviceID == id {
			desc = d
		}
	}
	if desc.Label != "MJPEG Camera" || desc.Default || len(desc.Modes) != len(CameraSizes)*len(CameraRates) || desc.Modes[0].Format != FormatMJPEG {
		t.Fatalf("MJPEG camera listed as %+v", desc)
	}
	dev := open(t, b, id, capture.MediaTrackSettings{Width: 320, Height: 240, FrameRate: 60})
	first := readFrame(t, dev)
	// 4:2:2 as webcams send; image/jpeg, the fallback, only writes 4:2:0.
	want := image.YCbCrSubsampleRatio422
	if mjpeg.Implementation() != turboJPEG {
		want = image.YCbCrSubsampleRatio420
	}
	if first.Rect != image.Rect(0, 0, 320, 240) || first.SubsampleRatio != want ||
		first.Matrix != capture.BT601 || !first.FullRange {
		t.Fatalf("frame %v %v %v full=%v, want 320x240 %v JFIF", first.Rect, first.SubsampleRatio, first.Matrix, first.FullRange, want)
	}
	firstY := append([]byte(nil), first.Y...)
	if sd := stddev(firstY); sd < 20 {
		t.Errorf("luma standard deviation %.1f: not a detailed picture", sd)
	}
	second := readFrame(t, dev)
	if string(second.Y) == string(firstY) {
		t.Error("two frames are the same: the marker does not move")
	}
	if n := b.DroppedFrames(id); n != 0 {
		t.Errorf("%d frames dropped from the camera's own JPEGs", n)
	}
}

func stddev(b []byte) float64 {
	var s, s2 float64
	for _, v := range b {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(b))
	v := s2/n - (s/n)*(s/n)
	if v <= 0 {
		return 0
	}
	return math.Sqrt(v)
}

// A webcam's 1080p frame of a real picture is 300–400 KB at quality 85; so
// is the MJPEG camera's, or it would hide the decoder's cost.
func TestMJPEGFrameSizeIsAWebcams(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes 1080p frames")
	}
	if mjpeg.Implementation() != turboJPEG {
		t.Skip("the fallback's encoder writes 4:2:0, not a webcam's 4:2:2")
	}
	cam := &mjpegCamera{rings: map[[2]int]*[mjpegRing][]byte{}}
	r, err := cam.ring(1920, 1080)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range r {
		if len(f) < 300<<10 || len(f) > 400<<10 {
			t.Errorf("1080p frame %d is %d KB, want 300-400", i, len(f)>>10)
		}
	}
}

func writeJPEG(t *testing.T, path string, w, h int) {
	t.Helper()
	b, err := mjpeg.Encode(Texture(w, h, image.YCbCrSubsampleRatio422), 80)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// From a directory, files play in name order; one that does not decode
// or has another size is dropped and counted, and the stream goes on.
func TestMJPEGCameraPlaysADirectory(t *testing.T) {
	dir := t.TempDir()
	writeJPEG(t, filepath.Join(dir, "a.jpg"), 96, 64)
	good, _ := os.ReadFile(filepath.Join(dir, "a.jpg"))
	if err := os.WriteFile(filepath.Join(dir, "b.jpg"), good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	writeJPEG(t, filepath.Join(dir, "c.jpeg"), 64, 64)
	writeJPEG(t, filepath.Join(dir, "d.JPG"), 96, 64)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a frame"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := New()
	id, err := b.AddMJPEGCamera("Captures", dir)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := b.Devices(context.Background())
	mode := ds[len(ds)-1].Modes[0]
	if mode.Width != 96 || mode.Height != 64 {
		t.Fatalf("mode %dx%d, want the first file's 96x64", mode.Width, mode.Height)
	}
	mode.FrameRate = 60
	dev := open(t, b, id, mode)
	var ys []string
	for range 4 {
		ys = append(ys, string(readFrame(t, dev).Y))
	}
	// a, (b and c dropped), d, a, (b, c), d.
	if got := b.DroppedFrames(id); got != 4 {
		t.Errorf("%d frames dropped, want 4", got)
	}
	if ys[0] != ys[2] || ys[1] != ys[3] {
		t.Error("the files did not play in order, looping")
	}
}

func TestMJPEGCameraBadDirectory(t *testing.T) {
	b := New()
	if _, err := b.AddMJPEGCamera("x", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing directory was accepted")
	}
	if _, err := b.AddMJPEGCamera("x", t.TempDir()); err == nil {
		t.Error("a directory without JPEGs was accepted")
	}
	if ds, _ := b.Devices(context.Background()); len(ds) != 3 {
		t.Errorf("%d devices after failed adds, want the default 3", len(ds))
	}
}

// Through capture, a track of the MJPEG camera delivers decoded frames,
// and closing it while frames are being decoded leaves nothing running.
func TestMJPEGCameraThroughCapture(t *testing.T) {
	b := New()
	id, err := b.AddMJPEGCamera("MJPEG Camera", "")
	if err != nil {
		t.Fatal(err)
	}
	md := capture.NewMediaDevices(b)
	defer md.Close()
	var c capture.MediaStreamConstraints
	js := `{"video": {"deviceId": {"exact": "` + id + `"}, "width": 320, "height": 240}}`
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := md.GetUserMedia(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	r := tr.NewVideoReader()
	defer r.Close()
	f, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Image.(*capture.YCbCr); !ok || f.Image.Bounds() != image.Rect(0, 0, 320, 240) {
		t.Errorf("frame %T %v", f.Image, f.Image.Bounds())
	}
	tr.Stop()
}

// Close may come while ReadVideo decodes: the decoder is freed after that
// decode, never under it, and frames after Close are not decoded. (Like
// every synthetic device, ReadVideo returns once its context ends, which
// capture does before Close.)
func TestMJPEGCameraCloseDuringDecode(t *testing.T) {
	b := New()
	id, err := b.AddMJPEGCamera("MJPEG Camera", "")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		d, err := b.Open(context.Background(), id, capture.MediaTrackSettings{Width: 640, Height: 480, FrameRate: 60})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			for i := 0; ; i++ {
				_, err := d.(capture.VideoDevice).ReadVideo(ctx)
				if i == 0 {
					close(first)
				}
				if err != nil {
					done <- err
					return
				}
			}
		}()
		<-first
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("ReadVideo did not return after Close")
		}
		if b.IsOpen(id) {
			t.Fatal("camera still open after Close")
		}
	}
	if n := b.DroppedFrames(id); n != 0 {
		t.Errorf("%d frames dropped", n)
	}
}

// Bad frames are data, not errors: through capture, a directory with
// undecodable files keeps its track live, delivering the good frames.
func TestMJPEGBadFramesDoNotEndTheTrack(t *testing.T) {
	dir := t.TempDir()
	writeJPEG(t, filepath.Join(dir, "a.jpg"), 96, 64)
	if err := os.WriteFile(filepath.Join(dir, "b.jpg"), []byte{0xff, 0xd8, 0xff, 0xc0, 0, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	b := New()
	id, err := b.AddMJPEGCamera("Captures", dir)
	if err != nil {
		t.Fatal(err)
	}
	md := capture.NewMediaDevices(b)
	defer md.Close()
	var c capture.MediaStreamConstraints
	if err := json.Unmarshal([]byte(`{"video": {"deviceId": {"exact": "`+id+`"}, "frameRate": 60}}`), &c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := md.GetUserMedia(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	r := tr.NewVideoReader()
	defer r.Close()
	for i := range 3 {
		if _, err := r.Read(ctx); err != nil {
			t.Fatalf("read %d: %v (%d dropped, track %s, settings %+v)", i, err, b.DroppedFrames(id), tr.ReadyState(), tr.GetSettings())
		}
	}
	if tr.ReadyState() != "live" {
		t.Errorf("track is %s after bad frames", tr.ReadyState())
	}
	if b.DroppedFrames(id) < 2 {
		t.Errorf("%d frames dropped, want at least 2", b.DroppedFrames(id))
	}
	tr.Stop()
}
