package mic

import (
	"context"
	"testing"
	"time"

	"github.com/gen2brain/malgo"

	"github.com/tally-app/tally/capture"
)

// bareDevice is a device without a driver, fed by calling onData and onStop
// as the audio thread would.
func bareDevice(queue, channels, rate int) *device {
	b := &Backend{opts: options{stall: time.Hour, closeTimeout: time.Second, queue: queue}}
	return &device{
		b: b, id: "mic:test", label: "Test",
		rate: rate, channels: channels, format: malgo.FormatS16,
		chunks: make(chan capture.AudioChunk, queue),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

func TestOnDataDropsOldest(t *testing.T) {
	d := bareDevice(2, 2, 1000)
	period := make([]byte, 10*2*2) // 10 frames, stereo, S16
	for range 5 {
		d.onData(nil, period, 10)
	}
	if got := d.dropped.Load(); got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	ctx := context.Background()
	for _, want := range []time.Duration{30 * time.Millisecond, 40 * time.Millisecond} {
		c, err := d.ReadAudio(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Timestamp != want || c.Frames() != 10 || c.Channels != 2 || c.SampleRate != 1000 {
			t.Errorf("chunk %+v, want the newest ones (at %v)", c, want)
		}
	}
	// A period of the wrong size is not delivered.
	d.onData(nil, period[:7], 10)
	if len(d.chunks) != 0 {
		t.Error("a malformed period was queued")
	}
}

func TestStopCallbackIsMute(t *testing.T) {
	d := bareDevice(4, 1, 1000)
	var got []bool
	d.OnMute(func(m bool) { got = append(got, m) })
	d.onStop() // the server suspended the source
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := d.ReadAudio(ctx); err == nil {
		t.Fatal("ReadAudio returned a chunk that was never delivered")
	}
	d.onData(nil, make([]byte, 20), 10) // data again: unmute
	if _, err := d.ReadAudio(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0] || got[1] {
		t.Errorf("mute reports %v, want [true false]", got)
	}
	// Our own stop is not a mute.
	d.closing.Store(true)
	d.onStop()
	if d.muted.Load() {
		t.Error("a stop while closing counted as mute")
	}
}

// BenchmarkOnData: the audio thread's whole per-period work (convert,
// allocate the chunk, queue), for a 25 ms stereo period at 48 kHz; one
// allocation, the chunk's samples, which consumers share.
func BenchmarkOnData(b *testing.B) {
	d := bareDevice(1, 2, 48000)
	period := make([]byte, 1200*2*2)
	b.SetBytes(int64(len(period)))
	b.ReportAllocs()
	for b.Loop() {
		d.onData(nil, period, 1200)
	}
}
