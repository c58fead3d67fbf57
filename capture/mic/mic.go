// Package mic is Tally's microphone backend: capture devices of the system's
// audio server through miniaudio (github.com/gen2brain/malgo), PulseAudio
// first (PipeWire's pulse server included), ALSA hardware devices when no
// PulseAudio server answers.
//
// It implements capture.Backend and capture.DeviceChangeNotifier; its open
// devices implement capture.AudioDevice and capture.MuteNotifier.
//
// # Devices
//
// Device ids are stable: "mic:" + the PulseAudio source name ("mic:virtmic"),
// or "mic:alsa:" + miniaudio's ALSA id (":0,0" for card 0, device 0). PulseAudio
// lists each sink's monitor as a capture device too; like browsers, the backend
// leaves monitors (sources named "*.monitor") out unless WithMonitors is given.
// Through ALSA only hardware devices are listed: ALSA's plugin PCMs (pulse,
// jack, oss, speex, upmix...) are not microphones, and the pulse one only leads
// back to the server that did not answer.
//
// Each device offers every combination of common sample rates (8, 16, 44.1,
// 48 kHz and its native rate), 1 or 2 channels (and its native count) and
// S16 or F32 samples; the server converts. The device's native rate and
// channel count in F32 come first, as the preferred mode.
//
// # Volume and mute
//
// Volume, SetVolume, Muted, SetMuted and OnVolumeChange control a
// PulseAudio source's own level and mute, per device (volume.go), through
// the audio server's native protocol; the server's events report changes
// made by any program.
//
// # Audio server lifetime
//
// New never fails for lack of an audio system: with none, Devices reports no
// microphones, and the poll keeps trying to connect, so a server that starts
// later is found. Retries first dial the server's unix socket themselves,
// because a failed connect through miniaudio leaks ~20 KB (pulsecheck.go);
// where that check cannot tell (a tcp server), real attempts back off to one
// every 10 s. When the server dies,
// its context is dropped (it never recovers), every open microphone ends with
// an error wrapping capture.ErrNotFound, and a new context is made when the
// server returns. devicechange fires on both.
//
// # Unplug
//
// A source removed while captured gives no notification: data just stops.
// ReadAudio therefore checks, whenever no data came for the stall timeout
// (WithStallTimeout, 500 ms by default), whether the device is still listed;
// when it is not, or the server is gone, ReadAudio returns an error wrapping
// capture.ErrNotFound. A source the server suspends stays listed: that is
// mute (capture.MuteNotifier), and unmute when data returns.
//
// # Concurrency
//
// Every method is safe for concurrent use. OnDeviceChange callbacks run on
// the poll goroutine, one at a time, never under the backend's locks. Mute
// callbacks run on the goroutine that calls ReadAudio, never on the audio
// thread. Close stops the poll goroutine, ends and closes every open device
// and frees the audio contexts; it waits for all of them (bounded by the close
// timeout) and is safe to call twice.
package mic

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"

	"github.com/tally-app/tally/capture"
)

// IDPrefix starts every device id of this backend.
const IDPrefix = "mic:"

// Option configures a Backend.
type Option func(*options)

type options struct {
	poll         time.Duration
	stall        time.Duration
	closeTimeout time.Duration
	queue        int
	monitors     bool
	systems      []malgo.Backend
}

// WithPollInterval sets how often the device list is polled for hot-plug and
// how often a lost audio server is looked for (default 1 s).
func WithPollInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.poll = d
		}
	}
}

// WithStallTimeout sets how long an open microphone may deliver nothing
// before ReadAudio checks whether it vanished (default 500 ms, about 20 of
// PulseAudio's 25 ms periods).
func WithStallTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.stall = d
		}
	}
}

// WithCloseTimeout bounds how long Device.Close and Backend.Close wait for
// the audio driver to stop a device (default 5 s). A device that takes longer
// is left to finish in the background and Close reports it.
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.closeTimeout = d
		}
	}
}

// WithQueueLength sets how many chunks (periods, 10–25 ms each) an open
// device buffers for a slow reader before it drops the oldest (default 32).
func WithQueueLength(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.queue = n
		}
	}
}

// WithMonitors lists PulseAudio's monitor sources (what a sink plays) as
// microphones too; their labels are PulseAudio's ("Monitor of ...").
func WithMonitors(include bool) Option {
	return func(o *options) { o.monitors = include }
}

