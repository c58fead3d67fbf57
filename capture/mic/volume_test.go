package mic_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/mic"
	"github.com/tally-app/tally/capture/synthetic"
	"github.com/tally-app/tally/internal/testenv"
)

// volumeEvents collects a backend's volume changes so a test can wait for
// the one it caused.
func volumeEvents(t *testing.T, b *mic.Backend) chan mic.VolumeChange {
	ch := make(chan mic.VolumeChange, 256)
	t.Cleanup(b.OnVolumeChange(func(c mic.VolumeChange) { ch <- c }))
	return ch
}

func awaitVolume(t *testing.T, ch chan mic.VolumeChange, what string, ok func(mic.VolumeChange) bool) mic.VolumeChange {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-ch:
			if ok(c) {
				return c
			}
		case <-timeout:
			t.Fatalf("no volume change %s within 10 s", what)
		}
	}
}

func pactlOut(t *testing.T, pa *testenv.Pulse, args ...string) string {
	t.Helper()
	out, err := pa.Pactl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func TestSetVolumeIsWhatPactlReports(t *testing.T) {
	pa := startPulse(t)
	b := newBackend(t)
	ctx := context.Background()
	if err := b.SetVolume(ctx, virtID, 0.5); err != nil {
		t.Fatal(err)
	}
	if out := pactlOut(t, pa, "get-source-volume", testenv.VirtualMic); !strings.Contains(out, "32768 /  50%") {
		t.Errorf("after SetVolume 0.5, pactl get-source-volume says %q", out)
	}
	if v, err := b.Volume(ctx, virtID); err != nil || math.Abs(v-0.5) > 1e-4 {
		t.Errorf("Volume = %v, %v; want 0.5", v, err)
	}
	for _, m := range []bool{true, false} {
		if err := b.SetMuted(ctx, virtID, m); err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: "Mute: yes", false: "Mute: no"}[m]
		if out := pactlOut(t, pa, "get-source-mute", testenv.VirtualMic); out != want {
			t.Errorf("after SetMuted(%v), pactl says %q", m, out)
		}
		if got, err := b.Muted(ctx, virtID); err != nil || got != m {
			t.Errorf("Muted = %v, %v; want %v", got, err, m)
		}
	}
}

func TestVolumeErrorsNameTheDevice(t *testing.T) {
	startPulse(t)
	b := newBackend(t)
	ctx := context.Background()
	for _, v := range []float64{-0.01, 1.01, math.NaN(), math.Inf(1)} {
		err := b.SetVolume(ctx, virtID, v)
		if err == nil || !strings.Contains(err.Error(), virtID) || !strings.Contains(err.Error(), "outside 0..1") {
			t.Errorf("SetVolume(%v): err = %v", v, err)
		}
	}
	for _, id := range []string{"mic:nosuch", "cam:0", "mic:alsa::0,0"} {
		_, err := b.Volume(ctx, id)
		if !errors.Is(err, capture.ErrNotFound) || !strings.Contains(err.Error(), id) {
			t.Errorf("Volume(%q): err = %v", id, err)
		}
		if err := b.SetMuted(ctx, id, true); !errors.Is(err, capture.ErrNotFound) {
			t.Errorf("SetMuted(%q): err = %v", id, err)
		}
	}
	if out, err := b.Volume(ctx, virtID); err != nil || out == 0 {
		t.Errorf("virtmic after the bad calls: %v, %v", out, err)
	}
}

func TestOutsideVolumeChangeReachesCallback(t *testing.T) {
	pa := startPulse(t)
	b := newBackend(t)
	ch := volumeEvents(t, b)
	awaitVolume(t, ch, "for virtmic's controls", func(c mic.VolumeChange) bool { return c.DeviceID == virtID && c.Available })
	pactlOut(t, pa, "set-source-volume", testenv.VirtualMic, "30%")
	awaitVolume(t, ch, "to 30 %", func(c mic.VolumeChange) bool {
		return c.DeviceID == virtID && math.Abs(c.Volume-0.3) < 1e-3
	})
	pactlOut(t, pa, "set-source-mute", testenv.VirtualMic, "1")
	awaitVolume(t, ch, "to muted", func(c mic.VolumeChange) bool { return c.DeviceID == virtID && c.Muted })
}

func TestServerKilledVolumeComesBack(t *testing.T) {
	pa := startPulse(t)
	b := newBackend(t)
	ch := volumeEvents(t, b)
	awaitVolume(t, ch, "for virtmic's controls", func(c mic.VolumeChange) bool { return c.DeviceID == virtID && c.Available })
	// A camera in the same MediaDevices: the server's death is none of its
	// business.
	md := capture.NewMediaDevices(b, synthetic.New())
	t.Cleanup(func() { md.Close() })
	cam, err := md.GetUserMedia(context.Background(), capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if err != nil {
		t.Fatal(err)
	}
	video := cam.GetVideoTracks()[0]
	pa.Kill()
	awaitVolume(t, ch, "gone", func(c mic.VolumeChange) bool { return c.DeviceID == virtID && !c.Available })
	r := video.NewVideoReader()
	defer r.Close()
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.Read(rctx); err != nil || video.ReadyState() != capture.StateLive {
		t.Errorf("the camera after the audio server died: %v, %s", err, video.ReadyState())
	}
	if _, err := b.Volume(context.Background(), virtID); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("Volume with no server: err = %v", err)
	}
	pa.Restart()
	awaitVolume(t, ch, "back", func(c mic.VolumeChange) bool { return c.DeviceID == virtID && c.Available })
	if err := b.SetVolume(context.Background(), virtID, 0.4); err != nil {
		t.Errorf("SetVolume after the server came back: %v", err)
	}
}

// rms is the root mean square of x.
func rms(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// The volume and mute set by Tally are what the captured audio has: the
// server's volume is cubic (50 % is 0.5³ in amplitude), mute is silence.
func TestVolumeChangesCapturedLevel(t *testing.T) {
	startPulse(t)
	b := newBackend(t)
	ctx := context.Background()
	if err := b.SetVolume(ctx, virtID, 1); err != nil {
		t.Fatal(err)
	}
	dev := openVirtmic(t, b)
	// untilLevel reads 50 ms windows until one is within 10 % of want
	// (or under 0.001 for silence): the change needs the server's latency,
	// so wait on the audio itself, at most 5 s of it.
	untilLevel := func(what string, want float64) {
		t.Helper()
		var got float64
		for range 100 {
			got = rms(readSeconds(t, dev, 0.05, 48000, 1)[0])
			if math.Abs(got-want) <= 0.1*want || (want == 0 && got < 0.001) {
				return
			}
		}
		t.Fatalf("%s: RMS %.4f after 5 s of audio, want %.4f", what, got, want)
	}
	untilLevel("at 100 %", 0.354)
	if err := b.SetVolume(ctx, virtID, 0.5); err != nil {
		t.Fatal(err)
	}
	untilLevel("at 50 %", 0.354*0.125)
	if err := b.SetMuted(ctx, virtID, true); err != nil {
		t.Fatal(err)
	}
	untilLevel("muted", 0)
	if err := b.SetMuted(ctx, virtID, false); err != nil {
		t.Fatal(err)
	}
	untilLevel("unmuted at 50 %", 0.354*0.125)
}
