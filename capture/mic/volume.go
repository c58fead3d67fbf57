package mic

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/internal/pulse"
)

// Volume and mute are the audio server's, per device: every track of a
// microphone, and every other program recording from it, hears the same
// level. They are reached through the server's native protocol
// (internal/pulse), not through miniaudio, which has no such call; so
// only PulseAudio sources ("mic:NAME") have them, not ALSA devices.

// VolumeChange is a microphone's volume or mute as the server reports it.
type VolumeChange struct {
	DeviceID string
	// Volume is the loudest channel's volume, 0..1 of the server's normal
	// (100 %) volume; above 1 when another program amplifies it.
	Volume float64
	Muted  bool
	// Available is false when the controls are gone: the source was
	// removed or the audio server is not connected. Volume and Muted are
	// then zero.
	Available bool
}

// volumes follows the server's source events for OnVolumeChange.
type volumes struct {
	pc *pulse.Client

	mu        sync.Mutex // protects the fields below
	listeners map[int]func(VolumeChange)
	next      int
	last      map[uint32]VolumeChange // by source index: what was last told
	cancel    func()
}

// volumeClient returns the backend's connection to the audio server,
// opening it (shared with the rest of the process) on first use.
func (b *Backend) volumeClient() (*volumes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, capture.NewError(capture.ErrInvalidState, nil, "mic: the backend is closed")
	}
	if b.vol == nil {
		v := &volumes{pc: pulse.Open(), listeners: map[int]func(VolumeChange){}, last: map[uint32]VolumeChange{}}
		v.cancel = v.pc.OnEvent(func(e pulse.Event) { v.event(b.opts.monitors, e) })
		b.vol = v
	}
	return b.vol, nil
}

// closeVolumes is called by Close.
func (b *Backend) closeVolumes() {
	b.mu.Lock()
	v := b.vol
	b.vol = nil
	b.mu.Unlock()
	if v != nil {
		v.cancel()
		v.pc.Close()
	}
}

// sourceName checks deviceID and returns its PulseAudio source name.
func sourceName(deviceID string) (string, error) {
	name, ok := strings.CutPrefix(deviceID, IDPrefix)
	switch {
	case !ok || name == "":
		return "", capture.NewError(capture.ErrNotFound, nil, "%q is not a microphone id (they start with %q)", deviceID, IDPrefix)
	case strings.HasPrefix(name, "alsa:"):
		return "", capture.NewError(capture.ErrNotFound, nil, "microphone %q has no volume control: it is an ALSA device, not an audio server source", deviceID)
	}
	return name, nil
}

func (b *Backend) source(ctx context.Context, deviceID string) (pulse.Source, *volumes, error) {
	name, err := sourceName(deviceID)
	if err != nil {
		return pulse.Source{}, nil, err
	}
	v, err := b.volumeClient()
	if err != nil {
		return pulse.Source{}, nil, err
	}
	s, err := v.pc.Source(ctx, name)
	if err != nil {
		return pulse.Source{}, nil, deviceErr(deviceID, err)
	}
	return s, v, nil
}

func deviceErr(deviceID string, err error) error {
	return capture.NewError(capture.ErrNotFound, err, "microphone %q", deviceID)
}

// Volume returns the microphone's volume: its loudest channel, 0..1 of the
// server's normal volume (above 1 if another program amplified it).
func (b *Backend) Volume(ctx context.Context, deviceID string) (float64, error) {
	s, _, err := b.source(ctx, deviceID)
	return s.MaxVolume(), err
}

// SetVolume sets the microphone's volume to v (0..1). A device with
// channels set apart keeps their balance: the loudest becomes v.
func (b *Backend) SetVolume(ctx context.Context, deviceID string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return capture.NewError(capture.ErrTypeError, nil, "microphone %q: volume %v is outside 0..1", deviceID, v)
	}
	s, vc, err := b.source(ctx, deviceID)
	if err != nil {
		return err
	}
	vol := make([]float64, len(s.Volume))
	peak := s.MaxVolume()
	for i, c := range s.Volume {
		if peak > 0 {
			vol[i] = math.Min(1, c*v/peak)
		} else {
			vol[i] = v
		}
	}
	if err := vc.pc.SetSourceVolume(ctx, s.Name, vol); err != nil {
		return deviceErr(deviceID, err)
	}
	return nil
}

