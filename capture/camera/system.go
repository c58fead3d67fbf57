package camera

import (
	"context"
	"errors"
	"fmt"
	"syscall"
)

// System is the camera layer under the Backend: what devices exist, what
// modes each has, and raw frames from an open one. NewV4L2System is the real
// one (Tally's own V4L2 layer, internal/v4l2); tests hand NewWithSystem a
// fake device list, so the mode building, conversion and hot-plug logic above
// it runs the same with or without hardware.
//
// A System's methods may be called from any goroutine.
type System interface {
	// Cameras lists the cameras present now. The backend polls it (about
	// once a second while someone listens for devicechange), so it must be
	// cheap when nothing changed.
	Cameras() ([]CameraInfo, error)
	// Open starts capture from the camera with the given CameraInfo.ID in
	// mode m, one of its Modes, exactly: a driver that sets another format
	// or size is an error. Errors may wrap a syscall.Errno (EBUSY, ENOENT,
	// ENODEV, EACCES) or one of capture's sentinels; the backend turns them
	// into the spec's errors.
	Open(id string, m Mode) (Stream, error)
}

// CameraInfo is one camera as a System sees it.
type CameraInfo struct {
	// ID is stable while the camera is present and, where the system can
	// tell, across unplug and replug ("usb-046d_HD_Webcam_C270-video-index0").
	ID    string
	Label string // for people ("HD Webcam C270"), distinct among the cameras listed
	Path  string // device node ("/dev/video0")
	// Group is shared by the nodes of one physical device (its bus address);
	// empty when unknown.
	Group string
	// Modes is every mode the driver reports, in every format, including
	// those Tally cannot convert (listed as unsupported, never opened).
	Modes []Mode
}

// Mode is one format, size and frame interval a camera can capture in.
type Mode struct {
	Format        string // the V4L2 fourcc as v4l2-ctl prints it: "YUYV", "YU12", "MJPG"
	Width, Height int
	// Interval is the frame period; zero when the driver does not say.
	Interval Interval
}

// Interval is a frame period of Num/Den seconds (1/30 is 30 fps).
type Interval struct{ Num, Den uint32 }

// FrameRate is frames per second, 0 when unknown.
func (m Mode) FrameRate() float64 {
	if m.Interval.Num == 0 || m.Interval.Den == 0 {
		return 0
	}
	return float64(m.Interval.Den) / float64(m.Interval.Num)
}

func (m Mode) String() string {
	return fmt.Sprintf("%s %dx%d @ %g", m.Format, m.Width, m.Height, roundRate(m.FrameRate()))
}

// Stream is an open camera delivering raw frames.
type Stream interface {
	// Layout is the frame format the driver set (read back after setting
	// it): what the converter must be built for.
	Layout() FrameLayout
	// ReadFrame blocks until the next good frame and returns its planes,
	// one per memory plane, trimmed to the bytes used. They stay valid until
	// the next ReadFrame or Close (they are the driver's mmap'ed buffer). It
	// returns promptly, with an error, once Close is called or ctx ends.
	// Transient faults (a buffer the driver flags as bad, one failed
	// requeue) are absorbed; an error means the stream is over.
	ReadFrame(ctx context.Context) ([][]byte, error)
	// Close stops capture and releases the device. It may be called while
	// ReadFrame blocks, and more than once.
	Close() error
}

// errUnplugged marks a stream error that means the device went away.
var errUnplugged = errors.New("the device went away")

// streamError classifies a failed DQBUF: a device that went away (ENODEV,
// ENXIO, or EIO/EPIPE with the node unregistered) wraps errUnplugged, so
// the source ends as unplugged; anything else is the driver failing.
func streamError(err error) error {
	if errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("%w: %w", errUnplugged, err)
	}
	return err
}
