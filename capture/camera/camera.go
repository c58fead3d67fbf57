// Package camera is Tally's camera backend: V4L2 capture nodes found through
// sysfs and driven with Tally's own ioctl layer (internal/v4l2), each opened
// once per source, every mode the driver reports listed for constraint
// selection (formats Tally cannot convert listed as such), and raw frames
// handed from the driver's mmap'ed buffers to the converter, converted once
// per frame into recycled buffers.
//
// Register it with capture.NewMediaDevices(camera.New()). On a machine with
// no camera it lists nothing, without error.
package camera

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/holders"
)

// IDPrefix starts every device id of this backend.
const IDPrefix = "camera:"

// DefaultPollInterval is how often the device list is polled for hot-plug
// while someone listens for devicechange.
const DefaultPollInterval = time.Second

// Backend is the camera backend. It implements capture.Backend and
// capture.DeviceChangeNotifier.
type Backend struct {
	sys  System
	poll time.Duration

	mu        sync.Mutex
	open      map[string]*device // by CameraInfo.ID: each camera opens once
	listeners map[int]func()
	nextL     int
	known     []string      // ids seen by the last poll, sorted
	stopPoll  chan struct{} // non-nil while the poller runs
}

// Option configures a Backend.
type Option func(*Backend)

// WithPollInterval sets how often the device list is polled for hot-plug
// (DefaultPollInterval if d <= 0).
func WithPollInterval(d time.Duration) Option {
	return func(b *Backend) {
		if d > 0 {
			b.poll = d
		}
	}
}

// New returns the backend over the machine's cameras (NewV4L2System).
func New(opts ...Option) *Backend {
	return NewWithSystem(NewV4L2System(), opts...)
}

// NewWithSystem returns the backend over sys.
func NewWithSystem(sys System, opts ...Option) *Backend {
	b := &Backend{sys: sys, poll: DefaultPollInterval, open: make(map[string]*device), listeners: make(map[int]func())}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Name implements capture.Backend.
func (b *Backend) Name() string { return "camera" }

// Devices implements capture.Backend: every camera with every mode it can
// deliver that this package can convert.
func (b *Backend) Devices(ctx context.Context) ([]capture.DeviceDescriptor, error) {
	if err := ctx.Err(); err != nil {
		return nil, capture.NewError(capture.ErrAbort, err, "listing cameras")
	}
	cams, err := b.sys.Cameras()
	if err != nil {
		return nil, capture.NewError(capture.ErrNotReadable, err, "listing cameras")
	}
	out := make([]capture.DeviceDescriptor, 0, len(cams))
	for i, c := range cams {
		d := describe(c)
		// The system's first camera is the default, as a browser's is:
		// capture then prefers it to a synthetic one.
		d.Default = i == 0
		out = append(out, d)
	}
	return out, nil
}

func groupID(c CameraInfo) string {
	if c.Group == "" {
		return ""
	}
	return IDPrefix + "group:" + c.Group
}

func describe(c CameraInfo) capture.DeviceDescriptor {
	id := IDPrefix + c.ID
	modes, caps, unsupported := buildModes(id, groupID(c), c.Modes)
	label := c.Label
	if label == "" {
		label = c.ID
	}
	return capture.DeviceDescriptor{
		DeviceID:     id,
		Kind:         capture.KindVideoInput,
		Label:        label,
		GroupID:      groupID(c),
		Path:         c.Path,
		Modes:        modes,
		Capabilities: caps,

		UnsupportedFormats: unsupported,
	}
}

// find returns the camera with the given backend device id.
func (b *Backend) find(deviceID string) (CameraInfo, bool, error) {
	cams, err := b.sys.Cameras()
	if err != nil {
		return CameraInfo{}, false, err
	}
	id := strings.TrimPrefix(deviceID, IDPrefix)
	for _, c := range cams {
		if c.ID == id {
			return c, true, nil
		}
	}
	return CameraInfo{}, false, nil
}

// Open implements capture.Backend.
func (b *Backend) Open(ctx context.Context, deviceID string, mode capture.MediaTrackSettings) (capture.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, capture.NewError(capture.ErrAbort, err, "opening camera %q", deviceID)
	}
	if !strings.HasPrefix(deviceID, IDPrefix) {
		return nil, capture.NewError(capture.ErrNotFound, nil, "%q is not a camera of this backend", deviceID)
	}
	cam, ok, err := b.find(deviceID)
	if err != nil {
		return nil, capture.NewError(capture.ErrNotReadable, err, "listing cameras to open %q", deviceID)
	}
	if !ok {
		return nil, capture.NewError(capture.ErrNotFound, nil, "no camera %q", deviceID)
	}
	m, ok := chooseMode(cam.Modes, mode)
	if !ok {
		return nil, capture.NewError(capture.ErrNotReadable, nil, "camera %q (%s) has no mode this backend can convert", cam.Label, deviceID)
	}

	b.mu.Lock()
	if _, busy := b.open[cam.ID]; busy {
		b.mu.Unlock()
		return nil, capture.NewError(capture.ErrNotReadable, nil, "camera %q (%s) is busy: already open in this process", cam.Label, deviceID)
	}
	d := &device{
		b: b, id: cam.ID, deviceID: deviceID, label: cam.Label, mode: m,
		gone: make(chan struct{}),
	}
	b.open[cam.ID] = d // reserve it while the system opens, so a racing Open fails
	b.mu.Unlock()

	unreserve := func() {
		b.mu.Lock()
		delete(b.open, cam.ID)
		b.mu.Unlock()
	}
	st, err := b.sys.Open(cam.ID, m)
	if err != nil {
		unreserve()
		return nil, openError(err, cam, deviceID)
	}
	conv, err := newFrameConverter(st.Layout())
	if err != nil {
		cerr := st.Close()
		unreserve()
		return nil, capture.NewError(capture.ErrNotReadable, errors.Join(err, cerr), "camera %q (%s) in %v", cam.Label, deviceID, m)
	}
	d.conv = conv
	d.start = time.Now()
	b.mu.Lock()
	d.stream = st // under the lock: the poller only touches devices with a stream
	b.mu.Unlock()
	return d, nil
}

