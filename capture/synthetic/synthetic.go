// Package synthetic is Tally's built-in device set: a test-pattern camera, a
// tone microphone and a screen. It is the default when no hardware is
// present and the test double of package capture, with fault injection:
// unplug and replug, failed opens, read errors, slow closes, mute.
//
// Frames are paced in real time. A device refuses a second Open while it is
// open, as real drivers do, so a caller that fails to share sources fails
// its tests.
package synthetic

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tally-app/tally/capture"
)

// Frame rates and sizes the synthetic camera offers.
var (
	CameraSizes = [][2]int{{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}}
	CameraRates = []float64{15, 30, 60}
	ScreenSizes = [][2]int{{1280, 720}, {1920, 1080}}
	ScreenRates = []float64{5, 15, 30}
	MicRates    = []int{8000, 16000, 44100, 48000}
	MicChannels = []int{1, 2}
)

// ToneHz is the frequency of the synthetic microphone's tone.
const ToneHz = 440

// Backend is the synthetic device set. Its methods are safe for concurrent
// use.
type Backend struct {
	mu      sync.Mutex // protects devices, nextN and the devices' fields
	devices []*device
	nextN   map[string]int // per kind, the number of the next device

	subsMu sync.Mutex // protects subs, subN
	subs   map[int]func()
	subN   int

	onClose atomic.Pointer[func(deviceID string)]
}

type device struct {
	desc       capture.DeviceDescriptor
	present    bool
	failNext   error
	failRead   error
	closeDelay time.Duration
	opens      int
	closes     int
	fixedMode  bool
	muted      bool
	open       *openDevice  // nil when closed
	mjpeg      *mjpegCamera // set for an MJPEG camera (mjpeg.go)
}

var _ capture.Backend = (*Backend)(nil)
var _ capture.DeviceChangeNotifier = (*Backend)(nil)

// New returns the default set: one "Synthetic Camera", one "Synthetic
// Microphone" (sharing a group, as a webcam's do) and one "Synthetic Screen".
func New() *Backend {
	b := &Backend{nextN: map[string]int{}}
	b.add(capture.KindVideoInput, "Synthetic Camera", "synthetic-group-1")
	b.add(capture.KindAudioInput, "Synthetic Microphone", "synthetic-group-1")
	b.add(capture.KindDisplay, "Synthetic Screen", "")
	return b
}

// Name is "synthetic".
func (b *Backend) Name() string { return "synthetic" }

func (b *Backend) add(kind, label, group string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	short := map[string]string{capture.KindVideoInput: "camera", capture.KindAudioInput: "microphone", capture.KindDisplay: "screen"}[kind]
	b.nextN[kind]++
	n := b.nextN[kind]
	id := "synthetic-" + short + "-" + strconv.Itoa(n)
	if group == "" {
		group = "synthetic-group-" + short + "-" + strconv.Itoa(n)
	}
	d := &device{present: true, desc: capture.DeviceDescriptor{
		DeviceID: id, Kind: kind, Label: label, GroupID: group,
		Default: n == 1, Path: "synthetic:" + short + "/" + strconv.Itoa(n),
	}}
	switch kind {
	case capture.KindVideoInput:
		d.desc.Modes, d.desc.Capabilities = videoModes(CameraSizes, CameraRates, "I420", "", [3]float64{640, 480, 30})
		d.desc.Capabilities.FacingMode = []string{capture.FacingModeUser}
		for i := range d.desc.Modes {
			d.desc.Modes[i].FacingMode = capture.FacingModeUser
		}
	case capture.KindDisplay:
		d.desc.Modes, d.desc.Capabilities = videoModes(ScreenSizes, ScreenRates, "RGBA", capture.DisplaySurfaceMonitor, [3]float64{1920, 1080, 15})
	case capture.KindAudioInput:
		d.desc.Modes, d.desc.Capabilities = audioModes()
	}
	b.devices = append(b.devices, d)
	return id
}

