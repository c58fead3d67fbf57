package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/holders"
	"github.com/tally-app/tally/internal/testenv"
)

// TestVM boots the test VM once with one vivid camera and runs the TestVM_
// tests there: tally's commands and window against a real V4L2 driver.
func TestVM(t *testing.T) {
	// The window is slow under TCG: about 2 minutes from start to preview.
	testenv.RunTestsInVM(t, "^TestVM_", testenv.VMOptions{Vivid: "n_devs=1 node_types=0x1", Timeout: 8 * time.Minute})
}

// tallyArgsEnv carries the arguments for TestMain's tally, as a JSON list.
const tallyArgsEnv = "TALLY_TEST_MAIN_ARGS"

// TestMain makes the test binary the tally command when tally() runs it
// with tallyArgsEnv set, so the VM needs no other binary. That must happen
// here, on the main goroutine: Fyne's window runs only on the main thread.
func TestMain(m *testing.M) {
	if js, ok := os.LookupEnv(tallyArgsEnv); ok {
		var args []string
		if err := json.Unmarshal([]byte(js), &args); err != nil {
			fmt.Fprintf(os.Stderr, "%s=%q: %v\n", tallyArgsEnv, js, err)
			os.Exit(2)
		}
		os.Args = append([]string{"tally"}, args...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tally returns a command that runs this test binary as `tally args...`.
func tally(ctx context.Context, args ...string) *exec.Cmd {
	js, _ := json.Marshal(append([]string{}, args...)) // strings always marshal
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), tallyArgsEnv+"="+string(js))
	return cmd
}

// tallyOutput runs `tally args...` and returns its stdout; the test fails
// when it fails.
func tallyOutput(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := tally(ctx, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tally %s: %v\nstderr:\n%s", strings.Join(args, " "), err, &stderr)
	}
	return stdout.Bytes()
}

func TestVM_DevicesJSONListsVividAsDefault(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestVM")
	out := tallyOutput(t, "devices", "--json")
	var devs []capture.DeviceDescriptor
	if err := json.Unmarshal(out, &devs); err != nil {
		t.Fatalf("tally devices --json is not a list of devices: %v\n%s", err, out)
	}
	var vivid *capture.DeviceDescriptor
	for i, d := range devs {
		if d.Kind == capture.KindVideoInput && d.Path == "/dev/video0" {
			vivid = &devs[i]
		}
	}
	if vivid == nil {
		t.Fatalf("tally devices --json lists no camera at /dev/video0:\n%s", out)
	}
	if !vivid.Default {
		t.Errorf("the vivid camera %q is not the default camera", vivid.Label)
	}
	found640 := false
	for _, m := range vivid.Modes {
		found640 = found640 || m.Width == 640 && m.Height == 480
	}
	if !found640 {
		t.Errorf("the vivid camera lists no 640x480 mode: %+v", vivid.Modes)
	}
	for _, d := range devs {
		if d.Kind == capture.KindVideoInput && d.Default && d.Path != "/dev/video0" {
			t.Errorf("another camera, %q at %s, is also flagged default", d.Label, d.Path)
		}
	}
}

// streamBeside starts v4l2-ctl streaming from node, stopped at cleanup.
func streamBeside(t *testing.T, node string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("v4l2-ctl")
	if err != nil {
		t.Fatalf("v4l2-ctl not found (Debian package v4l-utils): %v", err)
	}
	cmd := exec.Command(bin, "-d", node, "--stream-mmap")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// waitForHolder scans who holds node until pid streams from it, or gives up
// after timeout.
func waitForHolder(node string, pid int, timeout time.Duration) (holders.Holder, error) {
	s := &holders.Scanner{Paths: []string{node}}
	deadline := time.Now().Add(timeout)
	for {
		snap, err := s.Holders(context.Background())
		if err != nil {
			return holders.Holder{}, fmt.Errorf("scanning %s: %w", node, err)
		}
		if d, ok := snap.Device(node); ok {
			for _, h := range d.Holders {
				if h.PID == pid && h.Streaming {
					return h, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return holders.Holder{}, fmt.Errorf("pid %d does not stream from %s after %v: %+v", pid, node, timeout, snap)
		}
		time.Sleep(200 * time.Millisecond) // no event says a process mapped a node
	}
}

func TestVM_HoldersJSONNamesAStreamingProgram(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestVM")
	v := streamBeside(t, "/dev/video0")
	if _, err := waitForHolder("/dev/video0", v.Process.Pid, time.Minute); err != nil {
		t.Fatal(err)
	}

	out := tallyOutput(t, "holders", "--json")
	var snap holders.Snapshot
	if err := json.Unmarshal(out, &snap); err != nil {
		t.Fatalf("tally holders --json is not a snapshot: %v\n%s", err, out)
	}
	d, ok := snap.Device("/dev/video0")
	if !ok {
		t.Fatalf("tally holders --json lists no /dev/video0:\n%s", out)
	}
	for _, h := range d.Holders {
		if h.PID == v.Process.Pid {
			if h.Name != "v4l2-ctl" || !h.Streaming || h.Via != holders.ViaFD {
				t.Errorf("v4l2-ctl's entry: %+v, want name v4l2-ctl, streaming, via fd", h)
			}
			return
		}
	}
	t.Errorf("tally holders --json does not name v4l2-ctl (pid %d) as a holder of /dev/video0:\n%s", v.Process.Pid, out)
}

// The window opens the default camera, vivid, and previews it: tally's
// process streams from /dev/video0, and the screenshot (an artifact, out/
// under scripts/test.sh) shows vivid's colour bars.
func TestVM_WindowPreviewsVivid(t *testing.T) {
	testenv.SkipUnlessInVM(t, "TestVM")
	x := testenv.StartXvfb(t)
	logPath := testenv.Artifact(t, "tally.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	cmd := tally(ctx)
	cmd.Env = append(cmd.Env, x.Env()...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := false
	defer func() {
		if !waited {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	// Under TCG the window takes a minute or more to open the camera (GL
	// set-up in Mesa's software renderer), and the preview another minute.
	if _, err := waitForHolder("/dev/video0", cmd.Process.Pid, 3*time.Minute); err != nil {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("the window does not preview vivid: %v; tally's log:\n%s", err, b)
	}

	// The preview is drawn some time after streaming starts: take
	// screenshots until vivid's bars show. Under TCG's slow main loop this
	// once took minutes, while the UI's ticks piled up in Fyne's queue ahead
	// of the getUserMedia result; the ticker now keeps one queued.
	shot := testenv.Artifact(t, "window.png")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := x.Screenshot(shot); err != nil {
			t.Fatal(err)
		}
		n, err := barPixels(shot)
		if err != nil {
			t.Fatal(err)
		}
		if n > 5000 {
			t.Logf("screenshot %s: %d pixels of vivid's yellow and cyan bars", shot, n)
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Errorf("no preview of vivid in the window 2 minutes after it opened the camera (%d bar pixels); screenshot %s; tally's log:\n%s", n, shot, b)
			break
		}
		time.Sleep(2 * time.Second)
	}

	// The X11 child window shows frames before Fyne, painting in software
	// under TCG, has drawn the panels around it: for people (docs/), a
	// second picture once the window has logged its preview.
	settled := testenv.Artifact(t, "window-settled.png")
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(2 * time.Second) {
		if b, _ := os.ReadFile(logPath); strings.Contains(string(b), "preview 1: video track") {
			time.Sleep(5 * time.Second)
			if err := x.Screenshot(settled); err != nil {
				t.Fatal(err)
			}
			break
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		waited = true
		if err != nil {
			b, _ := os.ReadFile(logPath)
			t.Errorf("tally exited on SIGTERM with %v; its log:\n%s", err, b)
		}
	case <-time.After(time.Minute):
		t.Errorf("tally did not exit within a minute of SIGTERM")
	}
}

// barPixels counts the screenshot's pixels of the colours of vivid's 75%
// colour bars that are no grey: yellow (high red and green, low blue) and
// cyan (high green and blue, low red), whatever range they are drawn in.
func barPixels(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return 0, err
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			n += isBar(img, x, y)
		}
	}
	return n, nil
}

func isBar(img image.Image, x, y int) int {
	r, g, b, _ := img.At(x, y).RGBA()
	r, g, b = r>>8, g>>8, b>>8
	if (r > 150 && g > 150 && b < 60) || (r < 60 && g > 150 && b > 150) {
		return 1
	}
	return 0
}
