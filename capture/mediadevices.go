// Package capture is the W3C Media Capture and Streams model in Go
// (https://w3c.github.io/mediacapture-main/): MediaDevices, MediaStream,
// MediaStreamTrack, constraints, and shared, reference-counted sources.
//
// Devices come from backends (package capture/synthetic, and one package per
// real device family) handed to NewMediaDevices; capture imports none.
//
// # Sources and stop()
//
// A source is an open device. Tracks share sources: a second GetUserMedia on
// a device that already has a live source, and Clone, attach a new track to
// it, so the device is opened once. A source counts its live tracks; when
// the last one stops, the device is closed once, on the source's own
// goroutine, and the source leaves Sources(). Stop never blocks on a device
// and fires no "ended" event; a source that ends by itself (unplugged,
// failed, stalled, revoked) ends each of its live tracks, which fire "ended"
// once; EndReason and EndError say why.
//
// # Per-track video
//
// A source runs its device in one mode; each video track has its own
// settings (https://w3c.github.io/mediacapture-main/#dfn-resizemode). A
// track that asks for a size, aspect ratio or rate the mode does not have
// gets the mode's frames cropped to its aspect ratio (centred), scaled down
// and decimated to an integral fraction of the rate, never up: resizeMode
// "crop-and-scale". "none" is the device's own frames. Each distinct output
// (size, rate) is computed once per kept source frame, into pooled buffers,
// and shared by every track that wants it; SourceInfo.Outputs lists them.
// Capabilities reach down to 1×1 and 1 fps and list both resize modes.
//
// Selection follows the spec's SelectSettings over every device mode and,
// for video, each mode's crop-and-scale settings that best fit the
// constraints. For a camera whose constraints name none of width, height,
// aspectRatio and frameRate, the default ideals 640×480 @ 30 (a browser's)
// choose among the chosen device's own modes — among what its live source
// gives, when it has one — and never choose the device: {video: true}
// opens the default camera, and joins an open one without changing its
// mode. When candidates tie in fitness distance, the first of these wins:
//
//  1. the mode the device's live source runs in (no reconfiguration);
//  2. the device's own frames before crop-and-scale (they cost nothing);
//  3. the higher frame rate (so a request naming only a size gets the
//     highest rate at that size);
//  4. the larger size (more detail to scale from);
//  5. the backend's order (its format preference). Screens skip 3 and 4:
//     their backend's preferred mode stands.
//
// Devices come in the default-first order of EnumerateDevices, and a
// device's candidates stay together, so a tie between devices goes to the
// default one.
//
// A source changes mode only when a track needs what the current mode
// cannot give and every other track keeps its settings (size and rate, now
// by crop-and-scale) and its constraints in the new mode: ApplyConstraints
// on one track never changes another's size or rate. A device that cannot
// change mode while open (no Reconfigurer) is closed and opened again in
// the new mode. When no mode of a held device can serve a request,
// selection moves on to the next candidate — another device — before it
// fails.
//
// # Leaked tracks
//
// A live track the program drops without calling Stop would keep its device
// open forever, as a forgotten track keeps a browser's camera light on.
// MediaDevices watches for that: when a live track's *MediaStreamTrack
// becomes unreachable (runtime.AddCleanup), it counts it in the source's
// SourceInfo.LeakedTracks and in Leaks, reports it to OnLeak callbacks, and
// — under the default LeakStop policy — stops it so its source can close.
// SetLeakPolicy(LeakReport) only reports. Readers keep their track
// reachable, and so do callbacks registered on a track that refer to the
// track itself: such a track is in use, not leaked.
//
// # Concurrency
//
// Every method is safe for concurrent use. Each source has one capture
// goroutine, which reads its device and hands each frame to every reader of
// every live track without copying. Callbacks (OnChange, OnDeviceChange,
// OnEnded, OnMute, OnUnmute, OnLeak) run one at a time, in the order of the
// events, on a goroutine of the MediaDevices that exists only while events
// are pending; they may call any method of this package but Close. Close
// ends every track, closes every device and waits for all of this to finish.
package capture

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MediaDevices is the entry point: one per application. It owns the
// backends' live sources.
type MediaDevices struct {
	backends []Backend
	disp     *dispatcher
	wg       sync.WaitGroup // capture goroutines

	mu      sync.Mutex               // protects the fields below, and every source's and track core's guarded fields
	sources map[string]*source       // live sources by device id
	opening map[string]chan struct{} // device ids being opened, closed when done
	closing map[string]chan struct{} // device ids whose device is still closing
	order   []*source                // live sources in open order
	closed  bool
	leakPol LeakPolicy
	leaks   uint64

	onChange, onDeviceChange listeners
	onLeak                   leakListeners
	unwatch                  []func()
}