// audio systems in order of preference; ALSA only when no PulseAudio answers.
var (
	systemPulse = malgo.Backend(malgo.BackendPulseaudio)
	systemALSA  = malgo.Backend(malgo.BackendAlsa)
)

// maxRetry is the longest wait between attempts to reach an audio server
// when an attempt really failed: each costs memory (see pulsecheck.go), so
// a server that cannot be checked cheaply is not asked every poll forever.
const maxRetry = 10 * time.Second

// Backend is the microphone backend. Make it with New.
type Backend struct {
	opts options

	mu        sync.Mutex // protects the fields below
	cur       *audioCtx  // the context devices are listed and opened on; nil when no audio system answers
	preferred bool       // cur is of the most preferred audio system
	retryAt   time.Time  // when to try to connect again
	retryWait time.Duration
	known     []string // device ids the poll saw last, sorted
	listeners map[int]func()
	nextL     int
	open      map[*device]struct{}
	vol       *volumes // volume and mute (volume.go); nil until first used
	closed    bool

	attempts        atomic.Int64 // connection attempts, to tell the first
	checkUnreliable atomic.Bool  // a server answered that pulseMayAnswer did not see

	stop     chan struct{} // closed by Close
	pollDone chan struct{}
	bg       sync.WaitGroup // device closes and bounded calls still running
}

var (
	_ capture.Backend              = (*Backend)(nil)
	_ capture.DeviceChangeNotifier = (*Backend)(nil)
)

// New makes the backend and starts its poll goroutine. It connects to the
// audio server now if one answers; with none it still succeeds (see the
// package doc).
func New(opts ...Option) (*Backend, error) {
	o := options{
		poll:         time.Second,
		stall:        500 * time.Millisecond,
		closeTimeout: 5 * time.Second,
		queue:        32,
		systems:      []malgo.Backend{systemPulse, systemALSA},
	}
	for _, f := range opts {
		f(&o)
	}
	b := &Backend{
		opts:      o,
		listeners: map[int]func(){},
		open:      map[*device]struct{}{},
		stop:      make(chan struct{}),
		pollDone:  make(chan struct{}),
		retryWait: o.poll,
	}
	// Connect now, and take the first poll's set as the baseline: no
	// devicechange for what is already there.
	ctx, cancel := context.WithTimeout(context.Background(), o.closeTimeout)
	b.known, _ = b.listIDs(ctx)
	cancel()
	go b.pollLoop()
	return b, nil
}

// Name implements capture.Backend.
func (b *Backend) Name() string { return "mic" }

// retireLocked drops ac as the current context; it is freed once the last
// device opened on it closes.
func (b *Backend) retireLocked(ac *audioCtx) {
	if b.cur == ac {
		b.cur, b.preferred = nil, false
	}
	ac.release()
}

