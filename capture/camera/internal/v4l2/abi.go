//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

// Package v4l2 is Tally's small layer over the Video4Linux2 ioctls: the
// structs of linux/videodev2.h laid out as a 64-bit little-endian kernel
// expects them, and the calls the camera backend needs — capabilities,
// formats, sizes, intervals, S_FMT/G_FMT, S_PARM/G_PARM, mmap streaming —
// each returning the kernel's errno unchanged (wrapped), so callers can tell
// EBUSY from ENODEV from EINVAL.
package v4l2

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctl request numbers are _IOC(dir, 'V', nr, size) as in asm-generic/ioctl.h.
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr {
	return dir<<30 | size<<16 | 'V'<<8 | nr
}

var (
	vidiocQueryCap           = ioc(iocRead, 0, unsafe.Sizeof(capability{}))
	vidiocEnumFmt            = ioc(iocRead|iocWrite, 2, unsafe.Sizeof(fmtDesc{}))
	vidiocGFmt               = ioc(iocRead|iocWrite, 4, unsafe.Sizeof(format{}))
	vidiocSFmt               = ioc(iocRead|iocWrite, 5, unsafe.Sizeof(format{}))
	vidiocReqBufs            = ioc(iocRead|iocWrite, 8, unsafe.Sizeof(requestBuffers{}))
	vidiocQueryBuf           = ioc(iocRead|iocWrite, 9, unsafe.Sizeof(buffer{}))
	vidiocQBuf               = ioc(iocRead|iocWrite, 15, unsafe.Sizeof(buffer{}))
	vidiocDQBuf              = ioc(iocRead|iocWrite, 17, unsafe.Sizeof(buffer{}))
	vidiocStreamOn           = ioc(iocWrite, 18, unsafe.Sizeof(int32(0)))
	vidiocStreamOff          = ioc(iocWrite, 19, unsafe.Sizeof(int32(0)))
	vidiocGParm              = ioc(iocRead|iocWrite, 21, unsafe.Sizeof(streamParm{}))
	vidiocSParm              = ioc(iocRead|iocWrite, 22, unsafe.Sizeof(streamParm{}))
	vidiocEnumFrameSizes     = ioc(iocRead|iocWrite, 74, unsafe.Sizeof(frmSizeEnum{}))
	vidiocEnumFrameIntervals = ioc(iocRead|iocWrite, 75, unsafe.Sizeof(frmIvalEnum{}))
)

// Capability bits (V4L2_CAP_*).
const (
	CapVideoCapture       = 0x00000001
	CapVideoOutput        = 0x00000002
	CapVideoCaptureMPlane = 0x00001000
	CapMetaCapture        = 0x00800000
	CapTouch              = 0x10000000
	CapStreaming          = 0x04000000
	CapDeviceCaps         = 0x80000000
)

// Buffer types, memory, fields and flags.
const (
	bufTypeVideoCapture       = 1
	bufTypeVideoCaptureMPlane = 9
	memoryMmap                = 1
	fieldAny                  = 0
	// BufFlagError marks a buffer the driver filled badly (V4L2_BUF_FLAG_ERROR).
	BufFlagError = 0x00000040
	// CapTimePerFrame is set in the capture parm when S_PARM can set the rate.
	capTimePerFrame = 0x1000
	maxPlanes       = 8
)

const (
	frmTypeDiscrete   = 1
	frmTypeContinuous = 2
	frmTypeStepwise   = 3
)

type capability struct {
	driver       [16]byte
	card         [32]byte
	busInfo      [32]byte
	version      uint32
	capabilities uint32
	deviceCaps   uint32
	reserved     [3]uint32
}

type fmtDesc struct {
	index       uint32
	typ         uint32
	flags       uint32
	description [32]byte
	pixelFormat uint32
	mbusCode    uint32
	reserved    [3]uint32
}

type frmSizeEnum struct {
	index       uint32
	pixelFormat uint32
	typ         uint32
	// discrete: width, height; stepwise: min_width, max_width, step_width,
	// min_height, max_height, step_height.
	u        [6]uint32
	reserved [2]uint32
}

type fract struct{ num, den uint32 }

type frmIvalEnum struct {
	index       uint32
	pixelFormat uint32
	width       uint32
	height      uint32
	typ         uint32
	// discrete: u[0]; stepwise: min u[0], max u[1], step u[2].
	u        [3]fract
	reserved [2]uint32
}

// format is struct v4l2_format: the 200-byte union is 8-aligned on 64-bit
// kernels because one member (v4l2_window) holds pointers.
type format struct {
	typ uint32
	_   uint32
	fmt [200]byte
}

type pixFormat struct {
	width        uint32
	height       uint32
	pixelFormat  uint32
	field        uint32
	bytesPerLine uint32
	sizeImage    uint32
	colorspace   uint32
	priv         uint32
	flags        uint32
	ycbcrEnc     uint32
	quantization uint32
	xferFunc     uint32
}

type planePixFormat struct {
	sizeImage    uint32
	bytesPerLine uint32
	reserved     [6]uint16
}

type pixFormatMPlane struct {
	width        uint32
	height       uint32
	pixelFormat  uint32
	field        uint32
	colorspace   uint32
	planes       [maxPlanes]planePixFormat
	numPlanes    uint8
	flags        uint8
	ycbcrEnc     uint8
	quantization uint8
	xferFunc     uint8
	reserved     [7]uint8
}

func (f *format) pix() *pixFormat           { return (*pixFormat)(unsafe.Pointer(&f.fmt[0])) }
func (f *format) pixMP() *pixFormatMPlane   { return (*pixFormatMPlane)(unsafe.Pointer(&f.fmt[0])) }
func (p *streamParm) capture() *captureParm { return (*captureParm)(unsafe.Pointer(&p.parm[0])) }
func (b *buffer) offset() uint32            { return uint32(b.m) }
func (p *plane) memOffset() uint32          { return uint32(p.m) }

type streamParm struct {
	typ  uint32
	parm [200]byte
}

type captureParm struct {
	capability   uint32
	captureMode  uint32
	timePerFrame fract
	extendedMode uint32
	readBuffers  uint32
	reserved     [4]uint32
}

type requestBuffers struct {
	count        uint32
	typ          uint32
	memory       uint32
	capabilities uint32
	flags        uint8
	reserved     [3]uint8
}

type buffer struct {
	index     uint32
	typ       uint32
	bytesUsed uint32
	flags     uint32
	field     uint32
	_         uint32
	timestamp unix.Timeval
	timecode  [16]byte
	sequence  uint32
	memory    uint32
	m         uint64 // offset (mmap), or a pointer to the planes (mplane)
	length    uint32
	reserved2 uint32
	requestFD int32
	_         uint32
}

type plane struct {
	bytesUsed  uint32
	length     uint32
	m          uint64 // mem_offset for mmap
	dataOffset uint32
	reserved   [11]uint32
}

// ioctl calls the driver, retrying on EINTR (a signal is not the driver's
// answer).
func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}
