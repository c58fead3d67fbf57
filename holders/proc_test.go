package holders

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func onlyHolder(t *testing.T, m map[string][]Holder, key string) Holder {
	t.Helper()
	if len(m[key]) != 1 {
		t.Fatalf("holders of %s: got %+v, want exactly one", key, m[key])
	}
	return m[key][0]
}

func TestScanFindsChildThatOpens(t *testing.T) {
	dev := tempDevice(t)
	c := startChild(t, "open", dev)

	m, err := ScanPaths([]string{dev})
	if err != nil {
		t.Fatal(err)
	}
	h := onlyHolder(t, m, dev)
	if h.PID != c.pid() || h.Name != testName() || h.Via != ViaFD || h.Streaming || h.Self {
		t.Errorf("holder = %+v, want pid %d name %q via fd, not streaming, not self", h, c.pid(), testName())
	}
	if !strings.HasPrefix(h.Cmdline, os.Args[0]+" -test.run=") {
		t.Errorf("cmdline = %q, want %q and its arguments", h.Cmdline, os.Args[0])
	}

	c.stop()
	m, err = ScanPaths([]string{dev})
	if err != nil || len(m) != 0 {
		t.Errorf("after the child exited: %+v, %v; want no holders", m, err)
	}
}

func TestScanFindsChildThatMaps(t *testing.T) {
	dev := tempDevice(t)
	c := startChild(t, "mmap", dev)
	m, err := ScanPaths([]string{dev})
	if err != nil {
		t.Fatal(err)
	}
	if h := onlyHolder(t, m, dev); h.PID != c.pid() || !h.Streaming || h.Via != ViaFD {
		t.Errorf("holder = %+v, want pid %d streaming via fd", h, c.pid())
	}
	c.stop()
	if m, _ := ScanPaths([]string{dev}); len(m) != 0 {
		t.Errorf("after the child exited: %+v", m)
	}
}

// A process that maps a node and closes its descriptor is found only when
// every process's maps are read.
func TestScanMappedOnlyNeedsAllMaps(t *testing.T) {
	dev := tempDevice(t)
	c := startChild(t, "mmaponly", dev)

	if m, _ := ScanPaths([]string{dev}); len(m) != 0 {
		t.Errorf("without AllMaps: %+v, want nothing (maps read only for holders of an fd)", m)
	}
	s := &Scanner{Paths: []string{dev}, AllMaps: true}
	snap, err := s.Holders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := snap.Device(dev)
	if len(d.Holders) != 1 || d.Holders[0].PID != c.pid() || d.Holders[0].Via != ViaMmap || !d.Holders[0].Streaming {
		t.Errorf("with AllMaps: %+v, want pid %d streaming via mmap", d.Holders, c.pid())
	}
}

// A non-Go process holding the file through an inherited descriptor.
func TestScanFindsInheritedDescriptor(t *testing.T) {
	dev := tempDevice(t)
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "600")
	cmd.ExtraFiles = []*os.File{f} // fd 3 in the child
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep to run: %v", err)
	}
	f.Close()
	defer cmd.Wait()
	defer cmd.Process.Kill()

	m, err := ScanPaths([]string{dev})
	if err != nil {
		t.Fatal(err)
	}
	if h := onlyHolder(t, m, dev); h.PID != cmd.Process.Pid || h.Name != "sleep" || h.Cmdline != "sleep 600" {
		t.Errorf("holder = %+v, want sleep (pid %d) \"sleep 600\"", h, cmd.Process.Pid)
	}
}

func TestScanResolvesSymlinksAndKeepsAskedNames(t *testing.T) {
	dev := tempDevice(t)
	link := filepath.Join(t.TempDir(), "usb-Cam-video-index0")
	if err := os.Symlink(dev, link); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, "open", dev)
	m, err := ScanPaths([]string{link, dev})
	if err != nil {
		t.Fatal(err)
	}
	if onlyHolder(t, m, link).PID != c.pid() || onlyHolder(t, m, dev).PID != c.pid() {
		t.Errorf("got %+v, want pid %d under both names", m, c.pid())
	}
}

func TestScanFlagsSelf(t *testing.T) {
	dev := tempDevice(t)
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ScanPaths([]string{dev})
	if err != nil {
		t.Fatal(err)
	}
	if h := onlyHolder(t, m, dev); h.PID != os.Getpid() || !h.Self {
		t.Errorf("holder = %+v, want this process (pid %d) flagged Self", h, os.Getpid())
	}
	if s := DescribeBusy(dev); s != "" {
		t.Errorf("DescribeBusy with only this process holding = %q, want \"\"", s)
	}
}

