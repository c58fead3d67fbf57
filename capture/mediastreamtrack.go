package capture

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// MediaStreamTrack is one track of media from a source
// (https://w3c.github.io/mediacapture-main/#mediastreamtrack). Tracks share
// sources: clones and later GetUserMedia calls on the same device attach to
// the one source, which counts them and closes the device after the last
// one stops.
//
// All methods are safe for concurrent use.
type MediaStreamTrack struct {
	c *trackCore
}

// trackCore is the track's state. Sources hold the core, never the
// *MediaStreamTrack, so a track the program drops becomes unreachable and
// the leak detector can find it.
type trackCore struct {
	id    string
	kind  string // TrackKindAudio | TrackKindVideo
	label string
	md    *MediaDevices

	endedCh chan struct{} // closed the moment readyState becomes "ended"
	done    chan struct{} // Done(): closed by stop() at once, after "ended" for a source's end
	enabled atomic.Bool
	muted   atomic.Bool

	// Guarded by md.mu.
	src         *source // nil once ended
	state       string
	constraints MediaTrackConstraints
	settings    MediaTrackSettings // the last settings, kept after the track ends
	caps        MediaTrackCapabilities
	endReason   EndReason // "" while live
	endErr      error     // the device's error that ended the source; nil when stopped

	rmu      sync.Mutex // serialises writers of vreaders, areaders
	vreaders atomic.Pointer[[]*VideoReader]
	areaders atomic.Pointer[[]*AudioReader]

	onEnded, onMute, onUnmute listeners
}

func (c *trackCore) addVideoReader(r *VideoReader) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	var next []*VideoReader
	if old := c.vreaders.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, r)
	c.vreaders.Store(&next)
}

func (c *trackCore) removeVideoReader(r *VideoReader) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	old := c.vreaders.Load()
	if old == nil {
		return
	}
	var next []*VideoReader
	for _, x := range *old {
		if x != r {
			next = append(next, x)
		}
	}
	c.vreaders.Store(&next)
}

func (c *trackCore) addAudioReader(r *AudioReader) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	var next []*AudioReader
	if old := c.areaders.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, r)
	c.areaders.Store(&next)
}

func (c *trackCore) removeAudioReader(r *AudioReader) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	old := c.areaders.Load()
	if old == nil {
		return
	}
	var next []*AudioReader
	for _, x := range *old {
		if x != r {
			next = append(next, x)
		}
	}
	c.areaders.Store(&next)
}

// newTrack makes a live track's handle and registers the leak detector on it.
func (md *MediaDevices) newTrack(kind, label string, constraints MediaTrackConstraints) *MediaStreamTrack {
	c := &trackCore{
		id:          newID(),
		kind:        kind,
		label:       label,
		md:          md,
		endedCh:     make(chan struct{}),
		done:        make(chan struct{}),
		state:       StateLive,
		constraints: constraints,
	}
	c.enabled.Store(true)
	t := &MediaStreamTrack{c: c}
	runtime.AddCleanup(t, md.trackUnreachable, c)
	return t
}

// ID is the track's unique id.
func (t *MediaStreamTrack) ID() string { return t.c.id }

// Kind is "audio" or "video".
func (t *MediaStreamTrack) Kind() string { return t.c.kind }

// Label is the label of the track's device.
func (t *MediaStreamTrack) Label() string { return t.c.label }

// Enabled reports whether the track delivers media; a disabled track delivers
// black frames or silence while its source keeps running.
func (t *MediaStreamTrack) Enabled() bool { return t.c.enabled.Load() }

// SetEnabled enables or disables the track.
func (t *MediaStreamTrack) SetEnabled(on bool) {
	if t.c.enabled.Swap(on) != on {
		t.c.md.changed()
	}
}

// Muted reports whether the source is not delivering media for a reason of
// its own (a device paused by the system). Only the source sets it.
func (t *MediaStreamTrack) Muted() bool { return t.c.muted.Load() }

// ReadyState is "live" or "ended".
func (t *MediaStreamTrack) ReadyState() string {
	select {
	case <-t.c.endedCh:
		return StateEnded
	default:
		return StateLive
	}
}

