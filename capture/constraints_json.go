package capture

// The JSON form of constraints: what a web developer passes to getUserMedia
// and applyConstraints, parsed as WebIDL would convert it.
//
// Rules (https://w3c.github.io/mediacapture-main/#constrainable-interface):
//   - Members are matched case-sensitively; unknown names are ignored, as a
//     WebIDL dictionary ignores them. A null member is the same as an absent
//     one.
//   - Outside "advanced" a bare value means ideal; inside it, exact.
//   - A ConstrainDOMString is a string or an array of strings, bare or as
//     exact/ideal.
//   - What is not constraints at all — a wrong JSON type for a known name, a
//     negative, fractional or too large value for an unsigned long, an
//     advanced entry that is not an object, malformed JSON — is a TypeError
//     naming the field ("video.width.min: ..."). A min greater than its max
//     is not: it is valid constraints that no settings satisfy, reported as
//     an OverconstrainedError by SelectSettings.
//
// Marshalling gives the web form back and round-trips exactly:
// unmarshalling what MarshalJSON wrote is reflect.DeepEqual to the value
// marshalled. Where bare and object forms mean the same, the bare one is
// written: ideal-only constraints in the basic set, exact-only constraints in
// an advanced set.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxULong is the largest WebIDL unsigned long.
const maxULong = math.MaxUint32

// ParseMediaStreamConstraints parses getUserMedia's argument as JSON. Every
// error, malformed JSON included, wraps ErrTypeError. Whether any kind is
// requested at all is for the caller to check.
func ParseMediaStreamConstraints(data []byte) (MediaStreamConstraints, error) {
	var c MediaStreamConstraints
	if err := checkJSON(data); err != nil {
		return c, err
	}
	err := c.UnmarshalJSON(data)
	return c, err
}

// ParseMediaTrackConstraints parses applyConstraints' argument (one kind's
// constraints) as JSON. Every error, malformed JSON included, wraps
// ErrTypeError.
func ParseMediaTrackConstraints(data []byte) (MediaTrackConstraints, error) {
	var c MediaTrackConstraints
	if err := checkJSON(data); err != nil {
		return c, err
	}
	err := c.UnmarshalJSON(data)
	return c, err
}

// checkJSON turns what json.Unmarshal would reject before calling an
// Unmarshaler (syntax errors, trailing data) into a TypeError.
func checkJSON(data []byte) error {
	var v json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		return NewError(ErrTypeError, err, "malformed JSON")
	}
	return nil
}

// UnmarshalJSON implements json.Unmarshaler: for each kind, true is empty
// constraints, false, null or absent is nil (not requested), an object is
// that kind's constraints.
func (c *MediaStreamConstraints) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil // encoding/json's convention: null leaves the value alone
	}
	obj, err := parseObject("", data)
	if err != nil {
		return err
	}
	var out MediaStreamConstraints
	for _, k := range [...]struct {
		name string
		dst  **MediaTrackConstraints
	}{{"audio", &out.Audio}, {"video", &out.Video}} {
		raw, ok := obj[k.name]
		if !ok {
			continue
		}
		switch jsonType(raw) {
		case 'n', 'f':
			// not requested
		case 't':
			*k.dst = &MediaTrackConstraints{}
		case '{':
			tc, err := parseTrackConstraints(k.name, raw)
			if err != nil {
				return err
			}
			*k.dst = &tc
		default:
			return typeError(k.name, "must be a boolean or an object of constraints", raw)
		}
	}
	*c = out
	return nil
}