// LeakPolicy says what happens to a live track the program dropped without
// calling Stop.
type LeakPolicy int

const (
	// LeakStop reports the track and stops it, so its source can close.
	LeakStop LeakPolicy = iota
	// LeakReport only reports it; the device stays open until Close.
	LeakReport
)

// LeakInfo describes a live track found unreachable.
type LeakInfo struct {
	TrackID  string
	Kind     string
	Label    string
	SourceID string
	DeviceID string
	Stopped  bool // the detector stopped it (LeakStop)
}

type leakListeners struct {
	mu  sync.Mutex
	fns map[uint64]func(LeakInfo)
	n   uint64
}

// NewMediaDevices returns a MediaDevices over the given backends, in order of
// preference: the default device of a kind is the first backend's that has
// one of that kind (its flagged default, else its first), and devices are
// listed default first, then in backend order. Put hardware backends first
// and the synthetic one last.
func NewMediaDevices(backends ...Backend) *MediaDevices {
	md := &MediaDevices{
		backends: backends,
		disp:     newDispatcher(),
		sources:  make(map[string]*source),
		opening:  make(map[string]chan struct{}),
		closing:  make(map[string]chan struct{}),
	}
	for _, b := range backends {
		if n, ok := b.(DeviceChangeNotifier); ok {
			md.unwatch = append(md.unwatch, n.OnDeviceChange(md.deviceChanged))
		}
	}
	return md
}

// Backends returns the backends, in order.
func (md *MediaDevices) Backends() []Backend { return slices.Clone(md.backends) }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// OnChange registers f to run after any track or source lifecycle change:
// a track added, stopped, ended, cloned, enabled or disabled, muted; a
// source opened or closed; settings applied.
func (md *MediaDevices) OnChange(f func()) (cancel func()) { return md.onChange.add(f) }

// OnDeviceChange registers f to run when the set of devices changes
// (https://w3c.github.io/mediacapture-main/#event-mediadevices-devicechange).
func (md *MediaDevices) OnDeviceChange(f func()) (cancel func()) { return md.onDeviceChange.add(f) }

// OnLeak registers f to run when a live track is found unreachable.
func (md *MediaDevices) OnLeak(f func(LeakInfo)) (cancel func()) {
	l := &md.onLeak
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fns == nil {
		l.fns = make(map[uint64]func(LeakInfo))
	}
	id := l.n
	l.n++
	l.fns[id] = f
	return func() {
		l.mu.Lock()
		delete(l.fns, id)
		l.mu.Unlock()
	}
}

// SetLeakPolicy sets what the leak detector does (LeakStop by default).
func (md *MediaDevices) SetLeakPolicy(p LeakPolicy) {
	md.mu.Lock()
	md.leakPol = p
	md.mu.Unlock()
}

// Leaks is the number of leaked tracks found so far.
func (md *MediaDevices) Leaks() uint64 {
	md.mu.Lock()
	defer md.mu.Unlock()
	return md.leaks
}

// changed posts the change event. With no OnChange listener it posts
// nothing: no event goroutine to start on Stop's path for a program that
// does not listen (a listener registered later sees later changes only).
func (md *MediaDevices) changed() {
	if md.onChange.empty() {
		return
	}
	md.disp.post(md.onChange.call)
}

func (md *MediaDevices) deviceChanged() {
	md.disp.post(md.onDeviceChange.call)
}

// Devices lists every device of every backend, screens included, with its
// modes and capabilities: more than EnumerateDevices tells a web page.
func (md *MediaDevices) Devices(ctx context.Context) ([]DeviceDescriptor, error) {
	all, err := md.enumerate(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]DeviceDescriptor, len(all))
	for i, d := range all {
		out[i] = d.d
	}
	return out, nil
}

// backendDevice is a device with the backend it belongs to.
type backendDevice struct {
	b  Backend
	bi int // b's place in md.backends
	d  DeviceDescriptor
}

