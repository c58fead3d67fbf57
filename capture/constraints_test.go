package capture

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func cInt(v int) *int            { return &v }
func cFloat(v float64) *float64  { return &v }
func cBool(v bool) *bool         { return &v }
func cStrs(v ...string) []string { return append([]string{}, v...) }

func mustParseTrack(t testing.TB, js string) *MediaTrackConstraints {
	t.Helper()
	c, err := ParseMediaTrackConstraints([]byte(js))
	if err != nil {
		t.Fatalf("ParseMediaTrackConstraints(%s): %v", js, err)
	}
	return &c
}

// Each constraint name, in each of its forms, outside and inside advanced.
func TestParseEveryConstraintName(t *testing.T) {
	type form struct {
		json  string
		basic any // the constraint parsed in the basic set
		adv   any // the same JSON parsed in an advanced set
	}
	ulong := []form{
		{`1280`, &ConstrainULong{Ideal: cInt(1280)}, &ConstrainULong{Exact: cInt(1280)}},
		{`1.28e3`, &ConstrainULong{Ideal: cInt(1280)}, &ConstrainULong{Exact: cInt(1280)}},
		{`{"min":640,"max":1920,"exact":1280,"ideal":1000}`,
			&ConstrainULong{Min: cInt(640), Max: cInt(1920), Exact: cInt(1280), Ideal: cInt(1000)},
			&ConstrainULong{Min: cInt(640), Max: cInt(1920), Exact: cInt(1280), Ideal: cInt(1000)}},
		{`{"exact":0}`, &ConstrainULong{Exact: cInt(0)}, &ConstrainULong{Exact: cInt(0)}},
		{`{"ideal":4294967295,"min":null}`, &ConstrainULong{Ideal: cInt(4294967295)}, &ConstrainULong{Ideal: cInt(4294967295)}},
		{`{}`, &ConstrainULong{}, &ConstrainULong{}},
	}
	double := []form{
		{`29.97`, &ConstrainDouble{Ideal: cFloat(29.97)}, &ConstrainDouble{Exact: cFloat(29.97)}},
		{`-1`, &ConstrainDouble{Ideal: cFloat(-1)}, &ConstrainDouble{Exact: cFloat(-1)}},
		{`{"min":1.5,"max":60,"exact":30,"ideal":25}`,
			&ConstrainDouble{Min: cFloat(1.5), Max: cFloat(60), Exact: cFloat(30), Ideal: cFloat(25)},
			&ConstrainDouble{Min: cFloat(1.5), Max: cFloat(60), Exact: cFloat(30), Ideal: cFloat(25)}},
	}
	domString := []form{
		{`"user"`, &ConstrainDOMString{Ideal: cStrs("user")}, &ConstrainDOMString{Exact: cStrs("user")}},
		{`["user","environment"]`, &ConstrainDOMString{Ideal: cStrs("user", "environment")}, &ConstrainDOMString{Exact: cStrs("user", "environment")}},
		{`[]`, &ConstrainDOMString{Ideal: cStrs()}, &ConstrainDOMString{Exact: cStrs()}},
		{`{"exact":"a","ideal":["b","c"]}`, &ConstrainDOMString{Exact: cStrs("a"), Ideal: cStrs("b", "c")}, &ConstrainDOMString{Exact: cStrs("a"), Ideal: cStrs("b", "c")}},
		{`{"exact":["a","b"]}`, &ConstrainDOMString{Exact: cStrs("a", "b")}, &ConstrainDOMString{Exact: cStrs("a", "b")}},
		{`{"ideal":"\u00e9"}`, &ConstrainDOMString{Ideal: cStrs("é")}, &ConstrainDOMString{Ideal: cStrs("é")}},
	}
	boolean := []form{
		{`true`, &ConstrainBoolean{Ideal: cBool(true)}, &ConstrainBoolean{Exact: cBool(true)}},
		{`false`, &ConstrainBoolean{Ideal: cBool(false)}, &ConstrainBoolean{Exact: cBool(false)}},
		{`{"exact":false,"ideal":true}`, &ConstrainBoolean{Exact: cBool(false), Ideal: cBool(true)}, &ConstrainBoolean{Exact: cBool(false), Ideal: cBool(true)}},
	}
	formsOf := map[string][]form{}
	for _, n := range []string{"width", "height", "sampleRate", "sampleSize", "channelCount"} {
		formsOf[n] = ulong
	}
	for _, n := range []string{"frameRate", "aspectRatio"} {
		formsOf[n] = double
	}
	for _, n := range []string{"facingMode", "resizeMode", "deviceId", "groupId"} {
		formsOf[n] = domString
	}
	for _, n := range []string{"echoCancellation", "autoGainControl", "noiseSuppression"} {
		formsOf[n] = boolean
	}
	if len(formsOf) != len(constraintFields) {
		t.Fatalf("test covers %d names, the package has %d", len(formsOf), len(constraintFields))
	}
	for _, f := range constraintFields {
		forms, ok := formsOf[f.name]
		if !ok {
			t.Fatalf("no test forms for %q", f.name)
		}
		for _, fm := range forms {
			t.Run(f.name+"="+fm.json, func(t *testing.T) {
				js := `{"` + f.name + `":` + fm.json + `,"advanced":[{"` + f.name + `":` + fm.json + `}]}`
				c := mustParseTrack(t, js)
				if got := f.get(&c.MediaTrackConstraintSet); !reflect.DeepEqual(got, fm.basic) {
					t.Errorf("basic set: got %#v, want %#v", got, fm.basic)
				}
				if got := f.get(&c.Advanced[0]); !reflect.DeepEqual(got, fm.adv) {
					t.Errorf("advanced set: got %#v, want %#v", got, fm.adv)
				}
				// Nothing else is set.
				var other MediaTrackConstraintSet
				if err := f.parse(&other, f.name, []byte(fm.json), false); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(other, c.MediaTrackConstraintSet) {
					t.Errorf("basic set has other members: %#v", c.MediaTrackConstraintSet)
				}
			})
		}
	}
}

