package capture_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
)

// feedCam is a camera whose modes are given and whose frames the test
// feeds one by one: what the frame path does with each is then exact, with
// no timing involved. It cannot change mode while open.
type feedCam struct {
	id, label string
	modes     []capture.MediaTrackSettings
	frames    chan capture.VideoFrame
	opened    chan capture.MediaTrackSettings // each Open's mode, buffered
}

func newFeedCam(id string, modes []capture.MediaTrackSettings) *feedCam {
	return &feedCam{id: id, label: "Feed " + id, modes: modes, frames: make(chan capture.VideoFrame), opened: make(chan capture.MediaTrackSettings, 16)}
}

func (f *feedCam) Name() string { return "feed-" + f.id }

func (f *feedCam) Devices(context.Context) ([]capture.DeviceDescriptor, error) {
	return []capture.DeviceDescriptor{{DeviceID: f.id, Kind: capture.KindVideoInput, Label: f.label, Modes: slices.Clone(f.modes)}}, nil
}

func (f *feedCam) Open(_ context.Context, _ string, mode capture.MediaTrackSettings) (capture.Device, error) {
	f.opened <- mode
	return feedDevice{f}, nil
}

type feedDevice struct{ f *feedCam }

func (d feedDevice) ReadVideo(ctx context.Context) (capture.VideoFrame, error) {
	select {
	case fr := <-d.f.frames:
		return fr, nil
	case <-ctx.Done():
		return capture.VideoFrame{}, ctx.Err()
	}
}

func (d feedDevice) Close() error { return nil }

// vividModes is the mode table of the kernel's vivid webcam input (sizes up
// to 1920×1080 of it), ascending as the camera backend lists modes: the
// highest rate falls with the size (640×480 up to 25, 1280×720 up to 12.5).
func vividModes() []capture.MediaTrackSettings {
	var ms []capture.MediaTrackSettings
	for _, sz := range []struct {
		w, h  int
		rates []float64
	}{
		{320, 180, []float64{1, 5, 10, 15, 25, 30, 50, 60}},
		{640, 360, []float64{1, 5, 10, 15, 25, 30}},
		{640, 480, []float64{1, 5, 10, 15, 25}},
		{1280, 720, []float64{1, 5, 10, 12.5}},
		{1920, 1080, []float64{1, 5, 10}},
	} {
		for _, r := range sz.rates {
			ms = append(ms, capture.MediaTrackSettings{Width: sz.w, Height: sz.h, FrameRate: r, Format: "YUYV"})
		}
	}
	return ms
}

// The default ideals (640×480 @ 30, a browser's) when no size or rate is
// named, and the highest rate at a size when only the size is.
func TestDefaultModeOnVividTable(t *testing.T) {
	cam := newFeedCam("vivid", vividModes())
	md := capture.NewMediaDevices(cam)
	t.Cleanup(func() { _ = md.Close() })
	for _, tc := range []struct {
		json string
		w, h int
		fps  float64
	}{
		{`{"video": true}`, 640, 480, 25},
		{`{"video": {"deviceId": "vivid"}}`, 640, 480, 25},
		{`{"video": {"width": 1280}}`, 1280, 720, 12.5},
		{`{"video": {"width": {"exact": 640}, "height": {"exact": 480}}}`, 640, 480, 25},
		{`{"video": {"height": 180}}`, 320, 180, 60},
		{`{"video": {"aspectRatio": 1.7777777778}}`, 320, 180, 60},
	} {
		t.Run(tc.json, func(t *testing.T) {
			tr := video(t, md, tc.json)
			defer tr.Stop()
			s := tr.GetSettings()
			if s.Width != tc.w || s.Height != tc.h || s.FrameRate != tc.fps || s.ResizeMode != capture.ResizeModeNone {
				t.Errorf("settings %dx%d@%g %s, want %dx%d@%g none", s.Width, s.Height, s.FrameRate, s.ResizeMode, tc.w, tc.h, tc.fps)
			}
			if m := <-cam.opened; m.Width != tc.w || m.Height != tc.h || m.FrameRate != tc.fps {
				t.Errorf("opened in %dx%d@%g", m.Width, m.Height, m.FrameRate)
			}
		})
	}
}

