package capture

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func candVideo(w, h int, fps float64) MediaTrackSettings {
	return MediaTrackSettings{DeviceID: "cam1", GroupID: "g1", Width: w, Height: h, FrameRate: fps, ResizeMode: ResizeModeNone}
}

func candAudio(rate, channels int, ec bool) MediaTrackSettings {
	return MediaTrackSettings{DeviceID: "mic1", GroupID: "g1", SampleRate: rate, ChannelCount: channels, SampleSize: 16, EchoCancellation: ec}
}

var videoModes = []MediaTrackSettings{
	candVideo(640, 480, 30),   // 0
	candVideo(1280, 720, 30),  // 1
	candVideo(1920, 1080, 30), // 2
	candVideo(1280, 720, 60),  // 3
}

var audioModes = []MediaTrackSettings{
	candAudio(48000, 1, true),  // 0
	candAudio(48000, 2, true),  // 1
	candAudio(44100, 2, false), // 2
}

func TestSelectSettings(t *testing.T) {
	facing := []MediaTrackSettings{candVideo(640, 480, 30), candVideo(640, 480, 30), candVideo(640, 480, 30)}
	facing[1].FacingMode = FacingModeUser
	facing[2].FacingMode = FacingModeEnvironment
	tests := []struct {
		name       string
		kind       string
		json       string // the track's constraints; "" for nil
		candidates []MediaTrackSettings
		want       int
	}{
		{"no constraints: the first, the caller's preference", "video", "", videoModes, 0},
		{"empty constraints: the first", "video", `{}`, videoModes, 0},
		{"ideal: the nearest", "video", `{"width": 1300}`, videoModes, 1},
		{"ideal: nearest relative to the larger value", "video", `{"width": 1000}`, videoModes, 1},
		{"bare is ideal: never excludes", "video", `{"width": 4000, "frameRate": 5}`, videoModes, 2},
		{"ideal ties: the earliest", "video", `{"height": 720}`, videoModes, 1},
		{"ideals add up", "video", `{"height": 720, "frameRate": 60}`, videoModes, 3},
		{"exact excludes others", "video", `{"width": {"exact": 1920}}`, videoModes, 2},
		{"min excludes below, ideal chooses among the rest", "video", `{"width": {"min": 1000, "ideal": 640}}`, videoModes, 1},
		{"max excludes above", "video", `{"height": {"max": 500, "ideal": 1080}}`, videoModes, 0},
		{"min and max", "video", `{"frameRate": {"min": 45, "max": 60}}`, videoModes, 3},
		{"double exact within rounding", "video", `{"frameRate": {"exact": 60.0000000001}}`, videoModes, 3},
		{"aspectRatio from width/height when a mode leaves it out", "video", `{"aspectRatio": {"exact": 1.3333333333333333}}`, videoModes, 0},
		{"aspectRatio ideal", "video", `{"aspectRatio": 1.78, "frameRate": 30}`, videoModes, 1},
		{"string ideal: listed beats unlisted", "video", `{"facingMode": "environment"}`, facing, 2},
		{"string ideal: a missing settingValue is at distance 1", "video", `{"facingMode": ["user", "environment"]}`, facing, 1},
		{"string exact: any of the list", "video", `{"facingMode": {"exact": ["left", "environment"]}}`, facing, 2},
		{"deviceId exact matches", "video", `{"deviceId": {"exact": ["other", "cam1"]}}`, videoModes, 0},
		{"empty constraint is no constraint", "video", `{"width": {}, "facingMode": {"exact": [], "ideal": []}}`, videoModes, 0},
		{"resizeMode exact", "video", `{"resizeMode": {"exact": "none"}, "width": 1920}`, videoModes, 2},

		{"advanced: bare is exact", "video", `{"frameRate": 30, "advanced": [{"frameRate": 60}]}`, videoModes, 3},
		{"advanced: applied in order (1)", "video", `{"advanced": [{"width": 1920}, {"height": 720}]}`, videoModes, 2},
		{"advanced: applied in order (2)", "video", `{"advanced": [{"height": 720}, {"width": 1920}]}`, videoModes, 1},
		{"advanced: later sets narrow earlier ones", "video", `{"advanced": [{"height": 720}, {"frameRate": 60}]}`, videoModes, 3},
		{"advanced: unsatisfiable set is skipped, never an error", "video", `{"width": 1920, "advanced": [{"width": 4000}]}`, videoModes, 2},
		{"advanced: cannot bring back what the basic set excluded", "video", `{"width": {"max": 1280}, "advanced": [{"width": 1920}]}`, videoModes, 0},
		{"advanced: min>max in a set only skips it", "video", `{"advanced": [{"width": {"min": 1920, "max": 640}}, {"frameRate": 60}]}`, videoModes, 3},
		{"advanced: ideal inside a set does not filter", "video", `{"advanced": [{"width": {"ideal": 1920}}]}`, videoModes, 0},
		{"advanced: other kind's constraint fails the set", "video", `{"advanced": [{"sampleRate": 48000}, {"width": 1280}]}`, videoModes, 1},
		{"advanced: basic ideal chooses among what is left", "video", `{"frameRate": 60, "advanced": [{"width": {"min": 1000}}]}`, videoModes, 3},

		{"audio-only ideals on video have no effect", "video", `{"echoCancellation": false, "sampleRate": 8000, "channelCount": 2}`, videoModes, 0},
		{"video-only ideals on audio have no effect", "audio", `{"width": 1920, "facingMode": "user"}`, audioModes, 0},
		{"audio: ideal channelCount", "audio", `{"channelCount": 2}`, audioModes, 1},
		{"audio: exact false boolean exists", "audio", `{"echoCancellation": {"exact": false}}`, audioModes, 2},
		{"audio: ideal boolean", "audio", `{"echoCancellation": false}`, audioModes, 2},
		{"audio: ideals weigh against each other", "audio", `{"echoCancellation": true, "sampleRate": 44100, "channelCount": 1}`, audioModes, 0},
		{"audio: sampleRate min", "audio", `{"sampleRate": {"min": 44100, "max": 44100}}`, audioModes, 2},
		{"audio: sampleSize exact", "audio", `{"sampleSize": {"exact": 16}, "channelCount": 2}`, audioModes, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *MediaTrackConstraints
			if tt.json != "" {
				c = mustParseTrack(t, tt.json)
			}
			got, err := SelectSettings(tt.kind, c, tt.candidates)
			if err != nil {
				t.Fatalf("SelectSettings: %v", err)
			}
			if got != tt.want {
				t.Errorf("SelectSettings = %d (%+v), want %d (%+v)", got, tt.candidates[got], tt.want, tt.candidates[tt.want])
			}
		})
	}
}

