//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/camera/internal/v4l2"
)

// v4l2System finds cameras through sysfs (/sys/class/video4linux; udev's
// /dev/v4l links when there are any) and asks each node with Tally's own
// ioctl layer what it is and what it captures.
type v4l2System struct {
	fs sysfs

	mu   sync.Mutex // guards the fields below
	sig  string     // the node set at the last scan
	cams []CameraInfo
	busy map[string]bool // ids open through this System
}

// NewV4L2System returns the System over this machine's V4L2 cameras. With no
// V4L2 node it lists nothing, without error.
func NewV4L2System() System {
	return &v4l2System{fs: realSysfs, busy: make(map[string]bool)}
}

// Cameras implements System. It reads the sysfs node list on each call and
// only asks the nodes again when the list changed (a node, or the device it
// belongs to, came or went): enumerating every mode takes hundreds of ioctls.
func (s *v4l2System) Cameras() ([]CameraInfo, error) {
	nodes, err := s.fs.nodes()
	if err != nil {
		return nil, fmt.Errorf("listing V4L2 nodes: %w", err)
	}
	var sig strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&sig, "%s=%s#%d;", n.name, n.device, n.index)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cams != nil && sig.String() == s.sig {
		return slices.Clone(s.cams), nil
	}
	udev := s.fs.udevNames()
	taken := map[string]bool{}
	cams := []CameraInfo{}
	for _, n := range nodes {
		c, busInfo, ok := s.probe(n)
		if !ok {
			continue
		}
		c.ID = s.fs.stableID(n, busInfo, udev, taken)
		taken[c.ID] = true
		c.Group = s.fs.groupOf(n)
		cams = append(cams, c)
	}
	distinctLabels(cams)
	s.sig, s.cams = sig.String(), cams
	return slices.Clone(cams), nil
}

// probe opens a node and, when it is a capture node, lists its modes. Output,
// metadata, radio, touch and SDR nodes, and nodes that fail to answer, are
// not cameras.
func (s *v4l2System) probe(n node) (c CameraInfo, busInfo string, ok bool) {
	d, err := v4l2.Open(n.dev)
	if err != nil {
		return CameraInfo{}, "", false
	}
	defer d.Close()
	caps := d.Caps()
	if !caps.IsCapture() {
		return CameraInfo{}, "", false
	}
	label := caps.Card
	if label == "" {
		label = n.name
	}
	modes, err := enumerateModes(d)
	if err != nil && len(modes) == 0 {
		return CameraInfo{}, "", false
	}
	return CameraInfo{Label: label, Path: n.dev, Modes: modes}, caps.BusInfo, true
}

// enumerateModes lists every format, size and interval of a capture node.
// A format Tally cannot convert is one size-less Mode: only its name is
// shown, and asking for its sizes would cost ioctls for nothing.
func enumerateModes(d *v4l2.Device) ([]Mode, error) {
	formats, err := d.Formats()
	var modes []Mode
	for _, f := range formats {
		if !Convertible(f.FourCC) {
			modes = append(modes, Mode{Format: f.FourCC})
			continue
		}
		r, err := d.FrameSizes(f.Code)
		if err != nil {
			return modes, err
		}
		for _, sz := range pickSizes(r) {
			ivs, err := d.FrameIntervals(f.Code, sz)
			if err != nil {
				return modes, err
			}
			rates := pickIntervals(ivs)
			if len(rates) == 0 {
				modes = append(modes, Mode{Format: f.FourCC, Width: sz.Width, Height: sz.Height})
			}
			for _, iv := range rates {
				modes = append(modes, Mode{Format: f.FourCC, Width: sz.Width, Height: sz.Height, Interval: Interval{iv.Num, iv.Den}})
			}
		}
	}
	return modes, err
}

// commonSizes are the sizes offered from a stepwise or continuous range
// (with its minimum and maximum): what cameras and browsers ask for.
var commonSizes = [][2]int{
	{160, 120}, {320, 180}, {320, 240}, {352, 288}, {640, 360}, {640, 480}, {800, 600},
	{960, 540}, {1024, 768}, {1280, 720}, {1280, 960}, {1600, 1200}, {1920, 1080},
	{2560, 1440}, {3840, 2160},
}

