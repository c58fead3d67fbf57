package camera

import (
	"context"

	"github.com/pion/mediadevices/pkg/prop"
)

// System is the camera layer under the Backend: what devices exist, what
// modes each has, and raw frames from an open one. NewV4L2System is the real
// one (pion's driver manager and V4L2); tests hand NewWithSystem a fake
// device list, so the mode building, conversion and hot-plug logic above it
// runs the same with or without hardware.
//
// A System's methods may be called from any goroutine.
type System interface {
	// Cameras lists the cameras present now. The backend polls it (about
	// once a second while someone listens for devicechange), so it must be
	// cheap when nothing changed.
	Cameras() ([]CameraInfo, error)
	// Open starts capture from the camera with the given CameraInfo.ID in
	// mode p, one of its Props. Errors may wrap a syscall.Errno (EBUSY,
	// ENOENT, ENODEV, EACCES) or one of capture's sentinels; the backend
	// turns them into the spec's errors.
	Open(id string, p prop.Media) (Stream, error)
}

// CameraInfo is one camera as a System sees it.
type CameraInfo struct {
	// ID is stable while the camera is present and, where the system can
	// tell, across unplug and replug ("usb-046d_HD_Webcam_C270-video-index0").
	ID    string
	Label string // for people ("HD Webcam C270")
	Path  string // device node ("/dev/video0")
	// Group is shared by the nodes of one physical device (its bus address);
	// empty when unknown.
	Group string
	// Props is every mode pion's driver.Properties() reports: frame format,
	// width, height and frame rate (0 when the driver does not say).
	Props []prop.Media
}

// Stream is an open camera delivering raw frames.
type Stream interface {
	// ReadFrame blocks until the next frame and returns its bytes in the
	// opened mode's format. They stay valid until the next ReadFrame or
	// Close (they may be the driver's own buffer). It returns promptly, with
	// an error, once Close is called or ctx ends.
	ReadFrame(ctx context.Context) ([]byte, error)
	// Close stops capture and releases the device. It may be called while
	// ReadFrame blocks, and more than once.
	Close() error
}