// enumerate asks every backend for its devices, in backend order. A backend
// that fails is left out unless all fail.
func (md *MediaDevices) enumerate(ctx context.Context) ([]backendDevice, error) {
	var all []backendDevice
	var errs []error
	for bi, b := range md.backends {
		if err := ctx.Err(); err != nil {
			return nil, NewError(ErrAbort, err, "enumerating devices")
		}
		ds, err := b.Devices(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("backend %s: %w", b.Name(), err))
			continue
		}
		for _, d := range ds {
			all = append(all, backendDevice{b, bi, d})
		}
	}
	if len(all) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	markDefaults(all)
	return all, nil
}

// markDefaults leaves one default per kind: the first backend (in the
// order given to NewMediaDevices) with devices of that kind provides it —
// the one it flags, or its first when it flags none, as V4L2 has no notion
// of a default camera. So a real webcam beats the synthetic camera, whose
// backend comes last, although only the synthetic backend flags one.
func markDefaults(all []backendDevice) {
	owner := map[string]int{} // kind -> the backend that provides its default
	for _, d := range all {
		if _, ok := owner[d.d.Kind]; !ok {
			owner[d.d.Kind] = d.bi
		}
	}
	flagged := map[string]bool{} // kind -> its owner flags a device
	for _, d := range all {
		if d.bi == owner[d.d.Kind] && d.d.Default {
			flagged[d.d.Kind] = true
		}
	}
	done := map[string]bool{}
	for i := range all {
		d := &all[i]
		mine := d.bi == owner[d.d.Kind] && !done[d.d.Kind] && (d.d.Default || !flagged[d.d.Kind])
		d.d.Default = mine
		if mine {
			done[d.d.Kind] = true
		}
	}
}

// ofKind returns the devices of one kind, the default first, in backend
// order otherwise.
func ofKind(all []backendDevice, kind string) []backendDevice {
	var out []backendDevice
	for _, d := range all {
		if d.d.Kind == kind {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b backendDevice) int {
		switch {
		case a.d.Default && !b.d.Default:
			return -1
		case b.d.Default && !a.d.Default:
			return 1
		}
		return 0
	})
	return out
}

// EnumerateDevices lists the cameras and microphones
// (https://w3c.github.io/mediacapture-main/#dom-mediadevices-enumeratedevices).
// Ids are stable across calls.
func (md *MediaDevices) EnumerateDevices(ctx context.Context) ([]MediaDeviceInfo, error) {
	all, err := md.enumerate(ctx)
	if err != nil {
		return nil, err
	}
	var out []MediaDeviceInfo
	for _, kind := range []string{KindAudioInput, KindVideoInput} {
		for _, d := range ofKind(all, kind) {
			out = append(out, MediaDeviceInfo{DeviceID: d.d.DeviceID, Kind: d.d.Kind, Label: d.d.Label, GroupID: d.d.GroupID})
		}
	}
	return out, nil
}

// GetUserMedia returns a stream with a track of each requested kind
// (https://w3c.github.io/mediacapture-main/#dom-mediadevices-getusermedia).
// Errors: TypeError when neither kind is requested or the constraints are
// not valid, NotFoundError when no device of a kind exists,
// *OverconstrainedError when none satisfies a required constraint,
// NotReadableError when the device fails to open, AbortError when ctx ends.
func (md *MediaDevices) GetUserMedia(ctx context.Context, c MediaStreamConstraints) (*MediaStream, error) {
	if c.Audio == nil && c.Video == nil {
		return nil, NewError(ErrTypeError, nil, "getUserMedia: neither audio nor video requested")
	}
	var tracks []*MediaStreamTrack
	fail := func(err error) (*MediaStream, error) {
		for _, t := range tracks {
			t.Stop()
		}
		return nil, err
	}
	for _, req := range []struct {
		c          *MediaTrackConstraints
		devKind    string
		trackKind  string
		constraint string
	}{
		{c.Audio, KindAudioInput, TrackKindAudio, "audio"},
		{c.Video, KindVideoInput, TrackKindVideo, "video"},
	} {
		if req.c == nil {
			continue
		}
		if err := req.c.Validate(); err != nil {
			return fail(err)
		}
		t, err := md.getTrack(ctx, req.devKind, req.trackKind, *req.c)
		if err != nil {
			return fail(err)
		}
		tracks = append(tracks, t)
	}
	return NewMediaStream(tracks...), nil
}

