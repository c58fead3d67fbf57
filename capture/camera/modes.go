package camera

import (
	"math"
	"slices"

	"github.com/pion/mediadevices/pkg/prop"

	"github.com/tally-app/tally/capture"
)

// formatRank orders formats when everything else is equal: raw formats
// first (cheap to convert), MJPEG last (a JPEG decode per frame).
var formatRank = map[string]int{
	FormatYUYV: 0, FormatNV12: 1, FormatI420: 2, FormatNV21: 3, FormatUYVY: 4, FormatMJPEG: 5,
}

// roundRate rounds a driver's frame rate to three decimals: V4L2 reports
// fractions (1001/30000) that float32 cannot hold exactly.
func roundRate(fps float32) float64 {
	return math.Round(float64(fps)*1000) / 1000
}

// buildModes turns a camera's props into the descriptor's Modes — one per
// distinct (format, width, height, frame rate) the backend can convert,
// sorted by size, rate and format — and the Capabilities over them.
func buildModes(deviceID, groupID string, props []prop.Media) ([]capture.MediaTrackSettings, capture.MediaTrackCapabilities) {
	caps := capture.MediaTrackCapabilities{DeviceID: deviceID, GroupID: groupID}
	var modes []capture.MediaTrackSettings
	seen := make(map[capture.MediaTrackSettings]bool)
	for _, p := range props {
		f := string(p.FrameFormat)
		if _, ok := converters[f]; !ok || p.Width <= 0 || p.Height <= 0 || p.FrameRate < 0 {
			continue // Z16 depth, an unknown format, or nonsense from a driver
		}
		m := capture.MediaTrackSettings{
			DeviceID:    deviceID,
			GroupID:     groupID,
			Width:       p.Width,
			Height:      p.Height,
			FrameRate:   roundRate(p.FrameRate),
			AspectRatio: float64(p.Width) / float64(p.Height),
			ResizeMode:  capture.ResizeModeNone,
			Format:      f,
		}
		if seen[m] {
			continue
		}
		seen[m] = true
		modes = append(modes, m)
	}
	slices.SortFunc(modes, func(a, b capture.MediaTrackSettings) int {
		if d := a.Width*a.Height - b.Width*b.Height; d != 0 {
			return d
		}
		if a.Width != b.Width {
			return a.Width - b.Width
		}
		if a.FrameRate != b.FrameRate {
			if a.FrameRate < b.FrameRate {
				return -1
			}
			return 1
		}
		return formatRank[a.Format] - formatRank[b.Format]
	})
	if len(modes) == 0 {
		return nil, caps
	}
	caps.Width = capture.ULongRange{Min: math.MaxInt, Max: 0}
	caps.Height = caps.Width
	caps.AspectRatio = capture.DoubleRange{Min: math.Inf(1), Max: 0}
	rates := capture.DoubleRange{Min: math.Inf(1), Max: 0}
	for _, m := range modes {
		caps.Width.Min, caps.Width.Max = min(caps.Width.Min, m.Width), max(caps.Width.Max, m.Width)
		caps.Height.Min, caps.Height.Max = min(caps.Height.Min, m.Height), max(caps.Height.Max, m.Height)
		caps.AspectRatio.Min = min(caps.AspectRatio.Min, m.AspectRatio)
		caps.AspectRatio.Max = max(caps.AspectRatio.Max, m.AspectRatio)
		if m.FrameRate > 0 {
			rates.Min, rates.Max = min(rates.Min, m.FrameRate), max(rates.Max, m.FrameRate)
		}
	}
	if rates.Max > 0 {
		caps.FrameRate = rates
	}
	caps.ResizeMode = []string{capture.ResizeModeNone}
	return modes, caps
}

// chooseProp picks the prop to open for a requested mode: normally the mode
// is one of the descriptor's Modes and matches a prop exactly; a partial mode
// (zero fields are "any") gets the closest prop, preferring the requested
// format, then size, then frame rate. ok is false when props has nothing
// the backend can convert.
func chooseProp(props []prop.Media, mode capture.MediaTrackSettings) (best prop.Media, ok bool) {
	bestScore := math.Inf(1)
	for _, p := range props {
		f := string(p.FrameFormat)
		if _, conv := converters[f]; !conv || p.Width <= 0 || p.Height <= 0 {
			continue
		}
		score := float64(formatRank[f]) * 1e-6 // tie-break only
		if mode.Format != "" && mode.Format != f {
			score += 1e6
		}
		if mode.Width > 0 {
			score += math.Abs(float64(p.Width-mode.Width)) / float64(mode.Width) * 1e3
		}
		if mode.Height > 0 {
			score += math.Abs(float64(p.Height-mode.Height)) / float64(mode.Height) * 1e3
		}
		if mode.FrameRate > 0 && p.FrameRate > 0 {
			score += math.Abs(roundRate(p.FrameRate)-mode.FrameRate) / mode.FrameRate
		}
		if score < bestScore {
			best, bestScore, ok = p, score, true
		}
	}
	return best, ok
}