func pickSizes(r v4l2.SizeRange) []v4l2.Size {
	if !r.Stepwise {
		return r.Discrete
	}
	fits := func(s v4l2.Size) bool {
		return s.Width >= r.Min.Width && s.Width <= r.Max.Width && s.Height >= r.Min.Height && s.Height <= r.Max.Height &&
			(s.Width-r.Min.Width)%r.Step.Width == 0 && (s.Height-r.Min.Height)%r.Step.Height == 0
	}
	out := []v4l2.Size{r.Min}
	for _, wh := range commonSizes {
		s := v4l2.Size{Width: wh[0], Height: wh[1]}
		if fits(s) && s != r.Min && s != r.Max {
			out = append(out, s)
		}
	}
	if r.Max != r.Min {
		out = append(out, r.Max)
	}
	return out
}

// commonRates are offered from a stepwise or continuous interval range,
// with its fastest and slowest rates.
var commonRates = []uint32{5, 10, 15, 20, 24, 25, 30, 50, 60, 120}

func pickIntervals(r v4l2.IntervalRange) []v4l2.Interval {
	if !r.Stepwise {
		return r.Discrete
	}
	fast, slow := r.Min.Rate(), r.Max.Rate()
	if fast <= 0 || slow <= 0 {
		return nil
	}
	out := []v4l2.Interval{r.Max}
	for _, fps := range commonRates {
		if f := float64(fps); f > slow && f < fast {
			out = append(out, v4l2.Interval{Num: 1, Den: fps})
		}
	}
	if r.Min != r.Max {
		out = append(out, r.Min)
	}
	return out
}

// Open implements System.
func (s *v4l2System) Open(id string, m Mode) (Stream, error) {
	s.mu.Lock()
	var cam CameraInfo
	found := false
	for _, c := range s.cams {
		if c.ID == id {
			cam, found = c, true
		}
	}
	if !found {
		s.mu.Unlock()
		return nil, capture.NewError(capture.ErrNotFound, nil, "no camera %q", id)
	}
	if s.busy[id] {
		s.mu.Unlock()
		return nil, fmt.Errorf("%s already open: %w", cam.Path, syscall.EBUSY)
	}
	s.busy[id] = true
	s.mu.Unlock()

	st, err := openStream(cam.Path, m)
	if err != nil {
		s.mu.Lock()
		delete(s.busy, id)
		s.mu.Unlock()
		return nil, err
	}
	st.release = func() {
		s.mu.Lock()
		delete(s.busy, id)
		s.mu.Unlock()
	}
	return st, nil
}

// streamBuffers is how many mmap buffers a stream asks for: one being
// filled, one being converted, two queued so a late read drops nothing.
const streamBuffers = 4

// openStream opens a node in exactly mode m. Every failure closes what it
// opened: v4l2's Start unmaps and frees its buffers, this closes the fd.
func openStream(path string, m Mode) (st *v4l2Stream, err error) {
	code, err := v4l2.Code(m.Format)
	if err != nil {
		return nil, err
	}
	if m.Width <= 0 || m.Height <= 0 {
		return nil, fmt.Errorf("%s: mode %v has no size", path, m)
	}
	d, err := v4l2.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Close())
		}
	}()
	if !d.Caps().IsCapture() {
		return nil, fmt.Errorf("%s is not a video capture node (device caps %#x)", path, d.Caps().DeviceCaps)
	}
	f, err := d.SetFormat(code, v4l2.Size{Width: m.Width, Height: m.Height})
	if err != nil {
		return nil, err
	}
	if f.Code != code || f.Width != m.Width || f.Height != m.Height {
		return nil, fmt.Errorf("%s: asked for %s %dx%d, the driver set %s %dx%d", path, m.Format, m.Width, m.Height, f.FourCC, f.Width, f.Height)
	}
	iv, set, err := d.SetInterval(v4l2.Interval{Num: m.Interval.Num, Den: m.Interval.Den})
	if err != nil {
		return nil, err
	}
	// A driver that took the rate but set another one would make the
	// track's frameRate a lie; drivers reduce fractions (333333/10000000 is
	// 1/30), so compare rates, not numbers.
	if want, got := m.FrameRate(), iv.Rate(); set && want > 0 && got > 0 && math.Abs(got-want) > want/100 {
		return nil, fmt.Errorf("%s: asked for %v, the driver set %g fps", path, m, roundRate(got))
	}
	vs, err := d.Start(streamBuffers, len(f.SizeImage))
	if err != nil {
		return nil, err
	}
	return newV4L2Stream(d, vs, FrameLayout{
		FourCC: f.FourCC, Width: f.Width, Height: f.Height,
		BytesPerLine: f.BytesPerLine, SizeImage: f.SizeImage,
		Colorspace: f.Colorspace, YCbCrEnc: f.YCbCrEnc, Quantization: f.Quantization, XferFunc: f.XferFunc,
	}, Interval{iv.Num, iv.Den}), nil
}
