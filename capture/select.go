package capture

// Choosing settings under constraints: the spec's fitness distance and
// SelectSettings (https://w3c.github.io/mediacapture-main/#dfn-fitness-distance,
// https://w3c.github.io/mediacapture-main/#dfn-selectsettings), over a
// finite list of candidate settings (a device's modes).

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// doubleEpsilon absorbs floating-point rounding when a real setting is
// compared with min, max or exact (a frame rate or ratio computed two ways).
const doubleEpsilon = 1e-6

// SelectSettings implements the spec's SelectSettings over candidates, the
// settings a device can deliver, for a track of kind "audio" or "video". It
// returns the index of the chosen candidate:
//
//  0. Constraints on properties of the other kind (width for audio,
//     sampleRate or the booleans for video) are removed, as the spec's
//     getUserMedia and applyConstraints remove properties not defined for
//     the track's kind: they neither exclude nor weigh.
//  1. Candidates that fail a required constraint (min, max, exact) of the
//     basic set are excluded. A setting that does not exist fails every
//     required constraint on it: a zero value in MediaTrackSettings means
//     the setting does not exist.
//  2. Each advanced set, in order, keeps the remaining candidates that
//     satisfy it (its bare values are exact); a set that none satisfies is
//     skipped, never an error.
//  3. The remaining candidate with the smallest FitnessDistance to the basic
//     set wins; on a tie, the earliest, so callers list candidates in order
//     of preference.
//
// c may be nil (no constraints). When step 1 leaves nothing, the error is an
// *OverconstrainedError (errors.Is(err, ErrOverconstrained)) whose
// Constraint is, as the spec asks, a required constraint that no candidate
// satisfies: first one that nothing could satisfy (a min greater than its
// max, an exact outside [min, max]), then the
// first in field order — width, height, frameRate, aspectRatio,
// facingMode, resizeMode, deviceId, groupId, sampleRate, sampleSize,
// channelCount, echoCancellation, autoGainControl, noiseSuppression. When
// each required constraint is met by some candidate but never all by one,
// Constraint is "" (the spec's answer) and Message lists them.
//
// Invalid c (see Validate) or another kind is a TypeError; no candidates at
// all is a NotFoundError.
func SelectSettings(kind string, c *MediaTrackConstraints, candidates []MediaTrackSettings) (int, error) {
	if kind != TrackKindAudio && kind != TrackKindVideo {
		return -1, NewError(ErrTypeError, nil, "kind must be %q or %q, got %q", TrackKindAudio, TrackKindVideo, kind)
	}
	if err := c.Validate(); err != nil {
		return -1, err
	}
	if len(candidates) == 0 {
		return -1, NewError(ErrNotFound, nil, "no %s settings to choose from", kind)
	}
	if c == nil {
		return 0, nil
	}
	// dist[i] is candidate i's distance to the basic set; +Inf once it is
	// excluded, by the basic set or by an advanced set. Both buffers stay
	// on the stack for up to 64 candidates.
	var distBuf [64]float64
	var passBuf [64]bool
	dist, pass := distBuf[:0], passBuf[:0]
	if len(candidates) > len(distBuf) {
		dist, pass = make([]float64, 0, len(candidates)), make([]bool, 0, len(candidates))
	}
	basic := compileSet(kind, &c.MediaTrackConstraintSet)
	left := 0
	for i := range candidates {
		d := basic.distance(&candidates[i])
		dist = append(dist, d)
		if !math.IsInf(d, 1) {
			left++
		}
	}
	if left == 0 {
		return -1, overconstrained(kind, &c.MediaTrackConstraintSet, candidates)
	}
	pass = pass[:len(candidates)]
	for a := range c.Advanced {
		set := compileSet(kind, &c.Advanced[a])
		keep := 0
		for i := range candidates {
			pass[i] = !math.IsInf(dist[i], 1) && set.unsatisfied(&candidates[i]) == ""
			if pass[i] {
				keep++
			}
		}
		if keep == 0 {
			continue // the spec: an unsatisfiable advanced set is ignored
		}
		for i := range candidates {
			if !pass[i] {
				dist[i] = math.Inf(1)
			}
		}
	}
	best := -1
	for i, d := range dist {
		if !math.IsInf(d, 1) && (best < 0 || d < dist[best]) {
			best = i
		}
	}
	return best, nil
}

