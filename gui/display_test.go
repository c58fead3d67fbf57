package gui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/tally-app/tally/internal/testenv"
)

// Without a reachable display the app says so, instead of Fyne panicking
// in NewWindow.
func TestCheckDisplay(t *testing.T) {
	for _, tc := range []struct {
		name, display, wayland, want string
	}{
		{"no display", "", "", "DISPLAY is not set; start Tally in a desktop session"},
		{"Wayland without XWayland", "", "wayland-0", "needs X11 (XWayland)"},
		{"no such server", ":231", "", "cannot open the X display :231: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DISPLAY", tc.display)
			t.Setenv("WAYLAND_DISPLAY", tc.wayland)
			release, err := CheckDisplay()
			if err == nil || !strings.Contains(err.Error(), tc.want) || release != nil {
				t.Errorf("CheckDisplay() = %v, want an error with %q", err, tc.want)
			}
		})
	}
	t.Run("Xvfb", func(t *testing.T) {
		x := testenv.StartXvfb(t)
		t.Setenv("DISPLAY", x.Display())
		release, err := CheckDisplay()
		if err != nil {
			t.Fatalf("CheckDisplay() with a running X server: %v", err)
		}
		release()
		release() // twice is harmless
	})
}

// panickingApp is an app whose driver could not start.
type panickingApp struct{ fyne.App }

func (panickingApp) NewWindow(string) fyne.Window {
	panic("NotInitialized: The GLFW library is not initialized")
}

func TestNewWindowReturnsFynesPanic(t *testing.T) {
	t.Setenv("DISPLAY", ":231")
	w, err := NewWindow(panickingApp{}, "Tally")
	if w != nil || err == nil {
		t.Fatalf("NewWindow = %v, %v; want an error", w, err)
	}
	for _, want := range []string{`display ":231"`, "GLFW library is not initialized"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
