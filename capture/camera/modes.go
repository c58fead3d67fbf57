package camera

import (
	"math"
	"slices"

	"github.com/tally-app/tally/capture"
)

// formatRank orders formats when everything else is equal: raw formats
// first (cheap to convert), MJPEG last (a JPEG decode per frame).
func formatRank(fourcc string) int {
	switch fourcc {
	case "YUYV":
		return 0
	case "NV12":
		return 1
	case "YU12":
		return 2
	case "NV21":
		return 3
	case "UYVY":
		return 4
	case "MJPG":
		return 9
	}
	return 5
}

// roundRate rounds a frame rate to three decimals: V4L2 reports fractions
// (1001/30000) whose float64 quotient is not the 29.97 people write.
func roundRate(fps float64) float64 {
	return math.Round(fps*1000) / 1000
}

// buildModes turns a camera's modes into the descriptor's Modes — one per
// distinct (format, width, height, frame rate) the backend can convert,
// sorted by size, rate and format — the Capabilities over them, and the
// formats the camera offers that Tally cannot convert (sorted, each once).
func buildModes(deviceID, groupID string, all []Mode) ([]capture.MediaTrackSettings, capture.MediaTrackCapabilities, []string) {
	caps := capture.MediaTrackCapabilities{DeviceID: deviceID, GroupID: groupID}
	var modes []capture.MediaTrackSettings
	var unsupported []string
	seen := make(map[capture.MediaTrackSettings]bool)
	for _, p := range all {
		if !Convertible(p.Format) {
			if !slices.Contains(unsupported, p.Format) {
				unsupported = append(unsupported, p.Format)
			}
			continue
		}
		if p.Width <= 0 || p.Height <= 0 {
			continue // nonsense from a driver
		}
		m := settingsOf(deviceID, groupID, p)
		if seen[m] {
			continue
		}
		seen[m] = true
		modes = append(modes, m)
	}
	slices.Sort(unsupported)
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
		return formatRank(a.Format) - formatRank(b.Format)
	})
	if len(modes) == 0 {
		return nil, caps, unsupported
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
	return modes, caps, unsupported
}

func settingsOf(deviceID, groupID string, p Mode) capture.MediaTrackSettings {
	return capture.MediaTrackSettings{
		DeviceID:    deviceID,
		GroupID:     groupID,
		Width:       p.Width,
		Height:      p.Height,
		FrameRate:   roundRate(p.FrameRate()),
		AspectRatio: float64(p.Width) / float64(p.Height),
		ResizeMode:  capture.ResizeModeNone,
		Format:      p.Format,
	}
}

// chooseMode picks the mode to open for a requested one: normally the
// request is one of the descriptor's Modes and matches a mode exactly; a
// partial request (zero fields are "any") gets the closest mode, preferring
// the requested format, then size, then frame rate. ok is false when the
// camera has nothing the backend can convert.
func chooseMode(all []Mode, want capture.MediaTrackSettings) (best Mode, ok bool) {
	bestScore := math.Inf(1)
	for _, p := range all {
		if !Convertible(p.Format) || p.Width <= 0 || p.Height <= 0 {
			continue
		}
		score := float64(formatRank(p.Format)) * 1e-6 // tie-break only
		if want.Format != "" && want.Format != p.Format {
			score += 1e6
		}
		if want.Width > 0 {
			score += math.Abs(float64(p.Width-want.Width)) / float64(want.Width) * 1e3
		}
		if want.Height > 0 {
			score += math.Abs(float64(p.Height-want.Height)) / float64(want.Height) * 1e3
		}
		if rate := roundRate(p.FrameRate()); want.FrameRate > 0 && rate > 0 {
			score += math.Abs(rate-want.FrameRate) / want.FrameRate
		}
		if score < bestScore {
			best, bestScore, ok = p, score, true
		}
	}
	return best, ok
}
