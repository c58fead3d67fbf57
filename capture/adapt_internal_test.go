package capture

import "testing"

func TestServedBy(t *testing.T) {
	m := func(w, h int, r float64) MediaTrackSettings {
		return MediaTrackSettings{Width: w, Height: h, FrameRate: r, ResizeMode: ResizeModeNone}
	}
	for _, tc := range []struct {
		mode, track MediaTrackSettings
		ok          bool
		resize      string
	}{
		{m(1280, 720, 30), m(1280, 720, 30), true, ResizeModeNone},
		{m(1280, 720, 60), m(1280, 720, 30), true, ResizeModeCropAndScale}, // decimated
		{m(1920, 1080, 30), m(640, 480, 30), true, ResizeModeCropAndScale}, // cropped and scaled
		{m(1920, 1080, 30), m(640, 480, 15), true, ResizeModeCropAndScale},
		{m(1280, 720, 25), m(640, 480, 30), false, ""},                  // never up in rate
		{m(1280, 720, 30), m(1920, 1080, 30), false, ""},                // never up in size
		{m(1280, 720, 30), m(640, 360, 20), false, ""},                  // 30/20 is not integral
		{m(1280, 720, 0), m(640, 360, 0), true, ResizeModeCropAndScale}, // no rates reported
	} {
		got, ok := servedBy(tc.mode, tc.track)
		if ok != tc.ok || ok && (got.ResizeMode != tc.resize || got.Width != tc.track.Width || got.FrameRate != tc.track.FrameRate) {
			t.Errorf("servedBy(%v, %v) = %+v, %v; want %v %s", tc.mode, tc.track, got, ok, tc.ok, tc.resize)
		}
	}
}
