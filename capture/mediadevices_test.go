package capture_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
)

func TestEnumerateDevicesIsStable(t *testing.T) {
	md, b := setup(t)
	ctx := ctxT(t)
	a, err := md.EnumerateDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []capture.MediaDeviceInfo{
		{DeviceID: micID, Kind: "audioinput", Label: "Synthetic Microphone", GroupID: "synthetic-group-1"},
		{DeviceID: camID, Kind: "videoinput", Label: "Synthetic Camera", GroupID: "synthetic-group-1"},
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("EnumerateDevices = %+v\nwant %+v", a, want)
	}
	id := b.AddCamera("Second Camera")
	again, _ := md.EnumerateDevices(ctx)
	if len(again) != 3 || again[2].DeviceID != id || again[1] != a[1] {
		t.Errorf("after AddCamera: %+v", again)
	}
	b.Unplug(id)
	b.Replug(id)
	third, _ := md.EnumerateDevices(ctx)
	if !reflect.DeepEqual(again, third) {
		t.Errorf("ids changed across unplug/replug: %+v vs %+v", again, third)
	}
}

func TestGetUserMediaErrors(t *testing.T) {
	md, b := setup(t)
	ctx := ctxT(t)

	_, err := md.GetUserMedia(ctx, capture.MediaStreamConstraints{})
	if !errors.Is(err, capture.ErrTypeError) {
		t.Errorf("neither kind: %v, want TypeError", err)
	}

	// Wider than every mode: crop-and-scale never scales up.
	c, _ := capture.ParseMediaStreamConstraints([]byte(`{"video": {"width": {"exact": 4000}}}`))
	_, err = md.GetUserMedia(ctx, c)
	var oc *capture.OverconstrainedError
	if !errors.As(err, &oc) || oc.Constraint != "width" || !errors.Is(err, capture.ErrOverconstrained) {
		t.Errorf("exact width 4000: %v, want OverconstrainedError(width)", err)
	}

	c, _ = capture.ParseMediaStreamConstraints([]byte(`{"video": {"width": {"min": 800, "max": 640}}}`))
	_, err = md.GetUserMedia(ctx, c)
	if !errors.As(err, &oc) || oc.Constraint != "width" {
		t.Errorf("min > max: %v, want OverconstrainedError(width)", err)
	}

	b.FailNextOpen(camID, errors.New("device or resource busy"))
	_, err = md.GetUserMedia(ctx, capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if !errors.Is(err, capture.ErrNotReadable) {
		t.Errorf("failed open: %v, want NotReadableError", err)
	}
	if capture.ErrorName(err) != "NotReadableError" {
		t.Errorf("ErrorName = %q", capture.ErrorName(err))
	}

	// A failure of the second kind releases the first.
	b.FailNextOpen(camID, errors.New("busy"))
	_, err = md.GetUserMedia(ctx, capture.MediaStreamConstraints{Audio: &capture.MediaTrackConstraints{}, Video: &capture.MediaTrackConstraints{}})
	if !errors.Is(err, capture.ErrNotReadable) {
		t.Errorf("audio+failing video: %v", err)
	}
	eventually(t, "microphone released", func() bool { return !b.IsOpen(micID) })

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = md.GetUserMedia(cancelled, capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if !errors.Is(err, capture.ErrAbort) {
		t.Errorf("cancelled ctx: %v, want AbortError", err)
	}

	b.Unplug(micID)
	_, err = md.GetUserMedia(ctx, capture.MediaStreamConstraints{Audio: &capture.MediaTrackConstraints{}})
	if !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("no microphone: %v, want NotFoundError", err)
	}

	_, err = capture.ParseMediaStreamConstraints([]byte(`{"video": {"width": "wide"}}`))
	if !errors.Is(err, capture.ErrTypeError) {
		t.Errorf("wrong JSON type: %v, want TypeError", err)
	}
	if len(md.Sources()) != 0 {
		t.Errorf("failed calls left sources: %+v", md.Sources())
	}
}

func TestConstraintSelection(t *testing.T) {
	md, b := setup(t)
	second := b.AddCamera("Second Camera")
	const none, cas = capture.ResizeModeNone, capture.ResizeModeCropAndScale
	for _, tc := range []struct {
		json   string
		w, h   int
		fps    float64
		resize string
		device string
	}{
		// No size or rate named: the default ideals 640x480 @ 30.
		{`{"video": true}`, 640, 480, 30, none, camID},
		{`{"video": {"deviceId": {"exact": "` + second + `"}}}`, 640, 480, 30, none, second},
		// Only a size: the highest rate at that size.
		{`{"video": {"width": 1280}}`, 1280, 720, 60, none, camID},
		{`{"video": {"aspectRatio": {"exact": 1.3333333333}, "width": {"min": 600}}}`, 640, 480, 60, none, camID},
		{`{"video": {"advanced": [{"width": 4000}, {"width": 320}]}}`, 320, 240, 60, none, camID},
		{`{"video": {"height": {"min": 700, "max": 800}, "frameRate": 60}}`, 1280, 720, 60, none, camID},
		// What no mode has exactly: cropped, scaled down, decimated.
		{`{"video": {"width": {"ideal": 1900}, "frameRate": {"max": 20}}}`, 1900, 1069, 20, cas, camID},
		{`{"video": {"width": {"exact": 400}, "height": {"exact": 400}}}`, 400, 400, 60, cas, camID},
		{`{"video": {"width": 320, "height": 180, "frameRate": {"exact": 10}}}`, 320, 180, 10, cas, camID},
		{`{"video": {"resizeMode": {"exact": "crop-and-scale"}}}`, 640, 480, 30, cas, camID},
	} {
		t.Run(tc.json, func(t *testing.T) {
			tr := video(t, md, tc.json)
			defer tr.Stop()
			s := tr.GetSettings()
			if s.Width != tc.w || s.Height != tc.h || s.FrameRate != tc.fps || s.ResizeMode != tc.resize || s.DeviceID != tc.device {
				t.Errorf("settings %dx%d@%g %s on %s, want %dx%d@%g %s on %s", s.Width, s.Height, s.FrameRate, s.ResizeMode, s.DeviceID, tc.w, tc.h, tc.fps, tc.resize, tc.device)
			}
			var want capture.MediaStreamConstraints
			if err := json.Unmarshal([]byte(tc.json), &want); err != nil {
				t.Fatal(err)
			}
			if got := tr.GetConstraints(); !reflect.DeepEqual(got, *want.Video) {
				t.Errorf("GetConstraints = %+v, want %+v", got, *want.Video)
			}
		})
	}
}

func TestApplyConstraints(t *testing.T) {
	md, b := setup(t)
	ctx := ctxT(t)
	tr := video(t, md, `{"video": true}`)
	c, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 1280}, "frameRate": 60}`))
	if err := tr.ApplyConstraints(ctx, c); err != nil {
		t.Fatal(err)
	}
	if s := tr.GetSettings(); s.Width != 1280 || s.Height != 720 || s.FrameRate != 60 {
		t.Errorf("after apply: %+v", s)
	}
	if !reflect.DeepEqual(tr.GetConstraints(), c) {
		t.Error("GetConstraints is not the applied constraints")
	}
	r := tr.NewVideoReader()
	defer r.Close()
	eventually(t, "a 1280-wide frame", func() bool {
		f, err := r.Read(ctx)
		return err == nil && f.Image.Bounds().Dx() == 1280
	})

	bad, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 3333}}`))
	err := tr.ApplyConstraints(ctx, bad)
	var oc *capture.OverconstrainedError
	if !errors.As(err, &oc) || oc.Constraint != "width" {
		t.Errorf("unsatisfiable apply: %v", err)
	}
	if s := tr.GetSettings(); s.Width != 1280 || !reflect.DeepEqual(tr.GetConstraints(), c) {
		t.Error("a failed ApplyConstraints changed settings or constraints")
	}

	// Another track keeps its settings: a smaller size comes from the same
	// mode by crop-and-scale, and a larger one cannot move the source.
	other := tr.Clone()
	pin, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 1280}}`))
	if err := other.ApplyConstraints(ctx, pin); err != nil {
		t.Fatal(err)
	}
	want640, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 640}}`))
	if err := tr.ApplyConstraints(ctx, want640); err != nil {
		t.Errorf("apply 640 beside a 1280 track: %v", err)
	}
	if s := tr.GetSettings(); s.Width != 640 || s.Height != 360 || s.ResizeMode != capture.ResizeModeCropAndScale {
		t.Errorf("640 from the 1280 mode: %dx%d %s, want 640x360 crop-and-scale", s.Width, s.Height, s.ResizeMode)
	}
	if s := other.GetSettings(); s.Width != 1280 || s.FrameRate != 60 || s.ResizeMode != capture.ResizeModeNone {
		t.Errorf("the other track changed: %+v", s)
	}
	native1920, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 1920}, "frameRate": {"exact": 30}, "resizeMode": {"exact": "none"}}`))
	if err := tr.ApplyConstraints(ctx, native1920); err == nil {
		t.Error("apply moved the source out of the other track's 1280x720 @ 60")
	}
	// A larger mode that still serves the other track: the source moves,
	// the other track keeps its size and rate by crop-and-scale.
	want1920, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 1920}}`))
	if err := tr.ApplyConstraints(ctx, want1920); err != nil {
		t.Fatal(err)
	}
	if s := md.Sources()[0].Settings; s.Width != 1920 || s.FrameRate != 60 {
		t.Errorf("source mode %dx%d@%g, want 1920x1080@60", s.Width, s.Height, s.FrameRate)
	}
	if s := other.GetSettings(); s.Width != 1280 || s.Height != 720 || s.FrameRate != 60 || s.ResizeMode != capture.ResizeModeCropAndScale {
		t.Errorf("the other track across the mode change: %+v", s)
	}

	other.Stop()
	tr.Stop()
	opens := b.OpenCount(camID)
	if err := tr.ApplyConstraints(ctx, want640); err != nil {
		t.Errorf("apply on ended track = %v, want nil", err)
	}
	if b.OpenCount(camID) != opens {
		t.Error("apply on ended track opened the device")
	}
}

