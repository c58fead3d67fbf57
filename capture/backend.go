package capture

import (
	"context"
	"image"
	"sync/atomic"
	"time"
)

// Backend is a family of devices: the synthetic one, cameras, microphones,
// screens. Backends are handed to NewMediaDevices; capture never imports one.
//
// A backend's methods may be called from any goroutine.
type Backend interface {
	// Name is a short, stable name ("synthetic", "v4l2", "pulse").
	Name() string
	// Devices lists the devices present now. Device ids must be stable for
	// as long as the device is present, and across unplug/replug where the
	// backend can tell it is the same device; they should be unique across
	// backends (prefix them with the backend's name).
	Devices(ctx context.Context) ([]DeviceDescriptor, error)
	// Open opens a device in one of its modes. It is called once per source,
	// never twice for a device whose source is live. Errors should wrap
	// ErrNotReadable (device busy or failing), ErrNotFound (gone) or
	// ErrNotAllowed (permission).
	Open(ctx context.Context, deviceID string, mode MediaTrackSettings) (Device, error)
}

// DeviceChangeNotifier is implemented by backends that can tell when their
// device list changes (hot-plug). The callback may be called on any goroutine
// and must not block.
type DeviceChangeNotifier interface {
	OnDeviceChange(func()) (cancel func())
}

// DeviceDescriptor describes a device of a backend.
type DeviceDescriptor struct {
	DeviceID string `json:"deviceId"`
	Kind     string `json:"kind"` // KindAudioInput, KindVideoInput or KindDisplay
	Label    string `json:"label"`
	GroupID  string `json:"groupId"`
	Default  bool   `json:"default"` // the system's default device of its kind
	// Path is the device's node or address where it has one ("/dev/video0",
	// a PulseAudio source name, an X11 display); informative.
	Path string `json:"path,omitempty"`
	// Modes lists each combination of settings the device can deliver
	// natively. Constraint selection chooses among them.
	Modes []MediaTrackSettings `json:"modes"`
	// Capabilities is the range of each setting over Modes, plus the
	// device's fixed properties.
	Capabilities MediaTrackCapabilities `json:"capabilities"`
	// UnsupportedFormats names the formats the device offers that Tally
	// cannot convert (V4L2 fourccs for cameras); none of Modes uses them.
	UnsupportedFormats []string `json:"unsupportedFormats,omitempty"`
}

// Device is an open device, delivering frames until it is closed or fails.
//
// Read* is called from one goroutine (the source's capture goroutine); Close
// may be called from another while Read* blocks, and must make it return.
// Close is called exactly once.
type Device interface {
	// Close stops the device and releases it. It may block (a slow driver);
	// capture always calls it off the caller's goroutine.
	Close() error
}

// VideoDevice is a Device of kind videoinput or display.
type VideoDevice interface {
	Device
	// ReadVideo blocks until the next frame. An error ends the source: when
	// the device vanished, wrap ErrNotFound; when it failed, ErrNotReadable.
	ReadVideo(ctx context.Context) (VideoFrame, error)
}

// AudioDevice is a Device of kind audioinput.
type AudioDevice interface {
	Device
	// ReadAudio blocks until the next chunk; errors as for ReadVideo.
	ReadAudio(ctx context.Context) (AudioChunk, error)
}

// Reconfigurer is implemented by devices that can change mode while open.
// Devices that cannot are closed and opened again in the new mode.
type Reconfigurer interface {
	Reconfigure(ctx context.Context, mode MediaTrackSettings) error
}

// MuteNotifier is implemented by devices that can be paused by the system
// (a privacy switch, a suspended audio source). muted is called on any
// goroutine when the device stops or resumes delivering media for such a
// reason; the tracks fire mute and unmute.
type MuteNotifier interface {
	OnMute(muted func(bool))
}

// frameRef counts the holders of a pooled frame buffer.
type frameRef struct {
	n       atomic.Int32
	release func()
}

// NewPooledVideoFrame makes a frame whose buffer goes back to the backend
// (release is called once) when every consumer is done with it. The caller's
// reference passes to whoever receives the frame from ReadVideo.
func NewPooledVideoFrame(img image.Image, ts time.Duration, release func()) VideoFrame {
	r := &frameRef{release: release}
	r.n.Store(1)
	return VideoFrame{Image: img, Timestamp: ts, ref: r}
}

// FrameBuffer is the reference count of one reusable buffer, for backends
// that pool buffers: made once per buffer, it lets each frame handed out
// from the buffer allocate nothing (NewPooledVideoFrame makes a count per
// frame).
type FrameBuffer struct{ ref frameRef }

// NewFrameBuffer returns a buffer's count; release runs each time the last
// holder of a frame made from it is done, and should put the buffer back in
// the backend's pool.
func NewFrameBuffer(release func()) *FrameBuffer {
	return &FrameBuffer{ref: frameRef{release: release}}
}

// Frame hands out img, the buffer's picture, as a frame whose one
// reference passes to whoever receives it from ReadVideo. The buffer must
// not be handed out again before its release has run.
func (b *FrameBuffer) Frame(img image.Image, ts time.Duration) VideoFrame {
	b.ref.n.Store(1)
	return VideoFrame{Image: img, Timestamp: ts, ref: &b.ref}
}

// Release gives back a buffer taken from the pool but never handed out.
func (b *FrameBuffer) Release() {
	if b.ref.release != nil {
		b.ref.release()
	}
}

func (f VideoFrame) retain() {
	if f.ref != nil {
		f.ref.n.Add(1)
	}
}

func (f VideoFrame) release() {
	if f.ref != nil && f.ref.n.Add(-1) == 0 && f.ref.release != nil {
		f.ref.release()
	}
}