// Synthetic camera, whose modes are listed nearest 640×480 @ 30 first: the
// tie rule, not the order, decides.
func TestTieGoesToHigherRateThenLargerSize(t *testing.T) {
	md, _ := setup(t)
	for _, tc := range []struct {
		json string
		w, h int
		fps  float64
	}{
		{`{"video": {"height": 480}}`, 640, 480, 60},
		{`{"video": {"frameRate": 15}}`, 1920, 1080, 15},
		{`{"video": {"aspectRatio": {"exact": 1.3333333333}}}`, 640, 480, 60},
	} {
		t.Run(tc.json, func(t *testing.T) {
			tr := video(t, md, tc.json)
			defer tr.Stop()
			if s := tr.GetSettings(); s.Width != tc.w || s.Height != tc.h || s.FrameRate != tc.fps {
				t.Errorf("settings %dx%d@%g, want %dx%d@%g", s.Width, s.Height, s.FrameRate, tc.w, tc.h, tc.fps)
			}
		})
	}
}

// WPT GUM-non-applicable-constraint: constraints of the other kind are
// removed, not failed.
func TestOtherKindConstraintsAreRemoved(t *testing.T) {
	md, _ := setup(t)
	c, err := capture.ParseMediaStreamConstraints([]byte(`{"audio": {"width": {"min": 100000000}, "frameRate": {"exact": 1}}, "video": {"sampleRate": {"exact": 1}, "echoCancellation": {"exact": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := md.GetUserMedia(ctxT(t), c)
	if err != nil {
		t.Fatalf("getUserMedia: %v", err)
	}
	if len(s.GetAudioTracks()) != 1 || len(s.GetVideoTracks()) != 1 {
		t.Errorf("tracks: %d audio, %d video", len(s.GetAudioTracks()), len(s.GetVideoTracks()))
	}
	for _, tr := range s.GetTracks() {
		tr.Stop()
	}
}

// WPT: the best device held in a mode that cannot serve the request is
// removed from the candidates, and the next device is chosen.
func TestHeldDeviceMovesSelectionToTheNext(t *testing.T) {
	md, b := setup(t)
	second := b.AddCamera("Second Camera")
	pinned := video(t, md, `{"video": {"width": {"exact": 640}, "frameRate": {"exact": 30}, "resizeMode": {"exact": "none"}}}`)
	defer pinned.Stop()
	if id := pinned.GetSettings().DeviceID; id != camID {
		t.Fatalf("first track on %s", id)
	}
	tr := video(t, md, `{"video": {"width": {"exact": 1920}}}`)
	defer tr.Stop()
	if s := tr.GetSettings(); s.DeviceID != second || s.Width != 1920 {
		t.Errorf("1920 wide while the default camera is pinned at 640: %dx%d on %s, want the second camera", s.Width, s.Height, s.DeviceID)
	}
	if s := pinned.GetSettings(); s.Width != 640 || s.FrameRate != 30 || s.ResizeMode != capture.ResizeModeNone {
		t.Errorf("the pinned track changed: %+v", s)
	}
	// With no camera that can, it fails, naming the constraint.
	_, err := md.GetUserMedia(ctxT(t), mustStream(t, `{"video": {"width": {"exact": 1920}, "deviceId": {"exact": "`+camID+`"}}}`))
	var oc *capture.OverconstrainedError
	if !errors.As(err, &oc) {
		t.Errorf("1920 on the pinned camera: %v, want OverconstrainedError", err)
	}
}

func mustStream(t *testing.T, json string) capture.MediaStreamConstraints {
	t.Helper()
	c, err := capture.ParseMediaStreamConstraints([]byte(json))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAspectRatioRoundedToTenDecimals(t *testing.T) {
	md, _ := setup(t)
	for _, tc := range []struct {
		json string
		want float64
	}{
		{`{"video": {"width": {"exact": 1280}, "height": {"exact": 720}}}`, 1.7777777778},
		{`{"video": {"width": {"exact": 640}, "height": {"exact": 480}}}`, 1.3333333333},
		{`{"video": {"width": {"exact": 700}, "height": {"exact": 300}}}`, 2.3333333333},
	} {
		tr := video(t, md, tc.json)
		if got := tr.GetSettings().AspectRatio; got != tc.want {
			t.Errorf("%s: aspectRatio %v, want %v", tc.json, got, tc.want)
		}
		tr.Stop()
	}
}

// Capabilities reach down to what crop-and-scale and decimation give, and
// list both resize modes.
func TestCapabilitiesIncludeCropAndScale(t *testing.T) {
	md, _ := setup(t)
	tr := video(t, md, `{"video": true}`)
	defer tr.Stop()
	c := tr.GetCapabilities()
	if c.Width != (capture.ULongRange{Min: 1, Max: 1920}) || c.Height != (capture.ULongRange{Min: 1, Max: 1080}) {
		t.Errorf("width %+v height %+v, want 1–1920, 1–1080", c.Width, c.Height)
	}
	if c.FrameRate != (capture.DoubleRange{Min: 1, Max: 60}) {
		t.Errorf("frameRate %+v, want 1–60", c.FrameRate)
	}
	if !slices.Equal(c.ResizeMode, []string{"none", "crop-and-scale"}) {
		t.Errorf("resizeMode %v", c.ResizeMode)
	}
	// Every value inside the ranges can be had.
	for _, j := range []string{`{"width": {"exact": 1}, "height": {"exact": 1}}`, `{"frameRate": {"exact": 1}}`, `{"width": {"exact": 1919}, "height": {"exact": 1079}}`} {
		c, _ := capture.ParseMediaTrackConstraints([]byte(j))
		if err := tr.ApplyConstraints(ctxT(t), c); err != nil {
			t.Errorf("apply %s inside the capabilities: %v", j, err)
		}
	}
}

// A clone's constraints are independent: each track of one source gets its
// own size and rate, and no ApplyConstraints changes another's settings.
func TestClonesHaveIndependentSettings(t *testing.T) {
	md, b := setup(t)
	ctx := ctxT(t)
	big := video(t, md, `{"video": {"width": {"exact": 1280}, "height": {"exact": 720}, "frameRate": {"exact": 30}}}`)
	defer big.Stop()
	small := big.Clone()
	defer small.Stop()
	c, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": 320, "height": 240, "frameRate": 15}`))
	if err := small.ApplyConstraints(ctx, c); err != nil {
		t.Fatal(err)
	}
	want := func(tr *capture.MediaStreamTrack, w, h int, fps float64, resize string) {
		t.Helper()
		if s := tr.GetSettings(); s.Width != w || s.Height != h || s.FrameRate != fps || s.ResizeMode != resize {
			t.Errorf("settings %dx%d@%g %s, want %dx%d@%g %s", s.Width, s.Height, s.FrameRate, s.ResizeMode, w, h, fps, resize)
		}
	}
	want(small, 320, 240, 15, "crop-and-scale")
	want(big, 1280, 720, 30, "none")
	if b.OpenCount(camID) != 1 {
		t.Errorf("opened %d times", b.OpenCount(camID))
	}
	srcs := md.Sources()
	if len(srcs) != 1 || len(srcs[0].Outputs) != 2 {
		t.Fatalf("sources %+v", srcs)
	}
	if o := srcs[0].Outputs[1]; o.Width != 320 || o.Height != 240 || o.FrameRate != 15 || o.ResizeMode != "crop-and-scale" || !slices.Equal(o.TrackIDs, []string{small.ID()}) {
		t.Errorf("second output %+v", o)
	}
	// Frames as the settings say, from the one device.
	for _, tc := range []struct {
		tr   *capture.MediaStreamTrack
		w, h int
	}{{small, 320, 240}, {big, 1280, 720}} {
		r := tc.tr.NewVideoReader()
		f, err := r.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b := f.Image.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("frame %v, want %dx%d", b, tc.w, tc.h)
		}
		if _, ok := f.Image.(*image.YCbCr); !ok {
			t.Errorf("frame is %T, want the camera's *image.YCbCr", f.Image)
		}
		r.Close()
	}
	// A disabled small track gets black frames of its own size.
	small.SetEnabled(false)
	r := small.NewVideoReader()
	defer r.Close()
	eventually(t, "a black 320x240 frame", func() bool {
		f, err := r.Read(ctx)
		if err != nil {
			return false
		}
		_, _, _, a := f.Image.At(160, 120).RGBA()
		r0, g0, b0, _ := f.Image.At(160, 120).RGBA()
		return f.Image.Bounds().Dx() == 320 && f.Image.Bounds().Dy() == 240 && r0|g0|b0 == 0 && a == 0xffff
	})
}

