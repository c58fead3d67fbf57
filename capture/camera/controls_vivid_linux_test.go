//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"context"
	"image"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func vividControls(t *testing.T) (*Backend, *Controls) {
	t.Helper()
	useVivid(t, vividParams)
	b := New()
	cam := vividCamera(t, b)
	c, err := b.Controls(cam.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return b, c
}

// v4l2Get is what v4l2-ctl -C reads: the driver's value, not Tally's idea of it.
func v4l2Get(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("v4l2-ctl", "-d", "/dev/video0", "-C", name).CombinedOutput()
	if err != nil {
		t.Fatalf("v4l2-ctl -C %s: %v\n%s", name, err, out)
	}
	_, v, _ := strings.Cut(strings.TrimSpace(string(out)), ": ")
	return v
}

// Every type vivid has is listed with its range, menus and flags.
func TestVivid_ControlsList(t *testing.T) {
	_, c := vividControls(t)
	list, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, k := range list {
		types[k.Type] = true
		t.Logf("%-28s %-8s %d..%d step %d default %d value %d %q flags %v menu %d", k.Name, k.Type, k.Min, k.Max, k.Step, k.Default, k.Value, k.Str, k.Flags, len(k.Menu))
	}
	for _, want := range []string{"int", "bool", "menu", "intmenu", "button", "int64", "bitmask", "str", "u8"} {
		if !types[want] {
			t.Errorf("no %s control listed", want)
		}
	}
	b, err := findControl(list, "brightness")
	if err != nil || b.Min != 0 || b.Max != 255 || b.Default != 128 || b.Label != "Brightness" {
		t.Errorf("brightness: %+v, %v", b, err)
	}
	m, err := findControl(list, "menu")
	if err != nil || len(m.Menu) == 0 || m.Menu[0].Name == "" {
		t.Errorf("menu: %+v, %v", m, err)
	}
	im, err := findControl(list, "integer_menu")
	if err != nil || len(im.Menu) == 0 || im.Menu[len(im.Menu)-1].Value == 0 {
		t.Errorf("integer_menu: %+v, %v", im, err)
	}
}

// meanStats is a frame's mean luma and mean RGB spread (max-min: how
// coloured it is) over the bars' lower part, under vivid's text.
func meanStats(img image.Image) (luma, chroma float64) {
	b := img.Bounds()
	n := 0.0
	for y := b.Max.Y - b.Dy()/4; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 5 {
			luma += lumaAt(img, x, y)
			r, g, bl, _ := img.At(x, y).RGBA()
			chroma += float64(max(r, g, bl)-min(r, g, bl)) / 257
			n++
		}
	}
	return luma / n, chroma / n
}

// hueAt is the hue angle, in degrees, of a pixel.
func hueAt(img image.Image, x, y int) float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	fr, fg, fb := float64(r), float64(g), float64(b)
	return math.Atan2(math.Sqrt(3)*(fg-fb), 2*fr-fg-fb) * 180 / math.Pi
}

// frameAfterSet is a frame captured after the buffers queued before a set
// went by.
func frameAfterSet(t *testing.T, d *device) image.Image {
	t.Helper()
	fs := readFrames(t, d, 6)
	return fs[len(fs)-1].Image
}

