package holders

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/gen2brain/malgo"

	"github.com/tally-app/tally/internal/testenv"
)

// This process recording from virtmic (through miniaudio, as Tally's
// microphone backend does) is listed as Self.
func TestPulseOwnCaptureIsSelf(t *testing.T) {
	p := testenv.StartPulse(t)
	p.Setenv(t) // libpulse reads it when the context is made

	mctx, err := malgo.InitContext([]malgo.Backend{malgo.BackendPulseaudio}, malgo.ContextConfig{}, nil)
	if err != nil {
		t.Fatalf("malgo context: %v", err)
	}
	defer func() {
		mctx.Uninit()
		mctx.Free()
	}()
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.Format = malgo.FormatS16
	cfg.Capture.Channels = 1
	cfg.SampleRate = 48000
	var frames atomic.Int64
	dev, err := malgo.InitDevice(mctx.Context, cfg, malgo.DeviceCallbacks{
		Data: func(_, _ []byte, n uint32) { frames.Add(int64(n)) },
	})
	if err != nil {
		t.Fatalf("malgo capture device: %v", err)
	}
	defer dev.Uninit()
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	defer dev.Stop() // before Uninit, which can hang otherwise (notes/audio.md)

	var own Holder
	poll(t, "this process records from virtmic", func() bool {
		m, err := PulseRecorders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		own, ok = findPID(m[testenv.VirtualMic], os.Getpid())
		return ok
	})
	if !own.Self || own.Via != ViaPulse || !own.Streaming {
		t.Errorf("own stream = %+v, want Self, via pulse, streaming", own)
	}

	if err := dev.Stop(); err != nil {
		t.Fatal(err)
	}
	// Stopped, miniaudio corks its stream: still held, no longer streaming.
	poll(t, "own stream is corked", func() bool {
		m, err := PulseRecorders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h, ok := findPID(m[testenv.VirtualMic], os.Getpid())
		if !ok {
			t.Fatalf("own stream gone after Stop, want it corked: %+v", m)
		}
		return !h.Streaming
	})
}
