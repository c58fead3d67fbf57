package capture

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Source states, as SourceInfo.State reports them.
const (
	SourceLive  = "live"
	SourceEnded = "ended"
)

// SourceInfo is a snapshot of one live source: an open device and the
// tracks that hold it.
type SourceInfo struct {
	ID       string
	DeviceID string
	Label    string
	Kind     string // "audio" | "video"
	Backend  string
	Path     string
	State    string
	Muted    bool
	RefCount int                // live tracks on the source
	TrackIDs []string           // in attach order
	Settings MediaTrackSettings // the device's mode
	Outputs  []OutputInfo       // what the tracks get from it, one entry per distinct output
	OpenedAt time.Time

	FramesCaptured uint64  // frames (video) or chunks (audio) read from the device
	FramesDropped  uint64  // frames or chunks consumers skipped (latest-wins or ring overflow)
	FrameRate      float64 // measured over the last second or so
	LeakedTracks   uint64  // tracks dropped without Stop and found by the leak detector
	ScaleErrors    uint64  // frames a crop-and-scale could not make (a malformed frame)
}

// source is an open device shared by the tracks that hold it. Its capture
// goroutine reads the device and fans each frame out to the live tracks'
// readers without copying.
type source struct {
	id      string
	md      *MediaDevices
	backend Backend
	desc    DeviceDescriptor
	kind    string // track kind

	// Guarded by md.mu; written only by the capture goroutine once running.
	dev Device

	// Guarded by md.mu.
	mode     MediaTrackSettings // the device's mode
	tracks   []*trackCore
	outputs  map[outputKey]*output // the distinct outputs the tracks want
	state    string
	muted    bool
	openedAt time.Time

	fan    atomic.Pointer[fanout] // the live tracks by output, for the capture goroutine
	cancel context.CancelFunc     // ends the capture loop; the loop then closes the device
	closed chan struct{}          // closed once the device has been closed

	reopen      chan reopenReq // cap 1: a mode change for a device that cannot reconfigure
	reopenMu    sync.Mutex     // one reopen request at a time
	emu         sync.Mutex     // protects epochCancel
	epochCancel context.CancelFunc

	captured  atomic.Uint64
	leaked    atomic.Uint64
	scaleErrs atomic.Uint64
	rate      atomic.Uint64 // float64 bits, frames per second

	// Used by the capture goroutine only.
	silence     []float32
	rateFrames  uint64
	rateStarted time.Time
}

// publish updates the capture goroutine's view of the live tracks, grouped
// by the output each wants. Called with md.mu held after every change of
// s.tracks, s.mode or a track's settings. Outputs no track wants any more
// are dropped; the others keep their buffers.
func (s *source) publish() {
	if s.outputs == nil {
		s.outputs = make(map[outputKey]*output)
	}
	fan := &fanout{}
	used := make(map[outputKey]int, len(s.outputs))
	for _, t := range s.tracks {
		k := outputKey{n: 1}
		if t.kind == TrackKindVideo {
			k = outputOf(s.mode, t.settings)
		}
		i, ok := used[k]
		if !ok {
			o := s.outputs[k]
			if o == nil {
				o = &output{key: k}
				s.outputs[k] = o
			}
			i = len(fan.entries)
			used[k] = i
			fan.entries = append(fan.entries, fanEntry{o: o})
		}
		fan.entries[i].tracks = append(fan.entries[i].tracks, t)
	}
	for k := range s.outputs {
		if _, ok := used[k]; !ok {
			delete(s.outputs, k)
		}
	}
	s.fan.Store(fan)
}

// outputInfo describes the published outputs. Called with md.mu held.
func (s *source) outputInfo() []OutputInfo {
	fan := s.fan.Load()
	if fan == nil || s.kind != TrackKindVideo {
		return nil
	}
	out := make([]OutputInfo, 0, len(fan.entries))
	for _, e := range fan.entries {
		oi := OutputInfo{Width: s.mode.Width, Height: s.mode.Height, FrameRate: s.mode.FrameRate / float64(e.o.key.n), ResizeMode: ResizeModeNone}
		if e.o.key.w > 0 || e.o.key.n > 1 {
			oi.ResizeMode = ResizeModeCropAndScale
		}
		if e.o.key.w > 0 {
			oi.Width, oi.Height = e.o.key.w, e.o.key.h
		}
		for _, t := range e.tracks {
			oi.TrackIDs = append(oi.TrackIDs, t.id)
		}
		out = append(out, oi)
	}
	return out
}