// yuvFrame is a w×h 4:2:0 frame whose luma is 16 in the left eighth, 235
// in the right eighth and 128 between: the crop decides what survives.
func yuvFrame(w, h int, ts time.Duration) capture.VideoFrame {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			v := byte(128)
			switch {
			case x < w/8:
				v = 16
			case x >= w-w/8:
				v = 235
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 100, 150
	}
	return capture.VideoFrame{Image: img, Timestamp: ts}
}

// feed hands frame f to the source and returns once the sync reader, on the
// source's last output, has it: every other output has had it by then.
func feed(t *testing.T, cam *feedCam, sync *capture.VideoReader, f capture.VideoFrame) {
	t.Helper()
	ctx := ctxT(t)
	select {
	case cam.frames <- f:
	case <-ctx.Done():
		t.Fatal("the source did not take a frame")
	}
	got, err := sync.Read(ctx)
	if err != nil || got.Timestamp != f.Timestamp {
		t.Fatalf("sync reader: %v at %v, want %v", err, got.Timestamp, f.Timestamp)
	}
}

// poll returns the frame waiting for r, if any, without blocking.
func poll(r *capture.VideoReader) (capture.VideoFrame, bool) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, err := r.Read(ctx)
	return f, err == nil
}

func TestCropAndScaleIsCentredAndDecimated(t *testing.T) {
	cam := newFeedCam("feed", []capture.MediaTrackSettings{{Width: 1280, Height: 720, FrameRate: 30}})
	md := capture.NewMediaDevices(cam)
	t.Cleanup(func() { _ = md.Close() })
	// A square at a third of the rate: the sides are cropped away.
	sq := video(t, md, `{"video": {"width": {"exact": 240}, "height": {"exact": 240}, "frameRate": {"exact": 10}}}`)
	defer sq.Stop()
	full := sq.Clone()
	defer full.Stop()
	if err := full.ApplyConstraints(ctxT(t), capture.MediaTrackConstraints{}); err != nil {
		t.Fatal(err)
	}
	if s := full.GetSettings(); s.Width != 1280 || s.FrameRate != 30 || s.ResizeMode != "none" {
		t.Fatalf("full track %+v", s)
	}
	rs, rf := sq.NewVideoReader(), full.NewVideoReader()
	defer rs.Close()
	defer rf.Close()
	var kept []time.Duration
	for n := range 9 {
		feed(t, cam, rf, yuvFrame(1280, 720, time.Duration(n)*time.Second/30))
		if f, ok := poll(rs); ok {
			kept = append(kept, f.Timestamp)
			img := f.Image.(*image.YCbCr)
			if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 240 {
				t.Fatalf("square frame %v", b)
			}
			// The centre 720 columns of 1280 are all mid-grey: nothing of the
			// dark or bright eighths (a squeeze without the crop has them).
			for _, x := range []int{0, 120, 239} {
				if y := img.Y[120*img.YStride+x]; y < 120 || y > 136 {
					t.Errorf("luma at column %d = %d: the crop is not centred", x, y)
				}
			}
			if cb := img.Cb[60*img.CStride+60]; cb < 98 || cb > 102 {
				t.Errorf("chroma %d, want 100", cb)
			}
		}
	}
	want := []time.Duration{0, 3 * time.Second / 30, 6 * time.Second / 30}
	if !slices.Equal(kept, want) {
		t.Errorf("decimated frames at %v, want every third: %v", kept, want)
	}
}

