package mic_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/mic"
	"github.com/tally-app/tally/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const virtID = mic.IDPrefix + testenv.VirtualMic

// startPulse starts the private server and points this process at it; it
// must run before mic.New so that libpulse sees the address.
func startPulse(t *testing.T) *testenv.Pulse {
	t.Helper()
	p := testenv.StartPulse(t)
	p.Setenv(t)
	return p
}

func newBackend(t *testing.T, opts ...mic.Option) *mic.Backend {
	t.Helper()
	b, err := mic.New(opts...)
	if err != nil {
		t.Fatalf("mic.New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Backend.Close: %v", err)
		}
	})
	return b
}

// sourceOutputs counts the server's capture streams of clients (our open
// devices), leaving out the test server's own loopback modules.
func sourceOutputs(t *testing.T, p *testenv.Pulse) int {
	t.Helper()
	out, err := p.Pactl("list", "source-outputs", "short")
	if err != nil {
		t.Fatalf("pactl: %v", err)
	}
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "protocol-native") {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func find(ds []capture.DeviceDescriptor, id string) *capture.DeviceDescriptor {
	for i := range ds {
		if ds[i].DeviceID == id {
			return &ds[i]
		}
	}
	return nil
}

// goertzel returns the power of freq in x (sampled at rate).
func goertzel(x []float32, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// readSeconds reads chunks until secs of audio arrived, checking each
// chunk's shape and that timestamps count the frames from the first chunk's,
// and returns each channel's samples.
func readSeconds(t *testing.T, dev capture.AudioDevice, secs float64, rate, channels int) [][]float32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs*float64(time.Second))+5*time.Second)
	defer cancel()
	chans := make([][]float32, channels)
	frames := 0
	var base time.Duration
	for frames < int(secs*float64(rate)) {
		c, err := dev.ReadAudio(ctx)
		if err != nil {
			t.Fatalf("ReadAudio after %d frames: %v", frames, err)
		}
		if c.SampleRate != rate || c.Channels != channels {
			t.Fatalf("chunk is %d Hz × %d, want %d × %d", c.SampleRate, c.Channels, rate, channels)
		}
		if len(c.Samples) == 0 || len(c.Samples)%channels != 0 {
			t.Fatalf("chunk has %d samples for %d channels", len(c.Samples), channels)
		}
		if frames == 0 {
			base = c.Timestamp
		}
		want := base + time.Duration(int64(frames)*int64(time.Second)/int64(rate))
		if d := c.Timestamp - want; d < -time.Microsecond || d > time.Microsecond {
			t.Fatalf("chunk at frame %d has timestamp %v, want %v", frames, c.Timestamp, want)
		}
		for i, v := range c.Samples {
			if v < -1 || v > 1 || math.IsNaN(float64(v)) {
				t.Fatalf("sample %v out of range", v)
			}
			chans[i%channels] = append(chans[i%channels], v)
		}
		frames += c.Frames()
	}
	return chans
}

func TestEnumerate(t *testing.T) {
	startPulse(t)
	b := newBackend(t)
	if b.Name() != "mic" {
		t.Errorf("Name = %q", b.Name())
	}
	ds, err := b.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d := find(ds, virtID)
	if d == nil {
		t.Fatalf("%s not among %+v", virtID, ds)
	}
	if d.Label != "VirtualMic" || !d.Default || d.Path != testenv.VirtualMic || d.Kind != capture.KindAudioInput {
		t.Errorf("virtmic listed as %+v", *d)
	}
	for _, o := range ds {
		if strings.HasSuffix(o.DeviceID, ".monitor") {
			t.Errorf("monitor source %s listed without WithMonitors", o.DeviceID)
		}
		if o.DeviceID != virtID && o.Default {
			t.Errorf("%s flagged default too", o.DeviceID)
		}
	}
	// virtmic is 48 kHz mono: that is the preferred mode.
	if len(d.Modes) == 0 || d.Modes[0] != (capture.MediaTrackSettings{SampleRate: 48000, SampleSize: 32, ChannelCount: 1, Format: "F32"}) {
		t.Errorf("first mode %+v, want 48 kHz mono F32", d.Modes[:min(1, len(d.Modes))])
	}
	seen := map[[3]int]bool{}
	for _, m := range d.Modes {
		seen[[3]int{m.SampleRate, m.ChannelCount, m.SampleSize}] = true
	}
	for _, r := range []int{8000, 16000, 44100, 48000} {
		for _, c := range []int{1, 2} {
			for _, s := range []int{16, 32} {
				if !seen[[3]int{r, c, s}] {
					t.Errorf("no mode %d Hz × %d × %d bit", r, c, s)
				}
			}
		}
	}
	c := d.Capabilities
	if c.SampleRate != (capture.ULongRange{Min: 8000, Max: 48000}) || c.ChannelCount != (capture.ULongRange{Min: 1, Max: 2}) ||
		c.SampleSize != (capture.ULongRange{Min: 16, Max: 32}) || c.DeviceID != virtID ||
		len(c.EchoCancellation) != 1 || c.EchoCancellation[0] {
		t.Errorf("capabilities %+v", c)
	}

	bm := newBackend(t, mic.WithMonitors(true))
	ds, err = bm.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m := find(ds, mic.IDPrefix+"probe_sink.monitor"); m == nil || m.Label != "Monitor of ProbeSink" {
		t.Errorf("WithMonitors: probe_sink.monitor listed as %+v in %d devices", m, len(ds))
	}
}