// videoModes lists every size at every rate, nearest the preferred mode
// first: selection breaks ties by order, so unconstrained settings come out
// as the preferred ones (640x480 @ 30 for cameras, as browsers default to).
func videoModes(sizes [][2]int, rates []float64, format, surface string, pref [3]float64) ([]capture.MediaTrackSettings, capture.MediaTrackCapabilities) {
	var modes []capture.MediaTrackSettings
	for _, sz := range sizes {
		for _, r := range rates {
			modes = append(modes, capture.MediaTrackSettings{
				Width: sz[0], Height: sz[1], FrameRate: r, AspectRatio: float64(sz[0]) / float64(sz[1]),
				ResizeMode: capture.ResizeModeNone, Format: format, DisplaySurface: surface,
			})
		}
	}
	dist := func(m capture.MediaTrackSettings) float64 {
		d := func(a, b float64) float64 { return math.Abs(a-b) / max(a, b) }
		// Size matters more than rate: a tie in size goes to the nearer rate.
		return 10*(d(float64(m.Width), pref[0])+d(float64(m.Height), pref[1])) + d(m.FrameRate, pref[2])
	}
	slices.SortStableFunc(modes, func(a, b capture.MediaTrackSettings) int { return cmp.Compare(dist(a), dist(b)) })
	first, last := sizes[0], sizes[len(sizes)-1]
	caps := capture.MediaTrackCapabilities{
		Width:       capture.ULongRange{Min: first[0], Max: last[0]},
		Height:      capture.ULongRange{Min: first[1], Max: last[1]},
		FrameRate:   capture.DoubleRange{Min: rates[0], Max: rates[len(rates)-1]},
		AspectRatio: capture.DoubleRange{Min: 4.0 / 3, Max: 16.0 / 9},
		ResizeMode:  []string{capture.ResizeModeNone},
	}
	return modes, caps
}

func audioModes() ([]capture.MediaTrackSettings, capture.MediaTrackCapabilities) {
	var modes []capture.MediaTrackSettings
	// 48 kHz mono first: the preferred mode.
	for _, r := range slices.Backward(MicRates) {
		for _, ch := range MicChannels {
			modes = append(modes, capture.MediaTrackSettings{SampleRate: r, ChannelCount: ch, SampleSize: 32, Format: "F32"})
		}
	}
	caps := capture.MediaTrackCapabilities{
		SampleRate:       capture.ULongRange{Min: MicRates[0], Max: MicRates[len(MicRates)-1]},
		ChannelCount:     capture.ULongRange{Min: 1, Max: 2},
		SampleSize:       capture.ULongRange{Min: 32, Max: 32},
		EchoCancellation: []bool{false},
		AutoGainControl:  []bool{false},
		NoiseSuppression: []bool{false},
	}
	return modes, caps
}

// AddCamera adds a camera and returns its deviceId; devicechange fires.
func (b *Backend) AddCamera(label string) string {
	id := b.add(capture.KindVideoInput, label, "")
	b.fire()
	return id
}

// AddMicrophone adds a microphone and returns its deviceId; devicechange fires.
func (b *Backend) AddMicrophone(label string) string {
	id := b.add(capture.KindAudioInput, label, "")
	b.fire()
	return id
}

// AddScreen adds a screen and returns its deviceId; devicechange fires.
func (b *Backend) AddScreen(label string) string {
	id := b.add(capture.KindDisplay, label, "")
	b.fire()
	return id
}

func (b *Backend) find(id string) *device {
	for _, d := range b.devices {
		if d.desc.DeviceID == id {
			return d
		}
	}
	return nil
}

// Unplug makes the device vanish: it leaves the device list, an open device
// fails (its source ends) and devicechange fires.
func (b *Backend) Unplug(id string) {
	b.mu.Lock()
	d := b.find(id)
	if d == nil || !d.present {
		b.mu.Unlock()
		return
	}
	d.present = false
	if d.open != nil {
		d.open.fail(capture.NewError(capture.ErrNotFound, nil, "%s was unplugged", d.desc.Label))
	}
	b.mu.Unlock()
	b.fire()
}

// Replug brings an unplugged device back with the same id; devicechange fires.
func (b *Backend) Replug(id string) {
	b.mu.Lock()
	d := b.find(id)
	if d == nil || d.present {
		b.mu.Unlock()
		return
	}
	d.present = true
	b.mu.Unlock()
	b.fire()
}

// FailNextOpen makes the device's next Open fail with err.
func (b *Backend) FailNextOpen(id string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.find(id); d != nil {
		d.failNext = err
	}
}

// FailRead makes the open device's next read fail with err (a device fault:
// its source ends). If the device is closed, its next open's first read fails.
func (b *Backend) FailRead(id string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.find(id)
	if d == nil {
		return
	}
	if d.open != nil {
		d.open.fail(err)
		return
	}
	d.failRead = err
}

// SetCloseDelay makes closing the device take d: a slow driver.
func (b *Backend) SetCloseDelay(id string, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dev := b.find(id); dev != nil {
		dev.closeDelay = d
	}
}

