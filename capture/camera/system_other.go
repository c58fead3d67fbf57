//go:build !linux

package camera

import (
	"errors"
	"runtime"

	"github.com/pion/mediadevices/pkg/prop"
)

// NewV4L2System returns a System that reports, on every call, that this
// platform has no camera path yet: only V4L2 (Linux) reads raw frames.
func NewV4L2System() System { return unsupported{} }

type unsupported struct{}

var errUnsupported = errors.New("camera backend: raw capture is implemented for V4L2 (linux) only, not " + runtime.GOOS)

func (unsupported) Cameras() ([]CameraInfo, error)          { return nil, errUnsupported }
func (unsupported) Open(string, prop.Media) (Stream, error) { return nil, errUnsupported }
