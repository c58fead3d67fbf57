package mic

import (
	"net"
	"path/filepath"
	"slices"
	"testing"
)

func TestPulseAddresses(t *testing.T) {
	for _, tc := range []struct {
		server string
		want   []string
		known  bool
	}{
		{"unix:/run/a/native", []string{"/run/a/native"}, true},
		{"/tmp/x {0123abcd}unix:/tmp/y", []string{"/tmp/x", "/tmp/y"}, true},
		{"unix:/tmp/x tcp:example.org:4713", nil, false},
		{"otherhost", nil, false},
	} {
		t.Setenv("PULSE_SERVER", tc.server)
		got, known := pulseAddresses()
		if known != tc.known || !slices.Equal(got, tc.want) {
			t.Errorf("PULSE_SERVER=%q: %q, %v; want %q, %v", tc.server, got, known, tc.want, tc.known)
		}
	}
	// Without PULSE_SERVER: client.conf's default-server, else the runtime dirs.
	dir := t.TempDir()
	t.Setenv("PULSE_SERVER", "")
	t.Setenv("PULSE_CLIENTCONFIG", filepath.Join(dir, "none.conf"))
	t.Setenv("PULSE_RUNTIME_PATH", "")
	t.Setenv("XDG_RUNTIME_DIR", dir)
	got, known := pulseAddresses()
	if !known || len(got) == 0 || got[0] != filepath.Join(dir, "pulse", "native") {
		t.Errorf("defaults: %q, %v", got, known)
	}
}

func TestPulseMayAnswer(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "native")
	t.Setenv("PULSE_SERVER", "unix:"+sock)
	if pulseMayAnswer() {
		t.Error("a socket that does not exist may answer?")
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if !pulseMayAnswer() {
		t.Error("a listening socket may not answer?")
	}
	l.Close()
	t.Setenv("PULSE_SERVER", "tcp:127.0.0.1:1")
	if !pulseMayAnswer() {
		t.Error("a tcp address must be left to libpulse")
	}
}
