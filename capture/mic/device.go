package mic

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"

	"github.com/tally-app/tally/capture"
)

// device is an open microphone: a started miniaudio capture device whose
// periods the audio thread converts to float32 and queues for ReadAudio.
type device struct {
	b     *Backend
	ac    *audioCtx // holds a reference until the device is closed
	id    string
	label string
	dev   *malgo.Device

	rate, channels int
	format         malgo.FormatType

	frames atomic.Uint64 // sample frames delivered so far, for timestamps; the audio thread's

	chunks  chan capture.AudioChunk // bounded; the audio thread drops the oldest when full
	wake    chan struct{}           // 1-slot: a mute change for ReadAudio to report
	done    chan struct{}           // closed by end: ReadAudio returns endErr
	endOnce sync.Once
	endErr  error

	closing atomic.Bool // set before our own Stop, so its stop callback is not a mute
	muted   atomic.Bool // the server suspended the source
	dropped atomic.Uint64
	firstAt atomic.Int64 // unix ns of the first chunk, 0 before

	muteFn   atomic.Pointer[func(bool)]
	reported bool        // the mute state last reported; ReadAudio's goroutine only
	timer    *time.Timer // the stall timer; ReadAudio's goroutine only
	openedAt time.Time

	closeOnce    sync.Once
	closeStarted atomic.Bool
	closeErr     error
}

var (
	_ capture.AudioDevice  = (*device)(nil)
	_ capture.MuteNotifier = (*device)(nil)
)

