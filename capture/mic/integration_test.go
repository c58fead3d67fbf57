package mic_test

import (
	"context"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/mic"
)

// gumVirtmic asks md for the virtual microphone.
func gumVirtmic(t *testing.T, md *capture.MediaDevices) *capture.MediaStreamTrack {
	t.Helper()
	c, err := capture.ParseMediaStreamConstraints([]byte(`{"audio": {"deviceId": {"exact": "` + virtID + `"}, "sampleRate": 48000}}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := md.GetUserMedia(context.Background(), c)
	if err != nil {
		t.Fatalf("GetUserMedia: %v", err)
	}
	ts := s.GetAudioTracks()
	if len(ts) != 1 {
		t.Fatalf("GetUserMedia gave %d audio tracks", len(ts))
	}
	return ts[0]
}

// hearsTone reads about 0.3 s from tr and reports whether it holds 440 Hz.
func hearsTone(t *testing.T, tr *capture.MediaStreamTrack) bool {
	t.Helper()
	r := tr.NewAudioReader()
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var x []float32
	rate := 0
	for rate == 0 || len(x) < rate*3/10 {
		c, err := r.Read(ctx)
		if err != nil {
			t.Fatalf("reading %s: %v", tr, err)
		}
		rate = c.SampleRate
		for i := 0; i < len(c.Samples); i += c.Channels {
			x = append(x, c.Samples[i])
		}
	}
	return goertzel(x, rate, 440) > 1000*goertzel(x, rate, 600)
}

// TestSharedSource: two getUserMedia calls and a clone on the virtual
// microphone open it once; all three tracks hear it; stopping all closes it.
func TestSharedSource(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t)
	md := capture.NewMediaDevices(b)
	defer func() {
		if err := md.Close(); err != nil {
			t.Errorf("MediaDevices.Close: %v", err)
		}
	}()

	start := time.Now()
	t1 := gumVirtmic(t, md)
	t.Logf("getUserMedia took %v", time.Since(start))
	t2 := gumVirtmic(t, md)
	t3 := t1.Clone()
	if n := sourceOutputs(t, p); n != 1 {
		t.Errorf("%d source-outputs for three tracks, want 1", n)
	}
	srcs := md.Sources()
	if len(srcs) != 1 || srcs[0].RefCount != 3 || srcs[0].DeviceID != virtID || srcs[0].Backend != "mic" {
		t.Errorf("sources %+v, want one virtmic source holding 3 tracks", srcs)
	}
	for _, tr := range []*capture.MediaStreamTrack{t1, t2, t3} {
		if !hearsTone(t, tr) {
			t.Errorf("%s hears no 440 Hz tone", tr)
		}
		if s := tr.GetSettings(); s.SampleRate != 48000 || s.DeviceID != virtID {
			t.Errorf("%s settings %+v", tr, s)
		}
	}

	t1.Stop()
	t2.Stop()
	if n := sourceOutputs(t, p); n != 1 {
		t.Errorf("%d source-outputs with one track left, want 1", n)
	}
	start = time.Now()
	t3.Stop()
	waitFor(t, 5*time.Second, "microphone closed after the last track stopped", func() bool {
		return sourceOutputs(t, p) == 0 && len(md.Sources()) == 0 && len(md.ClosingDevices()) == 0
	})
	t.Logf("device closed %v after the last Stop", time.Since(start))
}

// TestUnplugEndsTracks: unloading the source ends every track on it with
// ended, and devicechange fires.
func TestUnplugEndsTracks(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t, mic.WithPollInterval(100*time.Millisecond), mic.WithStallTimeout(200*time.Millisecond))
	md := capture.NewMediaDevices(b)
	defer func() {
		if err := md.Close(); err != nil {
			t.Errorf("MediaDevices.Close: %v", err)
		}
	}()
	t1 := gumVirtmic(t, md)
	t2 := t1.Clone()
	ended := make(chan string, 4)
	for _, tr := range []*capture.MediaStreamTrack{t1, t2} {
		defer tr.OnEnded(func() { ended <- tr.ID() })()
	}
	changed := make(chan struct{}, 16)
	defer md.OnDeviceChange(func() { changed <- struct{}{} })()
	if !hearsTone(t, t1) {
		t.Fatal("no tone before the unplug")
	}

	start := time.Now()
	if out, err := p.Pactl("unload-module", "module-remap-source"); err != nil {
		t.Fatalf("unloading virtmic: %v %s", err, out)
	}
	got := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case id := <-ended:
			if got[id] {
				t.Errorf("ended fired twice for %s", id)
			}
			got[id] = true
		case <-deadline:
			t.Fatalf("ended fired for %d of 2 tracks within 5 s", len(got))
		}
	}
	t.Logf("tracks ended %v after the unplug", time.Since(start))
	for _, tr := range []*capture.MediaStreamTrack{t1, t2} {
		if tr.ReadyState() != capture.StateEnded {
			t.Errorf("%s is %s after the unplug", tr, tr.ReadyState())
		}
	}
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Error("no devicechange within 5 s of the unplug")
	}
	waitFor(t, 5*time.Second, "source gone after the unplug", func() bool {
		return sourceOutputs(t, p) == 0 && len(md.Sources()) == 0
	})
}

// TestSuspendMutesTracks: the server suspending the source mutes its
// tracks (mute, then unmute on resume) without ending them.
func TestSuspendMutesTracks(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t, mic.WithStallTimeout(100*time.Millisecond))
	md := capture.NewMediaDevices(b)
	defer func() {
		if err := md.Close(); err != nil {
			t.Errorf("MediaDevices.Close: %v", err)
		}
	}()
	tr := gumVirtmic(t, md)
	defer tr.Stop()
	events := make(chan string, 8)
	defer tr.OnMute(func() { events <- "mute" })()
	defer tr.OnUnmute(func() { events <- "unmute" })()
	defer tr.OnEnded(func() { events <- "ended" })()
	expect := func(want string) {
		t.Helper()
		select {
		case e := <-events:
			if e != want {
				t.Fatalf("event %s, want %s", e, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s within 5 s", want)
		}
	}
	if out, err := p.Pactl("suspend-source", "virtmic", "1"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	expect("mute")
	if !tr.Muted() || tr.ReadyState() != capture.StateLive {
		t.Errorf("suspended: muted %v, %s", tr.Muted(), tr.ReadyState())
	}
	if out, err := p.Pactl("suspend-source", "virtmic", "0"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	expect("unmute")
	if !hearsTone(t, tr) {
		t.Error("no tone after the resume")
	}
}