func TestCaptureTone(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t)
	for _, tc := range []struct {
		rate, channels int
		format         string
	}{
		{48000, 1, "F32"},
		{44100, 2, "F32"},
		{48000, 1, "S16"},
		{44100, 2, "S16"},
	} {
		t.Run(fmt.Sprintf("%s_%d_%d", tc.format, tc.rate, tc.channels), func(t *testing.T) {
			size := 32
			if tc.format == "S16" {
				size = 16
			}
			start := time.Now()
			dev, err := b.Open(context.Background(), virtID, capture.MediaTrackSettings{SampleRate: tc.rate, ChannelCount: tc.channels, SampleSize: size, Format: tc.format})
			if err != nil {
				t.Fatal(err)
			}
			ad := dev.(capture.AudioDevice)
			opened := time.Since(start)
			if n := sourceOutputs(t, p); n != 1 {
				t.Errorf("%d source-outputs while open, want 1", n)
			}
			chans := readSeconds(t, ad, 1.1, tc.rate, tc.channels)
			st, _ := mic.DeviceStats(dev)
			for ch, x := range chans {
				x = x[tc.rate/10:] // past the stream's start
				p440 := goertzel(x, tc.rate, 440)
				p300 := goertzel(x, tc.rate, 300)
				p600 := goertzel(x, tc.rate, 600)
				var sum float64
				for _, v := range x {
					sum += float64(v) * float64(v)
				}
				rms := math.Sqrt(sum / float64(len(x)))
				if p440 < 1000*p300 || p440 < 1000*p600 || rms < 0.1 {
					t.Errorf("channel %d: power at 440 Hz %.3g, 300 Hz %.3g, 600 Hz %.3g, RMS %.3f: no 440 Hz tone", ch, p440, p300, p600, rms)
				}
				t.Logf("channel %d: 440/300 Hz power ratio %.3g, RMS %.3f", ch, p440/p300, rms)
			}
			closeStart := time.Now()
			if err := dev.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			t.Logf("open %v, first chunk %v after open, close %v, dropped %d", opened, st.FirstChunk, time.Since(closeStart), st.Dropped)
			if n := sourceOutputs(t, p); n != 0 {
				t.Errorf("%d source-outputs after Close, want 0", n)
			}
			if _, err := ad.ReadAudio(context.Background()); err == nil {
				t.Error("ReadAudio after Close returned no error")
			}
			if err := dev.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	startPulse(t)
	b := newBackend(t)
	ctx := context.Background()
	for _, tc := range []struct {
		id   string
		mode capture.MediaTrackSettings
		want error
	}{
		{mic.IDPrefix + "nosuchsource", capture.MediaTrackSettings{}, capture.ErrNotFound},
		{"v4l2:/dev/video0", capture.MediaTrackSettings{}, capture.ErrNotFound},
		{virtID, capture.MediaTrackSettings{SampleRate: 5}, capture.ErrNotReadable},
		{virtID, capture.MediaTrackSettings{ChannelCount: 99}, capture.ErrNotReadable},
		{virtID, capture.MediaTrackSettings{SampleSize: 24}, capture.ErrNotReadable},
		{virtID, capture.MediaTrackSettings{Format: "YUYV"}, capture.ErrNotReadable},
	} {
		dev, err := b.Open(ctx, tc.id, tc.mode)
		if err == nil {
			_ = dev.Close()
			t.Errorf("Open(%q, %+v) succeeded", tc.id, tc.mode)
			continue
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), strings.TrimPrefix(tc.id, mic.IDPrefix)) {
			t.Errorf("Open(%q, %+v) = %v, want %v naming the device", tc.id, tc.mode, err, tc.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Open(cctx, virtID, capture.MediaTrackSettings{}); !errors.Is(err, capture.ErrAbort) {
		t.Errorf("Open with a cancelled context = %v, want AbortError", err)
	}
}

// TestNoServer: no audio server at all is no microphones, never a panic or
// a failed New.
func TestNoServer(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PULSE_SERVER", "unix:"+dir+"/nonexistent/native")
	t.Setenv("XDG_RUNTIME_DIR", dir)
	b := newBackend(t, mic.WithPollInterval(50*time.Millisecond))
	ds, err := b.Devices(context.Background())
	if err != nil {
		t.Fatalf("Devices without a server: %v", err)
	}
	for _, d := range ds {
		// Only ALSA hardware can show up here (none on CI machines).
		if !strings.HasPrefix(d.DeviceID, mic.IDPrefix+"alsa:") {
			t.Errorf("without a PulseAudio server, listed %+v", d)
		}
	}
	if _, err := b.Open(context.Background(), virtID, capture.MediaTrackSettings{}); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("Open without a server = %v, want NotFoundError", err)
	}
}

// TestServerAppearsLater: the poll finds a server started after New.
func TestServerAppearsLater(t *testing.T) {
	p := testenv.StartPulse(t)
	p.Kill()
	p.Setenv(t)
	b := newBackend(t, mic.WithPollInterval(50*time.Millisecond))
	if ds, _ := b.Devices(context.Background()); find(ds, virtID) != nil {
		t.Fatal("virtmic listed while the server is down")
	}
	changed := make(chan struct{}, 16)
	defer b.OnDeviceChange(func() { changed <- struct{}{} })()
	p.Restart()
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no devicechange within 5 s of the server starting")
	}
	ds, err := b.Devices(context.Background())
	if err != nil || find(ds, virtID) == nil {
		t.Fatalf("after the server started: %v, %+v", err, ds)
	}
}

// readUntilError reads dev until it fails or d passes.
func readUntilError(dev capture.AudioDevice, d time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	for {
		if _, err := dev.ReadAudio(ctx); err != nil {
			return time.Since(start), err
		}
	}
}

func openVirtmic(t *testing.T, b *mic.Backend) capture.AudioDevice {
	t.Helper()
	dev, err := b.Open(context.Background(), virtID, capture.MediaTrackSettings{SampleRate: 48000, ChannelCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	ad := dev.(capture.AudioDevice)
	readSeconds(t, ad, 0.1, 48000, 1)
	return ad
}

func TestUnplugEndsDevice(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t, mic.WithPollInterval(100*time.Millisecond), mic.WithStallTimeout(200*time.Millisecond))
	dev := openVirtmic(t, b)
	changed := make(chan struct{}, 16)
	defer b.OnDeviceChange(func() { changed <- struct{}{} })()

	if out, err := p.Pactl("unload-module", "module-remap-source"); err != nil {
		t.Fatalf("unloading virtmic: %v %s", err, out)
	}
	took, err := readUntilError(dev, 5*time.Second)
	if !errors.Is(err, capture.ErrNotFound) || !strings.Contains(err.Error(), "VirtualMic") {
		t.Fatalf("ReadAudio after unplug = %v, want NotFoundError naming VirtualMic", err)
	}
	t.Logf("ended %v after the unplug: %v", took, err)
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no devicechange within 5 s of the unplug")
	}
	if ds, _ := b.Devices(context.Background()); find(ds, virtID) != nil {
		t.Error("virtmic still listed")
	}
	start := time.Now()
	if err := dev.Close(); err != nil {
		t.Errorf("Close of the vanished device: %v", err)
	}
	t.Logf("Close of the vanished device took %v", time.Since(start))
	if n := sourceOutputs(t, p); n != 0 {
		t.Errorf("%d source-outputs after Close", n)
	}
}

func TestServerRestart(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t, mic.WithPollInterval(100*time.Millisecond), mic.WithStallTimeout(200*time.Millisecond))
	dev := openVirtmic(t, b)
	changed := make(chan struct{}, 16)
	defer b.OnDeviceChange(func() { changed <- struct{}{} })()

	p.Kill()
	took, err := readUntilError(dev, 5*time.Second)
	if !errors.Is(err, capture.ErrNotFound) {
		t.Fatalf("ReadAudio after the server died = %v, want NotFoundError", err)
	}
	t.Logf("ended %v after the kill: %v", took, err)
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no devicechange within 5 s of the server dying")
	}
	start := time.Now()
	if err := dev.Close(); err != nil {
		t.Errorf("Close after the server died: %v", err)
	}
	t.Logf("Close after the server died took %v", time.Since(start))
	if ds, err := b.Devices(context.Background()); err != nil || len(ds) != 0 {
		t.Errorf("Devices with the server down = %+v, %v; want none", ds, err)
	}

	p.Restart()
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no devicechange within 5 s of the server's return")
	}
	ds, err := b.Devices(context.Background())
	if err != nil || find(ds, virtID) == nil {
		t.Fatalf("after the server returned: %v, %+v", err, ds)
	}
	dev2 := openVirtmic(t, b)
	chans := readSeconds(t, dev2, 0.5, 48000, 1)
	if x := chans[0]; goertzel(x, 48000, 440) < 1000*goertzel(x, 48000, 600) {
		t.Error("no 440 Hz tone after the server's return")
	}
}