// openDevice initializes and starts a capture device for e on ac. On success
// the device owns the caller's reference to ac.
func (b *Backend) openDevice(ac *audioCtx, e *entry, cfg malgo.DeviceConfig) (*device, error) {
	d := &device{
		b:        b,
		ac:       ac,
		id:       e.desc.DeviceID,
		label:    e.desc.Label,
		rate:     int(cfg.SampleRate),
		channels: int(cfg.Capture.Channels),
		format:   cfg.Capture.Format,
		chunks:   make(chan capture.AudioChunk, b.opts.queue),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	cfg.Pulse.StreamNameCapture = d.label
	dev, err := ac.initDevice(e.id, cfg, malgo.DeviceCallbacks{Data: d.onData, Stop: d.onStop})
	if err != nil {
		return nil, capture.NewError(capture.ErrNotReadable, err, "microphone %q (%s) could not be opened at %d Hz, %d channels, %s",
			d.label, e.desc.Path, d.rate, d.channels, formatName(d.format))
	}
	d.dev = dev
	d.openedAt = time.Now()
	if err := dev.Start(); err != nil {
		d.closing.Store(true)
		_ = dev.Stop()
		dev.Uninit()
		return nil, capture.NewError(capture.ErrNotReadable, err, "microphone %q (%s) could not be started", d.label, e.desc.Path)
	}
	return d, nil
}

// onData runs on the audio thread for each period: convert, timestamp,
// queue. It never blocks.
func (d *device) onData(_, in []byte, frameCount uint32) {
	if d.closing.Load() {
		return
	}
	n := int(frameCount) * d.channels
	samples := make([]float32, n)
	if !convert(samples, in, d.format) {
		return // a period of an unexpected size: nothing sane to deliver
	}
	c := capture.AudioChunk{
		Samples:    samples,
		Channels:   d.channels,
		SampleRate: d.rate,
		Timestamp:  framesToDuration(d.frames.Load(), d.rate),
	}
	d.frames.Add(uint64(frameCount))
	if d.firstAt.Load() == 0 {
		d.firstAt.Store(time.Now().UnixNano())
	}
	if d.muted.Load() {
		d.muted.Store(false)
		d.signal()
	}
	for {
		select {
		case d.chunks <- c:
			return
		default:
		}
		select {
		case <-d.chunks:
			d.dropped.Add(1)
		default:
		}
	}
}

// onStop runs when miniaudio reports the device stopped. Unless we are
// stopping it, that is the server suspending the source: mute.
func (d *device) onStop() {
	if d.closing.Load() {
		return
	}
	d.muted.Store(true)
	d.signal()
}

func (d *device) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// OnMute implements capture.MuteNotifier. muted is called on the goroutine
// that calls ReadAudio.
func (d *device) OnMute(muted func(bool)) {
	if muted == nil {
		d.muteFn.Store(nil)
		return
	}
	d.muteFn.Store(&muted)
}

// reportMute tells the mute callback about a change since the last report.
func (d *device) reportMute() {
	m := d.muted.Load()
	if m == d.reported {
		return
	}
	if f := d.muteFn.Load(); f != nil {
		d.reported = m
		(*f)(m)
	}
}

// ReadAudio implements capture.AudioDevice. While no data comes it checks,
// every stall timeout, whether the device vanished.
func (d *device) ReadAudio(ctx context.Context) (capture.AudioChunk, error) {
	d.reportMute()
	select {
	case <-d.done:
		return capture.AudioChunk{}, d.endErr
	default:
	}
	if d.timer == nil {
		d.timer = time.NewTimer(d.b.opts.stall)
	} else {
		d.timer.Reset(d.b.opts.stall)
	}
	defer d.timer.Stop()
	for {
		select {
		case c := <-d.chunks:
			d.reportMute()
			return c, nil
		case <-d.wake:
			d.reportMute()
		case <-d.done:
			return capture.AudioChunk{}, d.endErr
		case <-ctx.Done():
			return capture.AudioChunk{}, ctx.Err()
		case <-d.timer.C:
			why, err := d.b.vanished(ctx, d)
			switch {
			case errors.Is(err, errCancelled): // closed meanwhile
				return capture.AudioChunk{}, d.endErr
			case errors.Is(err, errClosed):
				d.end(capture.NewError(capture.ErrNotReadable, nil, "microphone %s: the backend was closed", d.label))
				return capture.AudioChunk{}, d.endErr
			case err != nil:
				return capture.AudioChunk{}, err
			case why != "":
				d.end(capture.NewError(capture.ErrNotFound, nil, "microphone %q vanished: %s", d.label, why))
				return capture.AudioChunk{}, d.endErr
			}
			d.timer.Reset(d.b.opts.stall)
		}
	}
}

// end makes ReadAudio return err from now on (the first err wins).
func (d *device) end(err error) {
	d.endOnce.Do(func() {
		d.endErr = err
		close(d.done)
	})
}

// Close implements capture.Device: Stop then Uninit (Uninit alone can hang
// on PulseAudio when no data flows), bounded by the close timeout. A second
// Close returns the first one's result.
func (d *device) Close() error {
	d.closeOnce.Do(func() {
		d.closeStarted.Store(true)
		d.end(capture.NewError(capture.ErrInvalidState, nil, "microphone %q is closed", d.label))
		d.closing.Store(true)
		fin := make(chan error, 1)
		d.b.bg.Add(1)
		go func() {
			defer d.b.bg.Done()
			err := d.dev.Stop()
			d.dev.Uninit()
			d.b.releaseCtx(d.ac)
			d.b.forget(d)
			fin <- err
		}()
		t := time.NewTimer(d.b.opts.closeTimeout)
		defer t.Stop()
		select {
		case err := <-fin:
			if err != nil {
				d.closeErr = fmt.Errorf("mic: stopping microphone %q: %w", d.label, err)
			}
		case <-t.C:
			d.closeErr = fmt.Errorf("mic: microphone %q did not close within %v; it finishes in the background", d.label, d.b.opts.closeTimeout)
		}
	})
	return d.closeErr
}

// Stats is what an open device measured: for diagnostics and tests.
type Stats struct {
	Dropped    uint64        // chunks dropped because the reader fell behind
	FirstChunk time.Duration // from open to the first period; 0 before it
}

// DeviceStats returns the stats of dev, a device this backend opened.
func DeviceStats(dev capture.Device) (Stats, bool) {
	d, ok := dev.(*device)
	if !ok {
		return Stats{}, false
	}
	s := Stats{Dropped: d.dropped.Load()}
	if at := d.firstAt.Load(); at != 0 {
		s.FirstChunk = time.Unix(0, at).Sub(d.openedAt)
	}
	return s, true
}
