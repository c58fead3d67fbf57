package capture

import "errors"

// EndReason says why a track ended. The spec only distinguishes stop() (no
// "ended" event) from a source that ends by itself; a person looking at a
// dead preview wants to know which of the latter it was, so backends mark
// their errors and ReasonOf reads the mark.
type EndReason string

// The reasons a track ends.
const (
	// EndStopped: Stop(), MediaDevices.Close, or the leak detector stopped
	// the track. No "ended" event fires.
	EndStopped EndReason = "stopped"
	// EndUnplugged: the device vanished (errors wrapping ErrNotFound).
	EndUnplugged EndReason = "unplugged"
	// EndStalled: the device stayed open but delivered nothing for too long
	// (errors wrapping ErrStalled).
	EndStalled EndReason = "stalled"
	// EndRevoked: access was taken away — permission withdrawn, or the
	// system gave the device to someone else (errors wrapping ErrRevoked or
	// ErrNotAllowed).
	EndRevoked EndReason = "revoked"
	// EndFailed: any other device or driver error.
	EndFailed EndReason = "failed"
)

// Marks for a device error that says why it ended; backends wrap them
// beside ErrNotReadable: NewError(ErrNotReadable, ErrStalled, "...").
var (
	ErrStalled = errors.New("the device delivered no media for too long")
	ErrRevoked = errors.New("access to the device was taken away")
)

// ReasonOf classifies the error that ended a source. nil is EndStopped.
func ReasonOf(err error) EndReason {
	switch {
	case err == nil:
		return EndStopped
	case errors.Is(err, ErrStalled):
		return EndStalled
	case errors.Is(err, ErrRevoked), errors.Is(err, ErrNotAllowed):
		return EndRevoked
	case errors.Is(err, ErrNotFound):
		return EndUnplugged
	}
	return EndFailed
}