// current returns the context to list and open devices on, holding a
// reference the caller must release; nil when no audio system answers.
//
// It first replaces a dead context, makes one where there is none, and
// replaces a fallback (ALSA) context once a PulseAudio server answers.
// Attempts back off from the poll interval to maxRetry while nothing better
// answers. Connecting runs outside b.mu: a server address that does not
// answer can take libpulse seconds.
func (b *Backend) current() *audioCtx {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	if b.cur != nil && b.cur.dead.Load() {
		b.retireLocked(b.cur)
		b.retryAt = time.Time{} // the server may be back already
	}
	now := time.Now()
	due := (b.cur == nil || !b.preferred) && !now.Before(b.retryAt)
	have := malgo.Backend(noSystem)
	if due {
		// Claim this attempt, so that concurrent callers do not repeat it.
		b.retryAt = now.Add(b.retryWait)
		if b.cur != nil {
			have = b.cur.system
		}
	}
	b.mu.Unlock()

	if due {
		ac, preferred, tried := b.connect(have)
		b.mu.Lock()
		switch {
		case ac == nil:
			if tried {
				b.retryWait = min(2*b.retryWait, maxRetry)
			} else {
				b.retryWait = b.opts.poll // nothing answers; asking again is cheap
			}
		case b.closed || (b.cur != nil && !b.cur.dead.Load() && (b.preferred || !preferred)):
			ac.release() // nothing gained: another attempt won, or we are closed
		default:
			if b.cur != nil {
				b.retireLocked(b.cur)
			}
			b.cur, b.preferred = ac, preferred
			b.retryWait = b.opts.poll
		}
		b.mu.Unlock()
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.cur == nil {
		return nil
	}
	b.cur.acquire()
	return b.cur
}

// noSystem stands for "no audio system in use" in connect.
const noSystem = ^uint32(0)

// connect tries the audio systems in order of preference, down to the one
// in use (have), and returns the first that answers and whether it is the
// most preferred. tried tells whether it really tried one: PulseAudio is
// skipped while pulseMayAnswer says no server listens (see pulsecheck.go),
// except on the first attempt, which also learns whether that check can be
// trusted here (a server reached through an address it does not know, such
// as an X11 root window property, means it cannot).
func (b *Backend) connect(have malgo.Backend) (ac *audioCtx, preferred, tried bool) {
	for i, sys := range b.opts.systems {
		if sys == have {
			break
		}
		first := b.attempts.Add(1) == 1
		if sys == systemPulse && !first && !b.checkUnreliable.Load() && !pulseMayAnswer() {
			continue
		}
		tried = true
		ac, err := newAudioCtx(sys)
		if err != nil {
			continue
		}
		if sys == systemPulse && !pulseMayAnswer() {
			b.checkUnreliable.Store(true)
		}
		return ac, i == 0, true
	}
	return nil, false, tried
}

// entry is one listed device: its descriptor and miniaudio's id for opening.
type entry struct {
	desc capture.DeviceDescriptor
	id   malgo.DeviceID
}

// list enumerates ac's capture devices, without modes (those need one more
// server round trip per device) unless withModes.
func (b *Backend) list(ac *audioCtx, withModes bool) ([]entry, error) {
	infos, err := ac.devices()
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, in := range infos {
		raw := cString(in.ID[:])
		var id, path string
		switch ac.system {
		case systemPulse:
			if strings.HasSuffix(raw, ".monitor") && !b.opts.monitors {
				continue
			}
			id, path = IDPrefix+raw, raw
		default:
			if !isALSAHardware(raw) {
				continue
			}
			id, path = IDPrefix+"alsa:"+raw, raw
		}
		d := capture.DeviceDescriptor{
			DeviceID: id,
			Kind:     capture.KindAudioInput,
			Label:    in.Name(),
			GroupID:  groupID(ac.system, raw),
			Default:  in.IsDefault != 0,
			Path:     path,
		}
		if d.Label == "" {
			d.Label = raw
		}
		out = append(out, entry{desc: d, id: in.ID})
	}
	if ac.system != systemPulse && len(out) > 0 {
		// ALSA names no default among hardware devices; the first card's
		// first device is what its "default" PCM uses.
		out[0].desc.Default = true
	}
	if withModes {
		for i := range out {
			native := ac.nativeFormat(out[i].id)
			out[i].desc.Modes = modes(native)
			out[i].desc.Capabilities = capabilities(out[i].desc.DeviceID, out[i].desc.GroupID, out[i].desc.Modes)
		}
	}
	return out, nil
}

// Devices implements capture.Backend. With no audio system it returns no
// devices and no error: there are no microphones.
func (b *Backend) Devices(ctx context.Context) ([]capture.DeviceDescriptor, error) {
	if err := ctx.Err(); err != nil {
		return nil, capture.NewError(capture.ErrAbort, err, "listing microphones")
	}
	var out []capture.DeviceDescriptor
	if err := b.bounded(ctx, nil, func() { out = b.devices() }); err != nil {
		if errors.Is(err, errClosed) {
			return nil, nil
		}
		return nil, capture.NewError(capture.ErrAbort, err, "listing microphones: the audio server does not answer")
	}
	return out, nil
}

func (b *Backend) devices() []capture.DeviceDescriptor {
	ac := b.current()
	if ac == nil {
		return nil
	}
	defer b.releaseCtx(ac)
	es, err := b.list(ac, true)
	if err != nil {
		// The server died: no microphones until it returns.
		b.markDead(ac)
		return nil
	}
	out := make([]capture.DeviceDescriptor, len(es))
	for i, e := range es {
		out[i] = e.desc
	}
	return out
}

// errClosed is what bounded returns once the backend is closing.
var errClosed = errors.New("mic: the backend is closed")

// bounded runs f on a goroutine of its own and waits for it, or for ctx,
// cancel (may be nil) or the backend's Close, whichever comes first. A hung
// audio server (stopped, deadlocked) blocks miniaudio's calls for as long
// as it hangs, and no caller of the backend should hang with it. f then
// finishes in the background, so it must own what it touches; Close waits
// for it up to the close timeout.
func (b *Backend) bounded(ctx context.Context, cancel <-chan struct{}, f func()) error {
	done := make(chan struct{})
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-cancel:
		return errCancelled
	case <-b.stop:
		return errClosed
	}
}

