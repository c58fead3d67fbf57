//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/camera/internal/v4l2"
)

// Controls are one camera's controls, on a descriptor of their own: they
// work whether or not the camera streams (in Tally or elsewhere), and
// changes made there — by v4l2-ctl, another app, or an automatic mode —
// reach OnChange live, through the driver's V4L2_EVENT_CTRL. Controls are
// per device, not per track: the value last set, from anywhere, is every
// track's. Close releases the descriptor.
type Controls struct {
	deviceID string
	dev      *v4l2.Device

	mu        sync.Mutex
	byID      map[uint32]v4l2.Control // the controls as last queried
	order     []uint32
	listeners map[int]func(ControlInfo)
	nextL     int
	watch     *v4l2.ControlWatch
	closed    bool
}

// Controls opens the controls of the camera with the given device id.
func (b *Backend) Controls(deviceID string) (*Controls, error) {
	if !strings.HasPrefix(deviceID, IDPrefix) {
		return nil, capture.NewError(capture.ErrNotFound, nil, "%q is not a camera of this backend", deviceID)
	}
	cam, ok, err := b.find(deviceID)
	if err != nil {
		return nil, capture.NewError(capture.ErrNotReadable, err, "listing cameras to reach %q's controls", deviceID)
	}
	if !ok || cam.Path == "" {
		return nil, capture.NewError(capture.ErrNotFound, nil, "no camera %q", deviceID)
	}
	dev, err := v4l2.Open(cam.Path)
	if err != nil {
		return nil, capture.NewError(capture.ErrNotReadable, err, "camera %q (%s): opening for its controls", cam.Label, deviceID)
	}
	c := &Controls{deviceID: deviceID, dev: dev, listeners: make(map[int]func(ControlInfo))}
	if err := c.query(); err != nil {
		dev.Close()
		return nil, err
	}
	return c, nil
}

