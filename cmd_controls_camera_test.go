package main

import (
	"reflect"
	"testing"

	"github.com/tally-app/tally/capture/camera"
)

// What `tally controls --json` shows of each camera control type: values
// as people type them back into --set.
func TestCLIControlShowsValuesAsTyped(t *testing.T) {
	menu := []camera.MenuItem{{Index: 0, Name: "Disabled"}, {Index: 1, Name: "50 Hz"}}
	imenu := []camera.MenuItem{{Index: 1, Value: 1000}, {Index: 3, Value: 3000}}
	for _, tc := range []struct {
		in        camera.ControlInfo
		value     any
		dflt      any
		menuItems []string
	}{
		{camera.ControlInfo{Name: "brightness", Type: "int", Max: 255, Step: 1, Default: 128, Value: 200}, int64(200), int64(128), nil},
		{camera.ControlInfo{Name: "gain_automatic", Type: "bool", Max: 1, Default: 1, Value: 0}, false, true, nil},
		{camera.ControlInfo{Name: "power_line_frequency", Type: "menu", Max: 1, Default: 1, Value: 0, Menu: menu}, "Disabled", "50 Hz", []string{"0: Disabled", "1: 50 Hz"}},
		{camera.ControlInfo{Name: "integer_menu", Type: "intmenu", Min: 1, Max: 3, Default: 1, Value: 3, Menu: imenu}, int64(3000), int64(1000), []string{"1: 1000", "3: 3000"}},
		{camera.ControlInfo{Name: "string", Type: "str", Min: 2, Max: 4, Str: "ab"}, "ab", nil, nil},
		{camera.ControlInfo{Name: "button", Type: "button", Flags: []string{"write-only"}}, nil, nil, nil},
		{camera.ControlInfo{Name: "u8_array", Type: "u8", Payload: make([]byte, 120)}, "120 bytes", nil, nil},
	} {
		c := cliControl(tc.in)
		if c.Value != tc.value || c.Default != tc.dflt || !reflect.DeepEqual(c.Menu, tc.menuItems) {
			t.Errorf("%s: value %#v default %#v menu %q; want %#v, %#v, %q", tc.in.Name, c.Value, c.Default, c.Menu, tc.value, tc.dflt, tc.menuItems)
		}
	}
}