// GetDisplayMedia returns a stream with a video track of a screen
// (https://w3c.github.io/mediacapture-screen-share/). Audio is not captured
// from screens; a request for it is ignored, as the spec allows.
func (md *MediaDevices) GetDisplayMedia(ctx context.Context, o DisplayMediaStreamOptions) (*MediaStream, error) {
	var c MediaTrackConstraints
	if o.Video != nil {
		c = *o.Video
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	t, err := md.getTrack(ctx, KindDisplay, TrackKindVideo, c)
	if err != nil {
		return nil, err
	}
	return NewMediaStream(t), nil
}

// candidate is one choice of device and settings for constraint selection.
type candidate struct {
	dev  backendDevice
	src  MediaTrackSettings // the device's mode
	mode MediaTrackSettings // the track's settings from it
	live bool               // src is the mode of the device's live source
}

func withDevice(mode MediaTrackSettings, d DeviceDescriptor, kind string) MediaTrackSettings {
	mode.DeviceID, mode.GroupID = d.DeviceID, d.GroupID
	if kind == TrackKindVideo {
		if mode.ResizeMode == "" {
			mode.ResizeMode = ResizeModeNone
		}
		if mode.Height > 0 && mode.Width > 0 {
			mode.AspectRatio = roundRatio(float64(mode.Width) / float64(mode.Height))
		}
	}
	return mode
}

// deviceCandidates lists the settings a new track (or, for ApplyConstraints,
// the track except) can have from device d, in order of preference for
// ties (see preferVideoModes).
//
// A device with a live source serves from its mode, and from another of its
// modes only when every other track of the source keeps its settings there
// (same size and rate, by crop-and-scale: servedBy) and its constraints.
// That rule decides when a source changes mode: only for a track that needs
// what the current mode cannot give, and never at another track's expense.
// Other modes are offered always for a device that can change mode while
// open (Reconfigurer), and for one that must be reopened when reopenable
// (getTrack reopens a device once per call at most).
// Video tracks get each mode's own frames ("none") and its crop-and-scale
// settings that best fit c, which is the caller's constraints without the
// default ideals: those choose among the device's own modes, and
// crop-and-scale serves only a size, aspect ratio or rate c names.
func (md *MediaDevices) deviceCandidates(d backendDevice, trackKind string, c *MediaTrackConstraints, except *trackCore, reopenable bool) []candidate {
	var cands []candidate
	add := func(m MediaTrackSettings, live bool) {
		m = withDevice(m, d.d, trackKind)
		if trackKind != TrackKindVideo {
			cands = append(cands, candidate{dev: d, src: m, mode: m, live: live})
			return
		}
		for _, ts := range trackSettings(m, c) {
			cands = append(cands, candidate{dev: d, src: m, mode: ts, live: live})
		}
	}
	s := md.sources[d.d.DeviceID]
	if s == nil {
		for _, m := range d.d.Modes {
			add(m, false)
		}
	} else {
		add(s.mode, true)
		_, canSwitch := s.dev.(Reconfigurer)
		if canSwitch || reopenable {
			for _, m := range d.d.Modes {
				if !sameMode(m, s.mode) {
					if _, ok := s.planFor(trackKind, m, except); ok {
						add(m, false)
					}
				}
			}
		}
	}
	if trackKind == TrackKindVideo {
		preferVideoModes(d.d.Kind, cands)
	}
	return cands
}

// choose is selection over cands: SelectSettings with c (which removes
// other-kind constraints, as the spec's getUserMedia does) picks the device
// and all that c decides; the default ideals (withDefaultIdeals) then only
// break the ties c leaves among that device's candidates. So {video: true}
// opens the default camera, in the mode nearest 640×480 @ 30, even when
// another camera has that mode exactly.
func choose(devKind, trackKind string, c *MediaTrackConstraints, cands []candidate) (int, error) {
	settings := make([]MediaTrackSettings, len(cands))
	for i, cd := range cands {
		settings[i] = cd.mode
	}
	i, err := SelectSettings(trackKind, c, settings)
	if err != nil || devKind != KindVideoInput || namesVideoFormat(c) {
		return i, err
	}
	// The candidates of the chosen device that c cannot tell from it: the
	// same distance, the same advanced sets satisfied; and from the live
	// mode only when the chosen one is, as a track that names no size or
	// rate needs nothing the live mode cannot give.
	passes := func(s MediaTrackSettings) []bool {
		p := make([]bool, len(c.Advanced))
		for a := range c.Advanced {
			p[a] = c.Advanced[a].Unsatisfied(trackKind, s) == ""
		}
		return p
	}
	dist := FitnessDistance(trackKind, &c.MediaTrackConstraintSet, settings[i])
	want := passes(settings[i])
	var idx []int
	var tied []MediaTrackSettings
	for j, cd := range cands {
		if cd.dev.d.DeviceID != cands[i].dev.d.DeviceID || cd.live != cands[i].live ||
			FitnessDistance(trackKind, &c.MediaTrackConstraintSet, settings[j]) != dist ||
			!slices.Equal(passes(settings[j]), want) {
			continue
		}
		idx = append(idx, j)
		tied = append(tied, settings[j])
	}
	sel := withDefaultIdeals(devKind, *c)
	k, err := SelectSettings(trackKind, &sel, tied)
	if err != nil {
		return i, nil // cannot happen: cands[i] is among them
	}
	return idx[k], nil
}

// getTrack selects a device and settings for c and attaches a new track to
// that device's source, opening it if it has none.
func (md *MediaDevices) getTrack(ctx context.Context, devKind, trackKind string, c MediaTrackConstraints) (*MediaStreamTrack, error) {
	reopened := false // one reopen of a live device per call, so two calls cannot toss it between modes
	for {
		if err := ctx.Err(); err != nil {
			return nil, NewError(ErrAbort, err, "getUserMedia aborted")
		}
		all, err := md.enumerate(ctx)
		if err != nil {
			if ErrorName(err) != "" {
				return nil, err
			}
			return nil, NewError(ErrNotReadable, err, "enumerating %s devices", devKind)
		}
		devs := ofKind(all, devKind)
		if len(devs) == 0 {
			return nil, NewError(ErrNotFound, nil, "no %s device", devKind)
		}

		md.mu.Lock()
		if md.closed {
			md.mu.Unlock()
			return nil, NewError(ErrInvalidState, nil, "MediaDevices is closed")
		}
		var cands []candidate
		for _, d := range devs {
			cands = append(cands, md.deviceCandidates(d, trackKind, &c, nil, !reopened)...)
		}
		i, err := choose(devKind, trackKind, &c, cands)
		if err != nil {
			md.mu.Unlock()
			return nil, err
		}
		chosen := cands[i]
		id := chosen.dev.d.DeviceID

		if s := md.sources[id]; s != nil {
			if _, ok := s.dev.(Reconfigurer); !ok && !sameMode(chosen.src, s.mode) {
				// The device must be reopened in the new mode, its tracks
				// keeping their settings; then choose again, from it.
				plan, ok := s.planFor(trackKind, chosen.src, nil)
				md.mu.Unlock()
				if !ok {
					return nil, NewError(ErrNotReadable, nil, "%s cannot change mode without changing its other tracks", s.desc.Label)
				}
				if err := s.requestReopen(plan); err != nil {
					return nil, err
				}
				reopened = true
				continue
			}
			t, err := md.attachLocked(ctx, s, trackKind, c, chosen)
			md.mu.Unlock()
			if err != nil {
				return nil, err
			}
			md.changed()
			return t, nil
		}
		// Wait while another call opens the device, or its last source is
		// still closing (a slow driver); then choose again.
		wait := md.opening[id]
		if wait == nil {
			wait = md.closing[id]
		}
		if wait != nil {
			md.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, NewError(ErrAbort, ctx.Err(), "getUserMedia aborted while %s was busy", chosen.dev.d.Label)
			}
		}
		opened := make(chan struct{})
		md.opening[id] = opened
		md.mu.Unlock()

		t, err := md.open(ctx, chosen.dev, trackKind, c, chosen)

		md.mu.Lock()
		delete(md.opening, id)
		close(opened)
		md.mu.Unlock()
		if err != nil {
			return nil, err
		}
		md.changed()
		return t, nil
	}
}