func TestSelectSettingsOverconstrained(t *testing.T) {
	noFacing := []MediaTrackSettings{candVideo(640, 480, 30)}
	tests := []struct {
		name       string
		kind       string
		json       string
		candidates []MediaTrackSettings
		constraint string
		message    string // a part of the message
	}{
		{"exact nothing has", "video", `{"width": {"exact": 4000}}`, videoModes, "width", "no settings have width exact 4000 (available: 640–1920)"},
		{"min above all", "video", `{"frameRate": {"min": 120}}`, videoModes, "frameRate", "available: 30–60"},
		{"min greater than max", "video", `{"height": {"min": 1080, "max": 480}}`, videoModes, "height", "min 1080 is greater than max 480: no settings can satisfy it"},
		{"min greater than max, reported before an earlier field", "video", `{"width": {"exact": 99999}, "frameRate": {"min": 60, "max": 30}}`, videoModes, "frameRate", "min 60 is greater than max 30"},
		{"exact outside min..max", "video", `{"width": {"min": 1000, "exact": 640}}`, videoModes, "width", "exact 640 is less than min 1000"},
		{"double min greater than max", "video", `{"aspectRatio": {"min": 2, "max": 1}}`, videoModes, "aspectRatio", "min 2 is greater than max 1"},
		{"deviceId exact not matching", "video", `{"deviceId": {"exact": "cam2"}}`, videoModes, "deviceId", `no settings have deviceId exact "cam2" (available: "cam1")`},
		{"groupId exact list not matching", "audio", `{"groupId": {"exact": ["a", "b"]}}`, audioModes, "groupId", `exact one of "a", "b"`},
		{"required settingValue the device does not report", "video", `{"facingMode": {"exact": "user"}}`, noFacing, "facingMode", "the device does not report facingMode"},
		{"boolean exact nothing has", "audio", `{"autoGainControl": {"exact": true}}`, audioModes, "autoGainControl", "available: false"},
		{"first in field order", "video", `{"frameRate": {"exact": 24}, "width": {"exact": 800}}`, videoModes, "width", "exact 800"},
		{"each met by some, never all by one: the spec's empty name", "video", `{"width": {"exact": 1920}, "frameRate": {"exact": 60}}`, videoModes, "",
			"no single settings satisfy these required constraints together: width exact 1920; frameRate exact 60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParseTrack(t, tt.json)
			got, err := SelectSettings(tt.kind, c, tt.candidates)
			if err == nil {
				t.Fatalf("SelectSettings = %d, want an OverconstrainedError", got)
			}
			if got != -1 {
				t.Errorf("index %d with an error", got)
			}
			var oc *OverconstrainedError
			if !errors.As(err, &oc) || !errors.Is(err, ErrOverconstrained) || ErrorName(err) != "OverconstrainedError" {
				t.Fatalf("error %v (%T) is not an OverconstrainedError", err, err)
			}
			if oc.Constraint != tt.constraint {
				t.Errorf("Constraint = %q, want %q (%v)", oc.Constraint, tt.constraint, err)
			}
			if !strings.Contains(oc.Message, tt.message) {
				t.Errorf("Message = %q, want it to contain %q", oc.Message, tt.message)
			}
		})
	}
}

