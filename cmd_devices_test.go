package main

import (
	"context"
	"encoding/json"
	"os/exec"
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

// tally devices in the VM (run by TestVM), with v4l2-ctl streaming from
// the camera beside it: vivid is listed, first among the cameras and the
// default, the synthetic camera last and not default, the formats Tally
// cannot convert listed as such, in text and in JSON.
func TestVM_DevicesBesideAStreamingProgram(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestVM")
	other := exec.Command("v4l2-ctl", "-d", "/dev/video0", "--stream-mmap", "--stream-count=100000")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = other.Process.Kill()
		_ = other.Wait()
	}()
	md := capture.NewMediaDevices(defaultBackends()...)
	defer md.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	devs, err := md.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var cams []capture.DeviceDescriptor
	for _, d := range devs {
		if d.Kind == capture.KindVideoInput {
			cams = append(cams, d)
		}
	}
	if len(cams) != 2 || cams[0].Label != "vivid" || !cams[0].Default || cams[1].Default || !strings.HasPrefix(cams[1].DeviceID, "synthetic-") {
		t.Errorf("cameras: %+v\nwant vivid first and default, then the synthetic one", cams)
	}
	js, err := json.Marshal(devs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"deviceId":"camera:platform-vivid.0-video-index0"`, `"path":"/dev/video0"`, `"unsupportedFormats":[`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("tally devices --json lacks %s", want)
		}
	}
	var out strings.Builder
	printDevices(&out, devs)
	for _, want := range []string{"vivid  (default)", "id camera:platform-vivid.0-video-index0  at /dev/video0", "YUYV", "not supported by Tally"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tally devices lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("tally devices:\n%s", out.String())
}