func TestMediaStream(t *testing.T) {
	md, _ := setup(t)
	c, _ := capture.ParseMediaStreamConstraints([]byte(`{"audio": true, "video": true}`))
	s, err := md.GetUserMedia(ctxT(t), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.GetTracks()) != 2 || len(s.GetAudioTracks()) != 1 || len(s.GetVideoTracks()) != 1 {
		t.Fatalf("tracks: %d", len(s.GetTracks()))
	}
	v := s.GetVideoTracks()[0]
	if s.GetTrackByID(v.ID()) != v || s.GetTrackByID("nope") != nil {
		t.Error("GetTrackByID")
	}
	s.AddTrack(v)
	if len(s.GetTracks()) != 2 {
		t.Error("adding a present track changed the set")
	}
	s.RemoveTrack(v)
	s.RemoveTrack(v)
	if len(s.GetTracks()) != 1 || v.ReadyState() != "live" {
		t.Error("RemoveTrack: wrong set, or it stopped the track")
	}
	s.AddTrack(v)
	cl := s.Clone()
	if cl.ID() == s.ID() || len(cl.GetTracks()) != 2 || cl.GetVideoTracks()[0] == v {
		t.Error("Clone does not clone every track")
	}
	if !s.Active() {
		t.Error("stream with live tracks not active")
	}
	for _, tr := range append(s.GetTracks(), cl.GetTracks()...) {
		tr.Stop()
	}
	if s.Active() || cl.Active() {
		t.Error("stream active after all tracks stopped")
	}
	if ns := capture.NewMediaStream(v, v); len(ns.GetTracks()) != 1 || ns.Active() {
		t.Error("NewMediaStream keeps duplicates, or an ended stream is active")
	}
}