// FitnessDistance is the spec's fitness distance between settings s of a
// track of kind ("audio" or "video") and the constraint set: the sum over
// its constraints of 0 for a perfect fit up to 1 for each miss, or +Inf
// when s fails a required constraint (see SelectSettings for which settings
// exist). Per constraint, after the required part is met:
//   - a constraint on the other kind's setting, or without ideal, adds 0;
//   - a setting that does not exist adds 1;
//   - a number adds |actual-ideal| / max(|actual|, |ideal|);
//   - a string adds 0 when ideal lists it, else 1; a boolean 0 or 1.
//
// Values are taken as they are, without checking them (see Validate). A
// nil set is at distance 0.
func FitnessDistance(kind string, set *MediaTrackConstraintSet, s MediaTrackSettings) float64 {
	cs := compileSet(kind, set)
	return cs.distance(&s)
}

// Unsatisfied returns the name of the first required constraint of set
// (in the field order given at SelectSettings) that settings s of a track of
// kind fail, or "" when s satisfies them all. A nil set is satisfied by
// anything.
func (set *MediaTrackConstraintSet) Unsatisfied(kind string, s MediaTrackSettings) string {
	cs := compileSet(kind, set)
	return cs.unsatisfied(&s)
}

// activeConstraint is one non-empty constraint of a set, with what does not
// depend on the candidate worked out once.
type activeConstraint struct {
	f        *constraintField
	c        constraint
	applies  bool // to the track's kind
	required bool
}

// compiledSet is a set's non-empty constraints, in field order, so that
// each candidate is checked against only those.
type compiledSet struct {
	n int
	a [len(constraintFields)]activeConstraint
}

func compileSet(kind string, set *MediaTrackConstraintSet) (cs compiledSet) {
	if set == nil {
		return cs
	}
	for i := range constraintFields {
		f := &constraintFields[i]
		c := f.get(set)
		if c == nil || c.empty() {
			continue // the spec: an empty constraint is no constraint
		}
		if !f.appliesTo(kind) {
			// The spec's getUserMedia and applyConstraints remove the
			// properties not defined for the track's kind.
			continue
		}
		cs.a[cs.n] = activeConstraint{f: f, c: c, applies: f.appliesTo(kind), required: c.required()}
		cs.n++
	}
	return cs
}

// value is s's setting for a, which does not exist when a's property is of
// the other kind.
func (a *activeConstraint) value(s *MediaTrackSettings) settingValue {
	v := a.f.value(s)
	v.exists = v.exists && a.applies
	return v
}

func (a *activeConstraint) fails(s *MediaTrackSettings) bool {
	if !a.required {
		return false
	}
	v := a.value(s)
	return !v.exists || !a.c.satisfiedBy(v)
}

func (cs *compiledSet) distance(s *MediaTrackSettings) float64 {
	sum := 0.0
	for i := range cs.n {
		a := &cs.a[i]
		v := a.value(s)
		if a.required && (!v.exists || !a.c.satisfiedBy(v)) {
			return math.Inf(1)
		}
		if !a.applies {
			continue
		}
		d, hasIdeal := a.c.idealDistance(v)
		switch {
		case !hasIdeal:
		case !v.exists:
			sum++
		default:
			sum += d
		}
	}
	return sum
}

func (cs *compiledSet) unsatisfied(s *MediaTrackSettings) string {
	for i := range cs.n {
		if a := &cs.a[i]; a.fails(s) {
			return a.f.name
		}
	}
	return ""
}

