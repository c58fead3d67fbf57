package gui_test

// The microphone's mute switch in the real window under Xvfb, with the
// test PulseAudio: pactl mutes and the switch shows it (the server's event
// reached the window); a click on the switch unmutes the server.

import (
	"image"
	"image/color"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/tally-app/tally/internal/testenv"
)

// checkBlue is Fyne's dark theme primary colour, the fill of a checked box.
var checkBlue = color.RGBA{R: 41, G: 111, B: 246, A: 0xff}

// audioCard is where the window (1280×800) puts the Audio card's meter and
// volume row; nothing else blue is there.
var audioCard = image.Rect(770, 380, 1280, 540)

func TestX11MuteSwitch(t *testing.T) {
	bin := buildTally(t)
	x := testenv.StartXvfb(t)
	pa := testenv.StartPulse(t)
	pactl := func(args ...string) string {
		t.Helper()
		out, err := pa.Pactl(args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	pactl("set-source-mute", testenv.VirtualMic, "0")
	pactl("set-source-volume", testenv.VirtualMic, "80%")

	app := &tally{done: make(chan struct{})}
	app.cmd = exec.Command(bin, "--video-sink", "gl")
	app.cmd.Env = append(append(append(os.Environ(), x.Env()...), pa.Env()...), "WAYLAND_DISPLAY=")
	app.cmd.Stdout, app.cmd.Stderr = app, app
	app.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := app.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		app.err = app.cmd.Wait()
		close(app.done)
	}()
	t.Cleanup(func() {
		select {
		case <-app.done:
		default:
			_ = app.cmd.Process.Kill()
			<-app.done
		}
		if t.Failed() {
			t.Logf("tally's log:\n%s", app.log())
		}
	})

	d := dial(t, x)
	win := d.waitTallyWindow(t)
	poll(t, "the microphone track", func() bool { return app.logHas("from VirtualMic") })

	pactl("set-source-mute", testenv.VirtualMic, "1")
	var box image.Rectangle
	d.pollShot(t, "mute-not-shown.png", "the switch to show pactl's mute", func() bool {
		var ok bool
		box, ok = colourBox(d.grab(t), audioCard, checkBlue, 20)
		return ok
	})
	t.Logf("mute switch at %v; screenshot %s", box, d.save(t, x, "mute-switch-on.png"))

	c := box.Min.Add(box.Max).Div(2)
	d.click(t, c.X, c.Y)
	poll(t, "the server to be unmuted by the click", func() bool {
		return pactl("get-source-mute", testenv.VirtualMic) == "Mute: no"
	})
	d.pollShot(t, "mute-still-shown.png", "the switch to show unmuted", func() bool {
		_, ok := colourBox(d.grab(t), audioCard, checkBlue, 20)
		return !ok
	})
	d.deleteWindow(t, win)
	app.waitExit(t)
}
