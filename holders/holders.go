package holders

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tally-app/tally/internal/pulse"
)

// Holder is one consumer of a device: a process holding a node, or a
// recording stream of the audio server.
type Holder struct {
	// PID is the process; 0 for a stream the audio server itself owns
	// (a module such as module-loopback), which has no process.
	PID int `json:"pid"`
	// Name is the process name (/proc/<pid>/comm) for Via "fd" and "mmap",
	// the application's own name (application.name) for Via "pulse".
	Name string `json:"name"`
	// Cmdline is the command line, arguments joined by spaces; empty when
	// it cannot be read.
	Cmdline string `json:"cmdline,omitempty"`
	// Streaming: the process maps the node (V4L2 or ALSA mmap capture is
	// running), or the recording stream is not corked (paused).
	Streaming bool `json:"streaming"`
	// Self: the holder is the calling process.
	Self bool `json:"self,omitempty"`
	// Via says how it holds the device: "fd" (an open file descriptor,
	// possibly also mapped), "mmap" (mapped with no descriptor left open),
	// or "pulse" (a recording stream of the audio server).
	Via string `json:"via"`
	// Stream is the recording stream's name (media.name), for Via "pulse".
	Stream string `json:"stream,omitempty"`
}

// Via values.
const (
	ViaFD    = "fd"
	ViaMmap  = "mmap"
	ViaPulse = "pulse"
)

// Device is a device with everything holding it.
type Device struct {
	// Path is the node as it was asked for (before symlinks were resolved),
	// or the audio server's source name when Pulse is set.
	Path string `json:"path"`
	// Kind is "videoinput", "audioinput" or "audiooutput", as in
	// MediaDeviceInfo; empty for a path that is none of these.
	Kind string `json:"kind,omitempty"`
	// Label is the audio server's description of a source.
	Label string `json:"label,omitempty"`
	// Pulse: Path names an audio server source, not a file.
	Pulse bool `json:"pulse,omitempty"`
	// Holders, by pid; empty when nobody holds the device.
	Holders []Holder `json:"holders"`
}

// Snapshot is every configured device with its holders at one moment.
type Snapshot struct {
	Devices []Device `json:"devices"`
	// Errors says what could not be asked (e.g. "no audio server"); the
	// devices that could be scanned are there all the same.
	Errors []string `json:"errors,omitempty"`
}

// Device returns the device with the given path or source name.
func (s Snapshot) Device(path string) (Device, bool) {
	for _, d := range s.Devices {
		if d.Path == path {
			return d, true
		}
	}
	return Device{}, false
}

// Equal reports whether two snapshots list the same devices, holders and
// errors.
func (s Snapshot) Equal(o Snapshot) bool {
	return slices.Equal(s.Errors, o.Errors) &&
		slices.EqualFunc(s.Devices, o.Devices, func(a, b Device) bool {
			return a.Path == b.Path && a.Kind == b.Kind && a.Label == b.Label &&
				a.Pulse == b.Pulse && slices.Equal(a.Holders, b.Holders)
		})
}

// DefaultPulseTimeout bounds each question to the audio server when Scanner.PulseTimeout is
// zero: a wedged audio server must not wedge the caller.
const DefaultPulseTimeout = 2 * time.Second

// Scanner scans a configured set of devices. The zero value scans nothing;
// set its fields before its first use and do not change them after.
type Scanner struct {
	// Paths are device nodes (or any files) whose holders are wanted.
	// Symlinks such as /dev/v4l/by-id/... are resolved.
	Paths []string
	// ListPaths, if set, lists the paths afresh for every scan instead of
	// Paths (DefaultPaths, say, so that a camera plugged in later is
	// scanned too).
	ListPaths func() []string
	// Pulse also lists every source of the audio server with its
	// recording streams.
	Pulse bool
	// AllMaps reads /proc/<pid>/maps of every process, finding a process
	// that mapped a node and then closed its descriptor. Without it, maps
	// are read only for processes holding a node open, which is how V4L2
	// and ALSA capture run (they need the descriptor to dequeue buffers);
	// reading every process's maps costs several times more (see the
	// package benchmarks).
	AllMaps bool
	// PulseTimeout bounds each question to the audio server; 0 means
	// DefaultPulseTimeout.
	PulseTimeout time.Duration

	mu   sync.Mutex // serializes scans; protects proc
	proc *procScanner
}

