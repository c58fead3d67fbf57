package gui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/tally-app/tally/capture"
)

// Picker kinds, in the order shown.
var pickerKinds = []struct {
	name, kind string
}{
	{"Camera", capture.KindVideoInput},
	{"Microphone", capture.KindAudioInput},
	{"Screen", capture.KindDisplay},
}

// picker is the "New preview" dialog: a device of a kind, and one of its
// modes, opened with getUserMedia (or getDisplayMedia) and exact
// constraints.
type picker struct {
	u       *UI
	devices []capture.DeviceDescriptor // the last list read, all kinds

	// The open dialog's widgets; nil when closed.
	kind   *widget.RadioGroup
	device *escSelect
	mode   *escSelect
	status *widget.Label
	dlg    *dialog.ConfirmDialog
}

func newPicker(u *UI) *picker { return &picker{u: u} }

// show opens the dialog and reads the device list off the UI goroutine.
func (p *picker) show() {
	if p.u.win == nil || p.u.closed {
		return
	}
	names := make([]string, len(pickerKinds))
	for i, k := range pickerKinds {
		names[i] = k.name
	}
	p.kind = widget.NewRadioGroup(names, func(string) { p.fillDevices() })
	p.kind.Horizontal = true
	p.kind.Required = true
	p.device = newEscSelect(func(string) { p.fillModes() }, p.cancel)
	p.mode = newEscSelect(nil, p.cancel)
	p.status = widget.NewLabel("Reading devices…")
	p.status.Importance = widget.LowImportance
	form := widget.NewForm(
		widget.NewFormItem("Kind", p.kind),
		widget.NewFormItem("Device", p.device),
		widget.NewFormItem("Mode", p.mode),
		widget.NewFormItem("", p.status),
	)
	p.dlg = dialog.NewCustomConfirm("New preview", "Open", "Cancel", form, p.onConfirm, p.u.win)
	// Escape cancels, as in any dialog: through the canvas while nothing
	// has the focus, through the selects while they have it.
	c := p.u.win.Canvas()
	prevKey := c.OnTypedKey()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			p.cancel()
		} else if prevKey != nil {
			prevKey(ev)
		}
	})
	p.dlg.SetOnClosed(func() {
		p.dlg = nil
		c.SetOnTypedKey(prevKey)
	})
	p.dlg.Resize(fyne.NewSize(520, 260))
	p.kind.SetSelected(pickerKinds[0].name)
	p.dlg.Show()
	p.u.previews.tick() // hide X11 video windows under the dialog now, not at the next tick
	p.reload()
}

// cancel closes the dialog as its Cancel button does.
func (p *picker) cancel() {
	if p.dlg != nil {
		p.dlg.Hide()
	}
}

// escSelect is a Select that passes Escape to esc: a focused widget gets
// the keys, so the canvas never sees an Escape typed on it.
type escSelect struct {
	widget.Select
	esc func()
}

func newEscSelect(changed func(string), esc func()) *escSelect {
	s := &escSelect{esc: esc}
	s.OnChanged = changed
	s.ExtendBaseWidget(s)
	return s
}

func (s *escSelect) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		s.esc()
		return
	}
	s.Select.TypedKey(ev)
}

// reload reads the devices on a goroutine and fills the dialog with them.
func (p *picker) reload() {
	p.u.wg.Add(1)
	go func() {
		defer p.u.wg.Done()
		ds, err := p.u.md.Devices(p.u.ctx)
		p.u.do(func() {
			if err != nil {
				p.u.reportError("listing devices", err)
				return
			}
			p.devices = ds
			p.fillDevices()
		})
	}()
}

// devicesChanged re-reads the list when the dialog is open.
func (p *picker) devicesChanged() {
	if p.dlg != nil {
		p.reload()
	}
}

func (p *picker) selectedKind() string {
	if p.kind == nil {
		return ""
	}
	for _, k := range pickerKinds {
		if k.name == p.kind.Selected {
			return k.kind
		}
	}
	return ""
}