// attachLocked attaches a new track with constraints c to the live source s
// in the chosen settings, first moving s to the chosen mode when that is
// another (deviceCandidates only offers one its other tracks keep their
// settings in). Called with md.mu held.
func (md *MediaDevices) attachLocked(ctx context.Context, s *source, kind string, c MediaTrackConstraints, chosen candidate) (*MediaStreamTrack, error) {
	if !sameMode(chosen.src, s.mode) {
		plan, ok := s.planFor(kind, chosen.src, nil)
		if !ok {
			return nil, NewError(ErrNotReadable, nil, "%s cannot change mode without changing its other tracks", s.desc.Label)
		}
		if err := md.reconfigureLocked(ctx, s, plan); err != nil {
			return nil, err
		}
	}
	t := md.newTrack(kind, s.desc.Label, c)
	md.attachCoreLocked(s, t.c, chosen.mode)
	return t, nil
}

// attachCoreLocked attaches c to s with the given settings. Called with
// md.mu held.
func (md *MediaDevices) attachCoreLocked(s *source, c *trackCore, settings MediaTrackSettings) {
	c.src = s
	c.settings = settings
	c.caps = s.caps()
	c.muted.Store(s.muted)
	s.tracks = append(s.tracks, c)
	s.publish()
}

func (s *source) caps() MediaTrackCapabilities {
	cp := s.desc.Capabilities
	if s.kind == TrackKindVideo {
		cp = videoCaps(s.desc)
	}
	cp.DeviceID, cp.GroupID = s.desc.DeviceID, s.desc.GroupID
	return cp
}