// 16 tracks at 3 sizes: 3 outputs, each frame scaled once per size and the
// same picture shared by the tracks of a size.
func TestOutputsAreSharedBetweenTracksOfOneSize(t *testing.T) {
	cam := newFeedCam("feed", []capture.MediaTrackSettings{{Width: 1280, Height: 720, FrameRate: 30}})
	md := capture.NewMediaDevices(cam)
	t.Cleanup(func() { _ = md.Close() })
	first := video(t, md, `{"video": true}`)
	defer first.Stop()
	sizes := [][2]int{{640, 360}, {320, 180}, {160, 90}}
	var readers [3][]*capture.VideoReader
	for i := range 16 {
		tr := first.Clone()
		defer tr.Stop()
		sz := sizes[i%3]
		c, _ := capture.ParseMediaTrackConstraints(fmt.Appendf(nil, `{"width": {"exact": %d}, "height": {"exact": %d}}`, sz[0], sz[1]))
		if err := tr.ApplyConstraints(ctxT(t), c); err != nil {
			t.Fatal(err)
		}
		r := tr.NewVideoReader()
		defer r.Close()
		readers[i%3] = append(readers[i%3], r)
	}
	// Last attached, at a size of its own: its output is served last.
	sync := first.Clone()
	defer sync.Stop()
	c, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 80}}`))
	if err := sync.ApplyConstraints(ctxT(t), c); err != nil {
		t.Fatal(err)
	}
	rsync := sync.NewVideoReader()
	defer rsync.Close()
	outs := md.Sources()[0].Outputs
	if len(outs) != 5 {
		t.Fatalf("%d outputs, want 5 (native, 3 sizes, sync): %+v", len(outs), outs)
	}
	feed(t, cam, rsync, yuvFrame(1280, 720, 0))
	for i, rs := range readers {
		var pic image.Image
		for _, r := range rs {
			f, ok := poll(r)
			if !ok {
				t.Fatalf("size %v: no frame", sizes[i])
			}
			if pic == nil {
				pic = f.Image
			} else if f.Image != pic {
				t.Errorf("size %v: tracks got different pictures: scaled more than once", sizes[i])
			}
			if b := f.Image.Bounds(); b.Dx() != sizes[i][0] || b.Dy() != sizes[i][1] {
				t.Errorf("frame %v, want %v", b, sizes[i])
			}
		}
	}
}

// A reader that never reads holds at most one frame of its output and never
// holds up another output or the source.
func TestSlowReaderOfAScaledOutputStallsNothing(t *testing.T) {
	cam := newFeedCam("feed", []capture.MediaTrackSettings{{Width: 1280, Height: 720, FrameRate: 30}})
	md := capture.NewMediaDevices(cam)
	t.Cleanup(func() { _ = md.Close() })
	slow := video(t, md, `{"video": {"width": {"exact": 320}}}`)
	defer slow.Stop()
	fast := slow.Clone()
	defer fast.Stop()
	if err := fast.ApplyConstraints(ctxT(t), capture.MediaTrackConstraints{}); err != nil {
		t.Fatal(err)
	}
	rslow, rfast := slow.NewVideoReader(), fast.NewVideoReader()
	defer rslow.Close()
	defer rfast.Close()
	for n := range 50 {
		feed(t, cam, rfast, yuvFrame(1280, 720, time.Duration(n)*time.Millisecond))
	}
	if d := rslow.Dropped(); d != 49 {
		t.Errorf("slow reader dropped %d, want 49 (latest frame wins)", d)
	}
	f, ok := poll(rslow)
	if !ok || f.Timestamp != 49*time.Millisecond {
		t.Errorf("slow reader's frame at %v, want the latest", f.Timestamp)
	}
}

// Screens are RGBA; their crop-and-scale stays RGBA.
func TestDisplayCropAndScaleKeepsRGBA(t *testing.T) {
	md := capture.NewMediaDevices(synthetic.New())
	t.Cleanup(func() { _ = md.Close() })
	var c capture.DisplayMediaStreamOptions
	vc, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 640}}`))
	c.Video = &vc
	s, err := md.GetDisplayMedia(ctxT(t), c)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	defer tr.Stop()
	r := tr.NewVideoReader()
	defer r.Close()
	f, err := r.Read(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	img, ok := f.Image.(*image.RGBA)
	if !ok || img.Rect.Dx() != 640 || img.Rect.Dy() != 360 {
		t.Fatalf("frame %T %v, want 640x360 *image.RGBA", f.Image, f.Image.Bounds())
	}
	if a := img.RGBAAt(320, 180).A; a < 250 {
		t.Errorf("alpha %d after scaling", a)
	}
}

