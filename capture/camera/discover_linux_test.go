//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tally-app/tally/capture/camera/internal/v4l2"
)

// fakeTree builds a sysfs and /dev like the kernel's: two identical USB
// webcams (one with a serial, one without), each with a capture and a
// metadata node, and a platform device (vivid) with no USB ancestor.
func fakeTree(t *testing.T) sysfs {
	t.Helper()
	root := t.TempDir()
	fs := sysfs{class: filepath.Join(root, "sys/class/video4linux"), dev: filepath.Join(root, "dev"), root: filepath.Join(root, "sys/devices")}
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	usb := func(dir, serial string) {
		write(filepath.Join(dir, "idVendor"), "046d\n")
		write(filepath.Join(dir, "idProduct"), "0825\n")
		write(filepath.Join(dir, "product"), "HD Webcam C270\n")
		if serial != "" {
			write(filepath.Join(dir, "serial"), serial+"\n")
		}
	}
	node := func(name, device string, index string) {
		dir := filepath.Join(fs.class, name)
		write(filepath.Join(dir, "index"), index+"\n")
		write(filepath.Join(device, "uevent"), "")
		if err := os.Symlink(device, filepath.Join(dir, "device")); err != nil {
			t.Fatal(err)
		}
		write(filepath.Join(fs.dev, name), "")
	}
	cam1 := filepath.Join(fs.root, "pci0000:00/0000:00:14.0/usb1/1-1")
	cam2 := filepath.Join(fs.root, "pci0000:00/0000:00:14.0/usb1/1-2")
	usb(cam1, "3F2A1B")
	usb(cam2, "")
	node("video0", cam1+"/1-1:1.0", "0")
	node("video1", cam1+"/1-1:1.0", "1")
	node("video2", cam2+"/1-2:1.0", "0")
	node("video3", cam2+"/1-2:1.0", "1")
	node("video10", filepath.Join(fs.root, "platform/vivid.0"), "0")
	return fs
}

func TestSysfsIDs(t *testing.T) {
	fs := fakeTree(t)
	nodes, err := fs.nodes()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.name)
	}
	if want := []string{"video0", "video1", "video2", "video3", "video10"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("nodes %v, want %v (in node-number order)", names, want)
	}
	taken := map[string]bool{}
	var ids, groups []string
	for _, n := range nodes {
		id := fs.stableID(n, "", fs.udevNames(), taken)
		taken[id] = true
		ids = append(ids, id)
		groups = append(groups, fs.groupOf(n))
	}
	want := []string{
		"usb-HD_Webcam_C270_3F2A1B-video-index0", // the serial: survives moving to another port
		"usb-HD_Webcam_C270_3F2A1B-video-index1",
		"pci0000:00-0000:00:14.0-usb1-1-2-1-2:1.0-video-index0", // no serial: the port
		"pci0000:00-0000:00:14.0-usb1-1-2-1-2:1.0-video-index1",
		"platform-vivid.0-video-index0",
	}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("ids\n got %q\nwant %q", ids, want)
	}
	if groups[0] != groups[1] || groups[2] != groups[3] || groups[0] == groups[2] {
		t.Errorf("groups %q: a webcam's nodes share one, two webcams do not", groups)
	}

	// With udev's links, their names win.
	byID := filepath.Join(fs.dev, "v4l/by-id")
	if err := os.MkdirAll(byID, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../video0", filepath.Join(byID, "usb-046d_HD_Webcam_C270_3F2A1B-video-index0")); err != nil {
		t.Fatal(err)
	}
	if id := fs.stableID(nodes[0], "", fs.udevNames(), map[string]bool{}); id != "usb-046d_HD_Webcam_C270_3F2A1B-video-index0" {
		t.Errorf("with a by-id link: %q", id)
	}
	// A name another node took already is not reused.
	// Two V4L2 devices on one parent (vivid n_devs=2): the second is told
	// apart by its bus_info.
	if id := fs.stableID(nodes[4], "platform:vivid-001", nil, map[string]bool{"platform-vivid.0-video-index0": true}); id != "platform-vivid-001-video-index0" {
		t.Errorf("the second device on one parent: id %q", id)
	}
	if id := fs.stableID(nodes[4], "", nil, map[string]bool{"platform-vivid.0-video-index0": true}); id == "platform-vivid.0-video-index0" {
		t.Errorf("two nodes got one id %q", id)
	}

	// No V4L2 driver at all: no nodes, no error.
	if n, err := (sysfs{class: filepath.Join(t.TempDir(), "none")}).nodes(); err != nil || n != nil {
		t.Errorf("no class directory: %v, %v", n, err)
	}
}

func TestDistinctLabels(t *testing.T) {
	cams := []CameraInfo{{Label: "HD Webcam C270"}, {Label: "vivid"}, {Label: "HD Webcam C270"}, {Label: "HD Webcam C270"}}
	distinctLabels(cams)
	var got []string
	for _, c := range cams {
		got = append(got, c.Label)
	}
	if want := []string{"HD Webcam C270", "vivid", "HD Webcam C270 (2)", "HD Webcam C270 (3)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("labels %q, want %q", got, want)
	}
}

func TestPickSizesAndIntervals(t *testing.T) {
	disc := v4l2.SizeRange{Discrete: []v4l2.Size{{Width: 640, Height: 480}}}
	if got := pickSizes(disc); !reflect.DeepEqual(got, disc.Discrete) {
		t.Errorf("discrete sizes: %v", got)
	}
	step := v4l2.SizeRange{Stepwise: true, Min: v4l2.Size{Width: 48, Height: 32}, Max: v4l2.Size{Width: 1920, Height: 1080}, Step: v4l2.Size{Width: 16, Height: 8}}
	got := pickSizes(step)
	want := []v4l2.Size{{Width: 48, Height: 32}, {Width: 640, Height: 480}, {Width: 1280, Height: 720}, {Width: 1920, Height: 1080}}
	// 160x120 is off the 16-pixel grid from 48, 320x180 off the 8-line one...
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("stepwise sizes %v lack %v", got, w)
		}
	}
	for _, g := range got {
		if (g.Width-48)%16 != 0 || (g.Height-32)%8 != 0 || g.Width > 1920 || g.Height > 1080 {
			t.Errorf("stepwise sizes %v include %v, off the driver's grid", got, g)
		}
	}

	cont := v4l2.IntervalRange{Stepwise: true, Min: v4l2.Interval{Num: 1, Den: 60}, Max: v4l2.Interval{Num: 1, Den: 1}, Step: v4l2.Interval{Num: 1, Den: 1}}
	var rates []float64
	for _, iv := range pickIntervals(cont) {
		rates = append(rates, iv.Rate())
	}
	if want := []float64{1, 5, 10, 15, 20, 24, 25, 30, 50, 60}; !reflect.DeepEqual(rates, want) {
		t.Errorf("continuous rates %v, want %v", rates, want)
	}
	if got := pickIntervals(v4l2.IntervalRange{}); got != nil {
		t.Errorf("no intervals: %v", got)
	}
}
