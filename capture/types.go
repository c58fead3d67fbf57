package capture

import (
	"image"
	"time"
)

// Device kinds, as MediaDeviceInfo.kind reports them.
const (
	KindAudioInput = "audioinput"
	KindVideoInput = "videoinput"
	// KindDisplay is a screen or window for GetDisplayMedia. The spec does not
	// enumerate these; EnumerateDevices leaves them out, Devices lists them.
	KindDisplay = "display"
)

// Track kinds, as MediaStreamTrack.kind reports them.
const (
	TrackKindAudio = "audio"
	TrackKindVideo = "video"
)

// Track states, as MediaStreamTrack.readyState reports them.
const (
	StateLive  = "live"
	StateEnded = "ended"
)

// Resize modes (https://w3c.github.io/mediacapture-main/#dom-videoresizemodeenum).
const (
	ResizeModeNone          = "none"
	ResizeModeCropAndScale  = "crop-and-scale"
	FacingModeUser          = "user"
	FacingModeEnvironment   = "environment"
	DisplaySurfaceMonitor   = "monitor"
	DisplaySurfaceWindow    = "window"
	DisplaySurfaceBrowser   = "browser"
	DisplaySurfaceUndefined = ""
)

// MediaDeviceInfo is what EnumerateDevices reports of one device.
type MediaDeviceInfo struct {
	DeviceID string `json:"deviceId"`
	Kind     string `json:"kind"` // "audioinput" | "videoinput"
	Label    string `json:"label"`
	GroupID  string `json:"groupId"`
}

// ULongRange is an inclusive range of integers.
type ULongRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// DoubleRange is an inclusive range of reals.
type DoubleRange struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// MediaTrackCapabilities is the range of each setting a track's device
// supports (https://w3c.github.io/mediacapture-main/#media-track-capabilities).
// Zero ranges mean the setting does not apply to the device's kind.
type MediaTrackCapabilities struct {
	Width            ULongRange  `json:"width"`
	Height           ULongRange  `json:"height"`
	SampleRate       ULongRange  `json:"sampleRate"`
	SampleSize       ULongRange  `json:"sampleSize"`
	ChannelCount     ULongRange  `json:"channelCount"`
	FrameRate        DoubleRange `json:"frameRate"`
	AspectRatio      DoubleRange `json:"aspectRatio"`
	FacingMode       []string    `json:"facingMode,omitempty"`
	ResizeMode       []string    `json:"resizeMode,omitempty"`
	EchoCancellation []bool      `json:"echoCancellation,omitempty"`
	AutoGainControl  []bool      `json:"autoGainControl,omitempty"`
	NoiseSuppression []bool      `json:"noiseSuppression,omitempty"`
	DeviceID         string      `json:"deviceId"`
	GroupID          string      `json:"groupId"`
}

// MediaTrackSettings is the value of each setting a track has now
// (https://w3c.github.io/mediacapture-main/#media-track-settings). Zero values
// mean the setting does not apply to the track's kind.
//
// Backends also use it to describe one mode a device can run in.
type MediaTrackSettings struct {
	DeviceID         string  `json:"deviceId,omitempty"`
	GroupID          string  `json:"groupId,omitempty"`
	Width            int     `json:"width,omitempty"`
	Height           int     `json:"height,omitempty"`
	FrameRate        float64 `json:"frameRate,omitempty"`
	AspectRatio      float64 `json:"aspectRatio,omitempty"`
	FacingMode       string  `json:"facingMode,omitempty"`
	ResizeMode       string  `json:"resizeMode,omitempty"`
	SampleRate       int     `json:"sampleRate,omitempty"`
	SampleSize       int     `json:"sampleSize,omitempty"`
	ChannelCount     int     `json:"channelCount,omitempty"`
	EchoCancellation bool    `json:"echoCancellation,omitempty"`
	AutoGainControl  bool    `json:"autoGainControl,omitempty"`
	NoiseSuppression bool    `json:"noiseSuppression,omitempty"`
	DisplaySurface   string  `json:"displaySurface,omitempty"`
	// Format is the device's native pixel or sample format ("YUYV", "MJPEG",
	// "I420", "RGBA", "F32", "S16"): informative, not a spec setting.
	Format string `json:"format,omitempty"`
}

// VideoFrame is one picture of a video track. Image is shared by every
// consumer of the frame and must be treated as read-only.
//
// A frame read from a VideoReader stays valid until that reader's next Read
// or Close: backends may recycle its pixels after that.
type VideoFrame struct {
	Image     image.Image
	Timestamp time.Duration // since the source started

	ref *frameRef // the buffer's reference count, when the backend pools buffers
}

// AudioChunk is one period of audio. Samples are shared by every consumer and
// must be treated as read-only.
type AudioChunk struct {
	Samples    []float32 // interleaved, -1..1
	Channels   int
	SampleRate int
	Timestamp  time.Duration // since the source started
}

// Frames returns the number of sample frames (samples per channel) in c.
func (c AudioChunk) Frames() int {
	if c.Channels <= 0 {
		return 0
	}
	return len(c.Samples) / c.Channels
}