func (p *picker) ofKind() []capture.DeviceDescriptor {
	kind := p.selectedKind()
	var out []capture.DeviceDescriptor
	for _, d := range p.devices {
		if d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

func (p *picker) fillDevices() {
	if p.device == nil {
		return
	}
	ds := p.ofKind()
	labels := make([]string, len(ds))
	for i, d := range ds {
		labels[i] = deviceLabel(d)
	}
	p.device.Options = labels
	p.device.ClearSelected()
	if len(ds) > 0 {
		p.device.SetSelectedIndex(0)
		p.status.SetText(fmt.Sprintf("%d device(s)", len(ds)))
	} else {
		p.status.SetText("No device of this kind.")
		p.fillModes()
	}
	p.device.Refresh()
}

func deviceLabel(d capture.DeviceDescriptor) string {
	if d.Default {
		return d.Label + " (default)"
	}
	return d.Label
}

func (p *picker) selectedDevice() (capture.DeviceDescriptor, bool) {
	ds := p.ofKind()
	i := p.device.SelectedIndex()
	if i < 0 || i >= len(ds) {
		return capture.DeviceDescriptor{}, false
	}
	return ds[i], true
}

func (p *picker) fillModes() {
	if p.mode == nil {
		return
	}
	d, ok := p.selectedDevice()
	if !ok {
		p.mode.Options = nil
		p.mode.ClearSelected()
		return
	}
	// The mode the device is open in, if it is: any listed mode of the
	// same or smaller size and an integral fraction of its rate comes from
	// it by crop-and-scale, without reopening.
	var live *capture.MediaTrackSettings
	for _, s := range p.u.md.Sources() {
		if s.DeviceID == d.DeviceID {
			live = &s.Settings
		}
	}
	opts := make([]string, len(d.Modes))
	for i, m := range d.Modes {
		opts[i] = modeLabel(d.Kind, m)
		if live != nil && m.Width == live.Width && m.Height == live.Height && m.FrameRate == live.FrameRate &&
			m.SampleRate == live.SampleRate && m.ChannelCount == live.ChannelCount {
			opts[i] += " · open now"
		}
	}
	p.mode.Options = opts
	p.mode.ClearSelected()
	if len(opts) > 0 {
		p.mode.SetSelectedIndex(0)
	}
	p.mode.Refresh()
}

func modeLabel(kind string, m capture.MediaTrackSettings) string {
	tk := capture.TrackKindVideo
	if kind == capture.KindAudioInput {
		tk = capture.TrackKindAudio
	}
	s := formatSettings(tk, m)
	if m.Format != "" {
		s += " · " + m.Format
	}
	return s
}

func (p *picker) onConfirm(ok bool) {
	if !ok {
		return
	}
	d, found := p.selectedDevice()
	if !found {
		return
	}
	var mode *capture.MediaTrackSettings
	if i := p.mode.SelectedIndex(); i >= 0 && i < len(d.Modes) {
		mode = &d.Modes[i]
	}
	c := exactConstraints(d, mode)
	switch d.Kind {
	case capture.KindVideoInput:
		p.u.OpenUserMedia(capture.MediaStreamConstraints{Video: &c})
	case capture.KindAudioInput:
		p.u.OpenUserMedia(capture.MediaStreamConstraints{Audio: &c})
	case capture.KindDisplay:
		p.u.OpenDisplayMedia(capture.DisplayMediaStreamOptions{Video: &c})
	}
}

// exactConstraints asks for device d in mode (if not nil), as a web page
// would with {deviceId: {exact}, width: {exact}, ...}.
func exactConstraints(d capture.DeviceDescriptor, mode *capture.MediaTrackSettings) capture.MediaTrackConstraints {
	var c capture.MediaTrackConstraints
	c.DeviceID = &capture.ConstrainDOMString{Exact: []string{d.DeviceID}}
	if mode == nil {
		return c
	}
	exactInt := func(v int) *capture.ConstrainULong { return &capture.ConstrainULong{Exact: &v} }
	if d.Kind == capture.KindAudioInput {
		if mode.SampleRate > 0 {
			c.SampleRate = exactInt(mode.SampleRate)
		}
		if mode.ChannelCount > 0 {
			c.ChannelCount = exactInt(mode.ChannelCount)
		}
		return c
	}
	if mode.Width > 0 {
		c.Width = exactInt(mode.Width)
		c.Height = exactInt(mode.Height)
	}
	if mode.FrameRate > 0 {
		fr := mode.FrameRate
		c.FrameRate = &capture.ConstrainDouble{Exact: &fr}
	}
	return c
}
