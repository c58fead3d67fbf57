//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package v4l2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unsafe"

	"golang.org/x/sys/unix"
)

var (
	vidiocQueryMenu     = ioc(iocRead|iocWrite, 37, unsafe.Sizeof(queryMenu{}))
	vidiocGExtCtrls     = ioc(iocRead|iocWrite, 71, unsafe.Sizeof(extControls{}))
	vidiocSExtCtrls     = ioc(iocRead|iocWrite, 72, unsafe.Sizeof(extControls{}))
	vidiocTryExtCtrls   = ioc(iocRead|iocWrite, 73, unsafe.Sizeof(extControls{}))
	vidiocQueryExtCtrl  = ioc(iocRead|iocWrite, 103, unsafe.Sizeof(queryExtCtrl{}))
	vidiocDQEvent       = ioc(iocRead, 89, unsafe.Sizeof(event{}))
	vidiocSubscribeEv   = ioc(iocWrite, 90, unsafe.Sizeof(eventSubscription{}))
	vidiocUnsubscribeEv = ioc(iocWrite, 91, unsafe.Sizeof(eventSubscription{}))
)

// CtrlType is a control's type (V4L2_CTRL_TYPE_*).
type CtrlType uint32

// The control types. Those from CtrlCompound up are arrays and structs.
const (
	CtrlInteger     CtrlType = 1
	CtrlBoolean     CtrlType = 2
	CtrlMenu        CtrlType = 3
	CtrlButton      CtrlType = 4
	CtrlInteger64   CtrlType = 5
	CtrlClass       CtrlType = 6
	CtrlString      CtrlType = 7
	CtrlBitmask     CtrlType = 8
	CtrlIntegerMenu CtrlType = 9
	CtrlCompound    CtrlType = 0x100
)

var ctrlTypeNames = map[CtrlType]string{
	CtrlInteger: "int", CtrlBoolean: "bool", CtrlMenu: "menu", CtrlButton: "button",
	CtrlInteger64: "int64", CtrlClass: "class", CtrlString: "str", CtrlBitmask: "bitmask",
	CtrlIntegerMenu: "intmenu", 0x100: "u8", 0x101: "u16", 0x102: "u32",
}

// String is the type as v4l2-ctl prints it ("int", "bool", "menu", "intmenu").
func (t CtrlType) String() string {
	if s, ok := ctrlTypeNames[t]; ok {
		return s
	}
	if t >= CtrlCompound {
		return fmt.Sprintf("compound %#x", uint32(t))
	}
	return fmt.Sprintf("type %d", uint32(t))
}

// Control flags (V4L2_CTRL_FLAG_*).
const (
	FlagDisabled       = 0x0001
	FlagGrabbed        = 0x0002
	FlagReadOnly       = 0x0004
	FlagUpdate         = 0x0008
	FlagInactive       = 0x0010
	FlagSlider         = 0x0020
	FlagWriteOnly      = 0x0040
	FlagVolatile       = 0x0080
	FlagHasPayload     = 0x0100
	FlagExecuteOnWrite = 0x0200
	FlagModifyLayout   = 0x0400
	FlagDynamicArray   = 0x0800

	flagNextCtrl     = 0x80000000
	flagNextCompound = 0x40000000
)

var flagNames = []struct {
	bit  uint32
	name string
}{
	{FlagDisabled, "disabled"}, {FlagGrabbed, "grabbed"}, {FlagReadOnly, "read-only"},
	{FlagUpdate, "update"}, {FlagInactive, "inactive"}, {FlagSlider, "slider"},
	{FlagWriteOnly, "write-only"}, {FlagVolatile, "volatile"}, {FlagHasPayload, "has-payload"},
	{FlagExecuteOnWrite, "execute-on-write"}, {FlagModifyLayout, "modify-layout"},
	{FlagDynamicArray, "dynamic-array"},
}