func TestParseTrackConstraintsSpecifics(t *testing.T) {
	tests := []struct {
		name string
		json string
		want MediaTrackConstraints
	}{
		{"empty", `{}`, MediaTrackConstraints{}},
		{"unknown names are ignored, as WebIDL dictionaries ignore them",
			`{"zoom": 2, "pan": "x", "Width": "not width: names are case-sensitive", "advanced": [{"advanced": 5, "torch": true}]}`,
			MediaTrackConstraints{Advanced: []MediaTrackConstraintSet{{}}}},
		{"null member is absent", `{"width": null, "facingMode": {"exact": null}, "advanced": null}`,
			MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{FacingMode: &ConstrainDOMString{}}}},
		{"null advanced entry is the empty set", `{"advanced": [null, {"width": 640}]}`,
			MediaTrackConstraints{Advanced: []MediaTrackConstraintSet{{}, {Width: &ConstrainULong{Exact: cInt(640)}}}}},
		{"empty advanced", `{"advanced": []}`, MediaTrackConstraints{Advanced: []MediaTrackConstraintSet{}}},
		{"min greater than max is valid constraints", `{"width": {"min": 1920, "max": 640}}`,
			MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{Width: &ConstrainULong{Min: cInt(1920), Max: cInt(640)}}}},
		{"last duplicate wins", `{"width": 1, "width": 2}`,
			MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{Width: &ConstrainULong{Ideal: cInt(2)}}}},
		{"integral numbers in other spellings", `{"width": 1280.0, "height": -0, "sampleRate": 4.8E4}`,
			MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{
				Width: &ConstrainULong{Ideal: cInt(1280)}, Height: &ConstrainULong{Ideal: cInt(0)}, SampleRate: &ConstrainULong{Ideal: cInt(48000)}}}},
		{"a mixed set", `{"width": {"min": 640, "ideal": 1280}, "frameRate": 30, "deviceId": {"exact": "cam"},
			"advanced": [{"width": 1920, "height": 1080}, {"aspectRatio": {"ideal": 1.5}}]}`,
			MediaTrackConstraints{
				MediaTrackConstraintSet: MediaTrackConstraintSet{
					Width:     &ConstrainULong{Min: cInt(640), Ideal: cInt(1280)},
					FrameRate: &ConstrainDouble{Ideal: cFloat(30)},
					DeviceID:  &ConstrainDOMString{Exact: cStrs("cam")},
				},
				Advanced: []MediaTrackConstraintSet{
					{Width: &ConstrainULong{Exact: cInt(1920)}, Height: &ConstrainULong{Exact: cInt(1080)}},
					{AspectRatio: &ConstrainDouble{Ideal: cFloat(1.5)}},
				}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParseTrack(t, tt.json)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseMediaTrackConstraints:\n got  %#v\n want %#v", *got, tt.want)
			}
			var viaJSON MediaTrackConstraints
			if err := json.Unmarshal([]byte(tt.json), &viaJSON); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(viaJSON, tt.want) {
				t.Errorf("json.Unmarshal:\n got  %#v\n want %#v", viaJSON, tt.want)
			}
		})
	}
}

