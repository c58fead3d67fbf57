//go:build linux

package camera

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/blackjack/webcam"
	"github.com/pion/mediadevices/pkg/driver"
	pioncamera "github.com/pion/mediadevices/pkg/driver/camera"
	"github.com/pion/mediadevices/pkg/prop"

	"github.com/tally-app/tally/capture"
)

// V4L2 pixel format codes (videodev2.h's v4l2_fourcc) of the formats the
// backend converts.
var fourcc = map[string]webcam.PixelFormat{
	FormatYUYV:  v4l2FourCC("YUYV"),
	FormatUYVY:  v4l2FourCC("UYVY"),
	FormatI420:  v4l2FourCC("YU12"), // V4L2_PIX_FMT_YUV420
	FormatNV12:  v4l2FourCC("NV12"),
	FormatNV21:  v4l2FourCC("NV21"),
	FormatMJPEG: v4l2FourCC("MJPG"),
}

func v4l2FourCC(s string) webcam.PixelFormat {
	return webcam.PixelFormat(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
}

// v4l2System finds cameras with pion's V4L2 driver (pkg/driver/camera, which
// registers one driver per /dev/video* node in the global driver.Manager)
// and asks each driver for its modes with driver.Properties().
//
// Frames do not go through the driver's VideoRecorder: its reader decodes
// every frame itself, allocating new planes per frame for YUYV and growing
// slices byte by byte for NV12, and its I420 image aliases a buffer it
// overwrites on the next read. To convert each frame once, into recycled
// buffers, a stream reads the raw mmap'ed frames with github.com/blackjack/webcam
// — the V4L2 library pion's driver is built on — on the same device node.
type v4l2System struct {
	glob string // device nodes whose set change means hot-plug

	mu      sync.Mutex
	scanned bool
	nodes   []string     // at the last scan
	cams    []CameraInfo // at the last scan
	busy    map[string]bool
}

// NewV4L2System returns the System over this machine's V4L2 cameras. With no
// /dev/video* node it lists nothing, without error.
func NewV4L2System() System {
	return &v4l2System{glob: "/dev/video*", busy: make(map[string]bool)}
}

// Cameras implements System. It globs the device nodes on each call and only
// rescans through pion when their set changed: pion's camera.Initialize
// re-registers every V4L2 driver (and, as a side effect, drops every other
// VideoRecorder registered in pion's global manager), and asking a driver for
// its modes opens the device.
func (s *v4l2System) Cameras() ([]CameraInfo, error) {
	nodes, err := filepath.Glob(s.glob)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", s.glob, err)
	}
	slices.Sort(nodes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scanned && slices.Equal(nodes, s.nodes) {
		return slices.Clone(s.cams), nil
	}
	if s.scanned {
		pioncamera.Initialize() // the package's init() did the first scan
	}
	prev := make(map[string]CameraInfo, len(s.cams))
	for _, c := range s.cams {
		prev[c.ID] = c
	}
	var cams []CameraInfo
	for _, d := range driver.GetManager().Query(driver.FilterDeviceType(driver.Camera)) {
		info := d.Info()
		// Label is "<by-id or by-path name>;<node name>", Name "<card>;<bus>"
		// (see pion's camera package doc).
		id, node, _ := strings.Cut(info.Label, pioncamera.LabelSeparator)
		card, bus, _ := strings.Cut(info.Name, pioncamera.LabelSeparator)
		if node == "" {
			node = id
		}
		c := CameraInfo{ID: id, Label: card, Path: "/dev/" + node, Group: bus}
		if old, ok := prev[id]; ok && len(old.Props) > 0 {
			c.Props = old.Props // modes do not change; don't reopen the device
		} else if !s.busy[id] {
			c.Props = driverProps(d)
		}
		cams = append(cams, c)
	}
	slices.SortFunc(cams, func(a, b CameraInfo) int { return strings.Compare(a.Path, b.Path) })
	s.scanned, s.nodes, s.cams = true, nodes, cams
	return slices.Clone(cams), nil
}

// driverProps asks a pion driver for its modes, which it only knows while
// open. A device that cannot be opened now (busy elsewhere) lists no modes
// until the next rescan.
func driverProps(d driver.Driver) []prop.Media {
	if d.Status() != driver.StateClosed {
		return nil // opened through pion by someone else in this process
	}
	if err := d.Open(); err != nil {
		return nil
	}
	defer d.Close()
	return d.Properties()
}

// Open implements System.
func (s *v4l2System) Open(id string, p prop.Media) (Stream, error) {
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

	st, err := openStream(cam.Path, p)
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

// readTimeoutSeconds bounds each wait for a frame (webcam's poll takes whole
// seconds); it is also how long Close may wait for a blocked ReadFrame.
const readTimeoutSeconds = 1

// maxSilentSeconds is how long a camera may deliver nothing before a read
// fails.
const maxSilentSeconds = 5

type v4l2Stream struct {
	path    string
	closed  atomic.Bool
	mu      sync.Mutex // serializes ReadFrame and Close
	cam     *webcam.Webcam
	held    uint32 // index of the buffer the last frame is in
	holding bool
	release func()
	once    sync.Once
}

func openStream(path string, p prop.Media) (*v4l2Stream, error) {
	pf, ok := fourcc[string(p.FrameFormat)]
	if !ok {
		return nil, fmt.Errorf("%s: format %q cannot be captured", path, p.FrameFormat)
	}
	cam, err := webcam.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	fail := func(what string, err error) (*v4l2Stream, error) {
		cam.Close()
		return nil, fmt.Errorf("%s: %s: %w", path, what, err)
	}
	got, w, h, err := cam.SetImageFormat(pf, uint32(p.Width), uint32(p.Height))
	if err != nil {
		return fail(fmt.Sprintf("setting %s %dx%d", p.FrameFormat, p.Width, p.Height), err)
	}
	if got != pf || int(w) != p.Width || int(h) != p.Height {
		return fail("setting format", fmt.Errorf("asked for %s %dx%d, driver chose format %#x %dx%d", p.FrameFormat, p.Width, p.Height, uint32(got), w, h))
	}
	if p.FrameRate > 0 {
		// Not every driver lets the rate be set (VIDIOC_S_PARM); the camera
		// then runs at its default for the mode, which is still a valid mode.
		_ = cam.SetFramerate(p.FrameRate)
	}
	if err := cam.SetBufferCount(3); err != nil {
		return fail("requesting buffers", err)
	}
	if err := cam.StartStreaming(); err != nil {
		// webcam flattens the errno into text here.
		if strings.Contains(err.Error(), syscall.EBUSY.Error()) {
			err = fmt.Errorf("%v: %w", err, syscall.EBUSY)
		}
		return fail("starting capture", err)
	}
	return &v4l2Stream{path: path, cam: cam}, nil
}

var errStreamClosed = errors.New("camera stream closed")

// ReadFrame implements Stream: the returned bytes are the driver's mmap'ed
// buffer, handed back to the driver on the next call.
func (st *v4l2Stream) ReadFrame(ctx context.Context) ([]byte, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.holding {
		st.holding = false
		if err := st.cam.ReleaseFrame(st.held); err != nil && !st.closed.Load() {
			return nil, fmt.Errorf("%s: returning a buffer: %w", st.path, err)
		}
	}
	silent := 0
	for {
		if st.closed.Load() {
			return nil, errStreamClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := st.cam.WaitForFrame(readTimeoutSeconds)
		var timeout *webcam.Timeout
		switch {
		case errors.As(err, &timeout):
			silent += readTimeoutSeconds
			if silent >= maxSilentSeconds {
				return nil, fmt.Errorf("%s delivered no frame for %d s", st.path, silent)
			}
			continue
		case err != nil:
			return nil, fmt.Errorf("%s: waiting for a frame: %w", st.path, err)
		}
		buf, idx, err := st.cam.GetFrame()
		if errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading a frame: %w", st.path, err)
		}
		if len(buf) == 0 { // some drivers hand out empty buffers at start
			_ = st.cam.ReleaseFrame(idx)
			continue
		}
		st.held, st.holding = idx, true
		return buf, nil
	}
}

// Close implements Stream. It waits for a blocked ReadFrame (at most
// readTimeoutSeconds) so the mmap'ed buffers are not unmapped under it.
func (st *v4l2Stream) Close() error {
	var err error
	st.once.Do(func() {
		st.closed.Store(true)
		st.mu.Lock()
		defer st.mu.Unlock()
		err = st.cam.Close()
		if st.release != nil {
			st.release()
		}
	})
	return err
}
