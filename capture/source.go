package capture

import (
	"context"
	"image"
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
	RefCount int      // live tracks on the source
	TrackIDs []string // in attach order
	Settings MediaTrackSettings
	OpenedAt time.Time

	FramesCaptured uint64  // frames (video) or chunks (audio) read from the device
	FramesDropped  uint64  // frames or chunks consumers skipped (latest-wins or ring overflow)
	FrameRate      float64 // measured over the last second or so
	LeakedTracks   uint64  // tracks dropped without Stop and found by the leak detector
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
	mode     MediaTrackSettings
	tracks   []*trackCore
	state    string
	muted    bool
	openedAt time.Time

	fan    atomic.Pointer[[]*trackCore] // the live tracks, for the capture goroutine
	cancel context.CancelFunc           // ends the capture loop; the loop then closes the device
	closed chan struct{}                // closed once the device has been closed

	reopen      chan reopenReq // cap 1: a mode change for a device that cannot reconfigure
	reopenMu    sync.Mutex     // one reopen request at a time
	emu         sync.Mutex     // protects epochCancel
	epochCancel context.CancelFunc

	captured atomic.Uint64
	leaked   atomic.Uint64
	rate     atomic.Uint64 // float64 bits, frames per second

	// Used by the capture goroutine only.
	black       *image.RGBA
	silence     []float32
	rateFrames  uint64
	rateStarted time.Time
}

// publish updates the capture goroutine's view of the live tracks. Called
// with md.mu held after every change of s.tracks.
func (s *source) publish() {
	ts := append([]*trackCore(nil), s.tracks...)
	s.fan.Store(&ts)
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
		OpenedAt:       s.openedAt,
		FramesCaptured: s.captured.Load(),
		FramesDropped:  s.readerDrops(),
		FrameRate:      math.Float64frombits(s.rate.Load()),
		LeakedTracks:   s.leaked.Load(),
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
	mode  MediaTrackSettings
	reply chan error // buffered
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
			req.reply <- s.reopenDevice(ctx, req.mode)
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
func (s *source) requestReopen(mode MediaTrackSettings) error {
	s.reopenMu.Lock()
	defer s.reopenMu.Unlock()
	req := reopenReq{mode: mode, reply: make(chan error, 1)}
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
func (s *source) reopenDevice(ctx context.Context, mode MediaTrackSettings) error {
	md := s.md
	_ = s.dev.Close()
	d, err := s.backend.Open(ctx, s.desc.DeviceID, mode)
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
	s.mode = mode
	for _, t := range s.tracks {
		t.settings = withDevice(mode, s.desc, t.kind)
	}
	md.mu.Unlock()
	md.watchMute(s, d)
	md.changed()
	return nil
}

func (s *source) runVideo(ctx context.Context, d VideoDevice) error {
	for {
		f, err := d.ReadVideo(ctx)
		if err != nil {
			return err
		}
		s.count()
		if fan := s.fan.Load(); fan != nil {
			for _, t := range *fan {
				rs := t.vreaders.Load()
				if rs == nil || len(*rs) == 0 {
					continue
				}
				out := f
				if !t.enabled.Load() {
					out = s.blackFrame(f)
				}
				for _, r := range *rs {
					r.put(out)
				}
			}
		}
		f.release()
	}
}

func (s *source) runAudio(ctx context.Context, d AudioDevice) error {
	for {
		c, err := d.ReadAudio(ctx)
		if err != nil {
			return err
		}
		s.count()
		if fan := s.fan.Load(); fan != nil {
			for _, t := range *fan {
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

// blackFrame is what a disabled video track delivers: a black frame of the
// source frame's size, made once per size and shared.
func (s *source) blackFrame(f VideoFrame) VideoFrame {
	b := f.Image.Bounds()
	if s.black == nil || s.black.Rect.Dx() != b.Dx() || s.black.Rect.Dy() != b.Dy() {
		img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 0xff
		}
		s.black = img
	}
	return VideoFrame{Image: s.black, Timestamp: f.Timestamp}
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