// Brightness, contrast, saturation and hue set through the API change
// vivid's frames the way they should, and v4l2-ctl reads the new values.
func TestVivid_ControlsChangeFrames(t *testing.T) {
	b, c := vividControls(t)
	cam := vividCamera(t, b)
	m, ok := fastest(cam.Modes, "YUYV", 640, 480)
	if !ok {
		t.Fatal("no YUYV 640x480")
	}
	d := openMode(t, b, cam.DeviceID, m) // streaming while the controls use their own fd
	defer func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	}()
	set := func(name string, v int64) image.Image {
		t.Helper()
		if err := c.Set(name, v); err != nil {
			t.Fatal(err)
		}
		if got := v4l2Get(t, name); got != strconv.FormatInt(v, 10) {
			t.Errorf("v4l2-ctl -C %s reads %s after setting %d", name, got, v)
		}
		return frameAfterSet(t, d)
	}
	defer func() {
		for _, n := range []string{"brightness", "contrast", "saturation", "hue"} {
			k, _ := c.Get(n)
			_ = c.Set(n, k.Default)
		}
	}()
	dark, _ := meanStats(set("brightness", 60))
	light, _ := meanStats(set("brightness", 200))
	if light < dark+20 {
		t.Errorf("brightness 60 -> 200: mean luma %.1f -> %.1f, want brighter", dark, light)
	}
	set("brightness", 128)
	lo := set("contrast", 40)
	hi := set("contrast", 220)
	spread := func(img image.Image) float64 {
		bb := img.Bounds()
		y := bb.Max.Y - 1 - bb.Dy()/20
		return lumaAt(img, bb.Min.X+bb.Dx()/16, y) - lumaAt(img, bb.Min.X+15*bb.Dx()/16, y) // white minus black bar
	}
	if spread(hi) < spread(lo)+20 {
		t.Errorf("contrast 40 -> 220: white-black %.1f -> %.1f, want wider", spread(lo), spread(hi))
	}
	set("contrast", 128)
	_, grey := meanStats(set("saturation", 0))
	_, vivid := meanStats(set("saturation", 255))
	if grey > 10 || vivid < grey+30 {
		t.Errorf("saturation 0 -> 255: colour spread %.1f -> %.1f, want ~0 then much more", grey, vivid)
	}
	set("saturation", 128)
	at := func(img image.Image) float64 { // the yellow bar
		bb := img.Bounds()
		return hueAt(img, bb.Min.X+3*bb.Dx()/16, bb.Max.Y-1-bb.Dy()/20)
	}
	h0 := at(set("hue", 0))
	hPlus := at(set("hue", 60))
	hMinus := at(set("hue", -60))
	dPlus, dMinus := angleDiff(hPlus, h0), angleDiff(hMinus, h0)
	if math.Abs(dPlus) < 10 || math.Abs(dMinus) < 10 || (dPlus > 0) == (dMinus > 0) {
		t.Errorf("hue 0, +60, -60: yellow at %.0f°, %.0f°, %.0f°; want turned opposite ways", h0, hPlus, hMinus)
	}
	t.Logf("luma %.1f->%.1f, contrast %.1f->%.1f, chroma %.1f->%.1f, hue %+.0f°/%+.0f°", dark, light, spread(lo), spread(hi), grey, vivid, dPlus, dMinus)
}

func angleDiff(a, b float64) float64 {
	d := math.Mod(a-b+540, 360) - 180
	return d
}

// A value set by another program reaches OnChange; so does the flag change
// gain_automatic makes on gain.
func TestVivid_ControlsEvents(t *testing.T) {
	_, c := vividControls(t)
	got := make(chan ControlInfo, 64)
	cancel, err := c.OnChange(func(k ControlInfo) { got <- k })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	defer ctl(t, "brightness=128")
	wait := func(what string, ok func(ControlInfo) bool) {
		t.Helper()
		ctx, stop := context.WithTimeout(context.Background(), 20*time.Second)
		defer stop()
		for {
			select {
			case k := <-got:
				if ok(k) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no change event for %s", what)
			}
		}
	}
	ctl(t, "brightness=77")
	wait("brightness=77 from v4l2-ctl", func(k ControlInfo) bool { return k.Name == "brightness" && k.Value == 77 })

	if err := c.SetText("gain_automatic", "true"); err != nil {
		t.Fatal(err)
	}
	if g, _ := c.Get("gain"); !g.Inactive() {
		t.Errorf("gain with gain_automatic on: flags %v, want inactive", g.Flags)
	}
	ctl(t, "gain_automatic=0")
	wait("gain active", func(k ControlInfo) bool { return k.Name == "gain" && !k.Inactive() })
	if g, _ := c.Get("gain"); g.Inactive() {
		t.Errorf("gain with gain_automatic off: flags %v, want active", g.Flags)
	}
	if err := c.SetText("gain_automatic", "true"); err != nil {
		t.Fatal(err)
	}
	wait("gain inactive again", func(k ControlInfo) bool { return k.Name == "gain" && k.Inactive() })
}

// Bad names and values are errors naming the control; nothing changes.
func TestVivid_ControlsBadValues(t *testing.T) {
	_, c := vividControls(t)
	before := v4l2Get(t, "brightness")
	for _, tc := range []struct{ name, value, want string }{
		{"brightness", "300", "from 0 to 255"},
		{"brightness", "dim", "not an integer"},
		{"no_such_control", "1", `no control "no_such_control"`},
		{"menu", "no such item", "one of"},
	} {
		err := c.SetText(tc.name, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s=%s: %v, want an error naming it and saying %q", tc.name, tc.value, err, tc.want)
		}
	}
	if after := v4l2Get(t, "brightness"); after != before {
		t.Errorf("brightness %s -> %s after bad sets", before, after)
	}
}

// Opening, listing, watching and setting controls 20 times leaves no
// descriptor open (goleak, in TestMain, checks the goroutines).
func TestVivid_ControlsCycles(t *testing.T) {
	useVivid(t, vividParams)
	b := New()
	cam := vividCamera(t, b)
	for i := range 20 {
		c, err := b.Controls(cam.DeviceID)
		if err != nil {
			t.Fatal(err)
		}
		cancel, err := c.OnChange(func(ControlInfo) {})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.List(); err != nil {
			t.Fatal(err)
		}
		if err := c.Set("brightness", int64(100+i)); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ctl(t, "brightness=128")
	assertReleased(t, "after 20 control cycles")
}