func TestParseStreamConstraintsKinds(t *testing.T) {
	empty := &MediaTrackConstraints{}
	w := &MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{Width: &ConstrainULong{Ideal: cInt(640)}}}
	tests := []struct {
		json         string
		audio, video *MediaTrackConstraints
	}{
		{`{"audio": true, "video": true}`, empty, empty},
		{`{"audio": false, "video": true}`, nil, empty},
		{`{"audio": null}`, nil, nil},
		{`{}`, nil, nil},
		{`null`, nil, nil},
		{`{"video": {}}`, nil, empty},
		{`{"video": {"width": 640}, "screen": true}`, nil, w},
		{`{"Video": true}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			c, err := ParseMediaStreamConstraints([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Audio, tt.audio) || !reflect.DeepEqual(c.Video, tt.video) {
				t.Errorf("got audio %#v video %#v, want %#v %#v", c.Audio, c.Video, tt.audio, tt.video)
			}
		})
	}
}

// What is not constraints at all is a TypeError naming the field; never a
// panic.
func TestParseTypeErrors(t *testing.T) {
	tests := []struct {
		json string
		want string // the error's message, or its start for malformed JSON
	}{
		{`{"video": {"width": {"min": -5}}}`, `TypeError: video.width.min: must be a non-negative integer, got -5`},
		{`{"video": {"width": -1}}`, `TypeError: video.width: must be a non-negative integer, got -1`},
		{`{"video": {"width": 1280.5}}`, `TypeError: video.width: must be a non-negative integer, got 1280.5`},
		{`{"video": {"width": 4294967296}}`, `TypeError: video.width: must be at most 4294967295, got 4294967296`},
		{`{"video": {"width": 1e400}}`, `TypeError: video.width: must be a finite number, got 1e400`},
		{`{"video": {"width": "1280"}}`, `TypeError: video.width: must be a non-negative integer or an object of min/max/exact/ideal, got "1280"`},
		{`{"video": {"width": [1280]}}`, `TypeError: video.width: must be a non-negative integer or an object of min/max/exact/ideal, got [1280]`},
		{`{"video": {"width": {"ideal": true}}}`, `TypeError: video.width.ideal: must be a non-negative integer, got true`},
		{`{"video": {"height": {"exact": {}}}}`, `TypeError: video.height.exact: must be a non-negative integer, got {}`},
		{`{"audio": {"sampleRate": -48000}}`, `TypeError: audio.sampleRate: must be a non-negative integer, got -48000`},
		{`{"audio": {"channelCount": {"max": 2.5}}}`, `TypeError: audio.channelCount.max: must be a non-negative integer, got 2.5`},
		{`{"video": {"frameRate": "30"}}`, `TypeError: video.frameRate: must be a number or an object of min/max/exact/ideal, got "30"`},
		{`{"video": {"frameRate": {"max": -1e999}}}`, `TypeError: video.frameRate.max: must be a finite number, got -1e999`},
		{`{"video": {"aspectRatio": {"ideal": "wide"}}}`, `TypeError: video.aspectRatio.ideal: must be a number, got "wide"`},
		{`{"video": {"facingMode": 5}}`, `TypeError: video.facingMode: must be a string, an array of strings or an object of exact/ideal, got 5`},
		{`{"video": {"facingMode": ["user", 5]}}`, `TypeError: video.facingMode[1]: must be a string, got 5`},
		{`{"video": {"deviceId": {"exact": [null]}}}`, `TypeError: video.deviceId.exact[0]: must be a string, got null`},
		{`{"video": {"groupId": {"ideal": {}}}}`, `TypeError: video.groupId.ideal: must be a string or an array of strings, got {}`},
		{`{"audio": {"echoCancellation": "yes"}}`, `TypeError: audio.echoCancellation: must be a boolean or an object of exact/ideal, got "yes"`},
		{`{"audio": {"noiseSuppression": {"exact": 1}}}`, `TypeError: audio.noiseSuppression.exact: must be a boolean, got 1`},
		{`{"video": {"advanced": {}}}`, `TypeError: video.advanced: must be an array of constraint sets, got {}`},
		{`{"video": {"advanced": [5]}}`, `TypeError: video.advanced[0]: must be an object, got 5`},
		{`{"video": {"advanced": [[]]}}`, `TypeError: video.advanced[0]: must be an object, got []`},
		{`{"video": {"advanced": [{}, {"width": "x"}]}}`, `TypeError: video.advanced[1].width: must be a non-negative integer or an object of min/max/exact/ideal, got "x"`},
		{`{"video": 5}`, `TypeError: video: must be a boolean or an object of constraints, got 5`},
		{`{"audio": "true"}`, `TypeError: audio: must be a boolean or an object of constraints, got "true"`},
		{`{"audio": []}`, `TypeError: audio: must be a boolean or an object of constraints, got []`},
		{`[]`, `TypeError: must be an object, got []`},
		{`true`, `TypeError: must be an object, got true`},
		{`{"video": {"deviceId": "` + strings.Repeat("x", 60) + `"}, "audio": 7}`, `TypeError: audio: must be a boolean or an object of constraints, got 7`},
		{`{"video": {"width": {"min": "` + strings.Repeat("x", 60) + `"}}}`, `TypeError: video.width.min: must be a non-negative integer, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...`},
		{"{\"video\": {\"width\": {\n  \"min\": \"x" + strings.Repeat("é", 40) + "\"}}}", `TypeError: video.width.min: must be a non-negative integer, got "x` + strings.Repeat("é", 17) + `...`},
		{"{\"video\": {\"advanced\": [{},\n  [ 1,\n  2 ]]}}", `TypeError: video.advanced[1]: must be an object, got [1,2]`},
		// Malformed JSON.
		{``, `TypeError: malformed JSON: `},
		{`{"video": }`, `TypeError: malformed JSON: `},
		{`{"video": tru}`, `TypeError: malformed JSON: `},
		{`{"video": true} {}`, `TypeError: malformed JSON: `},
		{`{"video": {"width": 01}}`, `TypeError: malformed JSON: `},
		{`{"video": {"width": NaN}}`, `TypeError: malformed JSON: `},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			_, err := ParseMediaStreamConstraints([]byte(tt.json))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrTypeError) || ErrorName(err) != "TypeError" {
				t.Errorf("error %v is not a TypeError", err)
			}
			if strings.HasSuffix(tt.want, ": ") {
				if !strings.HasPrefix(err.Error(), tt.want) {
					t.Errorf("error %q, want it to start with %q", err, tt.want)
				}
			} else if err.Error() != tt.want {
				t.Errorf("error\n %q, want\n %q", err, tt.want)
			}
			// json.Unmarshal rejects it too (with its own error for syntax).
			var c MediaStreamConstraints
			if json.Unmarshal([]byte(tt.json), &c) == nil {
				t.Error("json.Unmarshal accepted it")
			}
		})
	}
}