// SetMuted pauses (true) or resumes the device's media, as a privacy switch
// or a suspended audio source would; its tracks fire mute and unmute.
func (b *Backend) SetMuted(id string, muted bool) {
	b.mu.Lock()
	d := b.find(id)
	if d == nil || d.muted == muted {
		b.mu.Unlock()
		return
	}
	d.muted = muted
	o := d.open
	b.mu.Unlock()
	if o != nil {
		o.setMuted(muted)
	}
}

// SetFixedMode makes the device unable to change mode while open, as most
// camera drivers are: capture must close it and open it again.
func (b *Backend) SetFixedMode(id string, fixed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.find(id); d != nil {
		d.fixedMode = fixed
	}
}

// OpenCount is the number of times the device has been opened.
func (b *Backend) OpenCount(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.find(id); d != nil {
		return d.opens
	}
	return 0
}

// CloseCount is the number of times the device has finished closing.
func (b *Backend) CloseCount(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.find(id); d != nil {
		return d.closes
	}
	return 0
}

// IsOpen reports whether the device is open (a slow close counts as open
// until it finishes).
func (b *Backend) IsOpen(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.find(id)
	return d != nil && d.open != nil
}

// Devices lists the devices that are plugged in.
func (b *Backend) Devices(ctx context.Context) ([]capture.DeviceDescriptor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []capture.DeviceDescriptor
	for _, d := range b.devices {
		if d.present {
			desc := d.desc
			desc.Modes = slices.Clone(desc.Modes)
			out = append(out, desc)
		}
	}
	return out, nil
}

// OnDeviceChange registers f to run when devices are added, unplugged or
// replugged. f runs on the goroutine that made the change.
func (b *Backend) OnDeviceChange(f func()) (cancel func()) {
	b.subsMu.Lock()
	defer b.subsMu.Unlock()
	if b.subs == nil {
		b.subs = map[int]func(){}
	}
	id := b.subN
	b.subN++
	b.subs[id] = f
	return func() {
		b.subsMu.Lock()
		delete(b.subs, id)
		b.subsMu.Unlock()
	}
}

// SetOnClose has f called, on the closing goroutine, each time a device
// has finished closing (nil: none): a benchmark can time a close without
// polling the backend's lock.
func (b *Backend) SetOnClose(f func(deviceID string)) {
	if f == nil {
		b.onClose.Store(nil)
		return
	}
	b.onClose.Store(&f)
}

func (b *Backend) fire() {
	b.subsMu.Lock()
	fns := make([]func(), 0, len(b.subs))
	for _, f := range b.subs {
		fns = append(fns, f)
	}
	b.subsMu.Unlock()
	for _, f := range fns {
		f()
	}
}

// Open opens a device in mode. A device that is already open refuses, as a
// real driver would.
func (b *Backend) Open(ctx context.Context, id string, mode capture.MediaTrackSettings) (capture.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, capture.NewError(capture.ErrAbort, err, "open %s", id)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.find(id)
	if d == nil || !d.present {
		return nil, capture.NewError(capture.ErrNotFound, nil, "no synthetic device %q", id)
	}
	if err := d.failNext; err != nil {
		d.failNext = nil
		return nil, err
	}
	if d.open != nil {
		return nil, capture.NewError(capture.ErrNotReadable, nil, "%s is already open", d.desc.Label)
	}
	if err := checkMode(d.desc, mode); err != nil {
		return nil, err
	}
	var mj *mjpegFrames
	if d.mjpeg != nil {
		var err error
		if mj, err = newMJPEGFrames(d.mjpeg); err != nil {
			return nil, err
		}
	}
	o := &openDevice{b: b, d: d, failed: make(chan struct{}), wake: make(chan struct{}, 1), muted: d.muted, started: time.Now()}
	o.mode = mode
	if d.failRead != nil {
		o.fail(d.failRead)
		d.failRead = nil
	}
	d.open = o
	d.opens++
	switch d.desc.Kind {
	case capture.KindAudioInput:
		m := &micDevice{openDevice: o}
		if d.fixedMode {
			return fixedAudio{m}, nil
		}
		return m, nil
	case capture.KindDisplay:
		return &videoDevice{openDevice: o, gen: newScreenPattern()}, nil
	default:
		v := &videoDevice{openDevice: o, gen: newCameraPattern()}
		if mj != nil {
			v.gen = mj
		}
		if d.fixedMode {
			return fixedVideo{v}, nil
		}
		return v, nil
	}
}