// FlagNames spells flags as v4l2-ctl does ("inactive", "read-only").
func FlagNames(flags uint32) []string {
	var out []string
	for _, f := range flagNames {
		if flags&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// struct v4l2_query_ext_ctrl.
type queryExtCtrl struct {
	id, typ      uint32
	name         [32]byte
	minimum      int64
	maximum      int64
	step         uint64
	defaultValue int64
	flags        uint32
	elemSize     uint32
	elems        uint32
	nrOfDims     uint32
	dims         [4]uint32
	reserved     [32]uint32
}

// struct v4l2_querymenu is packed: the name/value union at 8, 44 bytes.
type queryMenu struct {
	id, index uint32
	u         [32]byte // name, or an __s64 value for integer menus
	reserved  uint32
}

// struct v4l2_ext_control is packed (20 bytes): id, size, reserved2, then
// the value union (__s32, __s64 or a pointer) at 12; kept as bytes so Go
// adds no padding.
type extControl [20]byte

func (c *extControl) set(id, size uint32, v uint64) {
	binary.LittleEndian.PutUint32(c[0:], id)
	binary.LittleEndian.PutUint32(c[4:], size)
	binary.LittleEndian.PutUint64(c[12:], v)
}
func (c *extControl) value64() int64 { return int64(binary.LittleEndian.Uint64(c[12:])) }
func (c *extControl) value32() int32 { return int32(binary.LittleEndian.Uint32(c[12:])) }

// struct v4l2_ext_controls.
type extControls struct {
	which     uint32
	count     uint32
	errorIdx  uint32
	requestFD int32
	reserved  uint32
	_         uint32
	controls  unsafe.Pointer
}

// struct v4l2_event_subscription.
type eventSubscription struct {
	typ, id, flags uint32
	reserved       [5]uint32
}

// struct v4l2_event: the 64-byte union is 8-aligned (it holds an __s64).
type event struct {
	typ       uint32
	_         uint32
	u         [64]byte
	pending   uint32
	sequence  uint32
	timestamp unix.Timespec
	id        uint32
	reserved  [8]uint32
	_         uint32
}

// struct v4l2_event_ctrl, the union's member for V4L2_EVENT_CTRL.
type eventCtrl struct {
	changes      uint32
	typ          uint32
	value        int64 // __s32 value or __s64 value64
	flags        uint32
	minimum      int32
	maximum      int32
	step         int32
	defaultValue int32
}

const (
	eventCtrlType     = 3 // V4L2_EVENT_CTRL
	eventSubFlInitial = 1 // V4L2_EVENT_SUB_FL_SEND_INITIAL
	whichCurVal       = 0 // V4L2_CTRL_WHICH_CUR_VAL: controls of any class
)

// Event change bits (V4L2_EVENT_CTRL_CH_*).
const (
	ChangeValue = 1
	ChangeFlags = 2
	ChangeRange = 4
)

// MenuItem is one entry of a menu or integer menu. Drivers may skip
// indices (QUERYMENU says EINVAL for those), so Index is not the position.
type MenuItem struct {
	Index uint32
	Name  string // for menus
	Value int64  // for integer menus
}

// Control is one control as VIDIOC_QUERY_EXT_CTRL describes it.
type Control struct {
	ID   uint32
	Type CtrlType
	// Label is the driver's name ("Gain, Automatic"); Name is v4l2-ctl's
	// ("gain_automatic").
	Label, Name             string
	Min, Max, Default       int64
	Step                    uint64
	Flags                   uint32
	ElemSize, Elems, NrDims uint32
	Dims                    [4]uint32
	Menu                    []MenuItem
}

// Compound reports whether the control is an array or a struct (a payload).
func (c Control) Compound() bool { return c.Type >= CtrlCompound || c.Flags&FlagHasPayload != 0 }

// Settable reports whether a value can be written now: not read-only, not
// disabled, not a class heading. Inactive controls may be set (the
// driver keeps the value for when they become active).
func (c Control) Settable() bool {
	return c.Flags&(FlagReadOnly|FlagDisabled) == 0 && c.Type != CtrlClass
}

// Readable reports whether G_EXT_CTRLS can read it.
func (c Control) Readable() bool {
	return c.Flags&(FlagWriteOnly|FlagDisabled) == 0 && c.Type != CtrlClass && c.Type != CtrlButton
}

// VarName is a driver's control name as v4l2-ctl spells it: lower case,
// each run of other characters one underscore, none at the ends.
func VarName(label string) string {
	var b strings.Builder
	gap := false
	for _, r := range label {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(unicode.ToLower(r))
		} else {
			gap = true
		}
	}
	return b.String()
}

// Controls lists every control of the node, class headings left out, each
// menu with its items.
func (d *Device) Controls() ([]Control, error) {
	var out []Control
	id := uint32(0)
	for {
		q := queryExtCtrl{id: id | flagNextCtrl | flagNextCompound}
		err := ioctl(d.fd, vidiocQueryExtCtrl, unsafe.Pointer(&q))
		if errors.Is(err, unix.EINVAL) {
			return out, nil // past the last control
		}
		if err != nil {
			return out, fmt.Errorf("%s: VIDIOC_QUERY_EXT_CTRL after %#x: %w", d.path, id, err)
		}
		if q.id&^(flagNextCtrl|flagNextCompound) <= id && id != 0 {
			return out, fmt.Errorf("%s: VIDIOC_QUERY_EXT_CTRL after %#x went back to %#x", d.path, id, q.id)
		}
		id = q.id
		if CtrlType(q.typ) == CtrlClass {
			continue
		}
		c := Control{
			ID: q.id, Type: CtrlType(q.typ), Label: cstr(q.name[:]), Min: q.minimum, Max: q.maximum,
			Step: q.step, Default: q.defaultValue, Flags: q.flags, ElemSize: q.elemSize, Elems: q.elems,
			NrDims: q.nrOfDims, Dims: q.dims,
		}
		c.Name = VarName(c.Label)
		if c.Type == CtrlMenu || c.Type == CtrlIntegerMenu {
			if c.Menu, err = d.menu(c); err != nil {
				return out, err
			}
		}
		out = append(out, c)
	}
}

// QueryControl describes one control afresh (its flags change with other
// controls), menu items included.
func (d *Device) QueryControl(id uint32) (Control, error) {
	q := queryExtCtrl{id: id}
	if err := d.ioctl("VIDIOC_QUERY_EXT_CTRL", vidiocQueryExtCtrl, unsafe.Pointer(&q)); err != nil {
		return Control{}, err
	}
	c := Control{
		ID: q.id, Type: CtrlType(q.typ), Label: cstr(q.name[:]), Min: q.minimum, Max: q.maximum,
		Step: q.step, Default: q.defaultValue, Flags: q.flags, ElemSize: q.elemSize, Elems: q.elems,
		NrDims: q.nrOfDims, Dims: q.dims,
	}
	c.Name = VarName(c.Label)
	if c.Type == CtrlMenu || c.Type == CtrlIntegerMenu {
		var err error
		if c.Menu, err = d.menu(c); err != nil {
			return Control{}, err
		}
	}
	return c, nil
}

func (d *Device) menu(c Control) ([]MenuItem, error) {
	var items []MenuItem
	for i := c.Min; i <= c.Max && i >= 0; i++ {
		m := queryMenu{id: c.ID, index: uint32(i)}
		err := ioctl(d.fd, vidiocQueryMenu, unsafe.Pointer(&m))
		if errors.Is(err, unix.EINVAL) {
			continue // an index the driver skips (a menu_skip_mask bit)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: VIDIOC_QUERYMENU %s %d: %w", d.path, c.Name, i, err)
		}
		it := MenuItem{Index: uint32(i)}
		if c.Type == CtrlIntegerMenu {
			it.Value = int64(binary.LittleEndian.Uint64(m.u[:8]))
		} else {
			it.Name = cstr(m.u[:])
		}
		items = append(items, it)
	}
	return items, nil
}

// Value is a control's value: Int for integer, boolean, menu (the index),
// integer menu (the index), bitmask and int64 controls; Str for strings;
// Bytes for compound controls (the raw payload).
type Value struct {
	Int   int64
	Str   string
	Bytes []byte
}

func (c Control) payloadSize() uint32 {
	n := c.ElemSize
	if c.Elems > 1 {
		n *= c.Elems
	}
	return n
}

// GetControl reads a control's current value.
func (d *Device) GetControl(c Control) (Value, error) {
	var ec extControl
	var buf []byte
	var pin runtime.Pinner
	defer pin.Unpin()
	switch {
	case c.Type == CtrlString || c.Compound():
		// The kernel writes into our buffer through the pointer in the
		// union: pin it so the pointer stays right.
		buf = make([]byte, max(c.payloadSize(), 1))
		pin.Pin(&buf[0])
		ec.set(c.ID, uint32(len(buf)), uint64(uintptr(unsafe.Pointer(&buf[0]))))
	default:
		ec.set(c.ID, 0, 0)
	}
	if err := d.extCtrls("VIDIOC_G_EXT_CTRLS", vidiocGExtCtrls, c, &ec); err != nil {
		return Value{}, err
	}
	switch {
	case c.Type == CtrlString:
		return Value{Str: cstr(buf)}, nil
	case c.Compound():
		return Value{Bytes: buf}, nil
	case c.Type == CtrlInteger64:
		return Value{Int: ec.value64()}, nil
	case c.Type == CtrlBitmask:
		return Value{Int: int64(uint32(ec.value32()))}, nil // a __u32 in the __s32
	default:
		return Value{Int: int64(ec.value32())}, nil
	}
}

// SetControl sets a control (S_EXT_CTRLS). Drivers may round to the step:
// read it back for the value kept.
func (d *Device) SetControl(c Control, v Value) error {
	return d.setControl("VIDIOC_S_EXT_CTRLS", vidiocSExtCtrls, c, v)
}

// TryControl asks the driver whether it would take v (TRY_EXT_CTRLS),
// changing nothing.
func (d *Device) TryControl(c Control, v Value) error {
	return d.setControl("VIDIOC_TRY_EXT_CTRLS", vidiocTryExtCtrls, c, v)
}

func (d *Device) setControl(name string, req uintptr, c Control, v Value) error {
	var ec extControl
	var pin runtime.Pinner
	defer pin.Unpin()
	switch {
	case c.Type == CtrlString:
		buf := append([]byte(v.Str), 0)
		pin.Pin(&buf[0])
		ec.set(c.ID, uint32(len(buf)), uint64(uintptr(unsafe.Pointer(&buf[0]))))
	case c.Compound():
		if uint32(len(v.Bytes)) != c.payloadSize() || len(v.Bytes) == 0 {
			return fmt.Errorf("%s: control %s takes %d bytes, not %d", d.path, c.Name, c.payloadSize(), len(v.Bytes))
		}
		buf := v.Bytes
		pin.Pin(&buf[0])
		ec.set(c.ID, uint32(len(buf)), uint64(uintptr(unsafe.Pointer(&buf[0]))))
	default:
		ec.set(c.ID, 0, uint64(v.Int))
	}
	return d.extCtrls(name, req, c, &ec)
}

func (d *Device) extCtrls(name string, req uintptr, c Control, ec *extControl) error {
	ecs := extControls{which: whichCurVal, count: 1, controls: unsafe.Pointer(ec)}
	err := ioctl(d.fd, req, unsafe.Pointer(&ecs))
	runtime.KeepAlive(ec)
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w", d.path, name, c.Name, err)
	}
	return nil
}