// ParseMediaTrackConstraints names paths from the constraint, without a kind.
func TestParseTrackTypeErrorPath(t *testing.T) {
	_, err := ParseMediaTrackConstraints([]byte(`{"advanced": [{"frameRate": {"min": false}}]}`))
	want := `TypeError: advanced[0].frameRate.min: must be a number, got false`
	if err == nil || err.Error() != want || !errors.Is(err, ErrTypeError) {
		t.Errorf("got %v, want %s", err, want)
	}
	if _, err := ParseMediaTrackConstraints([]byte(`true`)); !errors.Is(err, ErrTypeError) {
		t.Errorf("true as track constraints: got %v, want a TypeError", err)
	}
}

func TestMarshalWebForm(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"audio": true, "video": false}`, `{"audio":true}`},
		{`{"video": {}}`, `{"video":true}`},
		{`{"video": {"advanced": []}}`, `{"video":{"advanced":[]}}`},
		{`{"video": {"width": {"ideal": 1280}, "height": 720, "frameRate": {"min": 30, "ideal": 60}}}`,
			`{"video":{"width":1280,"height":720,"frameRate":{"min":30,"ideal":60}}}`},
		{`{"video": {"deviceId": {"exact": "cam 1"}, "facingMode": ["user", "environment"], "resizeMode": {"ideal": []}}}`,
			`{"video":{"facingMode":["user","environment"],"resizeMode":[],"deviceId":{"exact":"cam 1"}}}`},
		{`{"video": {"advanced": [{"width": {"exact": 1920}}, {"height": {"ideal": 480}}, {"facingMode": {"exact": ["a"]}}, null]}}`,
			`{"video":{"advanced":[{"width":1920},{"height":{"ideal":480}},{"facingMode":"a"},{}]}}`},
		{`{"audio": {"echoCancellation": {"exact": false}, "autoGainControl": true, "sampleRate": 48000, "channelCount": {"max": 2}}}`,
			`{"audio":{"sampleRate":48000,"channelCount":{"max":2},"echoCancellation":{"exact":false},"autoGainControl":true}}`},
		{`{"video": {"aspectRatio": 1.7777777777777777, "frameRate": {"exact": 1e21}}}`,
			`{"video":{"frameRate":{"exact":1e+21},"aspectRatio":1.7777777777777777}}`},
		{`{"video": {"groupId": "\"quoted\" <tag>"}}`, `{"video":{"groupId":"\"quoted\" \u003ctag\u003e"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseMediaStreamConstraints([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("Marshal:\n got  %s\n want %s", b, tt.want)
			}
			assertRoundTrip(t, c)
		})
	}
}