func TestGetDisplayMedia(t *testing.T) {
	md, b := setup(t)
	s, err := md.GetDisplayMedia(ctxT(t), capture.DisplayMediaStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	if st := tr.GetSettings(); st.DisplaySurface != "monitor" || st.Width == 0 {
		t.Errorf("screen settings %+v", st)
	}
	r := tr.NewVideoReader()
	defer r.Close()
	if _, err := r.Read(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	tr.Stop()
	eventually(t, "screen closed", func() bool { return !b.IsOpen("synthetic-screen-1") })
	devs, _ := md.EnumerateDevices(ctxT(t))
	for _, d := range devs {
		if d.Kind == capture.KindDisplay {
			t.Error("EnumerateDevices lists a screen")
		}
	}
}

func TestCloseEndsEverything(t *testing.T) {
	b := synthetic.New()
	md := capture.NewMediaDevices(b)
	tr := video(t, md, `{"video": true}`)
	a := audio(t, md)
	var ended atomic.Int32
	tr.OnEnded(func() { ended.Add(1) })
	if err := md.Close(); err != nil {
		t.Fatal(err)
	}
	if tr.ReadyState() != "ended" || a.ReadyState() != "ended" || b.IsOpen(camID) || b.IsOpen(micID) {
		t.Error("Close left a track live or a device open")
	}
	if ended.Load() != 0 {
		t.Error("Close fired ended")
	}
	if _, err := md.GetUserMedia(ctxT(t), capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}}); !errors.Is(err, capture.ErrInvalidState) {
		t.Errorf("getUserMedia after Close: %v", err)
	}
	if err := md.Close(); err != nil {
		t.Error("second Close:", err)
	}
}