// openError turns a System's error into the spec's, naming the device.
func openError(err error, cam CameraInfo, deviceID string) error {
	var dom *capture.DOMException
	if errors.As(err, &dom) {
		return capture.NewError(dom, err, "opening camera %q (%s)", cam.Label, deviceID)
	}
	// Who else holds the node answers the user's first question about a
	// busy camera ("camera /dev/video0 is in use by obs (pid 4242)").
	who := ""
	if cam.Path != "" {
		who = holders.DescribeBusy(cam.Path)
	}
	switch {
	case errors.Is(err, syscall.EBUSY) && who != "":
		return capture.NewError(capture.ErrNotReadable, err, "camera %s (%q) is %s", cam.Path, cam.Label, who)
	case errors.Is(err, syscall.EBUSY):
		return capture.NewError(capture.ErrNotReadable, err, "camera %q (%s) is busy: another program is using it", cam.Label, deviceID)
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return capture.NewError(capture.ErrNotFound, err, "camera %q (%s) is gone", cam.Label, deviceID)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return capture.NewError(capture.ErrNotAllowed, err, "no permission to open camera %q (%s) at %s", cam.Label, deviceID, cam.Path)
	}
	if who != "" {
		return capture.NewError(capture.ErrNotReadable, err, "opening camera %q (%s), which is %s", cam.Label, deviceID, who)
	}
	return capture.NewError(capture.ErrNotReadable, err, "opening camera %q (%s)", cam.Label, deviceID)
}

// IsOpen reports whether the camera with the given device id is open
// through this backend.
func (b *Backend) IsOpen(deviceID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.open[strings.TrimPrefix(deviceID, IDPrefix)]
	return ok
}

// OpenCount is the number of cameras open through this backend.
func (b *Backend) OpenCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.open)
}

// OnDeviceChange implements capture.DeviceChangeNotifier. While at least one
// callback is registered the backend polls the device list; a camera that
// vanishes while open ends its source (ReadVideo returns ErrNotFound).
func (b *Backend) OnDeviceChange(f func()) (cancel func()) {
	known := b.presentIDs() // outside the lock: listing may open devices
	b.mu.Lock()
	id := b.nextL
	b.nextL++
	b.listeners[id] = f
	if b.stopPoll == nil {
		b.known = known
		b.stopPoll = make(chan struct{})
		go b.pollLoop(b.stopPoll)
	}
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.listeners, id)
			var stop chan struct{}
			if len(b.listeners) == 0 && b.stopPoll != nil {
				stop = b.stopPoll
				b.stopPoll = nil
			}
			b.mu.Unlock()
			if stop != nil {
				// Not waiting for done: cancel may be called from a callback,
				// on the poller's own goroutine. The poller exits at once.
				close(stop)
			}
		})
	}
}