// errCancelled is what bounded returns when its cancel channel closed.
var errCancelled = errors.New("mic: cancelled")

// releaseCtx drops a reference taken by current.
func (b *Backend) releaseCtx(ac *audioCtx) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ac.release()
}

// markDead records that ac's server is gone, so the next use makes a new
// context.
func (b *Backend) markDead(ac *audioCtx) {
	ac.dead.Store(true)
}

// listIDs returns the sorted ids of the devices present now; ok is false
// when the server did not answer before ctx ended or the backend closed.
func (b *Backend) listIDs(ctx context.Context) ([]string, bool) {
	var ids []string // f's result: read only once f has finished
	err := b.bounded(ctx, nil, func() {
		ac := b.current()
		if ac == nil {
			return
		}
		defer b.releaseCtx(ac)
		es, err := b.list(ac, false)
		if err != nil {
			b.markDead(ac)
			return
		}
		ids = make([]string, len(es))
		for i, e := range es {
			ids[i] = e.desc.DeviceID
		}
		sort.Strings(ids)
	})
	if err != nil {
		return nil, false
	}
	return ids, true
}

// OnDeviceChange implements capture.DeviceChangeNotifier: f is called on the
// poll goroutine when the set of microphones changes.
func (b *Backend) OnDeviceChange(f func()) (cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f == nil || b.closed {
		return func() {}
	}
	k := b.nextL
	b.nextL++
	b.listeners[k] = f
	return func() {
		b.mu.Lock()
		delete(b.listeners, k)
		b.mu.Unlock()
	}
}

func (b *Backend) pollLoop() {
	defer close(b.pollDone)
	t := time.NewTicker(b.opts.poll)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		b.pollOnce()
	}
}

// pollOnce lists the devices and fires devicechange when the set changed.
func (b *Backend) pollOnce() {
	ids, ok := b.listIDs(context.Background())
	if !ok {
		return // closing
	}
	b.mu.Lock()
	if b.closed || equal(ids, b.known) {
		b.mu.Unlock()
		return
	}
	b.known = ids
	fs := make([]func(), 0, len(b.listeners))
	for _, f := range b.listeners {
		fs = append(fs, f)
	}
	b.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// vanished reports why d's device is gone, or "" while it is present. It is
// asked when d delivered nothing for the stall timeout; it returns err when
// ctx ends or d is closed before the server answers.
func (b *Backend) vanished(ctx context.Context, d *device) (string, error) {
	ac := d.ac
	if ac.dead.Load() {
		return "the audio server connection was lost", nil
	}
	ac.acquire()   // for f, which may outlive d
	var why string // f's result: read only once f has finished
	err := b.bounded(ctx, d.done, func() {
		defer b.releaseCtx(ac)
		es, err := b.list(ac, false)
		if err != nil {
			b.markDead(ac)
			why = fmt.Sprintf("the audio server is gone (%v)", err)
			return
		}
		for _, e := range es {
			if e.desc.DeviceID == d.id {
				return
			}
		}
		why = "it is no longer listed by the audio server"
	})
	if err != nil {
		return "", err
	}
	return why, nil
}

// Open implements capture.Backend: it opens deviceID at mode's sample rate,
// channel count and format (SampleSize 16 or Format "S16" for S16, else F32;
// zero values take 48 kHz mono).
func (b *Backend) Open(ctx context.Context, deviceID string, mode capture.MediaTrackSettings) (capture.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, capture.NewError(capture.ErrAbort, err, "opening microphone %s", deviceID)
	}
	if !strings.HasPrefix(deviceID, IDPrefix) {
		return nil, capture.NewError(capture.ErrNotFound, nil, "%q is not a microphone id (they start with %q)", deviceID, IDPrefix)
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return nil, capture.NewError(capture.ErrInvalidState, nil, "opening microphone %s: the backend is closed", deviceID)
	}
	cfg, err := configFor(mode)
	if err != nil {
		return nil, capture.NewError(capture.ErrNotReadable, err, "opening microphone %s", deviceID)
	}
	var (
		d       *device
		openErr error
		claimed atomic.Bool // by the first of f finishing and the caller giving up
	)
	err = b.bounded(ctx, nil, func() {
		d, openErr = b.openNow(deviceID, cfg)
		if openErr == nil && !claimed.CompareAndSwap(false, true) {
			_ = d.Close() // the caller gave up waiting
		}
	})
	if err != nil && claimed.CompareAndSwap(false, true) {
		if errors.Is(err, errClosed) {
			return nil, capture.NewError(capture.ErrInvalidState, nil, "opening microphone %s: the backend is closed", deviceID)
		}
		return nil, capture.NewError(capture.ErrAbort, err, "opening microphone %s: the audio server does not answer", deviceID)
	}
	if openErr != nil {
		return nil, openErr
	}
	return d, nil
}