func (c *Controls) query() error {
	list, err := c.dev.Controls()
	if err != nil {
		return fmt.Errorf("camera %s: listing controls: %w", c.deviceID, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID = make(map[uint32]v4l2.Control, len(list))
	c.order = c.order[:0]
	for _, k := range list {
		c.byID[k.ID] = k
		c.order = append(c.order, k.ID)
	}
	return nil
}

func info(k v4l2.Control) ControlInfo {
	ci := ControlInfo{
		Name: k.Name, Label: k.Label, ID: k.ID, Type: k.Type.String(),
		Min: k.Min, Max: k.Max, Step: int64(k.Step), Default: k.Default, Flags: v4l2.FlagNames(k.Flags),
	}
	for _, it := range k.Menu {
		ci.Menu = append(ci.Menu, MenuItem{Index: int64(it.Index), Name: it.Name, Value: it.Value})
	}
	return ci
}

// List returns every control (class headings left out) with its current
// value and flags, queried afresh: flags such as inactive change with
// other controls.
func (c *Controls) List() ([]ControlInfo, error) {
	if err := c.query(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	ks := make([]v4l2.Control, 0, len(c.order))
	for _, id := range c.order {
		ks = append(ks, c.byID[id])
	}
	c.mu.Unlock()
	out := make([]ControlInfo, 0, len(ks))
	for _, k := range ks {
		ci := info(k)
		if k.Readable() {
			v, err := c.dev.GetControl(k)
			if err != nil {
				return nil, fmt.Errorf("camera %s: reading %s: %w", c.deviceID, k.Name, err)
			}
			ci.Value, ci.Str, ci.Payload = v.Int, v.Str, v.Bytes
		}
		out = append(out, ci)
	}
	return out, nil
}

// Get returns one control by its v4l2-ctl name, described and read afresh.
func (c *Controls) Get(name string) (ControlInfo, error) {
	c.mu.Lock()
	var id uint32
	found := false
	list := make([]ControlInfo, 0, len(c.order))
	for _, kid := range c.order {
		k := c.byID[kid]
		if k.Name == name {
			id, found = kid, true
		}
		list = append(list, info(k))
	}
	c.mu.Unlock()
	if !found {
		_, err := findControl(list, name) // the error lists the names
		return ControlInfo{}, fmt.Errorf("camera %s: %w", c.deviceID, err)
	}
	k, err := c.dev.QueryControl(id)
	if err != nil {
		return ControlInfo{}, fmt.Errorf("camera %s: %w", c.deviceID, err)
	}
	c.mu.Lock()
	c.byID[id] = k
	c.mu.Unlock()
	ci := info(k)
	if k.Readable() {
		v, err := c.dev.GetControl(k)
		if err != nil {
			return ControlInfo{}, fmt.Errorf("camera %s: reading %s: %w", c.deviceID, k.Name, err)
		}
		ci.Value, ci.Str, ci.Payload = v.Int, v.Str, v.Bytes
	}
	return ci, nil
}

// Check says whether text is a value the named control takes (see
// ControlInfo.ParseValue), asking the driver too (TRY_EXT_CTRLS), without
// changing anything.
func (c *Controls) Check(name, text string) (ControlInfo, ControlValue, error) {
	ci, err := c.Get(name)
	if err != nil {
		return ControlInfo{}, ControlValue{}, err
	}
	v, err := ci.ParseValue(text)
	if err != nil {
		return ci, ControlValue{}, fmt.Errorf("camera %s: %w", c.deviceID, err)
	}
	if ci.Type == "button" {
		return ci, v, nil // trying a button would not press it, but says nothing either
	}
	c.mu.Lock()
	k := c.byID[ci.ID]
	c.mu.Unlock()
	if err := c.dev.TryControl(k, v4l2.Value{Int: v.Int, Str: v.Str}); err != nil {
		return ci, ControlValue{}, fmt.Errorf("camera %s: the driver refuses %s=%s (it takes %s): %w", c.deviceID, name, text, ci.rangeText(), err)
	}
	return ci, v, nil
}

// SetText sets the named control from text (see ControlInfo.ParseValue).
// A bad name or value is an error naming the control and what it takes;
// nothing changes then.
func (c *Controls) SetText(name, text string) error {
	ci, v, err := c.Check(name, text)
	if err != nil {
		return err
	}
	return c.set(ci, v)
}

// Set sets the named integer, boolean (0/1), menu (the index), bitmask or
// button control, checked against its range first.
func (c *Controls) Set(name string, value int64) error {
	ci, err := c.Get(name)
	if err != nil {
		return err
	}
	v, err := ci.CheckValue(value)
	if err != nil {
		return fmt.Errorf("camera %s: %w", c.deviceID, err)
	}
	return c.set(ci, v)
}

func (c *Controls) set(ci ControlInfo, v ControlValue) error {
	c.mu.Lock()
	k := c.byID[ci.ID]
	c.mu.Unlock()
	if err := c.dev.SetControl(k, v4l2.Value{Int: v.Int, Str: v.Str}); err != nil {
		return fmt.Errorf("camera %s: setting %s: %w", c.deviceID, ci.Name, err)
	}
	return nil
}

// OnChange calls f with a control each time its value, flags or range
// changes — set here, by another program or by the driver itself — in the
// order the driver reports them, from one goroutine (f must not call
// Close). The control's Value is the new one (not filled for strings and
// compound controls). cancel stops the calls.
func (c *Controls) OnChange(f func(ControlInfo)) (cancel func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("camera " + c.deviceID + ": controls closed")
	}
	if c.watch == nil {
		w, err := c.dev.WatchControls(append([]uint32(nil), c.order...), c.deliver)
		if err != nil {
			return nil, fmt.Errorf("camera %s: watching controls: %w", c.deviceID, err)
		}
		c.watch = w
	}
	n := c.nextL
	c.nextL++
	c.listeners[n] = f
	return func() {
		c.mu.Lock()
		delete(c.listeners, n)
		c.mu.Unlock()
	}, nil
}

func (c *Controls) deliver(ev v4l2.CtrlEvent) {
	c.mu.Lock()
	k, ok := c.byID[ev.ID]
	if ok {
		k.Flags = ev.Flags
		if ev.Changes&v4l2.ChangeRange != 0 && k.Type != v4l2.CtrlInteger64 {
			k.Min, k.Max, k.Step, k.Default = int64(ev.Min), int64(ev.Max), uint64(ev.Step), int64(ev.Default)
		}
		c.byID[ev.ID] = k
	}
	fs := make([]func(ControlInfo), 0, len(c.listeners))
	for _, f := range c.listeners {
		fs = append(fs, f)
	}
	c.mu.Unlock()
	if !ok {
		return
	}
	ci := info(k)
	ci.Value = ev.Value
	for _, f := range fs {
		f(ci)
	}
}

// Close stops the change calls, waiting for one in progress, and closes
// the descriptor.
func (c *Controls) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	w := c.watch
	c.watch = nil
	c.mu.Unlock()
	var werr error
	if w != nil {
		werr = w.Close()
	}
	return errors.Join(werr, c.dev.Close())
}