func TestSelectSettingsOtherErrors(t *testing.T) {
	if _, err := SelectSettings("screen", nil, videoModes); !errors.Is(err, ErrTypeError) {
		t.Errorf("kind screen: got %v, want a TypeError", err)
	}
	bad := &MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{Width: &ConstrainULong{Ideal: cInt(-1)}}}
	if _, err := SelectSettings("video", bad, videoModes); !errors.Is(err, ErrTypeError) || !strings.Contains(err.Error(), "width.ideal") {
		t.Errorf("negative width: got %v, want a TypeError naming width.ideal", err)
	}
	if _, err := SelectSettings("video", nil, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("no candidates: got %v, want a NotFoundError", err)
	}
	// More candidates than the stack buffer.
	many := make([]MediaTrackSettings, 100)
	for i := range many {
		many[i] = candVideo(100+i, 100, 30)
	}
	if got, err := SelectSettings("video", mustParseTrack(t, `{"width": 170}`), many); err != nil || got != 70 {
		t.Errorf("100 candidates: got %d, %v; want 70", got, err)
	}
}

func TestFitnessDistance(t *testing.T) {
	inf := math.Inf(1)
	s := candVideo(640, 480, 30)
	s.FacingMode = FacingModeUser
	a := candAudio(48000, 2, false)
	tests := []struct {
		kind string
		json string
		s    MediaTrackSettings
		want float64
	}{
		{"video", `{}`, s, 0},
		{"video", `{"width": 640}`, s, 0},
		{"video", `{"width": 1280}`, s, 0.5},
		{"video", `{"width": 320}`, s, 0.5},
		{"video", `{"width": 0}`, s, 1},
		{"video", `{"width": 1280, "height": 960}`, s, 1},
		{"video", `{"frameRate": 60, "aspectRatio": 1.3333333333333333}`, s, 0.5},
		{"video", `{"facingMode": "user"}`, s, 0},
		{"video", `{"facingMode": ["environment", "left"]}`, s, 1},
		{"video", `{"resizeMode": "crop-and-scale", "deviceId": "cam1", "groupId": "g2"}`, s, 2},
		{"video", `{"width": {"min": 320, "ideal": 1280}}`, s, 0.5},
		{"video", `{"width": {"min": 641}}`, s, inf},
		{"video", `{"width": {"max": 639}}`, s, inf},
		{"video", `{"facingMode": {"exact": "environment"}}`, s, inf},
		{"video", `{"displaySurface": {"exact": "monitor"}}`, s, 0}, // not a constraint Tally knows
		{"video", `{"echoCancellation": true, "sampleRate": 48000}`, s, 0},
		// The other kind's properties are removed, required or not.
		{"video", `{"echoCancellation": {"exact": true}}`, s, 0},
		{"video", `{"sampleRate": {"min": 0}}`, s, 0},
		{"video", `{"facingMode": "user"}`, candVideo(640, 480, 30), 1},
		{"audio", `{"echoCancellation": true}`, a, 1},
		{"audio", `{"echoCancellation": false, "autoGainControl": false, "noiseSuppression": true}`, a, 1},
		{"audio", `{"sampleRate": 44100, "channelCount": 1}`, a, 0.08125 + 0.5},
		{"audio", `{"width": 640}`, a, 0},
		{"audio", `{"width": {"max": 640}}`, a, 0},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.json, func(t *testing.T) {
			c := mustParseTrack(t, tt.json)
			got := FitnessDistance(tt.kind, &c.MediaTrackConstraintSet, tt.s)
			if math.Abs(got-tt.want) > 1e-12 && got != tt.want {
				t.Errorf("FitnessDistance = %v, want %v", got, tt.want)
			}
		})
	}
	if d := FitnessDistance("video", nil, s); d != 0 {
		t.Errorf("nil set: %v", d)
	}
}

