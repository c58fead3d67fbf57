package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tally-app/tally/internal/testenv"
)

const vividID = "camera:platform-vivid.0-video-index0"

func vividControlsJSON(t *testing.T) map[string]Control {
	t.Helper()
	var list []Control
	out := tallyOutput(t, "controls", vividID, "--json")
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("tally controls --json: %v\n%s", err, out)
	}
	m := map[string]Control{}
	for _, c := range list {
		m[c.Name] = c
	}
	return m
}

func v4l2ctl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("v4l2-ctl", append([]string{"-d", "/dev/video0"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("v4l2-ctl %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Each control type round-trips through `tally controls --set` and
// `--json`, and v4l2-ctl reads what tally set.
func TestVM_ControlsEveryType(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestVM")
	before := vividControlsJSON(t)
	menu := before["menu"].Menu
	imenu := before["integer_menu"].Menu
	if len(menu) < 2 || len(imenu) < 2 {
		t.Fatalf("vivid's menu %v, integer menu %v", menu, imenu)
	}
	_, menuName, _ := strings.Cut(menu[len(menu)-1], ": ")
	imIndex, imValue, _ := strings.Cut(imenu[len(imenu)-1], ": ")
	sets := []struct {
		set  string
		want any
	}{
		{"brightness=200", 200.0},
		{"gain_automatic=false", false},
		{"menu=" + menuName, menuName},
		{"integer_menu=" + imIndex, mustFloat(t, imValue)},
		{"integer_64_bits=-5000000000", -5e9},
		{"bitmask=0x80000010", float64(0x80000010)},
		{"string=abcd", "abcd"},
		{"contrast=90", 90.0}, // the spec's name, the same as V4L2's
		{"button=1", nil},
	}
	args := []string{"controls", vividID, "--json", "--set"}
	for _, s := range sets {
		args = append(args, s.set)
	}
	var list []Control
	if err := json.Unmarshal(tallyOutput(t, args...), &list); err != nil {
		t.Fatal(err)
	}
	got := map[string]Control{}
	for _, c := range list {
		got[c.Name] = c
	}
	for _, s := range sets {
		name, _, _ := strings.Cut(s.set, "=")
		if v := got[name].Value; v != s.want {
			t.Errorf("after --set %s: %s is %v (%T), want %v", s.set, name, v, v, s.want)
		}
	}
	if v := v4l2ctl(t, "-C", "brightness"); v != "brightness: 200" {
		t.Errorf("v4l2-ctl -C brightness: %q", v)
	}
	if v := v4l2ctl(t, "-C", "string"); v != "string: 'abcd'" && v != "string: abcd" {
		t.Errorf("v4l2-ctl -C string: %q", v)
	}
	if g := got["gain"]; strings.Contains(strings.Join(g.Flags, ","), "inactive") {
		t.Errorf("gain with gain_automatic off: flags %v", g.Flags)
	}
	tallyOutput(t, "controls", vividID, "--set", "brightness=128", "contrast=128", "gain_automatic=true")
	if g := vividControlsJSON(t)["gain"]; !strings.Contains(strings.Join(g.Flags, ","), "inactive") {
		t.Errorf("gain with gain_automatic on: flags %v, want inactive", g.Flags)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	var f float64
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

// A bad name or value exits 1 naming the control, and nothing changes,
// not even the good assignments before it.
func TestVM_ControlsBadSetChangesNothing(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestVM")
	before := v4l2ctl(t, "-C", "brightness")
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"brightness=300"}, "brightness"},
		{[]string{"brightness=10", "no_such_control=1"}, "no_such_control"},
		{[]string{"brightness=10", "menu=no such item"}, "menu"},
		{[]string{"brightness=10", "focusDistance=3"}, "focus_absolute"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := tally(ctx, append([]string{"controls", vividID, "--set"}, tc.set...)...).CombinedOutput()
		cancel()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), tc.want) {
			t.Errorf("--set %v: %v, output %q; want exit 1 naming %s", tc.set, err, out, tc.want)
		}
	}
	if after := v4l2ctl(t, "-C", "brightness"); after != before {
		t.Errorf("brightness went from %q to %q", before, after)
	}
}

// tally snapshot writes a PNG of vivid's bars in a mode vivid lists.
func TestVM_SnapshotVivid(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestVM")
	path := filepath.Join(t.TempDir(), "vivid.png")
	tallyOutput(t, "snapshot", vividID, "-o", path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	// The size is a mode vivid lists for the format tally picked.
	if sizes := v4l2ctl(t, "--list-framesizes", "YUYV"); !strings.Contains(sizes, fmt.Sprintf(" %dx%d", w, h)) {
		t.Errorf("snapshot %dx%d is no size vivid lists:\n%s", w, h, sizes)
	}
	// vivid's text covers the top of small frames: look at the bars'
	// bottom, yellow (bar 1) and cyan (bar 2), across each bar's middle half.
	y := h - 1 - h/20
	for bar := 1; bar <= 2; bar++ {
		n := 0
		x0, x1 := bar*w/8+w/32, (bar+1)*w/8-w/32
		for x := x0; x < x1; x++ {
			n += isBar(img, x, y)
		}
		if n != x1-x0 {
			t.Errorf("snapshot %dx%d: bar %d has %d of %d pixels of its colour at y=%d", w, h, bar, n, x1-x0, y)
		}
	}
	t.Logf("snapshot %dx%d", w, h)
}