// A colour-tagged camera picture stays one, with its tag, when scaled; a
// grey one stays grey.
func TestCropAndScaleKeepsTypeAndTag(t *testing.T) {
	cam := newFeedCam("feed", []capture.MediaTrackSettings{{Width: 1280, Height: 720, FrameRate: 30}})
	md := capture.NewMediaDevices(cam)
	t.Cleanup(func() { _ = md.Close() })
	small := video(t, md, `{"video": {"width": {"exact": 320}, "height": {"exact": 240}}}`)
	defer small.Stop()
	sync := small.Clone()
	defer sync.Stop()
	if err := sync.ApplyConstraints(ctxT(t), capture.MediaTrackConstraints{}); err != nil {
		t.Fatal(err)
	}
	rs, rsync := small.NewVideoReader(), sync.NewVideoReader()
	defer rs.Close()
	defer rsync.Close()

	tagged := capture.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio422, capture.BT709, false)
	for i := range tagged.Y {
		tagged.Y[i] = 16 // limited-range black
	}
	for i := range tagged.Cb {
		tagged.Cb[i], tagged.Cr[i] = 128, 128
	}
	feed(t, cam, rsync, capture.VideoFrame{Image: tagged, Timestamp: 1})
	f, ok := poll(rs)
	if !ok {
		t.Fatal("no scaled frame")
	}
	got, isTagged := f.Image.(*capture.YCbCr)
	if !isTagged || got.Matrix != capture.BT709 || got.FullRange || got.SubsampleRatio != image.YCbCrSubsampleRatio422 || got.Rect.Dx() != 320 || got.Rect.Dy() != 240 {
		t.Fatalf("scaled %T, want a 320x240 4:2:2 BT.709 limited *capture.YCbCr: %+v", f.Image, f.Image.Bounds())
	}
	if r, g, b, _ := got.At(100, 100).RGBA(); r>>8 > 2 || g>>8 > 2 || b>>8 > 2 {
		t.Errorf("limited-range black scaled to %d %d %d", r>>8, g>>8, b>>8)
	}

	grey := image.NewGray(image.Rect(0, 0, 1280, 720))
	for i := range grey.Pix {
		grey.Pix[i] = 77
	}
	feed(t, cam, rsync, capture.VideoFrame{Image: grey, Timestamp: 2})
	f, ok = poll(rs)
	if g, isGrey := f.Image.(*image.Gray); !ok || !isGrey || g.Rect.Dx() != 320 || g.GrayAt(10, 10).Y < 75 || g.GrayAt(10, 10).Y > 77 {
		t.Errorf("grey frame scaled to %T %v", f.Image, f.Image.Bounds())
	}
}