// MarshalJSON implements json.Marshaler: a requested kind with no
// constraints is written as true, one not requested is left out.
func (c MediaStreamConstraints) MarshalJSON() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, k := range [...]struct {
		name string
		tc   *MediaTrackConstraints
	}{{"audio", c.Audio}, {"video", c.Video}} {
		if k.tc == nil {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + k.name + `":`)
		if k.tc.isEmpty() {
			b.WriteString("true")
		} else {
			k.tc.write(&b)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Validate checks constraints built in Go as parsing checks JSON: every
// error wraps ErrTypeError and names the field ("video.width.min").
func (c MediaStreamConstraints) Validate() error {
	if err := c.Audio.validate("audio"); err != nil {
		return err
	}
	return c.Video.validate("video")
}

// UnmarshalJSON implements json.Unmarshaler for one kind's constraints: the
// basic set, where bare values are ideal, and "advanced", an array of sets
// where bare values are exact. It replaces the whole value.
func (c *MediaTrackConstraints) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	tc, err := parseTrackConstraints("", data)
	if err != nil {
		return err
	}
	*c = tc
	return nil
}

// MarshalJSON implements json.Marshaler.
func (c MediaTrackConstraints) MarshalJSON() ([]byte, error) {
	if err := c.validate(""); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	c.write(&b)
	return b.Bytes(), nil
}

// Validate checks constraints built in Go as parsing checks JSON: integers
// non-negative and at most 4294967295, numbers finite, strings valid UTF-8.
// Every error wraps ErrTypeError and names the field ("advanced[1].width").
// A nil c is valid (no constraints).
func (c *MediaTrackConstraints) Validate() error {
	return c.validate("")
}

func (c *MediaTrackConstraints) validate(path string) error {
	if c == nil {
		return nil
	}
	if err := c.MediaTrackConstraintSet.validate(path); err != nil {
		return err
	}
	for i := range c.Advanced {
		if c.Advanced[i].valid() {
			continue
		}
		return c.Advanced[i].validate(fmt.Sprintf("%s[%d]", join(path, "advanced"), i))
	}
	return nil
}

// valid is validate without building an error.
func (s *MediaTrackConstraintSet) valid() bool {
	for _, f := range constraintFields {
		if c := f.get(s); c != nil {
			if _, msg := c.check(); msg != "" {
				return false
			}
		}
	}
	return true
}

func (c *MediaTrackConstraints) isEmpty() bool {
	return c.Advanced == nil && c.MediaTrackConstraintSet == (MediaTrackConstraintSet{})
}

// write writes c, which must be valid, as JSON.
func (c *MediaTrackConstraints) write(b *bytes.Buffer) {
	b.WriteByte('{')
	n := c.MediaTrackConstraintSet.writeMembers(b, false)
	if c.Advanced != nil {
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"advanced":[`)
		for i := range c.Advanced {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			c.Advanced[i].writeMembers(b, true)
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

// UnmarshalJSON implements json.Unmarshaler. On its own a bare number is
// ideal (its meaning outside "advanced"); MediaTrackConstraints parses
// advanced sets itself.
func (c *ConstrainULong) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	v, err := parseULong("", data, false)
	if err == nil {
		*c = *v
	}
	return err
}

// MarshalJSON implements json.Marshaler, always in the object form, which
// means the same inside and outside "advanced".
func (c ConstrainULong) MarshalJSON() ([]byte, error) {
	if err := validateAlone(&c); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	c.write(&b, bareNone)
	return b.Bytes(), nil
}

// UnmarshalJSON implements json.Unmarshaler; a bare number is ideal.
func (c *ConstrainDouble) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	v, err := parseDouble("", data, false)
	if err == nil {
		*c = *v
	}
	return err
}

// MarshalJSON implements json.Marshaler, always in the object form.
func (c ConstrainDouble) MarshalJSON() ([]byte, error) {
	if err := validateAlone(&c); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	c.write(&b, bareNone)
	return b.Bytes(), nil
}

// UnmarshalJSON implements json.Unmarshaler; a bare string or array is
// ideal.
func (c *ConstrainDOMString) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	v, err := parseDOMString("", data, false)
	if err == nil {
		*c = *v
	}
	return err
}

// MarshalJSON implements json.Marshaler, always in the object form.
func (c ConstrainDOMString) MarshalJSON() ([]byte, error) {
	if err := validateAlone(&c); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	c.write(&b, bareNone)
	return b.Bytes(), nil
}

// UnmarshalJSON implements json.Unmarshaler; a bare boolean is ideal.
func (c *ConstrainBoolean) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		return nil
	}
	v, err := parseBoolean("", data, false)
	if err == nil {
		*c = *v
	}
	return err
}

// MarshalJSON implements json.Marshaler, always in the object form.
func (c ConstrainBoolean) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	c.write(&b, bareNone)
	return b.Bytes(), nil
}

// ---- parsing ----

// jsonType returns the first byte of a JSON value, which tells its type:
// '{', '[', '"', 't', 'f', 'n', or anything else for a number.
func jsonType(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func isNull(raw []byte) bool { return jsonType(raw) == 'n' }

func isNumber(raw []byte) bool {
	t := jsonType(raw)
	return t == '-' || (t >= '0' && t <= '9')
}

// join appends a member name to a field path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// typeError is the TypeError for the value raw at path.
func typeError(path, want string, raw []byte) error {
	var compact bytes.Buffer
	got := string(bytes.TrimSpace(raw))
	if json.Compact(&compact, raw) == nil {
		got = compact.String()
	}
	if len(got) > 40 {
		cut := 37
		for cut > 0 && !utf8.RuneStart(got[cut]) {
			cut-- // do not split a character
		}
		got = got[:cut] + "..."
	}
	if path == "" {
		return NewError(ErrTypeError, nil, "%s, got %s", want, got)
	}
	return NewError(ErrTypeError, nil, "%s: %s, got %s", path, want, got)
}

func parseObject(path string, raw []byte) (map[string]json.RawMessage, error) {
	if jsonType(raw) != '{' {
		return nil, typeError(path, "must be an object", raw)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, NewError(ErrTypeError, err, "%s: malformed JSON", path)
	}
	return obj, nil
}

func parseArray(path string, raw []byte) ([]json.RawMessage, error) {
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, NewError(ErrTypeError, err, "%s: malformed JSON", path)
	}
	if arr == nil {
		arr = []json.RawMessage{}
	}
	return arr, nil
}

func parseTrackConstraints(path string, raw []byte) (MediaTrackConstraints, error) {
	var c MediaTrackConstraints
	obj, err := parseObject(path, raw)
	if err != nil {
		return c, err
	}
	if err := c.MediaTrackConstraintSet.parseMembers(path, obj, false); err != nil {
		return c, err
	}
	adv, ok := obj["advanced"]
	if !ok || isNull(adv) {
		return c, nil
	}
	apath := join(path, "advanced")
	if jsonType(adv) != '[' {
		return c, typeError(apath, "must be an array of constraint sets", adv)
	}
	entries, err := parseArray(apath, adv)
	if err != nil {
		return c, err
	}
	c.Advanced = make([]MediaTrackConstraintSet, len(entries))
	for i, e := range entries {
		epath := fmt.Sprintf("%s[%d]", apath, i)
		if isNull(e) {
			continue // WebIDL converts null to the default (empty) dictionary
		}
		eobj, err := parseObject(epath, e)
		if err != nil {
			return c, err
		}
		if err := c.Advanced[i].parseMembers(epath, eobj, true); err != nil {
			return c, err
		}
	}
	return c, nil
}

// parseMembers fills s from obj, in field order so that the first error
// reported does not depend on map order. bareExact is true inside advanced.
func (s *MediaTrackConstraintSet) parseMembers(path string, obj map[string]json.RawMessage, bareExact bool) error {
	for _, f := range constraintFields {
		raw, ok := obj[f.name]
		if !ok || isNull(raw) {
			continue
		}
		if err := f.parse(s, join(path, f.name), raw, bareExact); err != nil {
			return err
		}
	}
	return nil
}

// parseNumber parses a JSON number; want says what else was expected.
func parseNumber(path string, raw []byte, want string) (float64, error) {
	if !isNumber(raw) {
		return 0, typeError(path, want, raw)
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, typeError(path, "must be a finite number", raw)
	}
	return f, nil
}

func parseULongValue(path string, raw []byte, want string) (*int, error) {
	f, err := parseNumber(path, raw, want)
	if err != nil {
		return nil, err
	}
	if f < 0 || f != math.Trunc(f) {
		return nil, typeError(path, "must be a non-negative integer", raw)
	}
	if f > maxULong {
		return nil, typeError(path, "must be at most 4294967295", raw)
	}
	v := int(f)
	return &v, nil
}

// parseRange parses the object form {min, max, exact, ideal} of a numeric
// constraint, each member with one.
func parseRange[T any](path string, raw []byte, min, max, exact, ideal **T, one func(string, []byte, string) (*T, error), want string) error {
	obj, err := parseObject(path, raw)
	if err != nil {
		return err
	}
	for _, m := range [...]struct {
		name string
		dst  **T
	}{{"min", min}, {"max", max}, {"exact", exact}, {"ideal", ideal}} {
		r, ok := obj[m.name]
		if !ok || isNull(r) {
			continue
		}
		v, err := one(join(path, m.name), r, want)
		if err != nil {
			return err
		}
		*m.dst = v
	}
	return nil
}

const (
	wantULong       = "must be a non-negative integer"
	wantULongOrObj  = "must be a non-negative integer or an object of min/max/exact/ideal"
	wantDouble      = "must be a number"
	wantDoubleOrObj = "must be a number or an object of min/max/exact/ideal"
	wantString      = "must be a string or an array of strings"
	wantStringOrObj = "must be a string, an array of strings or an object of exact/ideal"
	wantBool        = "must be a boolean"
	wantBoolOrObj   = "must be a boolean or an object of exact/ideal"
)

func parseULong(path string, raw []byte, bareExact bool) (*ConstrainULong, error) {
	c := &ConstrainULong{}
	if jsonType(raw) == '{' {
		err := parseRange(path, raw, &c.Min, &c.Max, &c.Exact, &c.Ideal, parseULongValue, wantULong)
		return c, err
	}
	v, err := parseULongValue(path, raw, wantULongOrObj)
	if err != nil {
		return nil, err
	}
	if bareExact {
		c.Exact = v
	} else {
		c.Ideal = v
	}
	return c, nil
}

func parseDoubleValue(path string, raw []byte, want string) (*float64, error) {
	f, err := parseNumber(path, raw, want)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

func parseDouble(path string, raw []byte, bareExact bool) (*ConstrainDouble, error) {
	c := &ConstrainDouble{}
	if jsonType(raw) == '{' {
		err := parseRange(path, raw, &c.Min, &c.Max, &c.Exact, &c.Ideal, parseDoubleValue, wantDouble)
		return c, err
	}
	v, err := parseDoubleValue(path, raw, wantDoubleOrObj)
	if err != nil {
		return nil, err
	}
	if bareExact {
		c.Exact = v
	} else {
		c.Ideal = v
	}
	return c, nil
}

// parseStrings parses a string or an array of strings. An empty array gives
// an empty, non-nil slice, so that it round-trips.
func parseStrings(path string, raw []byte, want string) ([]string, error) {
	switch jsonType(raw) {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, NewError(ErrTypeError, err, "%s: malformed JSON", path)
		}
		return []string{s}, nil
	case '[':
		arr, err := parseArray(path, raw)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(arr))
		for i, r := range arr {
			if jsonType(r) != '"' {
				return nil, typeError(fmt.Sprintf("%s[%d]", path, i), "must be a string", r)
			}
			if err := json.Unmarshal(r, &out[i]); err != nil {
				return nil, NewError(ErrTypeError, err, "%s[%d]: malformed JSON", path, i)
			}
		}
		return out, nil
	}
	return nil, typeError(path, want, raw)
}

func parseDOMString(path string, raw []byte, bareExact bool) (*ConstrainDOMString, error) {
	c := &ConstrainDOMString{}
	if jsonType(raw) == '{' {
		obj, err := parseObject(path, raw)
		if err != nil {
			return nil, err
		}
		for _, m := range [...]struct {
			name string
			dst  *[]string
		}{{"exact", &c.Exact}, {"ideal", &c.Ideal}} {
			r, ok := obj[m.name]
			if !ok || isNull(r) {
				continue
			}
			if *m.dst, err = parseStrings(join(path, m.name), r, wantString); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	v, err := parseStrings(path, raw, wantStringOrObj)
	if err != nil {
		return nil, err
	}
	if bareExact {
		c.Exact = v
	} else {
		c.Ideal = v
	}
	return c, nil
}

func parseBoolValue(path string, raw []byte, want string) (*bool, error) {
	var v bool
	switch jsonType(raw) {
	case 't':
		v = true
	case 'f':
	default:
		return nil, typeError(path, want, raw)
	}
	return &v, nil
}

func parseBoolean(path string, raw []byte, bareExact bool) (*ConstrainBoolean, error) {
	c := &ConstrainBoolean{}
	if jsonType(raw) == '{' {
		obj, err := parseObject(path, raw)
		if err != nil {
			return nil, err
		}
		for _, m := range [...]struct {
			name string
			dst  **bool
		}{{"exact", &c.Exact}, {"ideal", &c.Ideal}} {
			r, ok := obj[m.name]
			if !ok || isNull(r) {
				continue
			}
			if *m.dst, err = parseBoolValue(join(path, m.name), r, wantBool); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	v, err := parseBoolValue(path, raw, wantBoolOrObj)
	if err != nil {
		return nil, err
	}
	if bareExact {
		c.Exact = v
	} else {
		c.Ideal = v
	}
	return c, nil
}

// ---- validation of values built in Go ----

// validate checks s; it builds the field path only for an error, since
// SelectSettings validates on every call.
func (s *MediaTrackConstraintSet) validate(path string) error {
	for _, f := range constraintFields {
		c := f.get(s)
		if c == nil {
			continue
		}
		if member, msg := c.check(); msg != "" {
			p := join(path, f.name)
			if member != "" {
				p = join(p, member)
			}
			return NewError(ErrTypeError, nil, "%s: %s", p, msg)
		}
	}
	return nil
}

// validateAlone validates a Constrain value outside any set.
func validateAlone(c constraint) error {
	member, msg := c.check()
	switch {
	case msg == "":
		return nil
	case member == "":
		return NewError(ErrTypeError, nil, "%s", msg)
	}
	return NewError(ErrTypeError, nil, "%s: %s", member, msg)
}

func (c *ConstrainULong) check() (member, msg string) {
	for _, m := range [...]struct {
		name string
		v    *int
	}{{"min", c.Min}, {"max", c.Max}, {"exact", c.Exact}, {"ideal", c.Ideal}} {
		if m.v != nil && (*m.v < 0 || *m.v > maxULong) {
			return m.name, fmt.Sprintf("must be an integer in 0..4294967295, got %d", *m.v)
		}
	}
	return "", ""
}

func (c *ConstrainDouble) check() (member, msg string) {
	for _, m := range [...]struct {
		name string
		v    *float64
	}{{"min", c.Min}, {"max", c.Max}, {"exact", c.Exact}, {"ideal", c.Ideal}} {
		if m.v != nil && (math.IsNaN(*m.v) || math.IsInf(*m.v, 0)) {
			return m.name, fmt.Sprintf("must be a finite number, got %v", *m.v)
		}
	}
	return "", ""
}

func (c *ConstrainDOMString) check() (member, msg string) {
	for _, m := range [...]struct {
		name string
		v    []string
	}{{"exact", c.Exact}, {"ideal", c.Ideal}} {
		for i, s := range m.v {
			// JSON cannot carry invalid UTF-8: it would not round-trip.
			if !utf8.ValidString(s) {
				return fmt.Sprintf("%s[%d]", m.name, i), fmt.Sprintf("must be valid UTF-8, got %q", s)
			}
		}
	}
	return "", ""
}

func (c *ConstrainBoolean) check() (member, msg string) { return "", "" }

// ---- writing ----

// bare says which member, when it is the only one, is written as a bare
// value: ideal in the basic set, exact in an advanced set, none on its own.
type bare int

const (
	bareNone bare = iota
	bareIdeal
	bareExact
)

// writeMembers writes s's constraints as JSON members (no braces) and
// returns how many it wrote.
func (s *MediaTrackConstraintSet) writeMembers(b *bytes.Buffer, advanced bool) int {
	mode := bareIdeal
	if advanced {
		mode = bareExact
	}
	n := 0
	for _, f := range constraintFields {
		c := f.get(s)
		if c == nil {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + f.name + `":`)
		c.write(b, mode)
		n++
	}
	return n
}

// writeMember writes ,"name":value, the comma only when not first.
func writeMember(b *bytes.Buffer, first *bool, name string, value func()) {
	if !*first {
		b.WriteByte(',')
	}
	*first = false
	b.WriteString(`"` + name + `":`)
	value()
}

func writeNumbers[T int | float64](b *bytes.Buffer, mode bare, min, max, exact, ideal *T, one func(*bytes.Buffer, T)) {
	switch {
	case mode == bareIdeal && ideal != nil && min == nil && max == nil && exact == nil:
		one(b, *ideal)
		return
	case mode == bareExact && exact != nil && min == nil && max == nil && ideal == nil:
		one(b, *exact)
		return
	}
	b.WriteByte('{')
	first := true
	for _, m := range [...]struct {
		name string
		v    *T
	}{{"min", min}, {"max", max}, {"exact", exact}, {"ideal", ideal}} {
		if m.v != nil {
			writeMember(b, &first, m.name, func() { one(b, *m.v) })
		}
	}
	b.WriteByte('}')
}

func writeInt(b *bytes.Buffer, v int) { b.WriteString(strconv.Itoa(v)) }

func writeFloat(b *bytes.Buffer, v float64) {
	// 'g' with the shortest precision parses back to the same float64 and
	// is valid JSON (exponents like 1e+21 included).
	b.Write(strconv.AppendFloat(b.AvailableBuffer(), v, 'g', -1, 64))
}

func (c *ConstrainULong) write(b *bytes.Buffer, mode bare) {
	writeNumbers(b, mode, c.Min, c.Max, c.Exact, c.Ideal, writeInt)
}

func (c *ConstrainDouble) write(b *bytes.Buffer, mode bare) {
	writeNumbers(b, mode, c.Min, c.Max, c.Exact, c.Ideal, writeFloat)
}

func writeStrings(b *bytes.Buffer, v []string) {
	if len(v) == 1 {
		writeString(b, v[0])
		return
	}
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, s)
	}
	b.WriteByte(']')
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

func (c *ConstrainDOMString) write(b *bytes.Buffer, mode bare) {
	switch {
	case mode == bareIdeal && c.Ideal != nil && c.Exact == nil:
		writeStrings(b, c.Ideal)
		return
	case mode == bareExact && c.Exact != nil && c.Ideal == nil:
		writeStrings(b, c.Exact)
		return
	}
	b.WriteByte('{')
	first := true
	if c.Exact != nil {
		writeMember(b, &first, "exact", func() { writeStrings(b, c.Exact) })
	}
	if c.Ideal != nil {
		writeMember(b, &first, "ideal", func() { writeStrings(b, c.Ideal) })
	}
	b.WriteByte('}')
}

func writeBool(b *bytes.Buffer, v bool) { b.WriteString(strconv.FormatBool(v)) }

func (c *ConstrainBoolean) write(b *bytes.Buffer, mode bare) {
	switch {
	case mode == bareIdeal && c.Ideal != nil && c.Exact == nil:
		writeBool(b, *c.Ideal)
		return
	case mode == bareExact && c.Exact != nil && c.Ideal == nil:
		writeBool(b, *c.Exact)
		return
	}
	b.WriteByte('{')
	first := true
	if c.Exact != nil {
		writeMember(b, &first, "exact", func() { writeBool(b, *c.Exact) })
	}
	if c.Ideal != nil {
		writeMember(b, &first, "ideal", func() { writeBool(b, *c.Ideal) })
	}
	b.WriteByte('}')
}

// ---- summary ----

// Summary is a short human description of what c asks for, for showing
// "asked" next to a track's settings: "1920×1080 @ 60, user" for video,
// "48000 Hz, 2 ch, echo cancellation on" for audio. It shows each
// constraint's exact value, else its ideal, else its range (≥640, ≤30,
// 640–1920), and counts advanced sets. kind is "audio" or "video"; the
// constraints of the other kind are left out. Nil or empty constraints are
// "any".
func (c *MediaTrackConstraints) Summary(kind string) string {
	if c == nil {
		return "any"
	}
	var parts []string
	s := &c.MediaTrackConstraintSet
	switch kind {
	case TrackKindVideo:
		w, h := summarizeNum(s.Width), summarizeNum(s.Height)
		dims := ""
		switch {
		case w != "" && h != "":
			dims = w + "×" + h
		case w != "":
			dims = "width " + w
		case h != "":
			dims = "height " + h
		}
		if fr := summarizeDouble(s.FrameRate); fr != "" {
			if dims != "" {
				dims += " "
			}
			dims += "@ " + fr
		}
		if dims != "" {
			parts = append(parts, dims)
		}
		if ar := summarizeDouble(s.AspectRatio); ar != "" {
			parts = append(parts, "aspect "+ar)
		}
		parts = appendStrings(parts, "", s.FacingMode)
		parts = appendStrings(parts, "resize ", s.ResizeMode)
	case TrackKindAudio:
		if v := summarizeNum(s.SampleRate); v != "" {
			parts = append(parts, v+" Hz")
		}
		if v := summarizeNum(s.ChannelCount); v != "" {
			parts = append(parts, v+" ch")
		}
		if v := summarizeNum(s.SampleSize); v != "" {
			parts = append(parts, v+"-bit")
		}
		parts = appendBool(parts, "echo cancellation", s.EchoCancellation)
		parts = appendBool(parts, "auto gain", s.AutoGainControl)
		parts = appendBool(parts, "noise suppression", s.NoiseSuppression)
	}
	if s.DeviceID != nil && len(s.DeviceID.Exact) > 0 {
		parts = append(parts, "device "+strings.Join(s.DeviceID.Exact, "|"))
	}
	out := strings.Join(parts, ", ")
	if len(c.Advanced) > 0 {
		if out == "" {
			out = "any"
		}
		out += fmt.Sprintf(" (+%d advanced)", len(c.Advanced))
	}
	if out == "" {
		return "any"
	}
	return out
}

func summarizeNum(c *ConstrainULong) string {
	if c == nil {
		return ""
	}
	return summarizeRange(c.Min, c.Max, c.Exact, c.Ideal, strconv.Itoa)
}

func summarizeDouble(c *ConstrainDouble) string {
	if c == nil {
		return ""
	}
	return summarizeRange(c.Min, c.Max, c.Exact, c.Ideal, func(v float64) string {
		return strconv.FormatFloat(v, 'g', 4, 64)
	})
}

func summarizeRange[T any](min, max, exact, ideal *T, format func(T) string) string {
	switch {
	case exact != nil:
		return format(*exact)
	case ideal != nil:
		return format(*ideal)
	case min != nil && max != nil:
		return format(*min) + "–" + format(*max)
	case min != nil:
		return "≥" + format(*min)
	case max != nil:
		return "≤" + format(*max)
	}
	return ""
}

func appendStrings(parts []string, prefix string, c *ConstrainDOMString) []string {
	if c == nil {
		return parts
	}
	v := c.Exact
	if len(v) == 0 {
		v = c.Ideal
	}
	if len(v) == 0 {
		return parts
	}
	return append(parts, prefix+strings.Join(v, "|"))
}

func appendBool(parts []string, name string, c *ConstrainBoolean) []string {
	if c == nil {
		return parts
	}
	v := c.Exact
	if v == nil {
		v = c.Ideal
	}
	if v == nil {
		return parts
	}
	if *v {
		return append(parts, name+" on")
	}
	return append(parts, name+" off")
}

// UnmarshalJSON implements json.Unmarshaler for getDisplayMedia's options:
// the same forms as MediaStreamConstraints.
func (o *DisplayMediaStreamOptions) UnmarshalJSON(data []byte) error {
	var c MediaStreamConstraints
	if err := c.UnmarshalJSON(data); err != nil {
		return err
	}
	*o = DisplayMediaStreamOptions{Video: c.Video, Audio: c.Audio}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (o DisplayMediaStreamOptions) MarshalJSON() ([]byte, error) {
	return MediaStreamConstraints{Audio: o.Audio, Video: o.Video}.MarshalJSON()
}