// openNow is Open's work once the arguments are checked; it may block in a
// hung server.
func (b *Backend) openNow(deviceID string, cfg malgo.DeviceConfig) (*device, error) {
	ac := b.current()
	if ac == nil {
		return nil, capture.NewError(capture.ErrNotFound, nil, "microphone %s: no audio server answers", deviceID)
	}
	es, err := b.list(ac, false)
	if err != nil {
		b.markDead(ac)
		b.releaseCtx(ac)
		return nil, capture.NewError(capture.ErrNotFound, err, "microphone %s: the audio server is gone", deviceID)
	}
	var found *entry
	for i := range es {
		if es[i].desc.DeviceID == deviceID {
			found = &es[i]
			break
		}
	}
	if found == nil {
		b.releaseCtx(ac)
		return nil, capture.NewError(capture.ErrNotFound, nil, "microphone %s is not present", deviceID)
	}
	d, err := b.openDevice(ac, found, cfg)
	if err != nil {
		b.releaseCtx(ac)
		return nil, err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = d.Close()
		return nil, capture.NewError(capture.ErrInvalidState, nil, "opening microphone %s: the backend is closed", deviceID)
	}
	b.open[d] = struct{}{}
	b.mu.Unlock()
	return d, nil
}

// forget removes d from the open set once it is closed.
func (b *Backend) forget(d *device) {
	b.mu.Lock()
	delete(b.open, d)
	b.mu.Unlock()
}

// Close stops the poll, ends and closes every open device and frees the
// audio contexts. It waits for the drivers up to the close timeout.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.listeners = map[int]func(){}
	devs := make([]*device, 0, len(b.open))
	for d := range b.open {
		devs = append(devs, d)
	}
	b.mu.Unlock()
	close(b.stop)
	<-b.pollDone
	b.closeVolumes()

	// Close the devices side by side, so that slow ones cost one close
	// timeout in all.
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	for i, d := range devs {
		if d.closeStarted.Load() {
			continue // its close, if still running, is waited for below
		}
		d.end(capture.NewError(capture.ErrNotReadable, nil, "microphone %s: the backend was closed", d.label))
		wg.Go(func() { errs[i] = d.Close() })
	}
	wg.Wait()
	b.mu.Lock()
	if b.cur != nil {
		b.retireLocked(b.cur)
	}
	b.mu.Unlock()
	// Device closes that timed out, and calls into a hung server, still run;
	// give them one more close timeout, then report.
	done := make(chan struct{})
	go func() {
		b.bg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(b.opts.closeTimeout):
		errs = append(errs, fmt.Errorf("mic: a call into the audio server still runs %v after Close; it finishes in the background", b.opts.closeTimeout))
	}
	return errors.Join(errs...)
}

// isALSAHardware reports whether an ALSA id from miniaudio names a hardware
// device: ":C,D" in its simplified enumeration, "hw:"/"plughw:" otherwise.
func isALSAHardware(id string) bool {
	return strings.HasPrefix(id, ":") || strings.HasPrefix(id, "hw:") || strings.HasPrefix(id, "plughw:")
}

// groupID groups a PulseAudio ALSA source with the other ports of its card:
// "alsa_input.pci-0000_00_1f.3.analog-stereo" → "mic-group:pci-0000_00_1f.3".
// Other devices are a group of their own.
func groupID(sys malgo.Backend, raw string) string {
	if sys == systemPulse {
		if rest, ok := strings.CutPrefix(raw, "alsa_input."); ok {
			if i := strings.LastIndexByte(rest, '.'); i > 0 {
				rest = rest[:i]
			}
			return "mic-group:" + rest
		}
		return "mic-group:" + raw
	}
	card := raw
	if i := strings.IndexByte(card, ','); i > 0 {
		card = card[:i]
	}
	return "mic-group:alsa" + card
}

// cString returns the NUL-terminated string at the start of b.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