// dropTrack makes a track and forgets it without Stop.
//
//go:noinline
func dropTrack(t *testing.T, md *capture.MediaDevices) string {
	return video(t, md, `{"video": true}`).ID()
}

func TestLeakedTrackIsReportedAndStopped(t *testing.T) {
	md, b := setup(t)
	leaks := make(chan capture.LeakInfo, 1)
	md.OnLeak(func(l capture.LeakInfo) { leaks <- l })
	kept := video(t, md, `{"video": true}`)
	kept.Stop() // stopped tracks are never reported
	id := dropTrack(t, md)
	var got capture.LeakInfo
	eventually(t, "leak report", func() bool {
		runtime.GC()
		select {
		case got = <-leaks:
			return true
		default:
			return false
		}
	})
	if got.TrackID != id || !got.Stopped || got.DeviceID != camID {
		t.Errorf("leak report %+v, want track %s stopped", got, id)
	}
	eventually(t, "leaked track's device closed", func() bool { return !b.IsOpen(camID) })
	if md.Leaks() != 1 {
		t.Errorf("Leaks() = %d, want 1", md.Leaks())
	}
	runtime.KeepAlive(kept)
}

func TestLeakReportOnlyKeepsDeviceOpen(t *testing.T) {
	md, b := setup(t)
	md.SetLeakPolicy(capture.LeakReport)
	leaks := make(chan capture.LeakInfo, 1)
	md.OnLeak(func(l capture.LeakInfo) { leaks <- l })
	dropTrack(t, md)
	eventually(t, "leak report", func() bool {
		runtime.GC()
		return len(leaks) > 0
	})
	if l := <-leaks; l.Stopped {
		t.Error("report-only policy stopped the track")
	}
	if !b.IsOpen(camID) || md.Sources()[0].LeakedTracks != 1 {
		t.Errorf("device closed or leak not counted: %+v", md.Sources())
	}
}

// Many goroutines getUserMedia, clone, stop and enable at random on shared
// sources; at the end every device is closed as often as it was opened.
func TestConcurrentLifecycle(t *testing.T) {
	md, b := setup(t)
	cam2 := b.AddCamera("Cam 2")
	devices := []string{camID, cam2, micID}
	var wg sync.WaitGroup
	ctx := ctxT(t)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			var mine []*capture.MediaStreamTrack
			for range 150 {
				switch op := rng.IntN(6); {
				case op == 0 || len(mine) == 0:
					id := devices[rng.IntN(len(devices))]
					c := capture.MediaStreamConstraints{}
					tc := &capture.MediaTrackConstraints{}
					tc.DeviceID = &capture.ConstrainDOMString{Exact: []string{id}}
					if id == micID {
						c.Audio = tc
					} else {
						c.Video = tc
					}
					s, err := md.GetUserMedia(ctx, c)
					if err != nil {
						t.Errorf("getUserMedia %s: %v", id, err)
						return
					}
					mine = append(mine, s.GetTracks()...)
				case op == 1:
					mine = append(mine, mine[rng.IntN(len(mine))].Clone())
				case op == 2:
					mine[rng.IntN(len(mine))].SetEnabled(rng.IntN(2) == 0)
				case op == 3:
					r := mine[rng.IntN(len(mine))].NewVideoReader()
					r.Close()
				default:
					i := rng.IntN(len(mine))
					mine[i].Stop()
					mine = append(mine[:i], mine[i+1:]...)
				}
				_ = md.Sources()
			}
			for _, tr := range mine {
				tr.Stop()
			}
		}()
	}
	wg.Wait()
	if n := len(md.Sources()); n != 0 {
		t.Errorf("%d sources left after every track stopped", n)
	}
	for _, id := range devices {
		eventually(t, fmt.Sprintf("%s closed", id), func() bool { return !b.IsOpen(id) })
		if o, c := b.OpenCount(id), b.CloseCount(id); o != c || o == 0 {
			t.Errorf("%s: opened %d, closed %d", id, o, c)
		}
	}
}