func (s *source) info() SourceInfo {
	ids := make([]string, len(s.tracks))
	for i, t := range s.tracks {
		ids[i] = t.id
	}
	return SourceInfo{
		ID:             s.id,
		DeviceID:       s.desc.DeviceID,
		Label:          s.desc.Label,
		Kind:           s.kind,
		Backend:        s.backend.Name(),
		Path:           s.desc.Path,
		State:          s.state,
		Muted:          s.muted,
		RefCount:       len(s.tracks),
		TrackIDs:       ids,
		Settings:       s.mode,
		Outputs:        s.outputInfo(),
		OpenedAt:       s.openedAt,
		FramesCaptured: s.captured.Load(),
		FramesDropped:  s.readerDrops(),
		FrameRate:      math.Float64frombits(s.rate.Load()),
		LeakedTracks:   s.leaked.Load(),
		ScaleErrors:    s.scaleErrs.Load(),
	}
}

func (s *source) readerDrops() uint64 {
	var n uint64
	for _, t := range s.tracks {
		if rs := t.vreaders.Load(); rs != nil {
			for _, r := range *rs {
				n += r.Dropped()
			}
		}
		if rs := t.areaders.Load(); rs != nil {
			for _, r := range *rs {
				n += r.Dropped()
			}
		}
	}
	return n
}

// reopenReq asks the capture goroutine to open the device again in mode: how
// a device that cannot change mode while open gets new settings.
type reopenReq struct {
	plan  modePlan
	reply chan error // buffered
}

// modePlan is a new device mode for a source and the settings its tracks
// get in it; tracks it does not name (attached meanwhile) keep theirs where
// the mode can serve them, else take the mode's.
type modePlan struct {
	mode     MediaTrackSettings
	settings map[*trackCore]MediaTrackSettings
}

// run is the source's capture goroutine: it reads the device until ctx ends
// (the last track stopped) or the device fails (the source ends by itself),
// then closes the device. Between reads it serves reopen requests; it alone
// calls the device's Read, Close and the backend's Open for this source.
func (s *source) run(ctx context.Context) {
	defer s.md.wg.Done()
	for {
		epoch, cancel := context.WithCancel(ctx)
		s.setEpoch(cancel)
		err := s.read(epoch)
		cancel()
		if ctx.Err() != nil {
			break // the last track stopped
		}
		select {
		case req := <-s.reopen:
			req.reply <- s.reopenDevice(ctx, req.plan)
			if s.dev != nil {
				continue
			}
			err = NewError(ErrNotReadable, nil, "%s could not be opened again", s.desc.Label)
		default:
		}
		// The device ended by itself: unplugged, failed, revoked.
		s.md.endSource(s, err)
		break
	}
	if s.dev != nil {
		_ = s.dev.Close()
	}
	s.md.deviceClosed(s)
}

func (s *source) read(ctx context.Context) error {
	switch d := s.dev.(type) {
	case VideoDevice:
		return s.runVideo(ctx, d)
	case AudioDevice:
		return s.runAudio(ctx, d)
	}
	return NewError(ErrNotReadable, nil, "device %s delivers no %s", s.desc.Label, s.kind)
}

// setEpoch records how to interrupt the current read; a reopen request that
// arrived meanwhile interrupts it at once.
func (s *source) setEpoch(cancel context.CancelFunc) {
	s.emu.Lock()
	defer s.emu.Unlock()
	s.epochCancel = cancel
	if len(s.reopen) > 0 {
		cancel()
	}
}

// requestReopen has the capture goroutine reopen the device in mode, and
// waits for the outcome. On failure the device is back in its old mode, or
// the source has ended.
func (s *source) requestReopen(plan modePlan) error {
	s.reopenMu.Lock()
	defer s.reopenMu.Unlock()
	req := reopenReq{plan: plan, reply: make(chan error, 1)}
	select {
	case s.reopen <- req:
	case <-s.closed:
		return NewError(ErrInvalidState, nil, "%s is closed", s.desc.Label)
	}
	s.emu.Lock()
	if s.epochCancel != nil {
		s.epochCancel()
	}
	s.emu.Unlock()
	select {
	case err := <-req.reply:
		return err
	case <-s.closed:
		return NewError(ErrInvalidState, nil, "%s closed while changing mode", s.desc.Label)
	}
}