func TestScanMissingAndEmpty(t *testing.T) {
	m, err := ScanPaths([]string{"/dev/no-such-video99", "relative/none", ""})
	if err != nil || len(m) != 0 {
		t.Errorf("missing paths: %+v, %v; want no holders, no error", m, err)
	}
	// No walk of /proc when no path exists.
	ps := newProcScanner()
	targets, _ := makeTargets([]string{tempDevice(t)})
	if err := ps.scan(context.Background(), targets, false); err != nil || len(ps.pids) == 0 {
		t.Fatalf("scan of an existing path listed no processes: %v", err)
	}
	targets, _ = makeTargets([]string{"/dev/no-such-video99", ""})
	if err := ps.scan(context.Background(), targets, false); err != nil || len(ps.pids) != 0 {
		t.Errorf("scan of missing paths walked %d processes, %v; want none", len(ps.pids), err)
	}

	m, err = ScanPaths(nil)
	if err != nil || m == nil || len(m) != 0 {
		t.Errorf("no paths: %#v, %v; want an empty map", m, err)
	}
}

func TestScanCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Only worth checking where there are enough processes for the scan
	// to look at ctx.
	if pids, _ := filepath.Glob("/proc/[0-9]*"); len(pids) < 64 {
		t.Skip("too few processes for the scan to check its context")
	}
	if _, err := scanPaths(ctx, []string{"/dev/null"}, false); err != context.Canceled {
		t.Errorf("scan with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestDescribeBusy(t *testing.T) {
	dev := tempDevice(t)
	if s := DescribeBusy(dev); s != "" {
		t.Errorf("nobody holding: %q", s)
	}
	a := startChild(t, "open", dev)
	want := "in use by " + testName() + " (pid " + itoa(a.pid()) + ")"
	if s := DescribeBusy(dev); s != want {
		t.Errorf("one holder: %q, want %q", s, want)
	}
	b := startChild(t, "mmap", dev)
	c := startChild(t, "open", dev)
	// Holders are in pid order; pids usually but not always grow.
	names := map[int]string{}
	for _, ch := range []*child{a, b, c} {
		names[ch.pid()] = testName() + " (pid " + itoa(ch.pid()) + ")"
	}
	m, _ := ScanPaths([]string{dev})
	if len(m[dev]) != 3 {
		t.Fatalf("three children holding: %+v", m[dev])
	}
	want = "in use by " + names[m[dev][0].PID] + ", " + names[m[dev][1].PID] + " and " + names[m[dev][2].PID]
	if s := DescribeBusy(dev); s != want {
		t.Errorf("three holders: %q, want %q", s, want)
	}
	a.stop()
	c.stop()
	want = "in use by " + names[b.pid()]
	if s := DescribeBusy(dev); s != want {
		t.Errorf("after two exited: %q, want %q", s, want)
	}
}

func TestKindOf(t *testing.T) {
	for path, want := range map[string]string{
		"/dev/video0":         "videoinput",
		"/dev/video12":        "videoinput",
		"/dev/snd/pcmC0D0c":   "audioinput",
		"/dev/snd/pcmC1D3p":   "audiooutput",
		"/dev/snd/controlC0":  "",
		"/tmp/x/video0":       "",
		"/dev/v4l/by-id/cam0": "",
	} {
		if got := kindOf(path); got != want {
			t.Errorf("kindOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestMapsMatchNeedsWholeLastField(t *testing.T) {
	maps := []byte("7f00-7f01 r--s 00000000 00:1a 5 /dev/video0\n" +
		"7f01-7f02 r--s 00000000 00:1a 6 /dev/video01\n" +
		"7f02-7f03 r--s 00000000 00:1a 7 /x/dev/video1\n" +
		"7f03-7f04 r--s 00000000 00:1a 8 /dev/video2 (deleted)\n")
	targets := []procTarget{{path: "/dev/video0"}, {path: "/dev/video1"}, {path: "/dev/video2"}, {path: "/dev/video01"}, {path: ""}}
	hits := make([]uint8, len(targets))
	mapsMatch(maps, targets, hits)
	if want := []uint8{hitMap, 0, 0, hitMap, 0}; string(hits) != string(want) {
		t.Errorf("hits = %v, want %v", hits, want)
	}
}

func TestCmdlineString(t *testing.T) {
	if got := cmdlineString([]byte("obs\x00--startvirtualcam\x00")); got != "obs --startvirtualcam" {
		t.Errorf("got %q", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