// planFor is the plan for moving s to mode with every live track but except
// keeping its settings (video: same size and rate, servedBy) and its
// required constraints; ok is false when some track cannot. Audio tracks
// take the mode's settings, so only their constraints must hold.
func (s *source) planFor(kind string, mode MediaTrackSettings, except *trackCore) (modePlan, bool) {
	m := withDevice(mode, s.desc, kind)
	plan := modePlan{mode: mode, settings: make(map[*trackCore]MediaTrackSettings, len(s.tracks))}
	for _, t := range s.tracks {
		if t == except {
			continue
		}
		ts, ok := m, true
		if kind == TrackKindVideo {
			ts, ok = servedBy(m, t.settings)
		}
		if !ok || t.constraints.Unsatisfied(kind, ts) != "" {
			return modePlan{}, false
		}
		plan.settings[t] = ts
	}
	return plan, true
}

func sameMode(a, b MediaTrackSettings) bool {
	a.DeviceID, a.GroupID, a.ResizeMode, a.AspectRatio = "", "", "", 0
	b.DeviceID, b.GroupID, b.ResizeMode, b.AspectRatio = "", "", "", 0
	return a == b
}

// reconfigureLocked changes the mode of an open device, when the device can.
// Called with md.mu held; the device call is quick (it only records the new
// mode for the capture goroutine).
func (md *MediaDevices) reconfigureLocked(ctx context.Context, s *source, plan modePlan) error {
	r, ok := s.dev.(Reconfigurer)
	if !ok {
		return NewError(ErrNotReadable, nil, "%s cannot change mode while open", s.desc.Label)
	}
	if err := r.Reconfigure(ctx, plan.mode); err != nil {
		return err
	}
	s.applyPlanLocked(plan)
	return nil
}

