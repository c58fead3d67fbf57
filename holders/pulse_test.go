package holders

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tally-app/tally/internal/testenv"
)

// startParecord records from source into /dev/null through the test server.
func startParecord(t *testing.T, p *testenv.Pulse, source string) *exec.Cmd {
	t.Helper()
	bin, err := exec.LookPath("parecord")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("parecord: %v (apt-get install pulseaudio-utils)", err)
		}
		t.Skipf("parecord: %v (apt-get install pulseaudio-utils)", err)
	}
	cmd := exec.Command(bin, "--device="+source, "/dev/null")
	cmd.Env = append(os.Environ(), p.Env()...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func findPID(hs []Holder, pid int) (Holder, bool) {
	for _, h := range hs {
		if h.PID == pid {
			return h, true
		}
	}
	return Holder{}, false
}

func TestPulseRecorderAppearsAndGoes(t *testing.T) {
	p := testenv.StartPulse(t)
	p.Setenv(t)
	ctx := context.Background()

	rec := startParecord(t, p, testenv.VirtualMic)
	var h Holder
	poll(t, "parecord records from virtmic", func() bool {
		m, err := PulseRecorders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		h, ok = findPID(m[testenv.VirtualMic], rec.Process.Pid)
		return ok
	})
	if h.Name != "parecord" || h.Via != ViaPulse || !h.Streaming || h.Self || h.Stream != "/dev/null" {
		t.Errorf("holder = %+v, want parecord via pulse, streaming, stream \"/dev/null\"", h)
	}
	if want := strings.Join(rec.Args, " "); h.Cmdline != want {
		t.Errorf("cmdline = %q, want %q", h.Cmdline, want)
	}

	// The Scanner lists the source with its label, and every other source.
	s := &Scanner{Pulse: true}
	snap, err := s.Holders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := snap.Device(testenv.VirtualMic)
	if !ok || !d.Pulse || d.Kind != "audioinput" || d.Label != "VirtualMic" {
		t.Errorf("device = %+v, %v; want pulse audioinput labelled VirtualMic", d, ok)
	}
	if _, ok := findPID(d.Holders, rec.Process.Pid); !ok {
		t.Errorf("Scanner does not list parecord on virtmic: %+v", d.Holders)
	}
	// The server's own streams (the test config's loopbacks) have no pid.
	mon, _ := snap.Device(testenv.ProbeSink + ".monitor")
	if len(mon.Holders) == 0 || mon.Holders[0].PID != 0 || mon.Holders[0].Name != "module-loopback" {
		t.Errorf("probe_sink.monitor holders = %+v, want the server's module-loopback (pid 0)", mon.Holders)
	}

	rec.Process.Kill()
	rec.Wait()
	poll(t, "parecord is gone from virtmic", func() bool {
		m, err := PulseRecorders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := findPID(m[testenv.VirtualMic], rec.Process.Pid)
		return !ok
	})
}

func TestPulseNoServer(t *testing.T) {
	if _, err := exec.LookPath("pactl"); err != nil {
		t.Skip("no pactl")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "client.conf")
	if err := os.WriteFile(conf, []byte("autospawn = no\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(dir, "native"))
	t.Setenv("PULSE_CLIENTCONFIG", conf)

	m, err := PulseRecorders(context.Background())
	if !errors.Is(err, ErrNoAudioServer) || m == nil || len(m) != 0 {
		t.Errorf("no server: %v, %v; want an empty map and ErrNoAudioServer", m, err)
	}

	// The scan of the nodes still answers, and the snapshot says what failed.
	dev := tempDevice(t)
	c := startChild(t, "open", dev)
	snap, err := (&Scanner{Paths: []string{dev}, Pulse: true}).Holders(context.Background())
	if !errors.Is(err, ErrNoAudioServer) || len(snap.Errors) != 1 {
		t.Errorf("Holders error = %v, Errors = %q; want ErrNoAudioServer in both", err, snap.Errors)
	}
	if d, _ := snap.Device(dev); len(d.Holders) != 1 || d.Holders[0].PID != c.pid() {
		t.Errorf("node holders without a server: %+v", d)
	}
}

// Stand-ins for pactl binaries this package cannot use: an old one without
// --format=json, one that ignores it, one that hangs, none at all.
func TestPulseUnusablePactl(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		pactl   string
		timeout time.Duration
		want    error
		words   string
	}{
		{"pactl 15", script("old", `echo "pactl: unrecognized option '--format=json'" >&2; exit 1`), 0, ErrNoJSON, "unrecognized option"},
		{"text output", script("text", `echo "Source Output #3"`), 0, ErrNoJSON, "not JSON"},
		{"hangs", script("hang", `exec sleep 30`), 100 * time.Millisecond, ErrNoAudioServer, "no answer"},
		{"missing", filepath.Join(dir, "none"), 0, ErrNoAudioServer, "pactl list"},
		{"other JSON", script("other", `echo '{"modules": []}'`), 0, ErrNoJSON, "no \"sources\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Scanner{Pulse: true, Pactl: tc.pactl, PulseTimeout: tc.timeout}
			snap, err := s.Holders(context.Background())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("error = %v, want %v saying %q", err, tc.want, tc.words)
			}
			if len(snap.Devices) != 0 || len(snap.Errors) != 1 {
				t.Errorf("snapshot = %+v, want no devices and the error", snap)
			}
		})
	}
}
