package main

import "testing"

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
	for _, v := range []string{"", "bench-preview", "devices", "holders"} {
		if verbs[v] == nil {
			t.Errorf("verb %q is not dispatched", v)
		}
	}
}
