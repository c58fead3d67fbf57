//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package v4l2

import (
	"testing"
	"unsafe"
)

// The control and event structs against linux/videodev2.h on a 64-bit
// kernel, as TestStructSizes does for the others.
func TestControlStructSizes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"v4l2_query_ext_ctrl", unsafe.Sizeof(queryExtCtrl{}), 232},
		{"v4l2_querymenu", unsafe.Sizeof(queryMenu{}), 44},
		{"v4l2_ext_control", unsafe.Sizeof(extControl{}), 20},
		{"v4l2_ext_controls", unsafe.Sizeof(extControls{}), 32},
		{"v4l2_event_subscription", unsafe.Sizeof(eventSubscription{}), 32},
		{"v4l2_event", unsafe.Sizeof(event{}), 136},
		{"v4l2_event_ctrl", unsafe.Sizeof(eventCtrl{}), 40},
		{"v4l2_query_ext_ctrl.minimum", unsafe.Offsetof(queryExtCtrl{}.minimum), 40},
		{"v4l2_query_ext_ctrl.flags", unsafe.Offsetof(queryExtCtrl{}.flags), 72},
		{"v4l2_ext_controls.controls", unsafe.Offsetof(extControls{}.controls), 24},
		{"v4l2_event.u", unsafe.Offsetof(event{}.u), 8},
		{"v4l2_event.pending", unsafe.Offsetof(event{}.pending), 72},
		{"v4l2_event.id", unsafe.Offsetof(event{}.id), 96},
		{"v4l2_event_ctrl.flags", unsafe.Offsetof(eventCtrl{}.flags), 16},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"VIDIOC_QUERY_EXT_CTRL", vidiocQueryExtCtrl, 0xc0e85667},
		{"VIDIOC_QUERYMENU", vidiocQueryMenu, 0xc02c5625},
		{"VIDIOC_G_EXT_CTRLS", vidiocGExtCtrls, 0xc0205647},
		{"VIDIOC_S_EXT_CTRLS", vidiocSExtCtrls, 0xc0205648},
		{"VIDIOC_TRY_EXT_CTRLS", vidiocTryExtCtrls, 0xc0205649},
		{"VIDIOC_DQEVENT", vidiocDQEvent, 0x80885659},
		{"VIDIOC_SUBSCRIBE_EVENT", vidiocSubscribeEv, 0x4020565a},
		{"VIDIOC_UNSUBSCRIBE_EVENT", vidiocUnsubscribeEv, 0x4020565b},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

// VarName must spell names as v4l2-ctl does, since users type them.
func TestVarName(t *testing.T) {
	for in, want := range map[string]string{
		"Brightness":                 "brightness",
		"Gain, Automatic":            "gain_automatic",
		"White Balance Temperature":  "white_balance_temperature",
		"Integer 32 Bits":            "integer_32_bits",
		"Exposure Time, Absolute":    "exposure_time_absolute",
		"  Leading and trailing -- ": "leading_and_trailing",
		"Power Line Frequency":       "power_line_frequency",
	} {
		if got := VarName(in); got != want {
			t.Errorf("VarName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFlagNames(t *testing.T) {
	got := FlagNames(FlagInactive | FlagVolatile | FlagReadOnly)
	want := []string{"read-only", "inactive", "volatile"}
	if len(got) != len(want) {
		t.Fatalf("FlagNames = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("FlagNames = %v, want %v", got, want)
		}
	}
}
