package capture

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseConstraints: parsing never panics; every error is a TypeError;
// whatever parses is valid, round-trips exactly through Marshal, agrees with
// json.Unmarshal, and selects settings consistently with Unsatisfied.
func FuzzParseConstraints(f *testing.F) {
	for _, seed := range []string{
		`{"audio": true, "video": true}`,
		`{"audio": false, "video": null}`,
		`{"video": {"width": 1280, "height": {"min": 480, "max": 1080, "ideal": 720}, "frameRate": {"exact": 29.97}}}`,
		`{"video": {"aspectRatio": 1.7777777777777777, "facingMode": ["user", "environment"], "resizeMode": {"exact": "none"}}}`,
		`{"video": {"deviceId": {"exact": "cam1"}, "groupId": {"ideal": ["g1", "g2"]}, "advanced": [{"width": 1920}, null, {"facingMode": []}]}}`,
		`{"audio": {"sampleRate": 48000, "sampleSize": {"exact": 16}, "channelCount": {"max": 2}, "echoCancellation": false,
			"autoGainControl": {"exact": true}, "noiseSuppression": {"ideal": true}}}`,
		`{"video": {"width": {"min": 1920, "max": 640}}}`,
		`{"video": {"width": {}, "advanced": []}}`,
		`{"video": {"width": -5}}`,
		`{"video": {"width": 1e400}}`,
		`{"video": {"advanced": [5]}}`,
		`{"video": {"facingMode": ["a", 1]}}`,
		`{"video": {"frameRate": 1e21, "width": 4294967295}}`,
		`{"video": {"deviceId": "\ud800\u00e9\"<>"}}`,
		`{"video": }`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseMediaStreamConstraints(data)
		if err != nil {
			if !errors.Is(err, ErrTypeError) {
				t.Fatalf("error %v is not a TypeError", err)
			}
		} else {
			checkParsed(t, c)
		}
		var viaJSON MediaStreamConstraints
		if jerr := json.Unmarshal(data, &viaJSON); (jerr == nil) != (err == nil) {
			t.Fatalf("json.Unmarshal error %v, Parse error %v", jerr, err)
		} else if jerr == nil && !reflect.DeepEqual(viaJSON, c) {
			t.Fatalf("json.Unmarshal %#v, Parse %#v", viaJSON, c)
		}

		tc, err := ParseMediaTrackConstraints(data)
		if err != nil {
			if !errors.Is(err, ErrTypeError) {
				t.Fatalf("track error %v is not a TypeError", err)
			}
			return
		}
		checkParsed(t, MediaStreamConstraints{Video: &tc, Audio: &tc})
	})
}

func checkParsed(t *testing.T, c MediaStreamConstraints) {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("parsed constraints do not validate: %v", err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	back, err := ParseMediaStreamConstraints(b)
	if err != nil {
		t.Fatalf("parsing %s back: %v", b, err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip through %s:\n got  %#v\n want %#v", b, back, c)
	}
	_ = c.Audio.Summary(TrackKindAudio)
	_ = c.Video.Summary(TrackKindVideo)
	checkSelection(t, TrackKindVideo, c.Video, benchModes())
	checkSelection(t, TrackKindAudio, c.Audio, audioModes)
}

// checkSelection checks SelectSettings against its definition: the chosen
// candidate satisfies the basic set and no satisfying candidate is nearer;
// an error means none satisfies it.
func checkSelection(t *testing.T, kind string, c *MediaTrackConstraints, candidates []MediaTrackSettings) {
	t.Helper()
	i, err := SelectSettings(kind, c, candidates)
	var basic *MediaTrackConstraintSet
	if c != nil {
		basic = &c.MediaTrackConstraintSet
	}
	if err != nil {
		if !errors.Is(err, ErrOverconstrained) {
			t.Fatalf("SelectSettings: %v", err)
		}
		for j, s := range candidates {
			if name := basic.Unsatisfied(kind, s); name == "" {
				t.Fatalf("OverconstrainedError %v, but candidate %d satisfies the basic set", err, j)
			}
		}
		return
	}
	if name := basic.Unsatisfied(kind, candidates[i]); name != "" {
		t.Fatalf("chose %d, which fails %s", i, name)
	}
	if c == nil || len(c.Advanced) == 0 {
		d := FitnessDistance(kind, basic, candidates[i])
		for j, s := range candidates {
			if dj := FitnessDistance(kind, basic, s); dj < d || (dj == d && j < i) {
				t.Fatalf("chose %d at distance %v, but %d is at %v", i, d, j, dj)
			}
		}
	}
}