// open opens dev in mode and makes a source with one track on it.
func (md *MediaDevices) open(ctx context.Context, dev backendDevice, kind string, c MediaTrackConstraints, chosen candidate) (*MediaStreamTrack, error) {
	raw := chosen.src
	raw.DeviceID, raw.GroupID = dev.d.DeviceID, dev.d.GroupID
	d, err := dev.b.Open(ctx, dev.d.DeviceID, raw)
	if err != nil {
		if ctx.Err() != nil {
			return nil, NewError(ErrAbort, err, "getUserMedia aborted while opening %s", dev.d.Label)
		}
		if ErrorName(err) == "" {
			err = NewError(ErrNotReadable, err, "could not open %s", dev.d.Label)
		}
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &source{
		id:       newID(),
		md:       md,
		backend:  dev.b,
		desc:     dev.d,
		kind:     kind,
		dev:      d,
		mode:     raw,
		state:    SourceLive,
		openedAt: time.Now(),
		cancel:   cancel,
		closed:   make(chan struct{}),
		reopen:   make(chan reopenReq, 1),
	}
	md.mu.Lock()
	if md.closed || ctx.Err() != nil {
		closedErr := md.closed
		md.mu.Unlock()
		cancel()
		md.wg.Add(1)
		go func() {
			defer md.wg.Done()
			_ = d.Close()
		}()
		if closedErr {
			return nil, NewError(ErrInvalidState, nil, "MediaDevices is closed")
		}
		return nil, NewError(ErrAbort, ctx.Err(), "getUserMedia aborted while opening %s", dev.d.Label)
	}
	md.sources[s.desc.DeviceID] = s
	md.order = append(md.order, s)
	t := md.newTrack(kind, dev.d.Label, c)
	md.attachCoreLocked(s, t.c, chosen.mode)
	md.wg.Add(1)
	md.mu.Unlock()
	md.watchMute(s, d)
	go s.run(sctx)
	return t, nil
}

// detachLocked removes c from its source; at zero tracks the source stops
// and its capture goroutine closes the device. Called with md.mu held.
func (md *MediaDevices) detachLocked(c *trackCore) {
	s := c.src
	c.src = nil
	if s == nil {
		return
	}
	s.tracks = slices.DeleteFunc(s.tracks, func(x *trackCore) bool { return x == c })
	s.publish()
	if len(s.tracks) == 0 && s.state == SourceLive {
		md.retireLocked(s, SourceEnded)
		s.cancel()
	}
}

// retireLocked takes s out of the live sources; its device is closing.
func (md *MediaDevices) retireLocked(s *source, state string) {
	s.state = state
	if md.sources[s.desc.DeviceID] == s {
		delete(md.sources, s.desc.DeviceID)
		md.closing[s.desc.DeviceID] = s.closed
	}
	md.order = slices.DeleteFunc(md.order, func(x *source) bool { return x == s })
}

// endLocked makes c "ended" for reason, because of err (nil when stopped).
// Called with md.mu held.
func endLocked(c *trackCore, reason EndReason, err error) bool {
	if c.state == StateEnded {
		return false
	}
	c.state = StateEnded
	c.endReason, c.endErr = reason, err
	close(c.endedCh)
	return true
}

func (md *MediaDevices) stopTrack(c *trackCore) {
	md.mu.Lock()
	if !endLocked(c, EndStopped, nil) {
		md.mu.Unlock()
		return
	}
	md.detachLocked(c)
	close(c.done)
	md.mu.Unlock()
	md.changed()
}

// endSource ends s because its device ended by itself: each live track
// becomes "ended" and fires "ended" once. Called by the capture goroutine.
func (md *MediaDevices) endSource(s *source, cause error) {
	md.mu.Lock()
	if s.state != SourceLive {
		md.mu.Unlock()
		return
	}
	tracks := s.tracks
	s.tracks = nil
	s.publish()
	md.retireLocked(s, SourceEnded)
	reason := ReasonOf(cause)
	if cause == nil {
		// A source never ends by itself without a cause; a backend that
		// returned none still failed.
		reason = EndFailed
	}
	var ended []*trackCore
	for _, c := range tracks {
		c.src = nil
		if endLocked(c, reason, cause) {
			ended = append(ended, c)
		}
	}
	md.mu.Unlock()
	for _, c := range ended {
		md.disp.post(func() {
			c.onEnded.call()
			close(c.done)
		})
	}
	md.changed()
}

// deviceClosed is called by the capture goroutine once the device is closed.
func (md *MediaDevices) deviceClosed(s *source) {
	md.mu.Lock()
	if md.closing[s.desc.DeviceID] == s.closed {
		delete(md.closing, s.desc.DeviceID)
	}
	close(s.closed)
	md.mu.Unlock()
	md.changed()
}

// watchMute forwards the device's mute notifications to s's tracks.
func (md *MediaDevices) watchMute(s *source, d Device) {
	if mn, ok := d.(MuteNotifier); ok {
		mn.OnMute(func(m bool) { md.setMuted(s, m) })
	}
}

func (md *MediaDevices) setMuted(s *source, muted bool) {
	md.mu.Lock()
	if s.state != SourceLive || s.muted == muted {
		md.mu.Unlock()
		return
	}
	s.muted = muted
	tracks := slices.Clone(s.tracks)
	for _, c := range tracks {
		c.muted.Store(muted)
	}
	md.mu.Unlock()
	for _, c := range tracks {
		if muted {
			md.disp.post(c.onMute.call)
		} else {
			md.disp.post(c.onUnmute.call)
		}
	}
	md.changed()
}

func (md *MediaDevices) cloneTrack(c *trackCore) *MediaStreamTrack {
	md.mu.Lock()
	t := md.newTrack(c.kind, c.label, c.constraints)
	t.c.enabled.Store(c.enabled.Load())
	t.c.settings, t.c.caps = c.settings, c.caps
	if c.src == nil || c.state == StateEnded {
		endLocked(t.c, c.endReason, c.endErr)
		close(t.c.done)
		md.mu.Unlock()
		return t
	}
	md.attachCoreLocked(c.src, t.c, c.settings)
	md.mu.Unlock()
	md.changed()
	return t
}

func (md *MediaDevices) applyConstraints(ctx context.Context, c *trackCore, nc MediaTrackConstraints) error {
	if err := nc.Validate(); err != nil {
		return err
	}
	md.mu.Lock()
	defer md.mu.Unlock()
	s := c.src
	if c.state == StateEnded || s == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return NewError(ErrAbort, err, "applyConstraints aborted")
	}
	// The track's current settings first, so they win ties; then what the
	// source's mode gives it, then the modes that keep the source's other
	// tracks' settings (deviceCandidates).
	d := backendDevice{b: s.backend, d: s.desc}
	cands := []candidate{{dev: d, src: withDevice(s.mode, s.desc, c.kind), mode: c.settings, live: true}}
	cands = append(cands, md.deviceCandidates(d, c.kind, &nc, c, true)...)
	i, err := choose(s.desc.Kind, c.kind, &nc, cands)
	if err != nil {
		return err
	}
	chosen := cands[i]
	if sameMode(chosen.src, s.mode) {
		c.settings = chosen.mode
		s.publish()
	} else {
		plan, ok := s.planFor(c.kind, chosen.src, c)
		if !ok {
			return NewError(ErrNotReadable, nil, "%s cannot change mode without changing its other tracks", s.desc.Label)
		}
		plan.settings[c] = chosen.mode
		if _, ok := s.dev.(Reconfigurer); ok {
			if err := md.reconfigureLocked(ctx, s, plan); err != nil {
				return err
			}
		} else {
			// The capture goroutine closes the device and opens it in the
			// new mode; the lock is not held while the driver works.
			md.mu.Unlock()
			err := s.requestReopen(plan)
			md.mu.Lock()
			if err != nil {
				return err
			}
			if c.state == StateEnded {
				return nil
			}
		}
	}
	c.constraints = nc
	md.disp.post(md.onChange.call)
	return nil
}