// overconstrained builds the error for a basic set that no candidate
// satisfies.
func overconstrained(kind string, set *MediaTrackConstraintSet, candidates []MediaTrackSettings) error {
	cs := compileSet(kind, set)
	// First a constraint that no settings at all could satisfy: it is the
	// author's mistake whatever the device.
	for i := range cs.n {
		a := &cs.a[i]
		switch {
		case !a.required:
		case a.c.contradiction() != "":
			return &OverconstrainedError{Constraint: a.f.name, Message: a.c.contradiction() + ": no settings can satisfy it"}
		}
	}
	// Then one that none of these candidates satisfies.
	var required []string
	for i := range cs.n {
		a := &cs.a[i]
		if !a.required {
			continue
		}
		required = append(required, a.f.name+" "+a.c.requirement())
		failsAll := true
		for j := range candidates {
			if !a.fails(&candidates[j]) {
				failsAll = false
				break
			}
		}
		if failsAll {
			return &OverconstrainedError{Constraint: a.f.name,
				Message: fmt.Sprintf("no settings have %s %s (%s)", a.f.name, a.c.requirement(), a.f.available(candidates))}
		}
	}
	return &OverconstrainedError{Constraint: "",
		Message: "no single settings satisfy these required constraints together: " + strings.Join(required, "; ")}
}

// ---- the constraints, one entry per constrainable property ----

// setting is the value of one property in a MediaTrackSettings.
type settingValue struct {
	num    float64
	str    string
	b      bool
	exists bool
}

// constraint is what selection needs of a Constrain* value.
type constraint interface {
	// check returns the member that is invalid ("min", "exact[1]", or ""
	// for the whole) and why, or msg "" when the value is valid.
	check() (member, msg string)
	write(b *bytes.Buffer, mode bare)
	// empty: no member at all, or only empty lists: no constraint.
	empty() bool
	// required: has min, max or exact.
	required() bool
	// satisfiedBy: v, which exists, meets min, max and exact.
	satisfiedBy(v settingValue) bool
	// idealDistance: the distance of an existing v to ideal, and whether
	// there is an ideal.
	idealDistance(v settingValue) (float64, bool)
	// contradiction describes why no value can satisfy the constraint, or
	// is "".
	contradiction() string
	// requirement describes the required part: "min 640, max 1920".
	requirement() string
}

// constraintField describes one constrainable property.
type constraintField struct {
	name  string // as in JSON
	kind  string // TrackKindAudio, TrackKindVideo, or "" for both
	get   func(*MediaTrackConstraintSet) constraint
	parse func(s *MediaTrackConstraintSet, path string, raw []byte, bareExact bool) error
	value func(*MediaTrackSettings) settingValue
}

func (f *constraintField) appliesTo(kind string) bool { return f.kind == "" || f.kind == kind }

// available describes the values of f among candidates, for messages.
func (f *constraintField) available(candidates []MediaTrackSettings) string {
	var nums []float64
	var strs []string
	for i := range candidates {
		v := f.value(&candidates[i])
		if !v.exists {
			continue
		}
		switch {
		case f.isString():
			if !slices.Contains(strs, v.str) {
				strs = append(strs, v.str)
			}
		case f.isBool():
			if s := strconv.FormatBool(v.b); !slices.Contains(strs, s) {
				strs = append(strs, s)
			}
		default:
			nums = append(nums, v.num)
		}
	}
	switch {
	case len(nums) > 0:
		lo, hi := slices.Min(nums), slices.Max(nums)
		if lo == hi {
			return "available: " + formatNum(lo)
		}
		return "available: " + formatNum(lo) + "–" + formatNum(hi)
	case len(strs) > 0:
		if len(strs) > 4 {
			strs = append(strs[:4], "...")
		}
		if f.isString() {
			for i, s := range strs[:min(len(strs), 4)] {
				strs[i] = strconv.Quote(s)
			}
		}
		return "available: " + strings.Join(strs, ", ")
	}
	return "the device does not report " + f.name
}

func (f *constraintField) isString() bool {
	switch f.name {
	case "facingMode", "resizeMode", "deviceId", "groupId":
		return true
	}
	return false
}