// reopenDevice closes the device and opens it in mode; when that fails it
// opens it in the old mode again. If that fails too, s.dev is nil.
func (s *source) reopenDevice(ctx context.Context, plan modePlan) error {
	md := s.md
	_ = s.dev.Close()
	d, err := s.backend.Open(ctx, s.desc.DeviceID, plan.mode)
	if err != nil {
		md.mu.Lock()
		old := s.mode
		md.mu.Unlock()
		d2, err2 := s.backend.Open(ctx, s.desc.DeviceID, old)
		md.mu.Lock()
		s.dev = d2
		md.mu.Unlock()
		if err2 == nil {
			md.watchMute(s, d2)
		}
		if ErrorName(err) == "" {
			err = NewError(ErrNotReadable, err, "could not open %s in the new mode", s.desc.Label)
		}
		return err
	}
	md.mu.Lock()
	s.dev = d
	s.applyPlanLocked(plan)
	md.mu.Unlock()
	md.watchMute(s, d)
	md.changed()
	return nil
}

// applyPlanLocked puts s in plan's mode and its tracks in their planned
// settings. Called with md.mu held.
func (s *source) applyPlanLocked(plan modePlan) {
	s.mode = plan.mode
	native := withDevice(plan.mode, s.desc, s.kind)
	for _, t := range s.tracks {
		ts, ok := plan.settings[t]
		if !ok && t.kind == TrackKindVideo {
			ts, ok = servedBy(native, t.settings)
		}
		if !ok {
			ts = native
		}
		t.settings = ts
	}
	s.publish()
}

func (s *source) runVideo(ctx context.Context, d VideoDevice) error {
	for {
		f, err := d.ReadVideo(ctx)
		if err != nil {
			return err
		}
		s.count()
		if fan := s.fan.Load(); fan != nil {
			for i := range fan.entries {
				s.deliver(&fan.entries[i], f)
			}
		}
		f.release()
	}
}

// deliver hands source frame f to the readers of one output's tracks: the
// frame itself, or its crop-and-scale made once for all of them, on the
// output's decimated frames only.
func (s *source) deliver(e *fanEntry, f VideoFrame) {
	if !e.o.keep() || !hasVideoReaders(e.tracks) {
		return
	}
	out := f
	if e.o.key.w > 0 {
		var err error
		if out, err = e.o.scaleFrame(f); err != nil {
			s.scaleErrs.Add(1)
			return
		}
		defer out.release()
	}
	for _, t := range e.tracks {
		rs := t.vreaders.Load()
		if rs == nil || len(*rs) == 0 {
			continue
		}
		tf := out
		if !t.enabled.Load() {
			tf = e.o.blackFrame(out)
		}
		for _, r := range *rs {
			r.put(tf)
		}
	}
}

func hasVideoReaders(tracks []*trackCore) bool {
	for _, t := range tracks {
		if rs := t.vreaders.Load(); rs != nil && len(*rs) > 0 {
			return true
		}
	}
	return false
}

func (s *source) runAudio(ctx context.Context, d AudioDevice) error {
	for {
		c, err := d.ReadAudio(ctx)
		if err != nil {
			return err
		}
		s.count()
		if fan := s.fan.Load(); fan != nil {
			for _, e := range fan.entries {
				for _, t := range e.tracks {
					rs := t.areaders.Load()
					if rs == nil || len(*rs) == 0 {
						continue
					}
					out := c
					if !t.enabled.Load() {
						out = s.silent(c)
					}
					for _, r := range *rs {
						r.put(out)
					}
				}
			}
		}
	}
}

// count updates the frame counter and, about once a second, the measured
// frame rate.
func (s *source) count() {
	s.captured.Add(1)
	now := time.Now()
	if s.rateStarted.IsZero() {
		s.rateStarted = now
	}
	s.rateFrames++
	if el := now.Sub(s.rateStarted); el >= time.Second {
		s.rate.Store(math.Float64bits(float64(s.rateFrames) / el.Seconds()))
		s.rateFrames, s.rateStarted = 0, now
	}
}

// silent is what a disabled audio track delivers: silence of the chunk's
// length, from one shared buffer.
func (s *source) silent(c AudioChunk) AudioChunk {
	if len(s.silence) < len(c.Samples) {
		s.silence = make([]float32, len(c.Samples))
	}
	c.Samples = s.silence[:len(c.Samples)]
	return c
}
