package gui

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"fyne.io/fyne/v2"

	"github.com/tally-app/tally/gui/x11sink"
)

// CheckDisplay says why no window can open here, before Fyne tries: Fyne
// v2.7.1's GLFW driver logs that it could not start and then panics in
// NewWindow. On Linux its windows need an X11 display (XWayland in a
// Wayland session); elsewhere there is nothing to check. It keeps its
// connection until release is called, once the window exists: an X server
// that resets when its last client leaves (Xvfb) would otherwise refuse
// the connections that follow this check for a moment.
func CheckDisplay() (release func(), err error) {
	if runtime.GOOS != "linux" {
		return func() {}, nil
	}
	d := os.Getenv("DISPLAY")
	if d == "" {
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			return nil, errors.New("no X11 display: DISPLAY is not set in this Wayland session, and Tally's window needs X11 (XWayland)")
		}
		return nil, errors.New("no display: DISPLAY is not set; start Tally in a desktop session, or under a private Xvfb with TALLY_XVFB=1 bash scripts/run.sh")
	}
	release, err = x11sink.Hold(d)
	if err != nil {
		return nil, fmt.Errorf("cannot open the X display %s: %w", d, err)
	}
	return release, nil
}

// NewWindow is a.NewWindow, with the panic Fyne raises when its driver
// could not start (the display went away after CheckDisplay) returned as
// an error.
func NewWindow(a fyne.App, title string) (w fyne.Window, err error) {
	defer func() {
		if r := recover(); r != nil {
			w, err = nil, fmt.Errorf("the window could not be created (is the display %q reachable?): %v", os.Getenv("DISPLAY"), r)
		}
	}()
	return a.NewWindow(title), nil
}
