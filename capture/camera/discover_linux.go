//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// node is one /sys/class/video4linux entry: a V4L2 device node, not yet
// known to be a camera.
type node struct {
	name   string // "video0"
	dev    string // "/dev/video0"
	device string // the sysfs device it belongs to, resolved ("/sys/devices/platform/vivid.0")
	index  int    // the node's index within its device (sysfs "index")
}

// sysfs is where nodes are looked up; tests point it at a fake tree.
type sysfs struct {
	class string // "/sys/class/video4linux"
	dev   string // "/dev"
	root  string // "/sys/devices": the prefix stripped from bus paths
}

var realSysfs = sysfs{class: "/sys/class/video4linux", dev: "/dev", root: "/sys/devices"}

// nodes lists the V4L2 nodes sysfs knows, in node-number order. A missing
// class directory (no V4L2 driver loaded) is no nodes, not an error.
func (fs sysfs) nodes() ([]node, error) {
	ents, err := os.ReadDir(fs.class)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []node
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "video") {
			continue
		}
		dir := filepath.Join(fs.class, e.Name())
		device, err := filepath.EvalSymlinks(filepath.Join(dir, "device"))
		if err != nil {
			continue // vanished while listing, or no device: not a usable node
		}
		n := node{name: e.Name(), dev: filepath.Join(fs.dev, e.Name()), device: device}
		if b, err := os.ReadFile(filepath.Join(dir, "index")); err == nil {
			n.index, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b node) int { return nodeNumber(a.name) - nodeNumber(b.name) })
	return out, nil
}

func nodeNumber(name string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(name, "video"))
	return n
}

// udevNames maps each node (resolved /dev path) to its udev-made persistent
// names, by-id first, then by-path. Without udev (a VM, a container) there
// are none.
func (fs sysfs) udevNames() map[string][]string {
	names := map[string][]string{}
	for _, sub := range []string{"by-id", "by-path"} {
		dir := filepath.Join(fs.dev, "v4l", sub)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			target, err := filepath.EvalSymlinks(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			names[target] = append(names[target], e.Name())
		}
	}
	return names
}

// usbDevice walks up from a node's device to the USB device it is an
// interface of: the directory with idVendor. Empty when it is not USB.
func (fs sysfs) usbDevice(device string) string {
	for d := device; strings.HasPrefix(d, fs.root+"/"); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "idVendor")); err == nil {
			return d
		}
	}
	return ""
}

func readAttr(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// sanitize keeps an id to the characters udev keeps in its link names.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-_.:#+", r):
			return r
		}
		return '_'
	}, s)
}

// busPath is the node's device path under /sys/devices, as one token
// ("platform-vivid.0", "pci0000:00-0000:00:14.0-usb1-1-1-1-1:1.0").
func (fs sysfs) busPath(device string) string {
	rel, err := filepath.Rel(fs.root, device)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = device
	}
	return sanitize(strings.ReplaceAll(strings.Trim(rel, "/"), "/", "-"))
}

// stableID names a node so the name survives unplug and replug: the udev
// by-id link (serial-based) or by-path link when there is one and no other
// node took it; else, from sysfs alone, the USB serial when the device has
// one ("usb-046d_HD_Webcam_C270_3F2A1B-video-index0"), else the bus path
// ("platform-vivid.0-video-index0"), else the driver's bus_info, which
// tells apart several V4L2 devices on one parent ("platform-vivid-001-
// video-index0"). taken holds the ids given so far.
func (fs sysfs) stableID(n node, busInfo string, udev map[string][]string, taken map[string]bool) string {
	suffix := "-video-index" + strconv.Itoa(n.index)
	var candidates []string
	if real, err := filepath.EvalSymlinks(n.dev); err == nil {
		candidates = append(candidates, udev[real]...)
	}
	if usb := fs.usbDevice(n.device); usb != "" {
		if serial := readAttr(usb, "serial"); serial != "" {
			model := readAttr(usb, "product")
			if model == "" {
				model = readAttr(usb, "idVendor") + "_" + readAttr(usb, "idProduct")
			}
			candidates = append(candidates, "usb-"+sanitize(model+"_"+serial)+suffix)
		}
	}
	candidates = append(candidates, fs.busPath(n.device)+suffix)
	if busInfo != "" {
		candidates = append(candidates, sanitize(strings.ReplaceAll(busInfo, ":", "-"))+suffix)
	}
	for _, c := range candidates {
		if !taken[c] {
			return c
		}
	}
	return fs.busPath(n.device) + "-" + n.name // two nodes claim one index: keep them apart
}

// groupOf is the physical device a node belongs to: the USB device for USB
// cameras (so a webcam's nodes share it), else the node's own device.
func (fs sysfs) groupOf(n node) string {
	if usb := fs.usbDevice(n.device); usb != "" {
		return fs.busPath(usb)
	}
	return fs.busPath(n.device)
}

// distinctLabels appends " (2)", " (3)"… to repeated labels, in list order,
// so two identical cameras can be told apart in a picker.
func distinctLabels(cams []CameraInfo) {
	count := map[string]int{}
	for i := range cams {
		l := cams[i].Label
		count[l]++
		if n := count[l]; n > 1 {
			cams[i].Label = l + " (" + strconv.Itoa(n) + ")"
		}
	}
}
