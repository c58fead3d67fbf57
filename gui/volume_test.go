package gui

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/mic"
	"github.com/tally-app/tally/capture/synthetic"
	"github.com/tally-app/tally/internal/testenv"
)

// testVolumes adapts the real microphone backend, as package main does.
type testVolumes struct{ *mic.Backend }

func (m testVolumes) OnVolumeChange(f func(VolumeState)) func() {
	return m.Backend.OnVolumeChange(func(c mic.VolumeChange) { f(VolumeState(c)) })
}

// The volume slider and mute switch of the test server's virtual
// microphone: set from the window they reach the server; set with pactl
// they reach the window, through the server's events.
func TestVolumeControlFollowsServer(t *testing.T) {
	pa := testenv.StartPulse(t)
	pa.Setenv(t)
	mb, err := mic.New()
	if err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	md := capture.NewMediaDevices(mb, synthetic.New())
	q := newUIQueue()
	w := a.NewWindow("Tally test")
	u := newUI(a, w, md, Options{Volumes: testVolumes{mb}}, q.do)
	w.SetContent(u.Content())
	w.Resize(fyne.NewSize(960, 640))
	t.Cleanup(func() {
		u.Close()
		if err := md.Close(); err != nil {
			t.Errorf("MediaDevices.Close: %v", err)
		}
		q.drain()
		w.Close()
	})
	pactl := func(args ...string) string {
		t.Helper()
		out, err := pa.Pactl(args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	pactl("set-source-volume", testenv.VirtualMic, "80%")

	id := mic.IDPrefix + testenv.VirtualMic
	var c capture.MediaStreamConstraints
	if err := json.Unmarshal([]byte(`{"audio": {"deviceId": {"exact": "`+id+`"}}}`), &c); err != nil {
		t.Fatal(err)
	}
	u.OpenUserMedia(c)
	var vc *volumeControl
	q.until(t, "the microphone's volume control shows 80 %", func() bool {
		for _, m := range u.meters.meters {
			vc = m.vol
		}
		return vc != nil && vc.row.Visible() && math.Abs(vc.slider.Value-0.8) < 0.005 && !vc.mute.Checked
	})

	// From outside: pactl.
	pactl("set-source-volume", testenv.VirtualMic, "30%")
	q.until(t, "the slider follows pactl to 30 %", func() bool { return math.Abs(vc.slider.Value-0.3) < 0.005 })
	pactl("set-source-mute", testenv.VirtualMic, "1")
	q.until(t, "the switch follows pactl to muted", func() bool { return vc.mute.Checked })

	// From the window: the switch, then the slider as a drag ends.
	test.Tap(vc.mute)
	q.until(t, "the server is unmuted", func() bool { return pactl("get-source-mute", testenv.VirtualMic) == "Mute: no" })
	vc.slider.SetValue(0.55)
	vc.slider.OnChangeEnded(0.55)
	q.until(t, "the server is at 55 %", func() bool {
		return strings.Contains(pactl("get-source-volume", testenv.VirtualMic), " 55%")
	})
}

// The synthetic microphone has no volume control: no row is shown.
func TestNoVolumeControlForSyntheticMic(t *testing.T) {
	mb, err := mic.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mb.Close() })
	f := newFixture(t, Options{Volumes: testVolumes{mb}})
	f.u.OpenUserMedia(capture.MediaStreamConstraints{Audio: &capture.MediaTrackConstraints{}})
	f.q.until(t, "a meter starts", func() bool { return len(f.u.meters.meters) == 1 })
	for _, m := range f.u.meters.meters {
		f.q.drain()
		if m.vol == nil || m.vol.row.Visible() {
			t.Errorf("synthetic microphone: volume row %+v shown", m.vol)
		}
	}
}