func TestUnsatisfied(t *testing.T) {
	s := candVideo(640, 480, 30)
	tests := []struct {
		kind, json, want string
	}{
		{"video", `{}`, ""},
		{"video", `{"width": 1920, "deviceId": "other"}`, ""},
		{"video", `{"width": {"min": 640, "max": 640}, "frameRate": {"exact": 30}}`, ""},
		{"video", `{"height": {"exact": 720}, "width": {"exact": 1280}}`, "width"},
		{"video", `{"groupId": {"exact": "g2"}, "deviceId": {"exact": "x"}}`, "deviceId"},
		{"video", `{"noiseSuppression": {"exact": false}}`, ""}, // the other kind's: removed
		{"audio", `{"height": {"max": 100}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			c := mustParseTrack(t, tt.json)
			if got := c.Unsatisfied(tt.kind, s); got != tt.want {
				t.Errorf("Unsatisfied = %q, want %q", got, tt.want)
			}
		})
	}
	var nilSet *MediaTrackConstraintSet
	if got := nilSet.Unsatisfied("video", s); got != "" {
		t.Errorf("nil set: %q", got)
	}
}

// benchModes is a camera's worth of modes: 8 sizes × 5 frame rates.
func benchModes() []MediaTrackSettings {
	sizes := [][2]int{{160, 120}, {320, 240}, {640, 360}, {640, 480}, {800, 600}, {1280, 720}, {1600, 1200}, {1920, 1080}}
	var modes []MediaTrackSettings
	for _, sz := range sizes {
		for _, fps := range []float64{5, 10, 15, 24, 30} {
			modes = append(modes, candVideo(sz[0], sz[1], fps))
		}
	}
	return modes
}

func BenchmarkSelectSettings(b *testing.B) {
	modes := benchModes()
	c := mustParseTrack(b, `{"width": {"min": 320, "ideal": 1280}, "height": 720, "frameRate": {"ideal": 30, "max": 30},
		"aspectRatio": 1.7777777777777777, "deviceId": {"exact": "cam1"},
		"advanced": [{"width": 4000}, {"frameRate": {"min": 24}}, {"resizeMode": "none"}]}`)
	want, err := SelectSettings("video", c, modes)
	if err != nil || modes[want].Width != 1280 || modes[want].FrameRate != 30 {
		b.Fatalf("SelectSettings = %d, %v", want, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if got, _ := SelectSettings("video", c, modes); got != want {
			b.Fatal(got)
		}
	}
}
