//go:build linux

package capture_test

// Per-track video on the kernel's own V4L2 driver, vivid, in the test VM
// (scripts/vm.sh): the real camera backend's frames, cropped, scaled and
// decimated for a second track of one open camera.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/camera"
	"github.com/tally-app/tally/capture/synthetic"
	"github.com/tally-app/tally/internal/testenv"
)

// TestPerTrackVivid runs the TestPerTrackVivid_* tests in one boot of the
// test VM.
func TestPerTrackVivid(t *testing.T) {
	testenv.RunTestsInVM(t, "^TestPerTrackVivid_", testenv.VMOptions{Vivid: "n_devs=1 node_types=0x1"})
}

func TestPerTrackVivid_TwoSizesFromOneCamera(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestPerTrackVivid")
	cam := camera.New()
	md := capture.NewMediaDevices(cam, synthetic.New())
	defer md.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// {video: true}: the real camera, where a browser opens it.
	s, err := md.GetUserMedia(ctx, capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if err != nil {
		t.Fatal(err)
	}
	big := s.GetVideoTracks()[0]
	defer big.Stop()
	bs := big.GetSettings()
	if strings.HasPrefix(bs.DeviceID, "synthetic") || bs.Width != 640 || bs.Height != 480 || bs.FrameRate != 25 || bs.ResizeMode != capture.ResizeModeNone {
		t.Fatalf("{video: true} opened %s %dx%d @ %g %s, want vivid at 640x480 @ 25, none", bs.DeviceID, bs.Width, bs.Height, bs.FrameRate, bs.ResizeMode)
	}

	// A smaller size at half the rate, from the same open camera.
	c, err := capture.ParseMediaStreamConstraints([]byte(fmt.Sprintf(
		`{"video": {"deviceId": {"exact": %q}, "width": {"exact": 320}, "height": {"exact": 180}, "frameRate": {"exact": 12.5}}}`, bs.DeviceID)))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := md.GetUserMedia(ctx, c)
	if err != nil {
		t.Fatalf("320x180 @ 12.5 beside the open 640x480 @ 25: %v", err)
	}
	small := s2.GetVideoTracks()[0]
	defer small.Stop()
	ss := small.GetSettings()
	if ss.Width != 320 || ss.Height != 180 || ss.FrameRate != 12.5 || ss.ResizeMode != capture.ResizeModeCropAndScale {
		t.Errorf("small track %dx%d @ %g %s, want 320x180 @ 12.5 crop-and-scale", ss.Width, ss.Height, ss.FrameRate, ss.ResizeMode)
	}
	if n := cam.OpenCount(); n != 1 || small.SourceID() != big.SourceID() {
		t.Errorf("camera open %d times, sources %s and %s: want one", n, big.SourceID(), small.SourceID())
	}

	captured := func() uint64 {
		for _, si := range md.Sources() {
			if si.ID == big.SourceID() {
				return si.FramesCaptured
			}
		}
		return 0
	}
	rb, rs := big.NewVideoReader(), small.NewVideoReader()
	defer rb.Close()
	defer rs.Close()
	c0 := captured()
	fb, err := rb.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := fb.Image.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
		t.Errorf("big frame %v", b)
	}
	bigType := fmt.Sprintf("%T", fb.Image)
	for range 8 {
		f, err := rs.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b := f.Image.Bounds(); b.Dx() != 320 || b.Dy() != 180 {
			t.Errorf("small frame %v, want 320x180", b)
		}
		if got := fmt.Sprintf("%T", f.Image); got != bigType {
			t.Errorf("small frame is %s, the camera's are %s", got, bigType)
		}
	}
	// Every other source frame reached the small track (read, or skipped
	// by its latest-wins reader). Counts, not timestamps: under the VM's
	// emulation vivid delivers in bursts.
	got, src := rs.Delivered()+rs.Dropped(), captured()-c0
	if src < 8 {
		t.Fatalf("only %d source frames while 8 small ones were read", src)
	}
	if lo, hi := src/2-2, src/2+2; got < lo || got > hi {
		t.Errorf("small track got %d of %d source frames, want half", got, src)
	}
	t.Logf("small track: %d of %d source frames", got, src)
	if o := md.Sources(); len(o) != 1 || len(o[0].Outputs) != 2 {
		t.Errorf("sources %+v, want one with two outputs", o)
	}
	rb.Close()
	rs.Close()
	small.Stop()
	big.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for cam.OpenCount() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the camera did not close after the last stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
