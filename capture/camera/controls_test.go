package camera

import (
	"strings"
	"testing"
)

var testControls = []ControlInfo{
	{Name: "brightness", Type: "int", Min: 0, Max: 255, Step: 1, Default: 128, Value: 128},
	{Name: "gain_automatic", Type: "bool", Min: 0, Max: 1, Step: 1, Default: 1, Value: 1},
	{Name: "power_line_frequency", Type: "menu", Min: 0, Max: 2, Menu: []MenuItem{{Index: 0, Name: "Disabled"}, {Index: 1, Name: "50 Hz"}, {Index: 2, Name: "60 Hz"}}},
	{Name: "integer_menu", Type: "intmenu", Min: 1, Max: 3, Menu: []MenuItem{{Index: 1, Value: 1000}, {Index: 3, Value: 3000}}},
	{Name: "bitmask", Type: "bitmask", Max: 0x8000250f},
	{Name: "string", Type: "str", Min: 2, Max: 4},
	{Name: "button", Type: "button"},
	{Name: "integer_64_bits", Type: "int64", Min: -1 << 40, Max: 1 << 40, Step: 1},
	{Name: "gain", Type: "int", Min: 0, Max: 255, Step: 1, Flags: []string{"inactive", "volatile"}},
	{Name: "read_only_integer_32_bits", Type: "int", Min: 0, Max: 10, Step: 1, Flags: []string{"read-only"}},
	{Name: "u8_2x3x4x5_array", Type: "u8", Min: 0, Max: 255, Step: 1},
}

func ctlNamed(t *testing.T, name string) ControlInfo {
	t.Helper()
	c, err := findControl(testControls, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseValueGood(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       ControlValue
	}{
		{"brightness", "200", ControlValue{Int: 200}},
		{"brightness", "0x10", ControlValue{Int: 16}},
		{"gain_automatic", "false", ControlValue{Int: 0}},
		{"gain_automatic", "true", ControlValue{Int: 1}},
		{"gain_automatic", "1", ControlValue{Int: 1}},
		{"power_line_frequency", "50 hz", ControlValue{Int: 1}},
		{"power_line_frequency", "2", ControlValue{Int: 2}},
		{"integer_menu", "3", ControlValue{Int: 3}},
		{"bitmask", "0x80000001", ControlValue{Int: 0x80000001}},
		{"string", "abc", ControlValue{Str: "abc"}},
		{"button", "", ControlValue{}},
		{"integer_64_bits", "-1099511627776", ControlValue{Int: -1 << 40}},
		{"gain", "10", ControlValue{Int: 10}}, // inactive controls keep a value for later
	} {
		got, err := ctlNamed(t, tc.name).ParseValue(tc.text)
		if err != nil || got != tc.want {
			t.Errorf("%s=%q: %+v, %v; want %+v", tc.name, tc.text, got, err, tc.want)
		}
	}
}

func TestParseValueBad(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		wantIn     []string
	}{
		{"brightness", "256", []string{"brightness", "256", "from 0 to 255"}},
		{"brightness", "-1", []string{"brightness", "from 0 to 255"}},
		{"brightness", "bright", []string{"brightness", "not an integer"}},
		{"gain_automatic", "maybe", []string{"gain_automatic", "true or false"}},
		{"power_line_frequency", "70 Hz", []string{"power_line_frequency", "1 (50 Hz)", "2 (60 Hz)"}},
		{"power_line_frequency", "3", []string{"power_line_frequency", "no item"}},
		{"integer_menu", "2", []string{"integer_menu", "1 (1000)", "3 (3000)"}}, // a skipped index
		{"bitmask", "0x10", []string{"bitmask", "0x8000250f"}},
		{"string", "toolong", []string{"string", "2 to 4 characters"}},
		{"integer_64_bits", "1099511627777", []string{"integer_64_bits", "out of range"}},
		{"read_only_integer_32_bits", "1", []string{"read_only_integer_32_bits", "read-only"}},
		{"u8_2x3x4x5_array", "1", []string{"u8_2x3x4x5_array", "listed only"}},
	} {
		_, err := ctlNamed(t, tc.name).ParseValue(tc.text)
		if err == nil {
			t.Errorf("%s=%q accepted", tc.name, tc.text)
			continue
		}
		for _, s := range tc.wantIn {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s=%q: error %q does not say %q", tc.name, tc.text, err, s)
			}
		}
	}
}

func TestFindControlUnknownListsNames(t *testing.T) {
	_, err := findControl(testControls, "brightnes")
	if err == nil || !strings.Contains(err.Error(), `"brightnes"`) || !strings.Contains(err.Error(), "brightness, gain_automatic") {
		t.Errorf("unknown control: %v", err)
	}
}

func TestV4L2Name(t *testing.T) {
	for _, tc := range []struct{ name, value, wantName, wantValue string }{
		{"exposureTime", "100", "exposure_time_absolute", "100"},
		{"colorTemperature", "4600", "white_balance_temperature", "4600"},
		{"torch", "true", "flash_led_mode", "Torch"},
		{"torch", "false", "flash_led_mode", "Off"},
		{"gain_automatic", "1", "gain_automatic", "1"},
	} {
		n, v, err := V4L2Name(tc.name, tc.value)
		if err != nil || n != tc.wantName || v != tc.wantValue {
			t.Errorf("V4L2Name(%s, %s) = %s, %s, %v", tc.name, tc.value, n, v, err)
		}
	}
	if _, _, err := V4L2Name("torch", "bright"); err == nil || !strings.Contains(err.Error(), "torch") {
		t.Errorf("torch=bright: %v", err)
	}
}