func TestSuspendIsMute(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t, mic.WithStallTimeout(100*time.Millisecond))
	dev := openVirtmic(t, b)
	mutes := make(chan bool, 16)
	dev.(capture.MuteNotifier).OnMute(func(m bool) { mutes <- m })

	ctx, cancel := context.WithCancel(context.Background())
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, err := dev.ReadAudio(ctx); err != nil {
				readErr <- err
				return
			}
		}
	}()
	expect := func(want bool) {
		t.Helper()
		select {
		case m := <-mutes:
			if m != want {
				t.Fatalf("muted(%v), want muted(%v)", m, want)
			}
		case err := <-readErr:
			t.Fatalf("ReadAudio failed while waiting for muted(%v): %v", want, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("no muted(%v) within 5 s", want)
		}
	}
	if out, err := p.Pactl("suspend-source", testenv.VirtualMic, "1"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	expect(true)
	// Suspended for several stall timeouts: still listed, so not ended.
	time.Sleep(400 * time.Millisecond)
	if out, err := p.Pactl("suspend-source", testenv.VirtualMic, "0"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	expect(false)
	cancel()
	if err := <-readErr; !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAudio ended with %v, want context.Canceled", err)
	}
}

func TestSlowReaderDropsOldest(t *testing.T) {
	startPulse(t)
	b := newBackend(t, mic.WithQueueLength(2))
	dev := openVirtmic(t, b)
	waitFor(t, 5*time.Second, "chunks dropped for a reader that does not read", func() bool {
		st, _ := mic.DeviceStats(dev)
		return st.Dropped > 0
	})
	// The reader gets the newest chunks, not the stale ones, and goes on.
	c1, err := dev.ReadAudio(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := dev.ReadAudio(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c2.Timestamp <= c1.Timestamp {
		t.Errorf("timestamps %v then %v", c1.Timestamp, c2.Timestamp)
	}
}

func TestBackendCloseEndsOpenDevices(t *testing.T) {
	p := startPulse(t)
	b, err := mic.New()
	if err != nil {
		t.Fatal(err)
	}
	dev, err := b.Open(context.Background(), virtID, capture.MediaTrackSettings{})
	if err != nil {
		t.Fatal(err)
	}
	ad := dev.(capture.AudioDevice)
	errc := make(chan error, 1)
	go func() {
		_, err := readUntilError(ad, 10*time.Second)
		errc <- err
	}()
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-errc; err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ReadAudio after Backend.Close = %v, want the backend's error", err)
	}
	if n := sourceOutputs(t, p); n != 0 {
		t.Errorf("%d source-outputs after Backend.Close", n)
	}
	if err := dev.Close(); err != nil {
		t.Errorf("device Close after Backend.Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := b.Open(context.Background(), virtID, capture.MediaTrackSettings{}); err == nil {
		t.Error("Open after Close succeeded")
	}
}

// TestConcurrentUse: listing, opening, reading and closing from several
// goroutines while the poll runs fast (run with -race).
func TestConcurrentUse(t *testing.T) {
	p := startPulse(t)
	b := newBackend(t, mic.WithPollInterval(5*time.Millisecond))
	errs := make(chan error, 8)
	for g := range 4 {
		go func() {
			var err error
			defer func() { errs <- err }()
			for i := range 5 {
				if g%2 == 0 {
					var ds []capture.DeviceDescriptor
					if ds, err = b.Devices(context.Background()); err != nil {
						return
					}
					if find(ds, virtID) == nil {
						err = fmt.Errorf("virtmic missing from %d devices", len(ds))
						return
					}
					continue
				}
				var dev capture.Device
				mode := capture.MediaTrackSettings{SampleRate: 16000 * (i%3 + 1), ChannelCount: i%2 + 1}
				if dev, err = b.Open(context.Background(), virtID, mode); err != nil {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err = dev.(capture.AudioDevice).ReadAudio(ctx)
				cancel()
				if cerr := dev.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return
				}
			}
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := sourceOutputs(t, p); n != 0 {
		t.Errorf("%d source-outputs after all closed", n)
	}
}