// A device that cannot change mode while open is closed and opened again in
// the new mode; when that fails it is back in the old mode and the track
// stays live.
func TestApplyConstraintsReopensFixedModeDevice(t *testing.T) {
	md, b := setup(t)
	ctx := ctxT(t)
	b.SetFixedMode(camID, true)
	tr := video(t, md, `{"video": true}`)
	peer := tr.Clone()
	r := peer.NewVideoReader()
	defer r.Close()

	c, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 1280}}`))
	if err := tr.ApplyConstraints(ctx, c); err != nil {
		t.Fatal(err)
	}
	if o := b.OpenCount(camID); o != 2 {
		t.Errorf("opens = %d, want 2 (reopened once)", o)
	}
	// The peer keeps its settings across the reopen, now by crop-and-scale.
	if s := peer.GetSettings(); s.Width != 640 || s.Height != 480 || s.FrameRate != 30 || s.ResizeMode != capture.ResizeModeCropAndScale {
		t.Errorf("peer track settings %dx%d@%g %s, want its 640x480@30 by crop-and-scale", s.Width, s.Height, s.FrameRate, s.ResizeMode)
	}
	if s := tr.GetSettings(); s.Width != 1280 {
		t.Errorf("track settings %dx%d, want 1280 wide", s.Width, s.Height)
	}
	eventually(t, "the peer's 640x480 frames from the 1280 mode", func() bool {
		f, err := r.Read(ctx)
		return err == nil && f.Image.Bounds().Dx() == 640 && f.Image.Bounds().Dy() == 480 && md.Sources()[0].Settings.Width == 1280
	})

	b.FailNextOpen(camID, errors.New("mode switch failed"))
	c2, _ := capture.ParseMediaTrackConstraints([]byte(`{"width": {"exact": 1920}}`))
	if err := tr.ApplyConstraints(ctx, c2); !errors.Is(err, capture.ErrNotReadable) {
		t.Errorf("failed reopen: %v, want NotReadableError", err)
	}
	if s := tr.GetSettings(); s.Width != 1280 || !reflect.DeepEqual(tr.GetConstraints(), c) {
		t.Errorf("failed apply changed settings (%d) or constraints", s.Width)
	}
	if tr.ReadyState() != "live" || !b.IsOpen(camID) {
		t.Error("the track ended or the device stayed closed after a failed mode switch")
	}
	if _, err := r.Read(ctx); err != nil {
		t.Errorf("no frames after the failed switch: %v", err)
	}
	tr.Stop()
	peer.Stop()
	eventually(t, "closed", func() bool { return !b.IsOpen(camID) })
	if o, cl := b.OpenCount(camID), b.CloseCount(camID); o != cl {
		t.Errorf("opens %d, closes %d", o, cl)
	}
}

func TestDisplayMediaOptionsJSON(t *testing.T) {
	var o capture.DisplayMediaStreamOptions
	if err := json.Unmarshal([]byte(`{"video": {"frameRate": {"max": 5}}}`), &o); err != nil {
		t.Fatal(err)
	}
	md, _ := setup(t)
	s, err := md.GetDisplayMedia(ctxT(t), o)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.GetVideoTracks()[0]
	if fr := tr.GetSettings().FrameRate; fr != 5 {
		t.Errorf("screen at %g fps, want 5", fr)
	}
	tr.Stop()
	if err := json.Unmarshal([]byte(`{"video": 7}`), &o); !errors.Is(err, capture.ErrTypeError) {
		t.Errorf("bad options: %v, want TypeError", err)
	}
}

type closingBackend struct {
	*synthetic.Backend
	closes atomic.Int32
}

func (c *closingBackend) Close() error { c.closes.Add(1); return nil }

func TestCloseClosesBackendsOnce(t *testing.T) {
	b := &closingBackend{Backend: synthetic.New()}
	md := capture.NewMediaDevices(b)
	video(t, md, `{"video": true}`)
	_ = md.Close()
	_ = md.Close()
	if n := b.closes.Load(); n != 1 {
		t.Errorf("backend closed %d times, want 1", n)
	}
	if b.IsOpen(camID) {
		t.Error("device open after Close")
	}
}
