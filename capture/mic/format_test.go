package mic

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/gen2brain/malgo"

	"github.com/tally-app/tally/capture"
)

func TestConvertS16(t *testing.T) {
	in := []int16{0, 1, -1, 16384, -16384, 32767, -32768}
	src := make([]byte, 2*len(in))
	for i, v := range in {
		binary.LittleEndian.PutUint16(src[2*i:], uint16(v))
	}
	dst := make([]float32, len(in))
	if !convert(dst, src, malgo.FormatS16) {
		t.Fatal("convert refused a well-sized S16 buffer")
	}
	for i, v := range in {
		if want := float32(v) / 32768; dst[i] != want {
			t.Errorf("sample %d (%d) → %v, want %v", i, v, dst[i], want)
		}
	}
	if dst[6] != -1 || dst[5] >= 1 {
		t.Errorf("full scale → %v, %v; want -1 and just under 1", dst[6], dst[5])
	}
}

func TestConvertF32(t *testing.T) {
	in := []float32{0, 0.5, -0.25, 1, -1, float32(math.Pi / 4)}
	src := make([]byte, 4*len(in))
	for i, v := range in {
		binary.LittleEndian.PutUint32(src[4*i:], math.Float32bits(v))
	}
	dst := make([]float32, len(in))
	if !convert(dst, src, malgo.FormatF32) {
		t.Fatal("convert refused a well-sized F32 buffer")
	}
	for i, v := range in {
		if dst[i] != v {
			t.Errorf("sample %d → %v, want %v", i, dst[i], v)
		}
	}
}

func TestConvertRejectsBadInput(t *testing.T) {
	dst := make([]float32, 4)
	for _, tc := range []struct {
		n int
		f malgo.FormatType
	}{
		{7, malgo.FormatS16}, {9, malgo.FormatS16}, {15, malgo.FormatF32}, {0, malgo.FormatF32},
		{12, malgo.FormatS24}, {8, malgo.FormatU8}, {16, malgo.FormatS32},
	} {
		if convert(dst, make([]byte, tc.n), tc.f) {
			t.Errorf("convert accepted %d bytes of format %d for 4 samples", tc.n, tc.f)
		}
	}
}

func TestConfigFor(t *testing.T) {
	for _, tc := range []struct {
		mode     capture.MediaTrackSettings
		rate, ch uint32
		format   malgo.FormatType
		bad      bool
	}{
		{mode: capture.MediaTrackSettings{}, rate: 48000, ch: 1, format: malgo.FormatF32},
		{mode: capture.MediaTrackSettings{SampleRate: 44100, ChannelCount: 2, SampleSize: 16}, rate: 44100, ch: 2, format: malgo.FormatS16},
		{mode: capture.MediaTrackSettings{SampleRate: 8000, SampleSize: 32}, rate: 8000, ch: 1, format: malgo.FormatF32},
		{mode: capture.MediaTrackSettings{Format: "s16", SampleSize: 32}, rate: 48000, ch: 1, format: malgo.FormatS16},
		{mode: capture.MediaTrackSettings{Format: "F32"}, rate: 48000, ch: 1, format: malgo.FormatF32},
		{mode: capture.MediaTrackSettings{SampleRate: -1}, bad: true},
		{mode: capture.MediaTrackSettings{SampleRate: 999}, bad: true},
		{mode: capture.MediaTrackSettings{SampleRate: 1 << 30}, bad: true},
		{mode: capture.MediaTrackSettings{ChannelCount: -2}, bad: true},
		{mode: capture.MediaTrackSettings{ChannelCount: 33}, bad: true},
		{mode: capture.MediaTrackSettings{SampleSize: 8}, bad: true},
		{mode: capture.MediaTrackSettings{Format: "MJPEG"}, bad: true},
	} {
		cfg, err := configFor(tc.mode)
		if tc.bad {
			if err == nil {
				t.Errorf("configFor(%+v) accepted it", tc.mode)
			}
			continue
		}
		if err != nil {
			t.Errorf("configFor(%+v): %v", tc.mode, err)
			continue
		}
		if cfg.SampleRate != tc.rate || cfg.Capture.Channels != tc.ch || cfg.Capture.Format != tc.format || cfg.DeviceType != malgo.Capture {
			t.Errorf("configFor(%+v) = %d Hz × %d, format %d", tc.mode, cfg.SampleRate, cfg.Capture.Channels, cfg.Capture.Format)
		}
	}
}

