//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package v4l2

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Caps is what VIDIOC_QUERYCAP says about a node.
type Caps struct {
	Driver, Card, BusInfo string
	// DeviceCaps is the node's own capabilities (device_caps when the driver
	// fills it, else the whole device's).
	DeviceCaps uint32
}

// IsCapture reports whether the node captures video, single- or
// multi-planar, and streams it: what a camera node is. A touch sensor's
// node also says video capture (it delivers heat maps); it is no camera.
func (c Caps) IsCapture() bool {
	return c.DeviceCaps&(CapVideoCapture|CapVideoCaptureMPlane) != 0 && c.DeviceCaps&CapStreaming != 0 &&
		c.DeviceCaps&CapTouch == 0
}

// MPlane reports whether the node must be driven with the multi-planar API
// (it has no single-planar capture).
func (c Caps) MPlane() bool {
	return c.DeviceCaps&CapVideoCapture == 0 && c.DeviceCaps&CapVideoCaptureMPlane != 0
}

// Device is an open V4L2 node.
type Device struct {
	fd    int
	path  string
	caps  Caps
	btype uint32 // the capture buffer type this node is driven with
}

// Open opens a node without blocking reads (frames are waited for with
// poll) and asks for its capabilities. A node that answers QUERYCAP with an
// error is not a V4L2 device; the error says so with the errno.
func Open(path string) (*Device, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	var c capability
	if err := ioctl(fd, vidiocQueryCap, unsafe.Pointer(&c)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: VIDIOC_QUERYCAP: %w", path, err)
	}
	caps := Caps{Driver: cstr(c.driver[:]), Card: cstr(c.card[:]), BusInfo: cstr(c.busInfo[:]), DeviceCaps: c.capabilities}
	if c.capabilities&CapDeviceCaps != 0 {
		caps.DeviceCaps = c.deviceCaps
	}
	d := &Device{fd: fd, path: path, caps: caps, btype: bufTypeVideoCapture}
	if caps.MPlane() {
		d.btype = bufTypeVideoCaptureMPlane
	}
	return d, nil
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Caps returns the node's capabilities.
func (d *Device) Caps() Caps { return d.caps }

// Path is the node the device was opened from.
func (d *Device) Path() string { return d.path }

// Close closes the node. Buffers must already be released (Stream.Close).
func (d *Device) Close() error {
	if d.fd < 0 {
		return nil
	}
	err := unix.Close(d.fd)
	d.fd = -1
	if err != nil {
		return fmt.Errorf("closing %s: %w", d.path, err)
	}
	return nil
}

func (d *Device) ioctl(name string, req uintptr, arg unsafe.Pointer) error {
	if err := ioctl(d.fd, req, arg); err != nil {
		return fmt.Errorf("%s: %s: %w", d.path, name, err)
	}
	return nil
}

// FourCC spells a pixel format code as v4l2-ctl prints it ("YUYV", "MJPG").
func FourCC(code uint32) string {
	b := []byte{byte(code), byte(code >> 8), byte(code >> 16), byte(code >> 24 & 0x7f)}
	s := string(bytes.TrimRight(b, " \x00"))
	if code&(1<<31) != 0 {
		s += "-BE" // V4L2_PIX_FMT_FLAG_BE_FOURCC
	}
	return s
}

// Code is the pixel format code of a fourcc string (the inverse of FourCC
// for plain four-letter names; shorter names are space-padded).
func Code(fourcc string) (uint32, error) {
	if len(fourcc) == 0 || len(fourcc) > 4 {
		return 0, fmt.Errorf("pixel format %q is not a fourcc", fourcc)
	}
	b := [4]byte{' ', ' ', ' ', ' '}
	copy(b[:], fourcc)
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24, nil
}

// FormatDesc is one ENUM_FMT entry.
type FormatDesc struct {
	FourCC      string
	Description string
	Code        uint32
}

// Formats lists the pixel formats the node captures.
func (d *Device) Formats() ([]FormatDesc, error) {
	var out []FormatDesc
	for i := uint32(0); ; i++ {
		fd := fmtDesc{index: i, typ: d.btype}
		err := ioctl(d.fd, vidiocEnumFmt, unsafe.Pointer(&fd))
		if errors.Is(err, unix.EINVAL) {
			return out, nil // the end of the list
		}
		if err != nil {
			return out, fmt.Errorf("%s: VIDIOC_ENUM_FMT %d: %w", d.path, i, err)
		}
		out = append(out, FormatDesc{FourCC: FourCC(fd.pixelFormat), Description: cstr(fd.description[:]), Code: fd.pixelFormat})
	}
}

// Size is a frame size.
type Size struct{ Width, Height int }

// SizeRange is one ENUM_FRAMESIZES answer: discrete sizes, or one stepwise
// (or continuous, step 1) range.
type SizeRange struct {
	Discrete       []Size
	Stepwise       bool
	Min, Max, Step Size
}

// FrameSizes lists the sizes of a format.
func (d *Device) FrameSizes(code uint32) (SizeRange, error) {
	var r SizeRange
	for i := uint32(0); ; i++ {
		fs := frmSizeEnum{index: i, pixelFormat: code}
		err := ioctl(d.fd, vidiocEnumFrameSizes, unsafe.Pointer(&fs))
		if errors.Is(err, unix.EINVAL) {
			return r, nil
		}
		if err != nil {
			return r, fmt.Errorf("%s: VIDIOC_ENUM_FRAMESIZES %s %d: %w", d.path, FourCC(code), i, err)
		}
		switch fs.typ {
		case frmTypeDiscrete:
			r.Discrete = append(r.Discrete, Size{int(fs.u[0]), int(fs.u[1])})
		case frmTypeContinuous, frmTypeStepwise:
			r.Stepwise = true
			r.Min = Size{int(fs.u[0]), int(fs.u[3])}
			r.Max = Size{int(fs.u[1]), int(fs.u[4])}
			r.Step = Size{max(int(fs.u[2]), 1), max(int(fs.u[5]), 1)}
			return r, nil // a range is the only entry
		default:
			return r, fmt.Errorf("%s: VIDIOC_ENUM_FRAMESIZES %s: unknown type %d", d.path, FourCC(code), fs.typ)
		}
	}
}

// Interval is a frame period, Num/Den seconds (1/30 is 30 fps).
type Interval struct{ Num, Den uint32 }

// Rate is frames per second; 0 for an unknown interval.
func (iv Interval) Rate() float64 {
	if iv.Num == 0 || iv.Den == 0 {
		return 0
	}
	return float64(iv.Den) / float64(iv.Num)
}

// IntervalRange is one ENUM_FRAMEINTERVALS answer.
type IntervalRange struct {
	Discrete       []Interval
	Stepwise       bool
	Min, Max, Step Interval // Min is the shortest period (the highest rate)
}

// FrameIntervals lists the frame periods of a format at a size. A driver
// that cannot enumerate them (ENOTTY) gives an empty range, no error.
func (d *Device) FrameIntervals(code uint32, s Size) (IntervalRange, error) {
	var r IntervalRange
	for i := uint32(0); ; i++ {
		fi := frmIvalEnum{index: i, pixelFormat: code, width: uint32(s.Width), height: uint32(s.Height)}
		err := ioctl(d.fd, vidiocEnumFrameIntervals, unsafe.Pointer(&fi))
		if errors.Is(err, unix.EINVAL) || (i == 0 && errors.Is(err, unix.ENOTTY)) {
			return r, nil
		}
		if err != nil {
			return r, fmt.Errorf("%s: VIDIOC_ENUM_FRAMEINTERVALS %s %dx%d %d: %w", d.path, FourCC(code), s.Width, s.Height, i, err)
		}
		switch fi.typ {
		case frmTypeDiscrete:
			r.Discrete = append(r.Discrete, Interval{fi.u[0].num, fi.u[0].den})
		case frmTypeContinuous, frmTypeStepwise:
			r.Stepwise = true
			r.Min = Interval{fi.u[0].num, fi.u[0].den}
			r.Max = Interval{fi.u[1].num, fi.u[1].den}
			r.Step = Interval{fi.u[2].num, fi.u[2].den}
			return r, nil
		default:
			return r, fmt.Errorf("%s: VIDIOC_ENUM_FRAMEINTERVALS %s: unknown type %d", d.path, FourCC(code), fi.typ)
		}
	}
}

// Format is a capture format as the driver set it (G_FMT).
type Format struct {
	FourCC        string
	Code          uint32
	Width, Height int
	// BytesPerLine and SizeImage have one entry per memory plane.
	BytesPerLine, SizeImage                      []int
	Colorspace, YCbCrEnc, Quantization, XferFunc uint32
}

// SetFormat asks for a format and size (S_FMT) and returns what the driver
// set, read back with G_FMT: drivers adjust sizes and may ignore the format.
func (d *Device) SetFormat(code uint32, s Size) (Format, error) {
	f := format{typ: d.btype}
	if d.btype == bufTypeVideoCaptureMPlane {
		p := f.pixMP()
		p.width, p.height, p.pixelFormat, p.field = uint32(s.Width), uint32(s.Height), code, fieldAny
	} else {
		p := f.pix()
		p.width, p.height, p.pixelFormat, p.field = uint32(s.Width), uint32(s.Height), code, fieldAny
	}
	if err := d.ioctl("VIDIOC_S_FMT", vidiocSFmt, unsafe.Pointer(&f)); err != nil {
		return Format{}, err
	}
	return d.Format()
}

// Format reads the current format (G_FMT).
func (d *Device) Format() (Format, error) {
	f := format{typ: d.btype}
	if err := d.ioctl("VIDIOC_G_FMT", vidiocGFmt, unsafe.Pointer(&f)); err != nil {
		return Format{}, err
	}
	if d.btype == bufTypeVideoCaptureMPlane {
		p := f.pixMP()
		out := Format{
			FourCC: FourCC(p.pixelFormat), Code: p.pixelFormat, Width: int(p.width), Height: int(p.height),
			Colorspace: p.colorspace, YCbCrEnc: uint32(p.ycbcrEnc), Quantization: uint32(p.quantization), XferFunc: uint32(p.xferFunc),
		}
		if p.numPlanes == 0 || p.numPlanes > maxPlanes {
			return Format{}, fmt.Errorf("%s: VIDIOC_G_FMT: driver reports %d planes", d.path, p.numPlanes)
		}
		for i := range int(p.numPlanes) {
			out.BytesPerLine = append(out.BytesPerLine, int(p.planes[i].bytesPerLine))
			out.SizeImage = append(out.SizeImage, int(p.planes[i].sizeImage))
		}
		return out, nil
	}
	p := f.pix()
	return Format{
		FourCC: FourCC(p.pixelFormat), Code: p.pixelFormat, Width: int(p.width), Height: int(p.height),
		BytesPerLine: []int{int(p.bytesPerLine)}, SizeImage: []int{int(p.sizeImage)},
		Colorspace: p.colorspace, YCbCrEnc: p.ycbcrEnc, Quantization: p.quantization, XferFunc: p.xferFunc,
	}, nil
}

// SetInterval asks for a frame period (S_PARM) and returns the one the
// driver set (G_PARM). ok is false when the driver cannot set the rate
// (no V4L2_CAP_TIMEPERFRAME, or S_PARM unsupported): the camera then runs
// at its own rate for the mode, and iv is what G_PARM says, if anything.
func (d *Device) SetInterval(want Interval) (iv Interval, ok bool, err error) {
	p := streamParm{typ: d.btype}
	if err := ioctl(d.fd, vidiocGParm, unsafe.Pointer(&p)); err != nil {
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			return Interval{}, false, nil
		}
		return Interval{}, false, fmt.Errorf("%s: VIDIOC_G_PARM: %w", d.path, err)
	}
	if p.capture().capability&capTimePerFrame == 0 || want.Num == 0 || want.Den == 0 {
		tp := p.capture().timePerFrame
		return Interval{tp.num, tp.den}, false, nil
	}
	p.capture().timePerFrame = fract{want.Num, want.Den}
	if err := d.ioctl("VIDIOC_S_PARM", vidiocSParm, unsafe.Pointer(&p)); err != nil {
		return Interval{}, false, err
	}
	p = streamParm{typ: d.btype}
	if err := d.ioctl("VIDIOC_G_PARM", vidiocGParm, unsafe.Pointer(&p)); err != nil {
		return Interval{}, false, err
	}
	tp := p.capture().timePerFrame
	return Interval{tp.num, tp.den}, true, nil
}
