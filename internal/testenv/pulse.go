package testenv

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pulseConfig is the server's startup script: a virtual microphone
// "virtmic" playing a 440 Hz tone, a sink "probe_sink" whose monitor can be
// captured, and low-latency keepers (see the comments inside). Embedded so
// that tests in any package find it; testdata/pulse-test.pa links to it for
// scripts.
//
//go:embed pulse-test.pa
var pulseConfig []byte

// Names the config above creates.
const (
	// VirtualMic is the source that plays a 440 Hz sine tone (RMS 0.354).
	VirtualMic = "virtmic"
	// ProbeSink is a speaker-like sink; capture ProbeSink+".monitor".
	ProbeSink = "probe_sink"
)

// Pulse is a private PulseAudio server.
type Pulse struct {
	t       testing.TB
	dir     string // private root: run/ (XDG_RUNTIME_DIR), home/, logs
	bin     string
	pactl   string
	config  string
	env     []string // what clients need; fixed for the server's lifetime
	daemonE []string // the daemon's own environment

	mu     sync.Mutex // protects p and starts
	p      *proc      // the running server; nil before the first start
	starts int        // how many times it was started, to name log files
}

// StartPulse starts PulseAudio with the virtmic source (see VirtualMic) and
// stops it at t.Cleanup. Clients use Env (child processes) or Setenv (this
// process, e.g. malgo).
func StartPulse(t testing.TB) *Pulse {
	t.Helper()
	bin := lookTool(t, "pulseaudio", "pulseaudio")
	pactl := lookTool(t, "pactl", "pulseaudio-utils")

	// Not t.TempDir: a unix socket path must fit in 108 bytes, and
	// t.TempDir's embeds the (possibly long) test name.
	dir, err := os.MkdirTemp("", "tally-pa-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	p := &Pulse{t: t, dir: dir, bin: bin, pactl: pactl, config: filepath.Join(dir, "pulse-test.pa")}
	run, home := filepath.Join(dir, "run"), filepath.Join(dir, "home")
	clientConf := filepath.Join(dir, "client.conf")
	for _, err := range []error{
		os.Mkdir(run, 0o700), // pulseaudio refuses a runtime dir others can read
		os.Mkdir(home, 0o700),
		os.WriteFile(p.config, pulseConfig, 0o600),
		// Without a server, libpulse clients would otherwise spawn a default
		// daemon of their own (e.g. after Kill) instead of failing.
		os.WriteFile(clientConf, []byte("autospawn = no\n"), 0o600),
	} {
		if err != nil {
			t.Fatalf("testenv: preparing PulseAudio dir: %v", err)
		}
	}
	p.env = []string{
		"PULSE_SERVER=unix:" + filepath.Join(run, "pulse", "native"),
		"XDG_RUNTIME_DIR=" + run,
		"HOME=" + home,
		"PULSE_CLIENTCONFIG=" + clientConf,
	}
	p.daemonE = append(withoutPulseVars(os.Environ()), p.env[1:]...)

	t.Cleanup(p.Kill) // before RemoveAll above: cleanups run last-in first-out
	if err := p.start(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return p
}

// withoutPulseVars drops variables that would point the daemon at another
// server's state.
func withoutPulseVars(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "PULSE_SERVER", "PULSE_CLIENTCONFIG", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH", "XDG_RUNTIME_DIR", "HOME":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// start launches the daemon in the foreground (so it is our child and we
// can kill and reap it) and waits until it answers with the config loaded.
func (p *Pulse) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts++
	logPath := filepath.Join(p.dir, "pulse-"+strconv.Itoa(p.starts)+".log")
	logFile, err := os.Create(logPath) // stderr: the root warning, early failures
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(p.bin,
		"-n", "-F", p.config,
		"--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
		// As root it would otherwise take real-time priority, which a test
		// server has no business with on a shared 2-core machine.
		"--realtime=no", "--high-priority=no",
		"--log-target=file:"+logPath+".daemon", "--log-level=info",
	)
	cmd.Env = p.daemonE
	cmd.Stdout, cmd.Stderr = logFile, logFile
	proc, err := startProc(cmd)
	if err != nil {
		return fmt.Errorf("starting %s: %w", p.bin, err)
	}
	p.p = proc

	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for {
		// pactl info succeeds only once the daemon runs its main loop, which
		// it enters after executing the whole config script.
		out, err := p.pactlOnce("info")
		if err == nil && strings.Contains(out, "Default Source: "+VirtualMic) {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("server up but default source is not %s:\n%s", VirtualMic, out)
		}
		lastErr = err
		if proc.exited() || time.Now().After(deadline) {
			proc.stop(syscall.SIGKILL, 0)
			return fmt.Errorf("PulseAudio (%s) not ready (exited: %v): %v\n%s\n%s",
				strings.Join(cmd.Args, " "), proc.err, lastErr, logTail(logPath, 10), logTail(logPath+".daemon", 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Server returns the server address for PULSE_SERVER, "unix:/tmp/…/native".
func (p *Pulse) Server() string { return strings.TrimPrefix(p.env[0], "PULSE_SERVER=") }

// Env returns the environment a client process needs: PULSE_SERVER,
// XDG_RUNTIME_DIR, HOME and PULSE_CLIENTCONFIG (which turns autospawn off).
func (p *Pulse) Env() []string { return append([]string(nil), p.env...) }

// Setenv points this process's own PulseAudio clients (such as malgo) at
// the server, with t.Setenv, so it is undone after the test. Like t.Setenv
// it cannot be used in parallel tests.
func (p *Pulse) Setenv(t testing.TB) {
	t.Helper()
	for _, kv := range p.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Pactl runs pactl against the server and returns its combined output; an
// error includes the output.
func (p *Pulse) Pactl(args ...string) (string, error) {
	out, err := p.pactlOnce(args...)
	if err != nil {
		return out, fmt.Errorf("pactl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out))
	}
	return out, nil
}

func (p *Pulse) pactlOnce(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.pactl, args...)
	cmd.Env = append(withoutPulseVars(os.Environ()), p.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Kill kills the server with SIGKILL, as a crash would, and returns once it
// is gone. Clients see no goodbye. Killing a dead server does nothing.
func (p *Pulse) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.p != nil {
		p.p.stop(syscall.SIGKILL, 0)
	}
}

// Restart starts the server again with the same config and socket (killing
// it first if it still runs) and waits until it is ready; the test fails if
// it cannot.
func (p *Pulse) Restart() {
	p.t.Helper()
	p.Kill()
	if err := p.start(); err != nil {
		p.t.Fatalf("testenv: restarting PulseAudio: %v", err)
	}
}