// EndReason says why the track ended: "" while it is live, EndStopped
// after Stop, otherwise why its source ended by itself. It is set before
// ReadyState turns "ended", so OnEnded callbacks can read it.
func (t *MediaStreamTrack) EndReason() EndReason {
	t.c.md.mu.Lock()
	defer t.c.md.mu.Unlock()
	return t.c.endReason
}

// EndError is the device's error that ended the track's source (matchable
// with errors.Is: ErrNotFound, ErrNotReadable, ErrStalled ...), nil while
// live or when the track was stopped.
func (t *MediaStreamTrack) EndError() error {
	t.c.md.mu.Lock()
	defer t.c.md.mu.Unlock()
	return t.c.endErr
}

// Done is closed once the track has ended: at once by Stop, and after the
// "ended" callbacks when the source ended by itself.
func (t *MediaStreamTrack) Done() <-chan struct{} { return t.c.done }

// Stop ends the track (https://w3c.github.io/mediacapture-main/#dom-mediastreamtrack-stop).
// It never blocks on the device: when it returns, ReadyState is "ended", Done
// is closed, the track's readers return ErrTrackEnded and the track no longer
// counts toward its source. It fires no "ended" event. When it was its
// source's last track, the device is closed on another goroutine. A second
// Stop does nothing.
func (t *MediaStreamTrack) Stop() {
	t.c.md.stopTrack(t.c)
}

// Clone returns a new track on the same source, with the same constraints,
// enabled state and settings. The clone of an ended track is ended.
func (t *MediaStreamTrack) Clone() *MediaStreamTrack {
	return t.c.md.cloneTrack(t.c)
}

// GetSettings returns the track's current settings; an ended track keeps its
// last ones.
func (t *MediaStreamTrack) GetSettings() MediaTrackSettings {
	md := t.c.md
	md.mu.Lock()
	defer md.mu.Unlock()
	return t.c.settings
}

// GetCapabilities returns the ranges the track's device supports.
func (t *MediaStreamTrack) GetCapabilities() MediaTrackCapabilities {
	md := t.c.md
	md.mu.Lock()
	defer md.mu.Unlock()
	return t.c.caps
}

// GetConstraints returns the constraints the track was created or last
// successfully applied with, as parsed.
func (t *MediaStreamTrack) GetConstraints() MediaTrackConstraints {
	md := t.c.md
	md.mu.Lock()
	defer md.mu.Unlock()
	return t.c.constraints
}

// ApplyConstraints asks the track's source for settings that satisfy c
// (https://w3c.github.io/mediacapture-main/#dom-constrainablepattern-applyconstraints).
// On failure neither settings nor constraints change. On an ended track it
// returns nil and touches no device.
func (t *MediaStreamTrack) ApplyConstraints(ctx context.Context, c MediaTrackConstraints) error {
	return t.c.md.applyConstraints(ctx, t.c, c)
}

// OnEnded registers f to run when the track ends because its source ended
// (unplugged, failed, revoked) — never because of Stop. Callbacks run one at
// a time on a goroutine of the MediaDevices, in event order.
func (t *MediaStreamTrack) OnEnded(f func()) (cancel func()) { return t.c.onEnded.add(f) }

// OnMute registers f to run when the source mutes the track.
func (t *MediaStreamTrack) OnMute(f func()) (cancel func()) { return t.c.onMute.add(f) }

// OnUnmute registers f to run when the source unmutes the track.
func (t *MediaStreamTrack) OnUnmute(f func()) (cancel func()) { return t.c.onUnmute.add(f) }

// SourceID is the id of the source the track is attached to ("" once ended).
func (t *MediaStreamTrack) SourceID() string {
	md := t.c.md
	md.mu.Lock()
	defer md.mu.Unlock()
	if t.c.src == nil {
		return ""
	}
	return t.c.src.id
}

// String is a short description for logs.
func (t *MediaStreamTrack) String() string {
	return t.c.kind + " track " + shortID(t.c.id) + " (" + t.c.label + ")"
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
