package capture

// Constraints as a web developer writes them
// (https://w3c.github.io/mediacapture-main/#constrainable-interface).
//
// A nil pointer means the constraint is absent. Outside "advanced", a bare
// JSON value means ideal; inside "advanced", a bare value means exact.

// ConstrainULong is a constraint on an integer setting (width, sampleRate...).
type ConstrainULong struct {
	Min   *int `json:"min,omitempty"`
	Max   *int `json:"max,omitempty"`
	Exact *int `json:"exact,omitempty"`
	Ideal *int `json:"ideal,omitempty"`
}

// ConstrainDouble is a constraint on a real setting (frameRate, aspectRatio).
type ConstrainDouble struct {
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	Exact *float64 `json:"exact,omitempty"`
	Ideal *float64 `json:"ideal,omitempty"`
}

// ConstrainDOMString is a constraint on a string setting (deviceId,
// facingMode...). A JSON string or array of strings; several values mean any
// of them.
type ConstrainDOMString struct {
	Exact []string `json:"exact,omitempty"`
	Ideal []string `json:"ideal,omitempty"`
}

// ConstrainBoolean is a constraint on a boolean setting (echoCancellation...).
type ConstrainBoolean struct {
	Exact *bool `json:"exact,omitempty"`
	Ideal *bool `json:"ideal,omitempty"`
}

// MediaTrackConstraintSet is one set of constraints: the basic set, or one
// entry of advanced.
type MediaTrackConstraintSet struct {
	Width            *ConstrainULong     `json:"width,omitempty"`
	Height           *ConstrainULong     `json:"height,omitempty"`
	FrameRate        *ConstrainDouble    `json:"frameRate,omitempty"`
	AspectRatio      *ConstrainDouble    `json:"aspectRatio,omitempty"`
	FacingMode       *ConstrainDOMString `json:"facingMode,omitempty"`
	ResizeMode       *ConstrainDOMString `json:"resizeMode,omitempty"`
	DeviceID         *ConstrainDOMString `json:"deviceId,omitempty"`
	GroupID          *ConstrainDOMString `json:"groupId,omitempty"`
	SampleRate       *ConstrainULong     `json:"sampleRate,omitempty"`
	SampleSize       *ConstrainULong     `json:"sampleSize,omitempty"`
	ChannelCount     *ConstrainULong     `json:"channelCount,omitempty"`
	EchoCancellation *ConstrainBoolean   `json:"echoCancellation,omitempty"`
	AutoGainControl  *ConstrainBoolean   `json:"autoGainControl,omitempty"`
	NoiseSuppression *ConstrainBoolean   `json:"noiseSuppression,omitempty"`
}

// MediaTrackConstraints is the basic constraint set plus advanced sets, tried
// in order and skipped when unsatisfiable.
type MediaTrackConstraints struct {
	MediaTrackConstraintSet
	Advanced []MediaTrackConstraintSet `json:"advanced,omitempty"`
}

// MediaStreamConstraints is getUserMedia's argument: for each kind, nil when
// not requested ("false" or absent), otherwise its constraints ("true" is
// empty constraints).
type MediaStreamConstraints struct {
	Audio *MediaTrackConstraints `json:"audio,omitempty"`
	Video *MediaTrackConstraints `json:"video,omitempty"`
}

// DisplayMediaStreamOptions is getDisplayMedia's argument.
type DisplayMediaStreamOptions struct {
	Video *MediaTrackConstraints `json:"video,omitempty"` // nil means true
	Audio *MediaTrackConstraints `json:"audio,omitempty"`
}
