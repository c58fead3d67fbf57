//go:build !linux || !(amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

// Controls are a camera's controls; only V4L2 has them so far.
type Controls struct{}

// Controls reports that this platform's cameras have no controls Tally reaches.
func (b *Backend) Controls(deviceID string) (*Controls, error) { return nil, errUnsupported }

// List reports errUnsupported.
func (c *Controls) List() ([]ControlInfo, error) { return nil, errUnsupported }

// SetText reports errUnsupported.
func (c *Controls) SetText(name, text string) error { return errUnsupported }

// Check reports errUnsupported.
func (c *Controls) Check(name, text string) (ControlInfo, ControlValue, error) {
	return ControlInfo{}, ControlValue{}, errUnsupported
}

// Close does nothing.
func (c *Controls) Close() error { return nil }