func (f *constraintField) isBool() bool {
	switch f.name {
	case "echoCancellation", "autoGainControl", "noiseSuppression":
		return true
	}
	return false
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func numSetting[T int | float64](v T) settingValue {
	return settingValue{num: float64(v), exists: v != 0}
}
func strSetting(v string) settingValue { return settingValue{str: v, exists: v != ""} }
func boolSetting(v bool) settingValue  { return settingValue{b: v, exists: true} } // exists for audio; kind decides

func ulongField(name, kind string, p func(*MediaTrackConstraintSet) **ConstrainULong, value func(*MediaTrackSettings) settingValue) constraintField {
	return constraintField{name: name, kind: kind, value: value,
		get: func(s *MediaTrackConstraintSet) constraint {
			if c := *p(s); c != nil {
				return c
			}
			return nil
		},
		parse: func(s *MediaTrackConstraintSet, path string, raw []byte, bareExact bool) (err error) {
			*p(s), err = parseULong(path, raw, bareExact)
			return err
		}}
}

func doubleField(name, kind string, p func(*MediaTrackConstraintSet) **ConstrainDouble, value func(*MediaTrackSettings) settingValue) constraintField {
	return constraintField{name: name, kind: kind, value: value,
		get: func(s *MediaTrackConstraintSet) constraint {
			if c := *p(s); c != nil {
				return c
			}
			return nil
		},
		parse: func(s *MediaTrackConstraintSet, path string, raw []byte, bareExact bool) (err error) {
			*p(s), err = parseDouble(path, raw, bareExact)
			return err
		}}
}

func stringField(name, kind string, p func(*MediaTrackConstraintSet) **ConstrainDOMString, value func(*MediaTrackSettings) settingValue) constraintField {
	return constraintField{name: name, kind: kind, value: value,
		get: func(s *MediaTrackConstraintSet) constraint {
			if c := *p(s); c != nil {
				return c
			}
			return nil
		},
		parse: func(s *MediaTrackConstraintSet, path string, raw []byte, bareExact bool) (err error) {
			*p(s), err = parseDOMString(path, raw, bareExact)
			return err
		}}
}

func boolField(name string, p func(*MediaTrackConstraintSet) **ConstrainBoolean, value func(*MediaTrackSettings) settingValue) constraintField {
	return constraintField{name: name, kind: TrackKindAudio, value: value,
		get: func(s *MediaTrackConstraintSet) constraint {
			if c := *p(s); c != nil {
				return c
			}
			return nil
		},
		parse: func(s *MediaTrackConstraintSet, path string, raw []byte, bareExact bool) (err error) {
			*p(s), err = parseBoolean(path, raw, bareExact)
			return err
		}}
}

// aspectRatio is the setting, or width/height when a mode leaves it out.
func aspectRatio(s *MediaTrackSettings) settingValue {
	if s.AspectRatio == 0 && s.Width > 0 && s.Height > 0 {
		return numSetting(float64(s.Width) / float64(s.Height))
	}
	return numSetting(s.AspectRatio)
}

// constraintFields lists the constrainable properties in the order used for
// parsing, writing, and choosing which constraint an error names.
var constraintFields = [...]constraintField{
	ulongField("width", TrackKindVideo,
		func(s *MediaTrackConstraintSet) **ConstrainULong { return &s.Width },
		func(s *MediaTrackSettings) settingValue { return numSetting(s.Width) }),
	ulongField("height", TrackKindVideo,
		func(s *MediaTrackConstraintSet) **ConstrainULong { return &s.Height },
		func(s *MediaTrackSettings) settingValue { return numSetting(s.Height) }),
	doubleField("frameRate", TrackKindVideo,
		func(s *MediaTrackConstraintSet) **ConstrainDouble { return &s.FrameRate },
		func(s *MediaTrackSettings) settingValue { return numSetting(s.FrameRate) }),
	doubleField("aspectRatio", TrackKindVideo,
		func(s *MediaTrackConstraintSet) **ConstrainDouble { return &s.AspectRatio },
		aspectRatio),
	stringField("facingMode", TrackKindVideo,
		func(s *MediaTrackConstraintSet) **ConstrainDOMString { return &s.FacingMode },
		func(s *MediaTrackSettings) settingValue { return strSetting(s.FacingMode) }),
	stringField("resizeMode", TrackKindVideo,
		func(s *MediaTrackConstraintSet) **ConstrainDOMString { return &s.ResizeMode },
		func(s *MediaTrackSettings) settingValue { return strSetting(s.ResizeMode) }),
	stringField("deviceId", "",
		func(s *MediaTrackConstraintSet) **ConstrainDOMString { return &s.DeviceID },
		func(s *MediaTrackSettings) settingValue { return strSetting(s.DeviceID) }),
	stringField("groupId", "",
		func(s *MediaTrackConstraintSet) **ConstrainDOMString { return &s.GroupID },
		func(s *MediaTrackSettings) settingValue { return strSetting(s.GroupID) }),
	ulongField("sampleRate", TrackKindAudio,
		func(s *MediaTrackConstraintSet) **ConstrainULong { return &s.SampleRate },
		func(s *MediaTrackSettings) settingValue { return numSetting(s.SampleRate) }),
	ulongField("sampleSize", TrackKindAudio,
		func(s *MediaTrackConstraintSet) **ConstrainULong { return &s.SampleSize },
		func(s *MediaTrackSettings) settingValue { return numSetting(s.SampleSize) }),
	ulongField("channelCount", TrackKindAudio,
		func(s *MediaTrackConstraintSet) **ConstrainULong { return &s.ChannelCount },
		func(s *MediaTrackSettings) settingValue { return numSetting(s.ChannelCount) }),
	boolField("echoCancellation",
		func(s *MediaTrackConstraintSet) **ConstrainBoolean { return &s.EchoCancellation },
		func(s *MediaTrackSettings) settingValue { return boolSetting(s.EchoCancellation) }),
	boolField("autoGainControl",
		func(s *MediaTrackConstraintSet) **ConstrainBoolean { return &s.AutoGainControl },
		func(s *MediaTrackSettings) settingValue { return boolSetting(s.AutoGainControl) }),
	boolField("noiseSuppression",
		func(s *MediaTrackConstraintSet) **ConstrainBoolean { return &s.NoiseSuppression },
		func(s *MediaTrackSettings) settingValue { return boolSetting(s.NoiseSuppression) }),
}

// ---- numeric constraints ----

func numEmpty[T any](min, max, exact, ideal *T) bool {
	return min == nil && max == nil && exact == nil && ideal == nil
}

func numSatisfied(min, max, exact *float64, v, eps float64) bool {
	return (min == nil || v >= *min-eps) && (max == nil || v <= *max+eps) &&
		(exact == nil || math.Abs(v-*exact) <= eps)
}

// numDistance is the spec's (actual == ideal) ? 0 : |actual - ideal| /
// max(|actual|, |ideal|).
func numDistance(actual, ideal float64) float64 {
	if actual == ideal {
		return 0
	}
	return math.Abs(actual-ideal) / math.Max(math.Abs(actual), math.Abs(ideal))
}

func numContradiction[T int | float64](min, max, exact *T) string {
	switch {
	case min != nil && max != nil && *min > *max:
		return fmt.Sprintf("min %v is greater than max %v", *min, *max)
	case exact != nil && min != nil && *exact < *min:
		return fmt.Sprintf("exact %v is less than min %v", *exact, *min)
	case exact != nil && max != nil && *exact > *max:
		return fmt.Sprintf("exact %v is greater than max %v", *exact, *max)
	}
	return ""
}

func numRequirement[T int | float64](min, max, exact *T) string {
	var parts []string
	if min != nil {
		parts = append(parts, fmt.Sprintf("min %v", *min))
	}
	if max != nil {
		parts = append(parts, fmt.Sprintf("max %v", *max))
	}
	if exact != nil {
		parts = append(parts, fmt.Sprintf("exact %v", *exact))
	}
	return strings.Join(parts, ", ")
}

func (c *ConstrainULong) empty() bool    { return numEmpty(c.Min, c.Max, c.Exact, c.Ideal) }
func (c *ConstrainULong) required() bool { return c.Min != nil || c.Max != nil || c.Exact != nil }

func (c *ConstrainULong) satisfiedBy(v settingValue) bool {
	// Compared as integers: no epsilon, no allocation.
	return (c.Min == nil || v.num >= float64(*c.Min)) && (c.Max == nil || v.num <= float64(*c.Max)) &&
		(c.Exact == nil || v.num == float64(*c.Exact))
}

func (c *ConstrainULong) idealDistance(v settingValue) (float64, bool) {
	if c.Ideal == nil {
		return 0, false
	}
	return numDistance(v.num, float64(*c.Ideal)), true
}

func (c *ConstrainULong) contradiction() string { return numContradiction(c.Min, c.Max, c.Exact) }
func (c *ConstrainULong) requirement() string   { return numRequirement(c.Min, c.Max, c.Exact) }

func (c *ConstrainDouble) empty() bool    { return numEmpty(c.Min, c.Max, c.Exact, c.Ideal) }
func (c *ConstrainDouble) required() bool { return c.Min != nil || c.Max != nil || c.Exact != nil }

func (c *ConstrainDouble) satisfiedBy(v settingValue) bool {
	return numSatisfied(c.Min, c.Max, c.Exact, v.num, doubleEpsilon)
}

func (c *ConstrainDouble) idealDistance(v settingValue) (float64, bool) {
	if c.Ideal == nil {
		return 0, false
	}
	return numDistance(v.num, *c.Ideal), true
}

func (c *ConstrainDouble) contradiction() string {
	// Within the epsilon, min = max is satisfiable.
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max+doubleEpsilon ||
		c.Exact != nil && c.Min != nil && *c.Exact < *c.Min-doubleEpsilon ||
		c.Exact != nil && c.Max != nil && *c.Exact > *c.Max+doubleEpsilon {
		return numContradiction(c.Min, c.Max, c.Exact)
	}
	return ""
}

func (c *ConstrainDouble) requirement() string { return numRequirement(c.Min, c.Max, c.Exact) }

// ---- string constraints ----

func (c *ConstrainDOMString) empty() bool    { return len(c.Exact) == 0 && len(c.Ideal) == 0 }
func (c *ConstrainDOMString) required() bool { return len(c.Exact) > 0 }

// satisfiedBy: the spec's "==" for strings is "one of the values".
func (c *ConstrainDOMString) satisfiedBy(v settingValue) bool {
	return len(c.Exact) == 0 || slices.Contains(c.Exact, v.str)
}

func (c *ConstrainDOMString) idealDistance(v settingValue) (float64, bool) {
	if len(c.Ideal) == 0 {
		return 0, false
	}
	if slices.Contains(c.Ideal, v.str) {
		return 0, true
	}
	return 1, true
}

func (c *ConstrainDOMString) contradiction() string { return "" }

func (c *ConstrainDOMString) requirement() string {
	q := make([]string, len(c.Exact))
	for i, s := range c.Exact {
		q[i] = strconv.Quote(s)
	}
	if len(q) == 1 {
		return "exact " + q[0]
	}
	return "exact one of " + strings.Join(q, ", ")
}

// ---- boolean constraints ----

func (c *ConstrainBoolean) empty() bool    { return c.Exact == nil && c.Ideal == nil }
func (c *ConstrainBoolean) required() bool { return c.Exact != nil }

func (c *ConstrainBoolean) satisfiedBy(v settingValue) bool { return c.Exact == nil || *c.Exact == v.b }

func (c *ConstrainBoolean) idealDistance(v settingValue) (float64, bool) {
	if c.Ideal == nil {
		return 0, false
	}
	if *c.Ideal == v.b {
		return 0, true
	}
	return 1, true
}

func (c *ConstrainBoolean) contradiction() string { return "" }

func (c *ConstrainBoolean) requirement() string {
	if c.Exact == nil {
		return ""
	}
	return "exact " + strconv.FormatBool(*c.Exact)
}