// Sources returns a snapshot of the live sources, in the order they opened.
func (md *MediaDevices) Sources() []SourceInfo {
	md.mu.Lock()
	defer md.mu.Unlock()
	out := make([]SourceInfo, len(md.order))
	for i, s := range md.order {
		out[i] = s.info()
	}
	return out
}

// ClosingDevices returns the ids of devices whose last source has stopped
// but whose driver has not finished closing them yet.
func (md *MediaDevices) ClosingDevices() []string {
	md.mu.Lock()
	defer md.mu.Unlock()
	var ids []string
	for id := range md.closing {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// trackUnreachable is the leak detector: the cleanup of a track handle the
// program dropped. A live track found here was never stopped.
func (md *MediaDevices) trackUnreachable(c *trackCore) {
	md.mu.Lock()
	if c.state == StateEnded || c.src == nil {
		md.mu.Unlock()
		return
	}
	s := c.src
	s.leaked.Add(1)
	md.leaks++
	info := LeakInfo{TrackID: c.id, Kind: c.kind, Label: c.label, SourceID: s.id, DeviceID: s.desc.DeviceID}
	if md.leakPol == LeakStop {
		info.Stopped = true
		endLocked(c, EndStopped, nil)
		md.detachLocked(c)
		close(c.done)
	}
	md.mu.Unlock()
	md.disp.post(func() {
		md.onLeak.mu.Lock()
		ids := make([]uint64, 0, len(md.onLeak.fns))
		for id := range md.onLeak.fns {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		fns := make([]func(LeakInfo), len(ids))
		for i, id := range ids {
			fns[i] = md.onLeak.fns[id]
		}
		md.onLeak.mu.Unlock()
		for _, f := range fns {
			f(info)
		}
	})
	md.changed()
}

// Close ends every track (without "ended" events, as Stop), closes every
// device and every backend that has a Close method, and waits until they are
// closed and every callback has run. Later
// GetUserMedia calls fail with InvalidStateError. Close twice is safe. It
// must not be called from a callback.
func (md *MediaDevices) Close() error {
	md.mu.Lock()
	if md.closed {
		md.mu.Unlock()
		md.wg.Wait()
		md.disp.wait()
		return nil
	}
	md.closed = true
	for _, s := range slices.Clone(md.order) {
		for _, c := range slices.Clone(s.tracks) {
			if endLocked(c, EndStopped, nil) {
				close(c.done)
			}
			md.detachLocked(c)
		}
	}
	unwatch := md.unwatch
	md.unwatch = nil
	md.mu.Unlock()
	for _, u := range unwatch {
		u()
	}
	md.wg.Wait()
	// The MediaDevices owns its backends: those with a Close (a poll
	// goroutine, an audio server connection) are closed last.
	var errs []error
	for _, b := range md.backends {
		if c, ok := b.(interface{ Close() error }); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing backend %s: %w", b.Name(), err))
			}
		}
	}
	md.changed()
	md.disp.wait()
	return errors.Join(errs...)
}
