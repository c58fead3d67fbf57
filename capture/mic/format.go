package mic

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gen2brain/malgo"

	"github.com/tally-app/tally/capture"
)

// commonRates are offered on every device; the audio server resamples.
var commonRates = []int{48000, 44100, 16000, 8000}

// Sample formats as MediaTrackSettings.Format names them.
const (
	FormatS16 = "S16"
	FormatF32 = "F32"
)

// Bounds of what Open accepts.
const (
	minRate     = 1000
	maxRate     = 384000
	maxChannels = 32
)

// modes lists the modes of a device whose own format is native (zero when
// unknown), the preferred one first: native rate and channel count (at most
// stereo), F32.
func modes(native malgo.DataFormat) []capture.MediaTrackSettings {
	prefRate := int(native.SampleRate)
	if prefRate < minRate || prefRate > maxRate {
		prefRate = 48000
	}
	prefCh := int(native.Channels)
	if prefCh < 1 {
		prefCh = 1
	}
	rates := []int{prefRate}
	for _, r := range commonRates {
		if r != prefRate {
			rates = append(rates, r)
		}
	}
	chans := []int{min(prefCh, 2)}
	for _, c := range []int{1, 2, prefCh} {
		if c <= maxChannels && !slices.Contains(chans, c) {
			chans = append(chans, c)
		}
	}
	var out []capture.MediaTrackSettings
	for _, r := range rates {
		for _, c := range chans {
			for _, f := range []string{FormatF32, FormatS16} {
				size := 32
				if f == FormatS16 {
					size = 16
				}
				out = append(out, capture.MediaTrackSettings{
					SampleRate:   r,
					SampleSize:   size,
					ChannelCount: c,
					Format:       f,
				})
			}
		}
	}
	return out
}

// capabilities is the range of each setting over ms; no echo cancellation,
// gain control or noise suppression is applied.
func capabilities(deviceID, groupID string, ms []capture.MediaTrackSettings) capture.MediaTrackCapabilities {
	c := capture.MediaTrackCapabilities{
		EchoCancellation: []bool{false},
		AutoGainControl:  []bool{false},
		NoiseSuppression: []bool{false},
		DeviceID:         deviceID,
		GroupID:          groupID,
	}
	for i, m := range ms {
		if i == 0 {
			c.SampleRate = capture.ULongRange{Min: m.SampleRate, Max: m.SampleRate}
			c.SampleSize = capture.ULongRange{Min: m.SampleSize, Max: m.SampleSize}
			c.ChannelCount = capture.ULongRange{Min: m.ChannelCount, Max: m.ChannelCount}
			continue
		}
		widen(&c.SampleRate, m.SampleRate)
		widen(&c.SampleSize, m.SampleSize)
		widen(&c.ChannelCount, m.ChannelCount)
	}
	return c
}

func widen(r *capture.ULongRange, v int) {
	r.Min, r.Max = min(r.Min, v), max(r.Max, v)
}

// configFor turns a mode into a miniaudio capture config: zero values take
// 48 kHz, mono, F32; Format ("S16"/"F32") wins over SampleSize (16/32).
func configFor(mode capture.MediaTrackSettings) (malgo.DeviceConfig, error) {
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	rate, ch := mode.SampleRate, mode.ChannelCount
	if rate == 0 {
		rate = 48000
	}
	if ch == 0 {
		ch = 1
	}
	if rate < minRate || rate > maxRate {
		return cfg, fmt.Errorf("sample rate %d Hz is outside %d–%d", rate, minRate, maxRate)
	}
	if ch < 1 || ch > maxChannels {
		return cfg, fmt.Errorf("channel count %d is outside 1–%d", ch, maxChannels)
	}
	format := malgo.FormatF32
	switch {
	case strings.EqualFold(mode.Format, FormatS16):
		format = malgo.FormatS16
	case strings.EqualFold(mode.Format, FormatF32):
	case mode.Format != "":
		return cfg, fmt.Errorf("sample format %q is neither %s nor %s", mode.Format, FormatS16, FormatF32)
	case mode.SampleSize == 16:
		format = malgo.FormatS16
	case mode.SampleSize == 0 || mode.SampleSize == 32:
	default:
		return cfg, fmt.Errorf("sample size %d is neither 16 nor 32", mode.SampleSize)
	}
	cfg.SampleRate = uint32(rate)
	cfg.Capture.Channels = uint32(ch)
	cfg.Capture.Format = format
	return cfg, nil
}

func formatName(f malgo.FormatType) string {
	switch f {
	case malgo.FormatS16:
		return FormatS16
	case malgo.FormatF32:
		return FormatF32
	}
	return fmt.Sprintf("format %d", f)
}

// convert fills dst with the samples of src, little-endian S16 or F32 as
// miniaudio delivers them on every platform Tally runs on. It reports false
// when src does not hold exactly len(dst) samples of that format.
func convert(dst []float32, src []byte, f malgo.FormatType) bool {
	switch f {
	case malgo.FormatS16:
		if len(src) != 2*len(dst) {
			return false
		}
		for i := range dst {
			dst[i] = float32(int16(binary.LittleEndian.Uint16(src[2*i:]))) * (1.0 / 32768)
		}
	case malgo.FormatF32:
		if len(src) != 4*len(dst) {
			return false
		}
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	default:
		return false
	}
	return true
}

// framesToDuration is the time n sample frames last at rate, without the
// overflow of n*1e9 after a few days of audio.
func framesToDuration(n uint64, rate int) time.Duration {
	r := uint64(rate)
	return time.Duration(n/r)*time.Second + time.Duration(n%r*uint64(time.Second)/r)
}