// A device that cannot change mode while open is reopened for a new track
// that needs another mode, and its other tracks keep their settings.
func TestNewTrackReopensFixedModeDevice(t *testing.T) {
	md, b := setup(t)
	b.SetFixedMode(camID, true)
	first := video(t, md, `{"video": true}`)
	defer first.Stop()
	r := first.NewVideoReader()
	defer r.Close()
	big := video(t, md, `{"video": {"width": {"exact": 1920}, "height": {"exact": 1080}}}`)
	defer big.Stop()
	if s := big.GetSettings(); s.Width != 1920 || s.Height != 1080 || s.FrameRate != 60 {
		t.Errorf("new track %dx%d@%g, want 1920x1080@60", s.Width, s.Height, s.FrameRate)
	}
	if s := first.GetSettings(); s.Width != 640 || s.Height != 480 || s.FrameRate != 30 || s.ResizeMode != "crop-and-scale" {
		t.Errorf("first track across the reopen: %+v, want its 640x480@30 by crop-and-scale", s)
	}
	if o := b.OpenCount(camID); o != 2 {
		t.Errorf("opened %d times, want 2 (reopened once)", o)
	}
	ctx := ctxT(t)
	eventually(t, "the first track's 640x480 frames from the 1920x1080 mode", func() bool {
		f, err := r.Read(ctx)
		return err == nil && f.Image.Bounds().Dx() == 640 && md.Sources()[0].Settings.Width == 1920
	})
	// A smaller size needs no reopen.
	small := video(t, md, `{"video": {"width": {"exact": 320}, "height": {"exact": 240}}}`)
	defer small.Stop()
	if o := b.OpenCount(camID); o != 2 {
		t.Errorf("opened %d times after a smaller track, want still 2", o)
	}
}

