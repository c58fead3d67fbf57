//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package v4l2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The structs must be the kernel's sizes, or every ioctl number is wrong.
// Sizes are those of linux/videodev2.h on a 64-bit kernel.
func TestStructSizes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"v4l2_capability", unsafe.Sizeof(capability{}), 104},
		{"v4l2_fmtdesc", unsafe.Sizeof(fmtDesc{}), 64},
		{"v4l2_frmsizeenum", unsafe.Sizeof(frmSizeEnum{}), 44},
		{"v4l2_frmivalenum", unsafe.Sizeof(frmIvalEnum{}), 52},
		{"v4l2_format", unsafe.Sizeof(format{}), 208},
		{"v4l2_pix_format", unsafe.Sizeof(pixFormat{}), 48},
		{"v4l2_pix_format_mplane", unsafe.Sizeof(pixFormatMPlane{}), 192},
		{"v4l2_streamparm", unsafe.Sizeof(streamParm{}), 204},
		{"v4l2_requestbuffers", unsafe.Sizeof(requestBuffers{}), 20},
		{"v4l2_buffer", unsafe.Sizeof(buffer{}), 88},
		{"v4l2_plane", unsafe.Sizeof(plane{}), 64},
	} {
		if tc.got != tc.want {
			t.Errorf("sizeof(%s) = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	if off := unsafe.Offsetof(buffer{}.m); off != 64 {
		t.Errorf("v4l2_buffer.m at %d, want 64", off)
	}
	if off := unsafe.Offsetof(plane{}.dataOffset); off != 16 {
		t.Errorf("v4l2_plane.data_offset at %d, want 16", off)
	}
	// Well-known request numbers from videodev2.h.
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"VIDIOC_QUERYCAP", vidiocQueryCap, 0x80685600},
		{"VIDIOC_S_FMT", vidiocSFmt, 0xc0d05605},
		{"VIDIOC_REQBUFS", vidiocReqBufs, 0xc0145608},
		{"VIDIOC_QBUF", vidiocQBuf, 0xc058560f},
		{"VIDIOC_DQBUF", vidiocDQBuf, 0xc0585611},
		{"VIDIOC_STREAMON", vidiocStreamOn, 0x40045612},
		{"VIDIOC_S_PARM", vidiocSParm, 0xc0cc5616},
		{"VIDIOC_ENUM_FRAMESIZES", vidiocEnumFrameSizes, 0xc02c564a},
		{"VIDIOC_ENUM_FRAMEINTERVALS", vidiocEnumFrameIntervals, 0xc034564b},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

func TestFourCC(t *testing.T) {
	for _, s := range []string{"YUYV", "YU12", "NV12", "MJPG", "Y16 ", "GREY"} {
		c, err := Code(s)
		if err != nil {
			t.Fatal(err)
		}
		want := s
		if s == "Y16 " {
			want = "Y16"
		}
		if got := FourCC(c); got != want {
			t.Errorf("FourCC(Code(%q)) = %q, want %q", s, got, want)
		}
	}
	if got := FourCC(0x56595559); got != "YUYV" {
		t.Errorf("FourCC(V4L2_PIX_FMT_YUYV) = %q", got)
	}
	if _, err := Code("TOOLONG"); err == nil {
		t.Error("a 7-letter fourcc was accepted")
	}
}

// A node that is not a V4L2 device fails QUERYCAP with the kernel's errno and
// leaves no descriptor open.
func TestOpenNotV4L2(t *testing.T) {
	p := filepath.Join(t.TempDir(), "video0")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	before := openFDs(t)
	_, err := Open(p)
	if !errors.Is(err, unix.ENOTTY) {
		t.Errorf("Open of a plain file: %v, want ENOTTY", err)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d fds open before, %d after", before, after)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none")); !errors.Is(err, unix.ENOENT) {
		t.Errorf("Open of a missing node: %v, want ENOENT", err)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestIsCapture(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps uint32
		want bool
	}{
		{"vivid capture (v4l2-ctl: 0x05230005)", 0x05230005, true},
		{"multi-planar capture", CapVideoCaptureMPlane | CapStreaming, true},
		{"video output", CapVideoOutput | CapStreaming, false},
		{"metadata capture (a UVC webcam's second node)", CapMetaCapture | CapStreaming, false},
		{"touch sensor", CapVideoCapture | CapTouch | CapStreaming, false},
		{"capture without streaming (read() only)", CapVideoCapture, false},
	} {
		if got := (Caps{DeviceCaps: tc.caps}).IsCapture(); got != tc.want {
			t.Errorf("%s: IsCapture = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !(Caps{DeviceCaps: CapVideoCaptureMPlane | CapStreaming}).MPlane() || (Caps{DeviceCaps: 0x05230005}).MPlane() {
		t.Error("MPlane wrong")
	}
}
