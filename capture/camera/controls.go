package camera

import (
	"fmt"
	"strconv"
	"strings"
)

// Camera controls (brightness, exposure, white balance, ...) belong to the
// device, not to a track: every track of a camera, and every other program
// using it, sees the same values, and the last one set wins. Controls are
// read and set on a descriptor of their own, so they work the same whether
// or not Tally (or anyone) is streaming the camera.

// ControlInfo is one camera control with its current value.
type ControlInfo struct {
	// Name is the control's name as v4l2-ctl prints it ("brightness",
	// "gain_automatic"); Label is the driver's ("Gain, Automatic").
	Name, Label string
	ID          uint32
	// Type is v4l2-ctl's name for the type: "int", "bool", "menu",
	// "intmenu", "button", "int64", "bitmask", "str", or a compound's
	// ("u8", "u16", "u32", "compound 0x...").
	Type string
	// Min, Max, Step and Default are the range (for "str", of the length).
	Min, Max, Step, Default int64
	// Value is the current value: the integer, 0/1, the menu index, the
	// bitmask; unset for buttons and write-only controls.
	Value int64
	// Str is a string control's value; Payload a compound control's bytes.
	Str     string
	Payload []byte
	// Menu is a menu's or integer menu's items.
	Menu []MenuItem
	// Flags are v4l2-ctl's flag names: "read-only", "inactive" (another
	// control, such as an automatic mode, overrides it now), "disabled",
	// "volatile" (the driver changes it by itself), "write-only", ...
	Flags []string
}

// MenuItem is one item of a menu: Name for menus, Value for integer menus.
type MenuItem struct {
	Index int64
	Name  string
	Value int64
}

// Has reports whether the control has the named flag.
func (c ControlInfo) Has(flag string) bool {
	for _, f := range c.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// Inactive reports whether another control overrides this one now (gain
// while gain_automatic is on). It can still be set; the value waits.
func (c ControlInfo) Inactive() bool { return c.Has("inactive") }

// Settable reports whether a value can be written.
func (c ControlInfo) Settable() bool {
	if c.Has("read-only") || c.Has("disabled") {
		return false
	}
	switch c.Type {
	case "int", "bool", "menu", "intmenu", "button", "int64", "bitmask", "str":
		return true
	}
	return false // compound controls are listed, not set, here
}

// rangeText says what the control takes, for error messages.
func (c ControlInfo) rangeText() string {
	switch c.Type {
	case "bool":
		return "true or false"
	case "menu", "intmenu":
		var items []string
		for _, it := range c.Menu {
			if c.Type == "menu" {
				items = append(items, fmt.Sprintf("%d (%s)", it.Index, it.Name))
			} else {
				items = append(items, fmt.Sprintf("%d (%d)", it.Index, it.Value))
			}
		}
		return "one of " + strings.Join(items, ", ")
	case "str":
		return fmt.Sprintf("a string of %d to %d characters", c.Min, c.Max)
	case "bitmask":
		return fmt.Sprintf("a bitmask within %#x", c.Max)
	case "button":
		return "any value (it is a button: setting presses it)"
	}
	s := fmt.Sprintf("an integer from %d to %d", c.Min, c.Max)
	if c.Step > 1 {
		s += fmt.Sprintf(" in steps of %d", c.Step)
	}
	return s
}

// ParseValue reads text as a value of control c, checking it against the
// control's range or items: integers in decimal or 0x hex, booleans as
// true/false (or 1/0), menu items by name (case-insensitive) or index,
// integer menu items by index, a button's value is ignored. The error
// names the control and what it takes.
func (c ControlInfo) ParseValue(text string) (ControlValue, error) {
	bad := func(why string) (ControlValue, error) {
		return ControlValue{}, fmt.Errorf("control %s: %q %s; it takes %s", c.Name, text, why, c.rangeText())
	}
	if !c.Settable() {
		return ControlValue{}, fmt.Errorf("control %s cannot be set: it is %s", c.Name, c.notSettableWhy())
	}
	switch c.Type {
	case "button":
		return ControlValue{}, nil
	case "str":
		if n := int64(len(text)); n < c.Min || n > c.Max {
			return bad("has the wrong length")
		}
		return ControlValue{Str: text}, nil
	case "bool":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return bad("is not a boolean")
		}
		if b {
			return ControlValue{Int: 1}, nil
		}
		return ControlValue{Int: 0}, nil
	case "menu", "intmenu":
		for _, it := range c.Menu {
			if c.Type == "menu" && strings.EqualFold(it.Name, text) {
				return ControlValue{Int: it.Index}, nil
			}
		}
		i, err := strconv.ParseInt(text, 0, 64)
		if err != nil {
			return bad("is no item")
		}
		for _, it := range c.Menu {
			if it.Index == i {
				return ControlValue{Int: i}, nil
			}
		}
		return bad("is no item")
	}
	v, err := strconv.ParseInt(text, 0, 64)
	if err != nil {
		if u, uerr := strconv.ParseUint(text, 0, 64); uerr == nil && c.Type == "bitmask" {
			v, err = int64(u), nil
		}
	}
	if err != nil {
		return bad("is not an integer")
	}
	return c.CheckValue(v)
}

// CheckValue checks an integer value of a numeric, boolean, menu or
// bitmask control.
func (c ControlInfo) CheckValue(v int64) (ControlValue, error) {
	bad := func() (ControlValue, error) {
		return ControlValue{}, fmt.Errorf("control %s: %d is out of range; it takes %s", c.Name, v, c.rangeText())
	}
	if !c.Settable() {
		return ControlValue{}, fmt.Errorf("control %s cannot be set: it is %s", c.Name, c.notSettableWhy())
	}
	switch c.Type {
	case "bitmask":
		if uint32(v)&^uint32(c.Max) != 0 || v < 0 || v > 0xffffffff {
			return bad()
		}
	case "menu", "intmenu":
		for _, it := range c.Menu {
			if it.Index == v {
				return ControlValue{Int: v}, nil
			}
		}
		return bad()
	case "str":
		return ControlValue{}, fmt.Errorf("control %s is a string; it takes %s", c.Name, c.rangeText())
	case "button":
		return ControlValue{}, nil
	default:
		if v < c.Min || v > c.Max {
			return bad()
		}
	}
	return ControlValue{Int: v}, nil
}

func (c ControlInfo) notSettableWhy() string {
	switch {
	case c.Has("read-only"):
		return "read-only"
	case c.Has("disabled"):
		return "disabled"
	}
	return "a " + c.Type + " control, listed only"
}

// ControlValue is a value checked against its control (ParseValue,
// CheckValue): Int for every type but strings.
type ControlValue struct {
	Int int64
	Str string
}

// findControl finds a control by v4l2-ctl name, or says which exist.
func findControl(list []ControlInfo, name string) (ControlInfo, error) {
	for _, c := range list {
		if c.Name == name {
			return c, nil
		}
	}
	names := make([]string, 0, len(list))
	for _, c := range list {
		names = append(names, c.Name)
	}
	return ControlInfo{}, fmt.Errorf("no control %q (this camera has %s)", name, strings.Join(names, ", "))
}