// Tracks changing size while frames flow and readers read: the race
// detector's test of the outputs (replaced under the lock, used by the
// capture goroutine) and their pooled buffers.
func TestSizesChangeWhileFramesFlow(t *testing.T) {
	md, b := setup(t)
	ctx := ctxT(t)
	first := video(t, md, `{"video": {"width": {"exact": 1280}, "height": {"exact": 720}, "frameRate": {"exact": 60}}}`)
	defer first.Stop()
	sizes := []string{
		`{"width": {"exact": 320}, "height": {"exact": 240}}`,
		`{"width": {"exact": 640}, "frameRate": {"exact": 20}}`,
		`{"aspectRatio": {"exact": 1}, "height": {"exact": 100}}`,
		`{}`,
	}
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := range 4 {
		tr := first.Clone()
		go func() {
			defer tr.Stop()
			r := tr.NewVideoReader()
			defer r.Close()
			for i := range 12 {
				c, _ := capture.ParseMediaTrackConstraints([]byte(sizes[(g+i)%len(sizes)]))
				if err := tr.ApplyConstraints(ctx, c); err != nil {
					errs <- err
					return
				}
				want := tr.GetSettings()
				// Frames already in flight may be of the old size; one of the
				// new size must come.
				for {
					f, err := r.Read(ctx)
					if err != nil {
						errs <- err
						return
					}
					if bb := f.Image.Bounds(); bb.Dx() == want.Width && bb.Dy() == want.Height {
						break
					}
				}
			}
			errs <- nil
		}()
	}
	go func() {
		defer close(done)
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}()
	<-done
	if o := b.OpenCount(camID); o != 1 {
		t.Errorf("opened %d times, want once", o)
	}
}

// The default ideals choose a mode of the default device, never the
// device: {video: true} opens the real camera at 640×480 @ 25 although the
// synthetic one, listed after it, has 640×480 @ 30 exactly.
func TestDefaultIdealsDoNotChooseTheDevice(t *testing.T) {
	cam := newFeedCam("vivid", vividModes())
	md := capture.NewMediaDevices(cam, synthetic.New())
	t.Cleanup(func() { _ = md.Close() })
	tr := video(t, md, `{"video": true}`)
	defer tr.Stop()
	if s := tr.GetSettings(); s.DeviceID != "vivid" || s.Width != 640 || s.Height != 480 || s.FrameRate != 25 {
		t.Errorf("{video: true} opened %s %dx%d@%g, want vivid 640x480@25", s.DeviceID, s.Width, s.Height, s.FrameRate)
	}
	// A constraint that names the rate does choose among devices.
	tr30 := video(t, md, `{"video": {"frameRate": {"min": 30}, "width": 640, "height": 480}}`)
	defer tr30.Stop()
	if s := tr30.GetSettings(); s.Width != 640 || s.Height != 480 || s.FrameRate < 30 {
		t.Errorf("640x480 at 30 or more: %s %dx%d@%g", s.DeviceID, s.Width, s.Height, s.FrameRate)
	}
}

// A track that names no size or rate joins an open camera in its mode:
// the default ideals never move a live source.
func TestDefaultIdealsDoNotMoveALiveSource(t *testing.T) {
	cam := newFeedCam("vivid", vividModes())
	md := capture.NewMediaDevices(cam)
	t.Cleanup(func() { _ = md.Close() })
	first := video(t, md, `{"video": {"width": {"exact": 640}, "height": {"exact": 480}, "frameRate": 5}}`)
	defer first.Stop()
	<-cam.opened
	second := video(t, md, `{"video": true}`)
	defer second.Stop()
	if s := second.GetSettings(); s.Width != 640 || s.Height != 480 || s.FrameRate != 5 {
		t.Errorf("{video: true} beside an open 640x480@5: %dx%d@%g, want the live mode", s.Width, s.Height, s.FrameRate)
	}
	select {
	case m := <-cam.opened:
		t.Errorf("the camera was reopened in %+v", m)
	default:
	}
}
