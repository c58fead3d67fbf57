package gui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// MicVolumes sets and follows microphones' volume and mute, per device (the
// audio server's, shared by every track of the device). capture/mic's
// backend is one, through a small adapter in package main.
type MicVolumes interface {
	Volume(ctx context.Context, deviceID string) (float64, error)
	Muted(ctx context.Context, deviceID string) (bool, error)
	SetVolume(ctx context.Context, deviceID string, v float64) error
	SetMuted(ctx context.Context, deviceID string, muted bool) error
	// OnVolumeChange calls f for every change, whoever made it, from any
	// goroutine.
	OnVolumeChange(f func(VolumeState)) (cancel func())
}

// VolumeState is a microphone's volume (0..1) and mute; Available is false
// while its controls are gone (the audio server died, the source went).
type VolumeState struct {
	DeviceID  string
	Volume    float64
	Muted     bool
	Available bool
}

// volumeTimeout bounds one call to the audio server from the window.
const volumeTimeout = 3 * time.Second

// volumeControl is the slider and mute switch beside a microphone's meter.
type volumeControl struct {
	deviceID string
	slider   *widget.Slider
	mute     *widget.Check
	value    *widget.Label
	row      *fyne.Container
	syncing  bool // applying the server's state: do not send it back
}

// watchVolumes keeps every volume control in step with the server's events;
// its cancel func goes to u.unsub.
func (u *UI) watchVolumes() []func() {
	if u.opts.Volumes == nil {
		return nil
	}
	return []func(){u.opts.Volumes.OnVolumeChange(func(s VolumeState) {
		u.do(func() {
			if u.closed {
				return
			}
			for _, m := range u.meters.meters {
				if m.vol != nil && m.vol.deviceID == s.DeviceID {
					m.vol.apply(s)
				}
			}
		})
	})}
}

// addVolume puts a volume control under m's meter, hidden until the device
// proves to have one (the synthetic microphone has none).
func (u *UI) addVolume(m *levelMeter) {
	if u.opts.Volumes == nil {
		return
	}
	vc := &volumeControl{deviceID: m.t.GetSettings().DeviceID}
	vc.slider = widget.NewSlider(0, 1)
	vc.slider.Step = 0.01
	vc.value = widget.NewLabel("")
	vc.mute = widget.NewCheck("Mute", nil)
	vc.slider.OnChanged = func(v float64) { vc.value.SetText(fmt.Sprintf("%3.0f %%", v*100)) }
	vc.slider.OnChangeEnded = func(v float64) {
		if !vc.syncing {
			u.volumeCall("volume", vc.deviceID, func(ctx context.Context) error {
				return u.opts.Volumes.SetVolume(ctx, vc.deviceID, v)
			})
		}
	}
	vc.mute.OnChanged = func(on bool) {
		if !vc.syncing {
			u.volumeCall("mute", vc.deviceID, func(ctx context.Context) error {
				return u.opts.Volumes.SetMuted(ctx, vc.deviceID, on)
			})
		}
	}
	label := widget.NewLabel("Volume")
	vc.row = container.NewBorder(nil, nil, label, container.NewHBox(vc.value, vc.mute), vc.slider)
	vc.row.Hide()
	m.vol = vc
	m.object = container.NewVBox(m.object, vc.row)

	// The first state comes from a query, off the UI goroutine.
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		ctx, cancel := context.WithTimeout(u.ctx, volumeTimeout)
		defer cancel()
		v, err := u.opts.Volumes.Volume(ctx, vc.deviceID)
		if err != nil {
			return // no controls for this device
		}
		muted, err := u.opts.Volumes.Muted(ctx, vc.deviceID)
		if err != nil {
			return
		}
		u.do(func() { vc.apply(VolumeState{DeviceID: vc.deviceID, Volume: v, Muted: muted, Available: true}) })
	}()
}

// volumeCall runs a set off the UI goroutine and logs its failure.
func (u *UI) volumeCall(what, deviceID string, f func(context.Context) error) {
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		ctx, cancel := context.WithTimeout(u.ctx, volumeTimeout)
		defer cancel()
		if err := f(ctx); err != nil {
			u.do(func() {
				if !u.closed {
					u.events.add(evError, "setting the %s of %s: %v", what, deviceID, err)
				}
			})
		}
	}()
}

// apply shows the server's state.
func (vc *volumeControl) apply(s VolumeState) {
	vc.syncing = true
	defer func() { vc.syncing = false }()
	vc.row.Show()
	if !s.Available {
		vc.slider.Disable()
		vc.mute.Disable()
		vc.value.SetText("unavailable")
		return
	}
	vc.slider.Enable()
	vc.mute.Enable()
	vc.slider.SetValue(min(s.Volume, 1))
	vc.value.SetText(fmt.Sprintf("%3.0f %%", s.Volume*100))
	vc.mute.SetChecked(s.Muted)
}
