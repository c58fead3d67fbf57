package capture

// Per-track adaptation: a source runs in one device mode, and each video
// track gets its own settings from it. A track whose settings are not the
// mode's gets the device's frames cropped (centred) to its aspect ratio,
// scaled down and decimated to its rate: resizeMode "crop-and-scale"
// (https://w3c.github.io/mediacapture-main/#dom-videoresizemodeenum).
// "none" is the device's own frames.
//
// The spec's rules: downscaling to any size between the minimum and the
// native one, frame rates by integral decimation of the native rate, never
// up; for every "none" settings dictionary an otherwise identical
// "crop-and-scale" one (https://w3c.github.io/mediacapture-main/#def-constraint-resizeMode).

import (
	"cmp"
	"math"
	"slices"
)

const (
	// minOutputSize is the smallest width or height crop-and-scale makes,
	// as in Chrome's capabilities.
	minOutputSize = 1
	// minOutputRate is the lowest frame rate decimation offers, in frames
	// per second.
	minOutputRate = 1.0
)

// Default ideals for a camera when the constraints name none of width,
// height, aspectRatio and frameRate: where a browser opens one (Chrome's
// 640×480 @ 30).
const (
	defaultWidth     = 640
	defaultHeight    = 480
	defaultFrameRate = 30.0
)

// roundRatio rounds an aspect ratio to ten decimal places, as the spec
// reports it (https://w3c.github.io/mediacapture-main/#dfn-aspectratio).
func roundRatio(r float64) float64 { return math.Round(r*1e10) / 1e10 }

// namesVideoFormat reports whether the constraints name width, height,
// aspectRatio or frameRate, in the basic set or any advanced set.
func namesVideoFormat(c *MediaTrackConstraints) bool {
	names := func(s *MediaTrackConstraintSet) bool {
		return s.Width != nil || s.Height != nil || s.AspectRatio != nil || s.FrameRate != nil
	}
	if names(&c.MediaTrackConstraintSet) {
		return true
	}
	for i := range c.Advanced {
		if names(&c.Advanced[i]) {
			return true
		}
	}
	return false
}

// withDefaultIdeals is c as selection sees it for a camera: with the
// default ideals when c names no size, aspect ratio or rate.
func withDefaultIdeals(devKind string, c MediaTrackConstraints) MediaTrackConstraints {
	if devKind != KindVideoInput || namesVideoFormat(&c) {
		return c
	}
	w, h, r := defaultWidth, defaultHeight, defaultFrameRate
	c.Width = &ConstrainULong{Ideal: &w}
	c.Height = &ConstrainULong{Ideal: &h}
	c.FrameRate = &ConstrainDouble{Ideal: &r}
	return c
}

// overlay is the basic set with adv's constraints in place of the basic
// ones it names: the set an advanced entry asks for.
func overlay(basic, adv *MediaTrackConstraintSet) MediaTrackConstraintSet {
	s := *basic
	if adv.Width != nil {
		s.Width = adv.Width
	}
	if adv.Height != nil {
		s.Height = adv.Height
	}
	if adv.AspectRatio != nil {
		s.AspectRatio = adv.AspectRatio
	}
	if adv.FrameRate != nil {
		s.FrameRate = adv.FrameRate
	}
	return s
}

// target is the value a numeric constraint asks for: exact, else ideal,
// else a max below hi; then within min and max. ok is false when it asks
// for no particular value.
func target[T int | float64](exact, ideal, lo, hi *T, limit T) (v T, ok bool) {
	switch {
	case exact != nil:
		v = *exact
	case ideal != nil:
		v = *ideal
	case hi != nil && *hi < limit:
		v = *hi
	default:
		return v, false
	}
	if lo != nil {
		v = max(v, *lo)
	}
	if hi != nil {
		v = min(v, *hi)
	}
	return v, true
}

// ulongTarget is the value c asks for within [lo, hi] (see target).
func ulongTarget(c *ConstrainULong, lo, hi int) (int, bool) {
	if c == nil {
		return 0, false
	}
	v, ok := target(c.Exact, c.Ideal, c.Min, c.Max, hi)
	if !ok {
		return 0, false
	}
	return min(max(v, lo), hi), true
}

// doubleTarget is ulongTarget for reals, at most hi; a value of 0 or less
// asks for nothing.
func doubleTarget(c *ConstrainDouble, hi float64) (float64, bool) {
	if c == nil {
		return 0, false
	}
	v, ok := target(c.Exact, c.Ideal, c.Min, c.Max, hi)
	if !ok {
		return 0, false
	}
	return min(v, hi), v > 0
}