// assertRoundTrip checks that unmarshalling the marshalled c gives c back.
func assertRoundTrip(t *testing.T, c MediaStreamConstraints) {
	t.Helper()
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
}

// Constraints built in Go round-trip too, whichever form they need.
func TestRoundTripBuiltInGo(t *testing.T) {
	sets := []MediaTrackConstraintSet{
		{},
		{Width: &ConstrainULong{}},
		{Width: &ConstrainULong{Ideal: cInt(0)}, Height: &ConstrainULong{Exact: cInt(0)}},
		{Width: &ConstrainULong{Exact: cInt(1920), Ideal: cInt(1280)}},
		{FrameRate: &ConstrainDouble{Ideal: cFloat(29.97)}, AspectRatio: &ConstrainDouble{Exact: cFloat(4.0 / 3)}},
		{FrameRate: &ConstrainDouble{Min: cFloat(-0.5), Max: cFloat(1e-300)}},
		{FacingMode: &ConstrainDOMString{Exact: cStrs()}, DeviceID: &ConstrainDOMString{Ideal: cStrs()}},
		{FacingMode: &ConstrainDOMString{Exact: cStrs("")}, GroupID: &ConstrainDOMString{Ideal: cStrs("a", "b")}},
		{ResizeMode: &ConstrainDOMString{Exact: cStrs("none"), Ideal: cStrs("crop-and-scale")}},
		{EchoCancellation: &ConstrainBoolean{}, AutoGainControl: &ConstrainBoolean{Exact: cBool(true)}, NoiseSuppression: &ConstrainBoolean{Ideal: cBool(false)}},
		{SampleRate: &ConstrainULong{Min: cInt(8000), Max: cInt(4294967295)}, SampleSize: &ConstrainULong{Ideal: cInt(16)}, ChannelCount: &ConstrainULong{Exact: cInt(2)}},
	}
	for i, s := range sets {
		for _, adv := range [][]MediaTrackConstraintSet{nil, {}, {s}, {s, {}, s}} {
			c := MediaStreamConstraints{Video: &MediaTrackConstraints{MediaTrackConstraintSet: s, Advanced: adv}}
			if i%2 == 0 {
				c.Audio = &MediaTrackConstraints{}
			}
			assertRoundTrip(t, c)
		}
	}
	// Each Constrain type on its own, through encoding/json.
	for _, v := range []any{
		&ConstrainULong{Exact: cInt(5)}, &ConstrainULong{Ideal: cInt(5)}, &ConstrainULong{},
		&ConstrainDouble{Min: cFloat(0.5), Ideal: cFloat(2)},
		&ConstrainDOMString{Exact: cStrs()}, &ConstrainDOMString{Ideal: cStrs("x")}, &ConstrainDOMString{Exact: cStrs("a", "b"), Ideal: cStrs("c")},
		&ConstrainBoolean{Exact: cBool(false)}, &ConstrainBoolean{Ideal: cBool(true)},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(back, v) {
			t.Errorf("%T round trip through %s: got %#v", v, b, back)
		}
	}
}

