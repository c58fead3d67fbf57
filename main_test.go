package main

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w, h int
		ok   bool
	}{
		{"1280x720", 1280, 720, true},
		{"1920X1080", 1920, 1080, true},
		{"1280", 0, 0, false},
		{"x720", 0, 0, false},
		{"0x720", 0, 0, false},
		{"-4x3", 0, 0, false},
		{"axb", 0, 0, false},
	} {
		w, h, err := parseSize(tc.in)
		if (err == nil) != tc.ok || w != tc.w || h != tc.h {
			t.Errorf("parseSize(%q) = %d, %d, %v; want %d, %d, ok %v", tc.in, w, h, err, tc.w, tc.h, tc.ok)
		}
	}
}

func TestVerbs(t *testing.T) {
	for _, v := range []string{"", "bench-preview", "devices", "holders", "controls", "snapshot"} {
		if verbs[v] == nil {
			t.Errorf("verb %q is not dispatched", v)
		}
	}
}

// The window commands fail with a clear error when there is no display,
// before Fyne starts (it would panic).
func TestWindowCommandsNeedADisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	for name, run := range map[string]func() error{
		"tally":               func() error { return runGUI([]string{"--no-open"}) },
		"tally bench-preview": func() error { return runBenchPreview(nil) },
	} {
		if err := run(); err == nil || !strings.Contains(err.Error(), "DISPLAY is not set") {
			t.Errorf("%s without a display: %v, want an error saying DISPLAY is not set", name, err)
		}
	}
}
