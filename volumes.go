package main

import (
	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/mic"
	"github.com/tally-app/tally/gui"
)

// micVolumes gives the window the microphone backend's volume and mute;
// gui does not import backends, so the change type is converted here.
type micVolumes struct{ *mic.Backend }

func (m micVolumes) OnVolumeChange(f func(gui.VolumeState)) (cancel func()) {
	return m.Backend.OnVolumeChange(func(c mic.VolumeChange) { f(gui.VolumeState(c)) })
}

// volumesOf returns the microphone backend among bs as gui.MicVolumes, or
// nil when there is none.
func volumesOf(bs []capture.Backend) gui.MicVolumes {
	for _, b := range bs {
		if m, ok := b.(*mic.Backend); ok {
			return micVolumes{m}
		}
	}
	return nil
}