// presentIDs lists the present cameras' ids, sorted; nil when listing fails.
func (b *Backend) presentIDs() []string {
	cams, err := b.sys.Cameras()
	if err != nil {
		return nil
	}
	ids := make([]string, 0, len(cams))
	for _, c := range cams {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func (b *Backend) pollLoop(stop chan struct{}) {
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b.pollOnce()
	}
}

// pollOnce compares the device list with the last one: vanished open
// cameras end, and listeners hear of any change.
func (b *Backend) pollOnce() {
	cams, err := b.sys.Cameras()
	if err != nil {
		return // a failed listing is not a change; try again next tick
	}
	ids := make([]string, 0, len(cams))
	for _, c := range cams {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	b.mu.Lock()
	changed := !slices.Equal(ids, b.known)
	b.known = ids
	var gone []*device
	for id, d := range b.open {
		if _, ok := slices.BinarySearch(ids, id); !ok && d.stream != nil {
			gone = append(gone, d)
		}
	}
	var fns []func()
	if changed {
		for _, f := range b.listeners {
			fns = append(fns, f)
		}
	}
	b.mu.Unlock()
	for _, d := range gone {
		d.vanish()
	}
	for _, f := range fns {
		f()
	}
}

// device is an open camera.
type device struct {
	b        *Backend
	id       string // CameraInfo.ID
	deviceID string
	label    string
	mode     Mode // as opened
	conv     *frameConverter
	stream   Stream
	start    time.Time

	goneOnce   sync.Once
	gone       chan struct{} // closed when the camera vanished
	streamOnce sync.Once
	streamErr  error
	closeOnce  sync.Once
}

func (d *device) closeStream() error {
	d.streamOnce.Do(func() { d.streamErr = d.stream.Close() })
	return d.streamErr
}

// vanish ends the device because its camera is no longer present: the
// stream closes so a blocked ReadVideo returns, with ErrNotFound.
func (d *device) vanish() {
	d.goneOnce.Do(func() { close(d.gone) })
	_ = d.closeStream()
}

func (d *device) isGone() bool {
	select {
	case <-d.gone:
		return true
	default:
		return false
	}
}

// Close implements capture.Device.
func (d *device) Close() error {
	var err error
	d.closeOnce.Do(func() {
		err = d.closeStream()
		d.b.mu.Lock()
		if d.b.open[d.id] == d {
			delete(d.b.open, d.id)
		}
		d.b.mu.Unlock()
	})
	return err
}

// ReadVideo implements capture.VideoDevice. Each frame is converted once,
// straight from the driver's buffer into one of the converter's pooled
// pictures, which returns to the pool when every consumer is done with it.
func (d *device) ReadVideo(ctx context.Context) (capture.VideoFrame, error) {
	if d.isGone() {
		return capture.VideoFrame{}, d.goneError()
	}
	planes, err := d.stream.ReadFrame(ctx)
	if err != nil {
		return capture.VideoFrame{}, d.readError(ctx, err)
	}
	f, err := d.conv.Convert(planes, time.Since(d.start))
	if err != nil {
		return capture.VideoFrame{}, capture.NewError(capture.ErrNotReadable, err, "camera %q (%s)", d.label, d.deviceID)
	}
	return f, nil
}

func (d *device) goneError() error {
	return capture.NewError(capture.ErrNotFound, nil, "camera %q (%s) was unplugged", d.label, d.deviceID)
}

// readError classifies a failed read: the caller's context, a camera that
// vanished (gone from the device list), or a failing one.
func (d *device) readError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return capture.NewError(capture.ErrAbort, ctx.Err(), "reading camera %q (%s)", d.label, d.deviceID)
	}
	if d.isGone() {
		return d.goneError()
	}
	if errors.Is(err, errUnplugged) || errors.Is(err, capture.ErrNotFound) { // the system saw the device go
		d.goneOnce.Do(func() { close(d.gone) })
		return capture.NewError(capture.ErrNotFound, err, "camera %q (%s) was unplugged", d.label, d.deviceID)
	}
	if _, present, lerr := d.b.find(d.deviceID); lerr == nil && !present {
		d.goneOnce.Do(func() { close(d.gone) })
		return d.goneError()
	}
	return capture.NewError(capture.ErrNotReadable, err, "reading camera %q (%s)", d.label, d.deviceID)
}

// String names the device in logs.
func (d *device) String() string { return fmt.Sprintf("camera %q (%s)", d.label, d.deviceID) }
