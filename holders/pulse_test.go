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

// The watcher learns of recording streams from the server's events: with
// no device nodes and an hour's interval, nothing else could tell it.
func TestWatcherSeesParecordThroughEvents(t *testing.T) {
	p := testenv.StartPulse(t)
	p.Setenv(t)
	w := NewWatcher(&Scanner{Pulse: true}, time.Hour)
	defer w.Close()
	snaps := make(chan Snapshot, 100)
	stop := make(chan struct{})
	defer close(stop)
	w.OnChange(func(s Snapshot) {
		select {
		case snaps <- s:
		case <-stop:
		}
	})
	await := func(what string, ok func(Snapshot) bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-snaps:
				if ok(s) {
					return
				}
			case <-deadline:
				t.Fatalf("watcher: no snapshot where %s", what)
			}
		}
	}
	onVirtmic := func(pid int) func(Snapshot) bool {
		return func(s Snapshot) bool {
			d, _ := s.Device(testenv.VirtualMic)
			_, ok := findPID(d.Holders, pid)
			return ok
		}
	}
	await("virtmic is listed", func(s Snapshot) bool { _, ok := s.Device(testenv.VirtualMic); return ok })
	rec := startParecord(t, p, testenv.VirtualMic)
	await("parecord records from virtmic", onVirtmic(rec.Process.Pid))
	rec.Process.Kill()
	rec.Wait()
	await("parecord is gone", func(s Snapshot) bool { return !onVirtmic(rec.Process.Pid)(s) })

	// The server killed: the snapshot says so; back: the sources return.
	p.Kill()
	await("the server is gone", func(s Snapshot) bool { return len(s.Errors) == 1 && len(s.Devices) == 0 })
	p.Restart()
	await("virtmic is back", func(s Snapshot) bool { _, ok := s.Device(testenv.VirtualMic); return ok && len(s.Errors) == 0 })
}