// fixedVideo and fixedAudio hide Reconfigure: devices that cannot change
// mode while open.
type fixedVideo struct{ v *videoDevice }

func (f fixedVideo) ReadVideo(ctx context.Context) (capture.VideoFrame, error) {
	return f.v.ReadVideo(ctx)
}
func (f fixedVideo) Close() error         { return f.v.Close() }
func (f fixedVideo) OnMute(fn func(bool)) { f.v.OnMute(fn) }

type fixedAudio struct{ m *micDevice }

func (f fixedAudio) ReadAudio(ctx context.Context) (capture.AudioChunk, error) {
	return f.m.ReadAudio(ctx)
}
func (f fixedAudio) Close() error         { return f.m.Close() }
func (f fixedAudio) OnMute(fn func(bool)) { f.m.OnMute(fn) }

func checkMode(desc capture.DeviceDescriptor, mode capture.MediaTrackSettings) error {
	for _, m := range desc.Modes {
		if m.Width == mode.Width && m.Height == mode.Height && m.FrameRate == mode.FrameRate &&
			m.SampleRate == mode.SampleRate && m.ChannelCount == mode.ChannelCount {
			return nil
		}
	}
	return fmt.Errorf("synthetic: %s has no mode %dx%d@%g %dHz/%dch", desc.Label, mode.Width, mode.Height, mode.FrameRate, mode.SampleRate, mode.ChannelCount)
}

// openDevice is the state shared by the open device kinds.
type openDevice struct {
	b       *Backend
	d       *device
	started time.Time

	mu        sync.Mutex // protects mode, err, muted, onMute, closed
	mode      capture.MediaTrackSettings
	err       error
	failed    chan struct{} // closed when err is set
	wake      chan struct{} // a mode change or unmute
	muted     bool
	onMute    func(bool)
	closeOnce sync.Once
}

func (o *openDevice) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.err = err
		close(o.failed)
	}
}

func (o *openDevice) OnMute(f func(bool)) {
	o.mu.Lock()
	o.onMute = f
	muted := o.muted
	o.mu.Unlock()
	if muted && f != nil {
		f(true)
	}
}

func (o *openDevice) setMuted(m bool) {
	o.mu.Lock()
	o.muted = m
	f := o.onMute
	o.mu.Unlock()
	if f != nil {
		f(m)
	}
	o.poke()
}

func (o *openDevice) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Reconfigure changes the mode from the next frame or chunk on.
func (o *openDevice) Reconfigure(ctx context.Context, mode capture.MediaTrackSettings) error {
	if err := checkMode(o.d.desc, mode); err != nil {
		return err
	}
	o.mu.Lock()
	o.mode = mode
	o.mu.Unlock()
	o.poke()
	return nil
}

func (o *openDevice) state() (capture.MediaTrackSettings, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.mode, o.muted
}

// wait blocks until deadline, a failure, a wake-up or ctx's end. It returns
// false with the error that ends the read.
func (o *openDevice) wait(ctx context.Context, deadline time.Time, timer *time.Timer) (bool, error) {
	timer.Reset(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true, nil
	case <-o.wake:
		return false, nil
	case <-o.failed:
		o.mu.Lock()
		defer o.mu.Unlock()
		return false, o.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (o *openDevice) failure() error {
	select {
	case <-o.failed:
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.err
	default:
		return nil
	}
}

// Close releases the device after the configured delay.
func (o *openDevice) Close() error {
	o.closeOnce.Do(func() {
		o.b.mu.Lock()
		delay := o.d.closeDelay
		o.b.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		o.b.mu.Lock()
		if o.d.open == o {
			o.d.open = nil
		}
		o.d.closes++
		id := o.d.desc.DeviceID
		o.b.mu.Unlock()
		if f := o.b.onClose.Load(); f != nil {
			(*f)(id)
		}
	})
	return nil
}

// pacer yields frame deadlines at a rate, without drift; when the reader
// falls more than a frame behind it skips ahead instead of bursting.
type pacer struct {
	start time.Time
	n     int64
	rate  float64
}

func (p *pacer) next(rate float64, now time.Time) (time.Time, time.Duration) {
	if p.rate != rate || p.start.IsZero() {
		p.start, p.n, p.rate = now, 0, rate
	}
	p.n++
	iv := time.Duration(float64(time.Second) / rate)
	at := p.start.Add(time.Duration(p.n) * iv)
	if now.Sub(at) > iv {
		p.n = int64(now.Sub(p.start)/iv) + 1
		at = p.start.Add(time.Duration(p.n) * iv)
	}
	return at, iv
}
