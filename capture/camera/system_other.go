//go:build !linux || !(amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"errors"
	"runtime"
)

// NewV4L2System returns a System that reports, on every call, that this
// platform has no camera path yet: only V4L2 on 64-bit little-endian Linux
// is implemented.
func NewV4L2System() System { return unsupported{} }

type unsupported struct{}

var errUnsupported = errors.New("camera backend: raw capture is implemented for V4L2 (64-bit little-endian linux) only, not " + runtime.GOOS + "/" + runtime.GOARCH)

func (unsupported) Cameras() ([]CameraInfo, error)    { return nil, errUnsupported }
func (unsupported) Open(string, Mode) (Stream, error) { return nil, errUnsupported }