// decimation is the integral divisor of rate that best fits c: the one
// whose rate satisfies c's min, max and exact and is nearest its target
// (the higher rate on a tie). 1 when c asks for no lower rate.
func decimation(c *ConstrainDouble, rate float64) int {
	t, ok := doubleTarget(c, rate)
	if !ok || rate <= 0 || t >= rate-doubleEpsilon {
		return 1
	}
	maxN := max(1, int(math.Floor(rate/minOutputRate+doubleEpsilon)))
	n0 := min(max(1, int(math.Floor(rate/t+doubleEpsilon))), maxN)
	best, bestD := 1, math.Inf(1)
	for _, n := range []int{n0, n0 + 1} {
		if n > maxN {
			continue
		}
		r := rate / float64(n)
		d := numDistance(r, t)
		if !numSatisfied(c.Min, c.Max, c.Exact, r, doubleEpsilon) {
			d += 2 // worse than any rate that satisfies c
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// cropAndScale is the crop-and-scale settings of device mode m that fit set
// best: its size, aspect ratio and rate as near what set asks as cropping,
// downscaling and decimation of m allow.
func cropAndScale(m MediaTrackSettings, set *MediaTrackConstraintSet) MediaTrackSettings {
	W, H := m.Width, m.Height
	w, okW := ulongTarget(set.Width, minOutputSize, W)
	h, okH := ulongTarget(set.Height, minOutputSize, H)
	ar := float64(W) / float64(H)
	a, okA := doubleTarget(set.AspectRatio, math.Inf(1))
	if okA {
		ar = a
	}
	round := func(v float64) int { return max(minOutputSize, int(math.Round(v))) }
	switch {
	case okW && okH:
	case okW:
		h = round(float64(w) / ar)
		if h > H {
			h, w = H, min(W, round(float64(H)*ar))
		}
	case okH:
		w = round(float64(h) * ar)
		if w > W {
			w, h = W, min(H, round(float64(W)/ar))
		}
	case okA && ar > float64(W)/float64(H):
		w, h = W, min(H, round(float64(W)/ar))
	case okA:
		w, h = min(W, round(float64(H)*ar)), H
	default:
		w, h = W, H
	}
	out := m
	out.Width, out.Height = w, h
	out.AspectRatio = roundRatio(float64(w) / float64(h))
	out.FrameRate = m.FrameRate / float64(decimation(set.FrameRate, m.FrameRate))
	out.ResizeMode = ResizeModeCropAndScale
	return out
}

// trackSettings is every settings dictionary a video track can have from
// device mode m under c: m itself ("none"), then the crop-and-scale
// settings that best fit the basic set and each advanced set.
func trackSettings(m MediaTrackSettings, c *MediaTrackConstraints) []MediaTrackSettings {
	out := []MediaTrackSettings{m}
	if m.Width <= 0 || m.Height <= 0 {
		return out
	}
	add := func(s MediaTrackSettings) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(cropAndScale(m, &c.MediaTrackConstraintSet))
	for i := range c.Advanced {
		set := overlay(&c.MediaTrackConstraintSet, &c.Advanced[i])
		add(cropAndScale(m, &set))
	}
	return out
}

// servedBy returns the settings a video track with settings t keeps when its
// source runs in mode m: the same size and rate, by crop-and-scale unless m
// is exactly t's native mode; ok is false when m cannot give them (smaller,
// or a rate that is not an integral multiple).
func servedBy(m, t MediaTrackSettings) (MediaTrackSettings, bool) {
	if t.Width > m.Width || t.Height > m.Height {
		return t, false
	}
	n := 1.0
	if t.FrameRate != m.FrameRate { // a device that reports no rate has 0 for both
		if t.FrameRate <= 0 || m.FrameRate <= 0 {
			return t, false
		}
		n = math.Round(m.FrameRate / t.FrameRate)
		if n < 1 || math.Abs(m.FrameRate/n-t.FrameRate) > doubleEpsilon {
			return t, false
		}
	}
	if t.ResizeMode == ResizeModeNone && (t.Width != m.Width || t.Height != m.Height || n != 1) {
		t.ResizeMode = ResizeModeCropAndScale
	}
	return t, true
}

// outputOf is what a track with settings t needs of frames from mode m:
// nil for the device's own frames, else the size and decimation.
func outputOf(m, t MediaTrackSettings) outputKey {
	n := 1
	if t.FrameRate > 0 && m.FrameRate > t.FrameRate+doubleEpsilon {
		n = max(1, int(math.Round(m.FrameRate/t.FrameRate)))
	}
	if t.Width == m.Width && t.Height == m.Height || t.Width <= 0 || t.Height <= 0 {
		return outputKey{n: n}
	}
	return outputKey{w: t.Width, h: t.Height, n: n}
}

// preferVideoModes orders one camera's candidates for ties in fitness
// distance (SelectSettings takes the earliest): the live source's mode
// first (no reconfiguration), then the device's own frames before
// crop-and-scale (they cost nothing), then the higher frame rate, then the
// larger size (more detail to scale from), then the backend's order (its
// format preference). Screens keep the backend's order after the first two.
func preferVideoModes(devKind string, cands []candidate) {
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.live != b.live {
			if a.live {
				return -1
			}
			return 1
		}
		an, bn := a.mode.ResizeMode != ResizeModeCropAndScale, b.mode.ResizeMode != ResizeModeCropAndScale
		if an != bn {
			if an {
				return -1
			}
			return 1
		}
		if devKind != KindVideoInput {
			return 0
		}
		if c := cmp.Compare(b.mode.FrameRate, a.mode.FrameRate); c != 0 {
			return c
		}
		return cmp.Compare(b.mode.Width*b.mode.Height, a.mode.Width*a.mode.Height)
	})
}

// videoCaps is a video track's capabilities on device d: down to what
// crop-and-scale and decimation give, both resize modes.
func videoCaps(d DeviceDescriptor) MediaTrackCapabilities {
	cp := d.Capabilities
	for _, m := range d.Modes {
		cp.Width.Max = max(cp.Width.Max, m.Width)
		cp.Height.Max = max(cp.Height.Max, m.Height)
		cp.FrameRate.Max = max(cp.FrameRate.Max, m.FrameRate)
	}
	if cp.Width.Max == 0 || cp.Height.Max == 0 {
		return cp
	}
	cp.Width.Min, cp.Height.Min = minOutputSize, minOutputSize
	cp.FrameRate.Min = min(minOutputRate, cp.FrameRate.Max)
	cp.AspectRatio = DoubleRange{Min: roundRatio(1 / float64(cp.Height.Max)), Max: float64(cp.Width.Max)}
	cp.ResizeMode = []string{ResizeModeNone, ResizeModeCropAndScale}
	return cp
}
