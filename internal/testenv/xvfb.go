package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Screen geometry of every Xvfb this package starts.
const (
	XvfbWidth  = 1280
	XvfbHeight = 800
	XvfbDepth  = 24
)

// firstDisplay is where the search for a free display number starts: high
// enough to stay clear of displays that people and xvfb-run (:99) use.
// (Xvfb's own -displayfd search would start at :0.)
const firstDisplay = 100

// startTimeout bounds how long a server may take to become ready. In the
// test VM, under TCG, Xvfb alone takes about 10 s (loading Mesa's GL and
// compiling its keymap, 7-14 times slower than here), more on a busy host.
var startTimeout = func() time.Duration {
	if InVM() {
		return 2 * time.Minute
	}
	return 30 * time.Second
}()

// Xvfb is a private virtual X server.
type Xvfb struct {
	display string // ":NN"
	log     string // path of Xvfb's stderr
	p       *proc
}

// StartXvfb starts Xvfb on a free display (1280x800x24, no TCP) and stops
// it at t.Cleanup. extraArgs are passed to Xvfb, for example
// "-extension", "MIT-SHM" to turn an extension off.
func StartXvfb(t testing.TB, extraArgs ...string) *Xvfb {
	t.Helper()
	bin := lookTool(t, "Xvfb", "xvfb")
	x, err := startXvfb(bin, t.TempDir(), extraArgs)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(x.stop)
	return x
}

func startXvfb(bin, dir string, extraArgs []string) (*Xvfb, error) {
	var err error
	for n := firstDisplay; n < firstDisplay+lastDisplayTries; n++ {
		if _, statErr := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); statErr == nil {
			continue // taken, or stale: either way not ours to reuse
		}
		var x *Xvfb
		x, err = startXvfbOn(bin, dir, n, extraArgs)
		if !errors.Is(err, errDisplayInUse) {
			return x, err
		}
	}
	return nil, fmt.Errorf("no free X display in :%d to :%d: %w", firstDisplay, firstDisplay+lastDisplayTries-1, err)
}

// lastDisplayTries bounds the search for a free display.
const lastDisplayTries = 200

// errDisplayInUse means another server took the display first (e.g. a
// parallel test binary between our check and Xvfb's own lock).
var errDisplayInUse = errors.New("display in use")

func startXvfbOn(bin, dir string, n int, extraArgs []string) (*Xvfb, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("xvfb-%d.log", n))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own copy

	// Xvfb writes the display number to -displayfd once it accepts
	// connections: the readiness signal, with no polling.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	args := []string{
		":" + strconv.Itoa(n), "-displayfd", "3",
		"-screen", "0", fmt.Sprintf("%dx%dx%d", XvfbWidth, XvfbHeight, XvfbDepth),
		"-nolisten", "tcp", "-noreset",
	}
	cmd := exec.Command(bin, append(args, extraArgs...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{w}
	p, err := startProc(cmd)
	w.Close() // now only Xvfb holds the write end: its exit gives EOF
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}

	x := &Xvfb{display: ":" + strconv.Itoa(n), log: logPath, p: p}
	fail := func(format string, a ...any) (*Xvfb, error) {
		x.stop()
		log := logTail(logPath, 20)
		if strings.Contains(log, "already active") || strings.Contains(log, "server already running") {
			return nil, fmt.Errorf("%w: %s", errDisplayInUse, x.display)
		}
		return nil, fmt.Errorf("Xvfb %s: %s\n%s", strings.Join(cmd.Args[1:], " "), fmt.Sprintf(format, a...), log)
	}
	_ = r.SetReadDeadline(time.Now().Add(startTimeout))
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return fail("no display number on -displayfd: %v", err)
	}
	if got := strings.TrimSpace(line); got != strconv.Itoa(n) {
		return fail("display number %q on -displayfd, want %d", got, n)
	}

	// Belt and braces: a client must be able to connect now.
	c, err := net.DialTimeout("unix", fmt.Sprintf("/tmp/.X11-unix/X%d", n), 5*time.Second)
	if err != nil {
		return fail("display %s does not accept connections: %v", x.display, err)
	}
	c.Close()
	return x, nil
}

// stop terminates Xvfb (it removes its lock file and socket on SIGTERM) and
// waits until it is gone.
func (x *Xvfb) stop() { x.p.stop(syscall.SIGTERM, 5*time.Second) }

// Display returns the display name, like ":100".
func (x *Xvfb) Display() string { return x.display }

// Env returns the environment a client needs: just DISPLAY, since the
// server has no authorization.
func (x *Xvfb) Env() []string { return []string{"DISPLAY=" + x.display} }

// Screenshot saves the root window as an image at path (PNG for a .png
// name), using ImageMagick's import.
func (x *Xvfb) Screenshot(path string) error {
	bin, err := exec.LookPath("import")
	if err != nil {
		return fmt.Errorf("screenshot of %s: ImageMagick's import not found (install Debian package imagemagick): %w", x.display, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-display", x.display, "-window", "root", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("screenshot of %s to %s: %v: %s", x.display, path, err, strings.TrimSpace(string(out)))
	}
	return nil
}
