package testenv

import (
	"errors"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// gone reports whether no process with this pid exists any more (it was
// reaped, not just a zombie).
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// privateDisplay returns a display number outside StartXvfb's range that
// differs between concurrent copies of this test binary.
func privateDisplay(k int) int {
	return firstDisplay + lastDisplayTries + 10*(os.Getpid()%2000) + k
}

func xdpyinfo(t *testing.T, x *Xvfb) string {
	t.Helper()
	bin := lookTool(t, "xdpyinfo", "x11-utils")
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), x.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdpyinfo on %s: %v\n%s", x.Display(), err, out)
	}
	return string(out)
}

func TestXvfbAcceptsClientsAndScreenshots(t *testing.T) {
	x := StartXvfb(t)
	if !strings.HasPrefix(x.Display(), ":") {
		t.Fatalf("Display() = %q, want \":NN\"", x.Display())
	}
	info := xdpyinfo(t, x)
	if !strings.Contains(info, "dimensions:    1280x800 pixels") {
		t.Errorf("xdpyinfo does not report a 1280x800 screen:\n%s", info)
	}
	if !strings.Contains(info, "MIT-SHM") {
		t.Errorf("default Xvfb lacks MIT-SHM:\n%s", info)
	}

	lookTool(t, "import", "imagemagick")
	path := filepath.Join(t.TempDir(), "root.png")
	if err := x.Screenshot(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if cfg.Width != XvfbWidth || cfg.Height != XvfbHeight {
		t.Errorf("screenshot is %dx%d, want %dx%d", cfg.Width, cfg.Height, XvfbWidth, XvfbHeight)
	}
}

func TestXvfbExtraArgs(t *testing.T) {
	x := StartXvfb(t, "-extension", "MIT-SHM")
	if info := xdpyinfo(t, x); strings.Contains(info, "MIT-SHM") {
		t.Errorf("MIT-SHM still listed after -extension MIT-SHM:\n%s", info)
	}
}

func TestXvfbDisplaysAreDistinct(t *testing.T) {
	a, b := StartXvfb(t), StartXvfb(t)
	if a.Display() == b.Display() {
		t.Fatalf("two servers on the same display %s", a.Display())
	}
}

func TestXvfbStopLeavesNothing(t *testing.T) {
	var x *Xvfb
	t.Run("start", func(t *testing.T) { x = StartXvfb(t) })
	if x == nil {
		t.Fatal("subtest did not start Xvfb")
	}
	// The subtest's cleanup has run.
	if pid := x.p.cmd.Process.Pid; !gone(pid) {
		t.Errorf("Xvfb pid %d still exists after cleanup", pid)
	}
	// Another test binary may have taken the display since: only a lock
	// file naming our pid is ours.
	n := strings.TrimPrefix(x.Display(), ":")
	if lock, err := os.ReadFile("/tmp/.X" + n + "-lock"); err == nil && strings.TrimSpace(string(lock)) == strconv.Itoa(x.p.cmd.Process.Pid) {
		t.Errorf("lock file of :%s still names our stopped Xvfb", n)
	}

	// On a display of our own, outside StartXvfb's range, no other server
	// can appear, so both files must be gone.
	m := privateDisplay(3)
	x, err := startXvfbOn(x.p.cmd.Path, t.TempDir(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	x.stop()
	for _, f := range []string{"/tmp/.X11-unix/X" + strconv.Itoa(m), "/tmp/.X" + strconv.Itoa(m) + "-lock"} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (stat: %v)", f, err)
		}
	}
}

func TestXvfbBadArgsFailsWithLog(t *testing.T) {
	bin := lookTool(t, "Xvfb", "xvfb")
	_, err := startXvfb(bin, t.TempDir(), []string{"-no-such-option"})
	if err == nil {
		t.Fatal("Xvfb with a bad option started")
	}
	if !strings.Contains(err.Error(), "-no-such-option") {
		t.Errorf("error does not show what Xvfb said:\n%v", err)
	}
}

func TestPulseVirtmicKillRestart(t *testing.T) {
	p := StartPulse(t)
	server := p.Server()
	if !strings.HasPrefix(server, "unix:") || !strings.HasSuffix(server, "/native") {
		t.Errorf("Server() = %q, want unix:…/native", server)
	}
	sources := func() string {
		t.Helper()
		out, err := p.Pactl("list", "short", "sources")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := sources(); !strings.Contains(out, VirtualMic) || !strings.Contains(out, ProbeSink+".monitor") {
		t.Fatalf("sources lack %s or %s.monitor:\n%s", VirtualMic, ProbeSink, out)
	}

	pid := p.p.cmd.Process.Pid
	p.Kill()
	if !gone(pid) {
		t.Fatalf("pulseaudio pid %d still exists after Kill", pid)
	}
	if out, err := p.Pactl("info"); err == nil {
		t.Fatalf("pactl info succeeded after Kill (autospawn?):\n%s", out)
	}
	p.Kill() // killing a dead server is a no-op

	p.Restart()
	if p.Server() != server {
		t.Errorf("server moved from %s to %s", server, p.Server())
	}
	if out := sources(); !strings.Contains(out, VirtualMic) {
		t.Fatalf("after Restart, sources lack %s:\n%s", VirtualMic, out)
	}
	if p.p.cmd.Process.Pid == pid {
		t.Errorf("Restart did not start a new process")
	}
}

func TestPulseEnvReachesChildProcesses(t *testing.T) {
	p := StartPulse(t)
	pactl := lookTool(t, "pactl", "pulseaudio-utils")
	cmd := exec.Command(pactl, "get-default-source")
	cmd.Env = append(os.Environ(), p.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != VirtualMic {
		t.Fatalf("pactl get-default-source with Env() = %q, %v; want %s", out, err, VirtualMic)
	}

	t.Run("Setenv", func(t *testing.T) {
		p.Setenv(t)
		if got := os.Getenv("PULSE_SERVER"); got != p.Server() {
			t.Errorf("PULSE_SERVER = %q, want %q", got, p.Server())
		}
	})
}

func TestPulseCleanupLeavesNothing(t *testing.T) {
	var p *Pulse
	t.Run("start", func(t *testing.T) { p = StartPulse(t) })
	if p == nil {
		t.Fatal("subtest did not start PulseAudio")
	}
	if pid := p.p.cmd.Process.Pid; !gone(pid) {
		t.Errorf("pulseaudio pid %d still exists after cleanup", pid)
	}
	if _, err := os.Stat(p.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s left behind (stat: %v)", p.dir, err)
	}
}

// recorder stands in for a testing.TB to see whether lookTool skips or fails.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()        {}
func (r *recorder) Skip(...any)    { r.skipped = true }
func (r *recorder) Fatal(...any)   { r.failed = true }
func (r *recorder) Name() string   { return "recorder" }
func (r *recorder) Cleanup(func()) {}

func TestMissingToolSkipsOrFailsOnCI(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
	}{
		{"", false}, {"false", false}, {"0", false}, {"true", true}, {"1", true},
	} {
		t.Setenv("CI", tc.ci)
		r := &recorder{TB: t}
		lookTool(r, "tally-no-such-program", "nothing")
		if r.failed != tc.wantFail || r.skipped == tc.wantFail {
			t.Errorf("CI=%q: failed=%v skipped=%v, want failed=%v", tc.ci, r.failed, r.skipped, tc.wantFail)
		}
	}
}

func TestXvfbDisplayTakenIsReportedAsInUse(t *testing.T) {
	bin := lookTool(t, "Xvfb", "xvfb")
	// Hold display :N's abstract socket without a lock file, as a server that
	// won the race for :N would: startXvfbOn must report errDisplayInUse so
	// that startXvfb moves on to the next number.
	n := privateDisplay(7)
	l, err := net.Listen("unix", "@/tmp/.X11-unix/X"+strconv.Itoa(n))
	if err != nil {
		t.Skipf("cannot hold the abstract socket of :%d: %v", n, err)
	}
	defer l.Close()
	x, err := startXvfbOn(bin, t.TempDir(), n, nil)
	if err == nil {
		x.stop()
		t.Fatalf("Xvfb started on :%d although its socket was taken", n)
	}
	if !errors.Is(err, errDisplayInUse) {
		t.Fatalf("err = %v, want errDisplayInUse", err)
	}
	if _, err := os.Stat("/tmp/.X" + strconv.Itoa(n) + "-lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed Xvfb left its lock file (stat: %v)", err)
	}
}

func TestArtifact(t *testing.T) {
	t.Run("kept/in dir", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("TALLY_ARTIFACTS", filepath.Join(dir, "out"))
		got := Artifact(t, "shot.png")
		want := filepath.Join(dir, "out", "TestArtifact-kept-in_dir-shot.png")
		if got != want {
			t.Errorf("Artifact = %q, want %q", got, want)
		}
		if err := os.WriteFile(got, nil, 0o644); err != nil {
			t.Errorf("artifact dir not created: %v", err)
		}
	})
	t.Run("unset", func(t *testing.T) {
		t.Setenv("TALLY_ARTIFACTS", "")
		got := Artifact(t, "shot.png")
		if filepath.Base(got) != "TestArtifact-unset-shot.png" {
			t.Errorf("Artifact = %q, want a file named TestArtifact-unset-shot.png", got)
		}
		if err := os.WriteFile(got, nil, 0o644); err != nil {
			t.Errorf("artifact dir not usable: %v", err)
		}
	})
}