// On its own, a Constrain type reads a bare value as ideal, as outside
// advanced.
func TestConstrainTypesBareIsIdeal(t *testing.T) {
	var u ConstrainULong
	var d ConstrainDouble
	var s ConstrainDOMString
	var b ConstrainBoolean
	for _, x := range []struct {
		js string
		v  any
	}{{`5`, &u}, {`2.5`, &d}, {`["a"]`, &s}, {`true`, &b}} {
		if err := json.Unmarshal([]byte(x.js), x.v); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(u, ConstrainULong{Ideal: cInt(5)}) || !reflect.DeepEqual(d, ConstrainDouble{Ideal: cFloat(2.5)}) ||
		!reflect.DeepEqual(s, ConstrainDOMString{Ideal: cStrs("a")}) || !reflect.DeepEqual(b, ConstrainBoolean{Ideal: cBool(true)}) {
		t.Errorf("got %#v %#v %#v %#v", u, d, s, b)
	}
	err := json.Unmarshal([]byte(`{"min": -1}`), &u)
	if !errors.Is(err, ErrTypeError) || !strings.Contains(err.Error(), "min: must be a non-negative integer, got -1") {
		t.Errorf("got %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		c    MediaStreamConstraints
		want string
	}{
		{"nil kinds", MediaStreamConstraints{}, ""},
		{"valid", MediaStreamConstraints{Video: &MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{
			Width: &ConstrainULong{Min: cInt(1920), Max: cInt(640)}}}}, ""},
		{"negative", MediaStreamConstraints{Video: &MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{
			Width: &ConstrainULong{Min: cInt(-5)}}}},
			"TypeError: video.width.min: must be an integer in 0..4294967295, got -5"},
		{"too large", MediaStreamConstraints{Audio: &MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{
			SampleRate: &ConstrainULong{Ideal: cInt(1 << 40)}}}},
			"TypeError: audio.sampleRate.ideal: must be an integer in 0..4294967295, got 1099511627776"},
		{"NaN in advanced", MediaStreamConstraints{Video: &MediaTrackConstraints{Advanced: []MediaTrackConstraintSet{
			{}, {FrameRate: &ConstrainDouble{Exact: cFloat(math.NaN())}}}}},
			"TypeError: video.advanced[1].frameRate.exact: must be a finite number, got NaN"},
		{"Inf", MediaStreamConstraints{Video: &MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{
			AspectRatio: &ConstrainDouble{Max: cFloat(math.Inf(1))}}}},
			"TypeError: video.aspectRatio.max: must be a finite number, got +Inf"},
		{"invalid UTF-8", MediaStreamConstraints{Video: &MediaTrackConstraints{MediaTrackConstraintSet: MediaTrackConstraintSet{
			DeviceID: &ConstrainDOMString{Exact: cStrs("ok", "\xff")}}}},
			`TypeError: video.deviceId.exact[1]: must be valid UTF-8, got "\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				assertRoundTrip(t, tt.c)
				return
			}
			if err == nil || err.Error() != tt.want || !errors.Is(err, ErrTypeError) {
				t.Fatalf("Validate: got %v, want %s", err, tt.want)
			}
			// Marshal refuses what would not parse back.
			if _, err := json.Marshal(tt.c); !errors.Is(err, ErrTypeError) {
				t.Errorf("Marshal: got %v, want a TypeError", err)
			}
			// The track's own Validate names the path from the constraint.
			tc := tt.c.Video
			if tc == nil {
				tc = tt.c.Audio
			}
			want := strings.NewReplacer("TypeError: video.", "TypeError: ", "TypeError: audio.", "TypeError: ").Replace(tt.want)
			if err := tc.Validate(); err == nil || err.Error() != want {
				t.Errorf("MediaTrackConstraints.Validate: got %v, want %s", err, want)
			}
		})
	}
	var nilc *MediaTrackConstraints
	if err := nilc.Validate(); err != nil {
		t.Errorf("nil constraints: %v", err)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		kind, json, want string
	}{
		{"video", `{}`, "any"},
		{"video", `{"width": 1920, "height": {"exact": 1080}, "frameRate": 60}`, "1920×1080 @ 60"},
		{"video", `{"width": {"min": 640, "max": 1920}, "frameRate": {"max": 29.97}}`, "width 640–1920 @ ≤29.97"},
		{"video", `{"height": {"min": 720}, "facingMode": "user", "resizeMode": {"exact": "none"}}`, "height ≥720, user, resize none"},
		{"video", `{"aspectRatio": 1.7777777777777777, "sampleRate": 48000}`, "aspect 1.778"},
		{"video", `{"deviceId": {"exact": "cam1"}, "advanced": [{"width": 640}, {}]}`, "device cam1 (+2 advanced)"},
		{"video", `{"advanced": [{"width": 640}]}`, "any (+1 advanced)"},
		{"audio", `{"sampleRate": 48000, "channelCount": {"exact": 2}, "sampleSize": 16, "echoCancellation": false, "autoGainControl": {"exact": true}, "noiseSuppression": {"ideal": true}, "width": 5}`,
			"48000 Hz, 2 ch, 16-bit, echo cancellation off, auto gain on, noise suppression on"},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			if got := mustParseTrack(t, tt.json).Summary(tt.kind); got != tt.want {
				t.Errorf("Summary(%q) = %q, want %q", tt.kind, got, tt.want)
			}
		})
	}
	var nilc *MediaTrackConstraints
	if got := nilc.Summary("video"); got != "any" {
		t.Errorf("nil Summary = %q", got)
	}
}