// Muted reports whether the microphone is muted by the audio server.
func (b *Backend) Muted(ctx context.Context, deviceID string) (bool, error) {
	s, _, err := b.source(ctx, deviceID)
	return s.Muted, err
}

// SetMuted mutes or unmutes the microphone at the audio server: every
// program recording from it then hears silence. (This is not a track's
// muted attribute, which the source sets; a muted server source still
// delivers data.)
func (b *Backend) SetMuted(ctx context.Context, deviceID string, muted bool) error {
	s, vc, err := b.source(ctx, deviceID)
	if err != nil {
		return err
	}
	if err := vc.pc.SetSourceMute(ctx, s.Name, muted); err != nil {
		return deviceErr(deviceID, err)
	}
	return nil
}

// OnVolumeChange registers f for every change of a microphone's volume or
// mute, whoever made it (Tally, pactl, pavucontrol), as the server's events
// report it; and with Available false when the controls go (source removed,
// server gone) and true again when they come back. f runs on the audio
// server connection's goroutine, one call at a time, in the server's
// order; it may call the backend's volume methods, but not Close, which
// waits for that goroutine.
func (b *Backend) OnVolumeChange(f func(VolumeChange)) (cancel func()) {
	v, err := b.volumeClient()
	if err != nil {
		return func() {}
	}
	v.mu.Lock()
	id := v.next
	v.next++
	v.listeners[id] = f
	v.mu.Unlock()
	return func() {
		v.mu.Lock()
		delete(v.listeners, id)
		v.mu.Unlock()
	}
}

// event turns the server's events into VolumeChanges.
func (v *volumes) event(monitors bool, e pulse.Event) {
	ctx := context.Background()
	var changes []VolumeChange
	switch {
	case e.Type == "connected":
		srcs, err := v.pc.Sources(ctx)
		if err != nil {
			return // the connection went again; "disconnected" follows
		}
		for _, s := range srcs {
			if c, ok := v.update(monitors, s); ok {
				changes = append(changes, c)
			}
		}
	case e.Type == "disconnected":
		changes = v.removeAll()
	case e.Facility != "source":
	case e.Type == "remove":
		v.mu.Lock()
		c, ok := v.last[e.Index]
		delete(v.last, e.Index)
		v.mu.Unlock()
		if ok {
			changes = append(changes, VolumeChange{DeviceID: c.DeviceID})
		}
	default: // new, change
		s, err := v.pc.SourceByIndex(ctx, e.Index)
		if err != nil {
			return // removed meanwhile: its "remove" follows
		}
		if c, ok := v.update(monitors, s); ok {
			changes = append(changes, c)
		}
	}
	v.mu.Lock()
	fs := make([]func(VolumeChange), 0, len(v.listeners))
	for i := range v.next {
		if f, ok := v.listeners[i]; ok {
			fs = append(fs, f)
		}
	}
	v.mu.Unlock()
	for _, c := range changes {
		for _, f := range fs {
			f(c)
		}
	}
}

// update records s and returns its change, if it is news.
func (v *volumes) update(monitors bool, s pulse.Source) (VolumeChange, bool) {
	if s.Monitor && !monitors {
		return VolumeChange{}, false
	}
	c := VolumeChange{DeviceID: IDPrefix + s.Name, Volume: s.MaxVolume(), Muted: s.Muted, Available: true}
	v.mu.Lock()
	defer v.mu.Unlock()
	if old, ok := v.last[s.Index]; ok && old == c {
		return VolumeChange{}, false // a change of something else (state, port)
	}
	v.last[s.Index] = c
	return c, true
}

func (v *volumes) removeAll() []VolumeChange {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]VolumeChange, 0, len(v.last))
	for _, c := range v.last {
		out = append(out, VolumeChange{DeviceID: c.DeviceID})
	}
	clear(v.last)
	slices.SortFunc(out, func(a, b VolumeChange) int { return strings.Compare(a.DeviceID, b.DeviceID) })
	return out
}