// Holders scans the configured paths, and the audio server if Pulse is
// set. The snapshot lists every path in the order given, then every audio
// source in the server's order. When a part cannot be asked (no audio
// server, ctx ended) the error says which, Snapshot.Errors repeats it, and
// the snapshot still has what the other parts found.
func (s *Scanner) Holders(ctx context.Context) (Snapshot, error) {
	devs, errs := s.scanNodes(ctx)
	if s.Pulse {
		pc := pulse.Open() // shared: no new connection if the process has one
		defer pc.Close()
		pdevs, err := s.scanPulse(ctx, pc)
		devs = append(devs, pdevs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return snapshot(devs, errs)
}

func snapshot(devs []Device, errs []error) (Snapshot, error) {
	snap := Snapshot{Devices: devs}
	for _, e := range errs {
		snap.Errors = append(snap.Errors, e.Error())
	}
	return snap, errors.Join(errs...)
}

// scanNodes is the /proc part of a scan.
func (s *Scanner) scanNodes(ctx context.Context) ([]Device, []error) {
	var devs []Device
	var errs []error
	paths := s.Paths
	if s.ListPaths != nil {
		paths = s.ListPaths()
	}
	targets, keys := makeTargets(paths)
	if len(targets) > 0 {
		s.mu.Lock()
		if s.proc == nil {
			s.proc = newProcScanner()
		}
		err := s.proc.scan(ctx, targets, s.AllMaps)
		s.mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	for i, p := range paths {
		t := &targets[keys[i]]
		devs = append(devs, Device{
			Path:    p,
			Kind:    kindOf(t.path),
			Holders: sortHolders(slices.Clone(t.out)), // two names of one node: two slices
		})
	}
	return devs, errs
}

// scanPulse is the audio server part of a scan.
func (s *Scanner) scanPulse(ctx context.Context, pc *pulse.Client) ([]Device, error) {
	sources, err := queryPulse(ctx, pc, s.PulseTimeout)
	devs := make([]Device, 0, len(sources))
	for _, src := range sources {
		devs = append(devs, Device{
			Path:    src.name,
			Kind:    "audioinput",
			Label:   src.label,
			Pulse:   true,
			Holders: sortHolders(src.holders),
		})
	}
	return devs, err
}

// scanners are reused by ScanPaths so one-shot scans do not allocate their
// buffers each time.
var scanners = sync.Pool{New: func() any { return newProcScanner() }}

// ScanPaths finds every process holding each of paths open (Streaming when
// it also maps it; see Scanner.AllMaps for mappings without a descriptor,
// which ScanPaths does not look for). Symlinks in paths are
// resolved; the result is keyed by the paths as given, and a path nobody
// holds has no entry. Processes that cannot be read are skipped; the error
// is for /proc itself being unreadable.
func ScanPaths(paths []string) (map[string][]Holder, error) {
	return scanPaths(context.Background(), paths, false)
}

func scanPaths(ctx context.Context, paths []string, allMaps bool) (map[string][]Holder, error) {
	targets, keys := makeTargets(paths)
	out := make(map[string][]Holder)
	if len(targets) == 0 {
		return out, nil
	}
	ps := scanners.Get().(*procScanner)
	err := ps.scan(ctx, targets, allMaps)
	scanners.Put(ps)
	for i, p := range paths {
		if h := targets[keys[i]].out; len(h) > 0 {
			out[p] = sortHolders(slices.Clone(h))
		}
	}
	return out, err
}

// DescribeBusy names the other processes holding path, for a "device busy"
// error: "in use by obs (pid 4242)", "in use by obs (pid 4242) and ffmpeg
// (pid 99)"; "" when no other process holds it. The calling process is left
// out: a backend that failed to start a device may still have it open.
func DescribeBusy(path string) string {
	m, _ := ScanPaths([]string{path}) // unreadable /proc: nothing to say
	var names []string
	for _, h := range m[path] {
		if !h.Self {
			names = append(names, h.Name+" (pid "+strconv.Itoa(h.PID)+")")
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "in use by " + names[0]
	default:
		return "in use by " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}

// makeTargets resolves paths into distinct targets; keys[i] is the target
// of paths[i] (two names of one node share a target).
func makeTargets(paths []string) (targets []procTarget, keys []int) {
	index := make(map[string]int, len(paths))
	keys = make([]int, len(paths))
	for i, p := range paths {
		c, exists := canonical(p)
		k, ok := index[c]
		if !ok {
			k = len(targets)
			index[c] = k
			targets = append(targets, procTarget{path: c, missing: !exists})
		}
		keys[i] = k
	}
	return targets, keys
}

// canonical is the path as /proc/<pid>/fd links show it: absolute, clean,
// symlinks resolved. exists is false for a path that does not exist (an
// unplugged device), which is kept as given, made absolute.
func canonical(p string) (path string, exists bool) {
	if p == "" {
		return "", false // names nothing, so matches nothing (fd links are absolute)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, true
	}
	return abs, false
}

// kindOf tells the MediaDeviceInfo kind of a node from its canonical path.
func kindOf(p string) string {
	dir, base := filepath.Split(p)
	switch {
	case dir == "/dev/" && strings.HasPrefix(base, "video"):
		return "videoinput"
	case dir == "/dev/snd/" && strings.HasPrefix(base, "pcmC") && strings.HasSuffix(base, "c"):
		return "audioinput"
	case dir == "/dev/snd/" && strings.HasPrefix(base, "pcmC") && strings.HasSuffix(base, "p"):
		return "audiooutput"
	}
	return ""
}

// DefaultPaths lists this machine's camera nodes (/dev/video*) and ALSA
// capture nodes (/dev/snd/pcm*c), sorted; none on a machine without them.
func DefaultPaths() []string {
	v, _ := filepath.Glob("/dev/video*")
	a, _ := filepath.Glob("/dev/snd/pcmC*D*c")
	return append(v, a...) // Glob sorts each
}

// sortHolders orders h by pid, never nil so JSON shows "holders": [].
func sortHolders(h []Holder) []Holder {
	if h == nil {
		return []Holder{}
	}
	slices.SortFunc(h, func(a, b Holder) int {
		return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.Via, b.Via), cmp.Compare(a.Stream, b.Stream))
	})
	return h
}

// cmdlineString turns NUL-separated arguments into one space-separated line.
func cmdlineString(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	out := make([]byte, len(b))
	for i, c := range b {
		if c == 0 {
			c = ' '
		}
		out[i] = c
	}
	return string(out)
}
