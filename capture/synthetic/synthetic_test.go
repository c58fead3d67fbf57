package synthetic

import (
	"context"
	"errors"
	"image"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tally-app/tally/capture"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, b *Backend, id string, mode capture.MediaTrackSettings) capture.Device {
	t.Helper()
	d, err := b.Open(context.Background(), id, mode)
	if err != nil {
		t.Fatalf("open %s: %v", id, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestDefaultDevices(t *testing.T) {
	b := New()
	ds, err := b.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"synthetic-camera-1":     "Synthetic Camera",
		"synthetic-microphone-1": "Synthetic Microphone",
		"synthetic-screen-1":     "Synthetic Screen",
	}
	if len(ds) != len(want) {
		t.Fatalf("%d devices, want %d", len(ds), len(want))
	}
	for _, d := range ds {
		if want[d.DeviceID] != d.Label || !d.Default || len(d.Modes) == 0 {
			t.Errorf("device %+v", d)
		}
	}
	cam := ds[0]
	if m := cam.Modes[0]; m.Width != 640 || m.Height != 480 || m.FrameRate != 30 {
		t.Errorf("preferred camera mode %+v, want 640x480@30 first", m)
	}
	if c := cam.Capabilities; c.Width != (capture.ULongRange{Min: 320, Max: 1920}) || c.FrameRate.Max != 60 {
		t.Errorf("camera capabilities %+v", c)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	b := New()
	mode := capture.MediaTrackSettings{Width: 320, Height: 240, FrameRate: 15}
	open(t, b, "synthetic-camera-1", mode)
	if _, err := b.Open(context.Background(), "synthetic-camera-1", mode); !errors.Is(err, capture.ErrNotReadable) {
		t.Errorf("second open: %v, want NotReadableError", err)
	}
	if _, err := b.Open(context.Background(), "synthetic-camera-1", capture.MediaTrackSettings{Width: 7}); err == nil {
		t.Error("open in a mode the device lacks succeeded")
	}
	if _, err := b.Open(context.Background(), "nope", mode); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestCameraFramesArePacedAndCounted(t *testing.T) {
	b := New()
	d := open(t, b, "synthetic-camera-1", capture.MediaTrackSettings{Width: 320, Height: 240, FrameRate: 60}).(capture.VideoDevice)
	ctx := context.Background()
	start := time.Now()
	var last capture.VideoFrame
	var prev []byte
	for i := range 12 {
		f, err := d.ReadVideo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		img := f.Image.(*image.YCbCr)
		if img.Rect.Dx() != 320 || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("frame %v %v", img.Rect, img.SubsampleRatio)
		}
		if i > 0 && f.Timestamp <= last.Timestamp {
			t.Errorf("timestamps not increasing: %v then %v", last.Timestamp, f.Timestamp)
		}
		if prev != nil && string(prev) == string(img.Y) {
			t.Error("two frames are identical: the pattern does not move")
		}
		prev = append(prev[:0], img.Y...)
		last = f
	}
	// 12 frames at 60 fps take about 200 ms: paced, not flooded.
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("12 frames at 60 fps in %v: not paced in real time", el)
	}
}

func TestMicrophoneTone(t *testing.T) {
	b := New()
	d := open(t, b, "synthetic-microphone-1", capture.MediaTrackSettings{SampleRate: 48000, ChannelCount: 2}).(capture.AudioDevice)
	var mono []float64
	for range 10 {
		c, err := d.ReadAudio(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.Channels != 2 || c.SampleRate != 48000 || c.Frames() != 480 {
			t.Fatalf("chunk %d ch %d Hz %d frames", c.Channels, c.SampleRate, c.Frames())
		}
		for i := 0; i < len(c.Samples); i += 2 {
			mono = append(mono, float64(c.Samples[i]))
		}
	}
	// Zero crossings of a 440 Hz tone: 880 a second.
	cross := 0
	for i := 1; i < len(mono); i++ {
		if (mono[i-1] < 0) != (mono[i] < 0) {
			cross++
		}
	}
	hz := float64(cross) / 2 / (float64(len(mono)) / 48000)
	if math.Abs(hz-ToneHz) > 10 {
		t.Errorf("tone at %.1f Hz, want %d", hz, ToneHz)
	}
}

func TestFaults(t *testing.T) {
	b := New()
	boom := errors.New("boom")
	b.FailNextOpen("synthetic-microphone-1", boom)
	mode := capture.MediaTrackSettings{SampleRate: 48000, ChannelCount: 1}
	if _, err := b.Open(context.Background(), "synthetic-microphone-1", mode); !errors.Is(err, boom) {
		t.Errorf("FailNextOpen: %v", err)
	}
	d := open(t, b, "synthetic-microphone-1", mode).(capture.AudioDevice)
	changed := make(chan struct{}, 4)
	cancel := b.OnDeviceChange(func() { changed <- struct{}{} })
	defer cancel()
	b.Unplug("synthetic-microphone-1")
	if _, err := d.ReadAudio(context.Background()); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("read after unplug: %v", err)
	}
	<-changed
	if ds, _ := b.Devices(context.Background()); len(ds) != 2 {
		t.Errorf("unplugged device still listed")
	}
	_ = d.Close()
	if b.IsOpen("synthetic-microphone-1") || b.CloseCount("synthetic-microphone-1") != 1 {
		t.Error("close not recorded")
	}
	b.Replug("synthetic-microphone-1")
	<-changed
	if b.AddMicrophone("USB Mic") != "synthetic-microphone-2" {
		t.Error("AddMicrophone id")
	}
	<-changed
}

// BenchmarkCameraFrame is the cost of the synthetic camera's picture per
// frame; at 720p30 it must stay a small part of a preview's budget.
func BenchmarkCameraFrame(b *testing.B) {
	p := newCameraPattern()
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		_, fb := p.frame(1280, 720, n)
		fb.Release()
		n++
	}
}

func BenchmarkScreenFrame(b *testing.B) {
	p := newScreenPattern()
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		_, fb := p.frame(1920, 1080, n)
		fb.Release()
		n++
	}
}