func TestModes(t *testing.T) {
	ms := modes(malgo.DataFormat{Format: malgo.FormatS16, Channels: 6, SampleRate: 96000})
	want0 := capture.MediaTrackSettings{SampleRate: 96000, ChannelCount: 2, SampleSize: 32, Format: FormatF32}
	if ms[0] != want0 {
		t.Errorf("preferred mode %+v, want %+v", ms[0], want0)
	}
	// 5 rates × 3 channel counts × 2 formats, each once.
	seen := map[capture.MediaTrackSettings]bool{}
	for _, m := range ms {
		if seen[m] {
			t.Errorf("mode %+v twice", m)
		}
		seen[m] = true
	}
	if len(ms) != 30 {
		t.Errorf("%d modes, want 30", len(ms))
	}
	c := capabilities("mic:x", "g", ms)
	if c.SampleRate != (capture.ULongRange{Min: 8000, Max: 96000}) || c.ChannelCount != (capture.ULongRange{Min: 1, Max: 6}) ||
		c.SampleSize != (capture.ULongRange{Min: 16, Max: 32}) {
		t.Errorf("capabilities %+v", c)
	}
	// Unknown native format: 48 kHz mono preferred.
	if m := modes(malgo.DataFormat{})[0]; m.SampleRate != 48000 || m.ChannelCount != 1 {
		t.Errorf("preferred mode without a native format: %+v", m)
	}
}

func TestFramesToDuration(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		rate int
		want time.Duration
	}{
		{0, 48000, 0},
		{480, 48000, 10 * time.Millisecond},
		{441, 44100, 10 * time.Millisecond},
		{1, 3, 333333333},
		// A year of 48 kHz audio: n*1e9 would overflow.
		{48000 * 86400 * 365, 48000, 365 * 24 * time.Hour},
	} {
		if got := framesToDuration(tc.n, tc.rate); got != tc.want {
			t.Errorf("framesToDuration(%d, %d) = %v, want %v", tc.n, tc.rate, got, tc.want)
		}
	}
}

func TestIDHelpers(t *testing.T) {
	for id, hw := range map[string]bool{":0,0": true, "hw:1,0": true, "plughw:0,1": true, "pulse": false, "default": false, "": false} {
		if isALSAHardware(id) != hw {
			t.Errorf("isALSAHardware(%q) = %v", id, !hw)
		}
	}
	for _, tc := range []struct {
		sys       malgo.Backend
		raw, want string
	}{
		{systemPulse, "alsa_input.pci-0000_00_1f.3.analog-stereo", "mic-group:pci-0000_00_1f.3"},
		{systemPulse, "virtmic", "mic-group:virtmic"},
		{systemALSA, ":1,0", "mic-group:alsa:1"},
	} {
		if got := groupID(tc.sys, tc.raw); got != tc.want {
			t.Errorf("groupID(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
	if got := cString([]byte("abc\x00def")); got != "abc" {
		t.Errorf("cString = %q", got)
	}
	if got := cString([]byte("abc")); got != "abc" {
		t.Errorf("cString without NUL = %q", got)
	}
}

// BenchmarkConvert: one 25 ms stereo period at 48 kHz, the audio thread's
// per-period work besides the allocation of the chunk.
func BenchmarkConvert(b *testing.B) {
	for _, f := range []malgo.FormatType{malgo.FormatS16, malgo.FormatF32} {
		b.Run(formatName(f), func(b *testing.B) {
			const n = 1200 * 2
			src := make([]byte, n*malgo.SampleSizeInBytes(f))
			dst := make([]float32, n)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				convert(dst, src, f)
			}
		})
	}
}
