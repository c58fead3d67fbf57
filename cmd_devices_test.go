package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/testenv"
)

// tally devices lists every camera, microphone and screen with its modes,
// here with the test audio server and a private X display: the real
// microphone and screen next to the synthetic set (no camera exists here).
func TestDevicesListsEveryKind(t *testing.T) {
	p := testenv.StartPulse(t)
	p.Setenv(t)
	x := testenv.StartXvfb(t)
	t.Setenv("DISPLAY", x.Display())

	md := capture.NewMediaDevices(defaultBackends()...)
	defer md.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	devs, err := md.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	printDevices(&out, devs)
	text := out.String()
	for _, want := range []string{
		"Cameras\n", "Synthetic Camera", "1280×720   @ 15, 30, 60 fps",
		"Microphones\n", "VirtualMic  (default)", "id mic:virtmic", "48000 Hz",
		"Screens\n", "Screen 0 of " + x.Display() + " (1280x800)  (default)", "@ 5, 10, 15, 30, 60 fps",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("tally devices lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "(default)") != 3 {
		t.Errorf("want one default per kind:\n%s", text)
	}
}

// Formats Tally cannot convert are printed as such, not dropped.
func TestDevicesPrintsUnsupportedFormats(t *testing.T) {
	devs := []capture.DeviceDescriptor{{
		DeviceID: "camera:platform-vivid.0-video-index0", Kind: capture.KindVideoInput, Label: "vivid", Default: true,
		Modes:              []capture.MediaTrackSettings{{Width: 640, Height: 480, FrameRate: 25, Format: "YUYV"}},
		UnsupportedFormats: []string{"BA81", "Y10"},
	}}
	var out strings.Builder
	printDevices(&out, devs)
	if want := "    BA81, Y10: not supported by Tally\n"; !strings.Contains(out.String(), want) {
		t.Errorf("tally devices lacks %q:\n%s", want, out.String())
	}
}
