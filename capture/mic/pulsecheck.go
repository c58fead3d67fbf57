package mic

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A failed PulseAudio connect through miniaudio leaks its pa_context
// (miniaudio 0.11.23 frees the main loop but never unrefs the context on
// that path): about 20 KB per attempt, measured. Retrying every poll on a
// machine without a server would leak tens of MB a day, so retries first ask
// pulseMayAnswer, which dials the server's unix sockets itself and only says
// no when every address libpulse would use is a unix socket nobody listens on.

// pulseMayAnswer reports whether a PulseAudio server may answer: false only
// when every address libpulse would try is a unix socket that refuses a
// connection (a server killed with SIGKILL leaves its socket file behind,
// so existence is not enough).
func pulseMayAnswer() bool {
	addrs, known := pulseAddresses()
	if !known {
		return true
	}
	for _, a := range addrs {
		c, err := net.DialTimeout("unix", a, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return true
		}
	}
	return false
}

// pulseAddresses lists the unix socket paths libpulse would connect to.
// known is false when some address is not a unix socket (tcp, a host name):
// then only libpulse can tell.
func pulseAddresses() (paths []string, known bool) {
	server := os.Getenv("PULSE_SERVER")
	if server == "" {
		server = clientConfServer()
	}
	if server != "" {
		for _, a := range strings.Fields(server) {
			if strings.HasPrefix(a, "{") {
				// "{machine-id}address": only for that machine; try anyway.
				if i := strings.IndexByte(a, '}'); i >= 0 {
					a = a[i+1:]
				}
			}
			switch {
			case strings.HasPrefix(a, "unix:"):
				paths = append(paths, strings.TrimPrefix(a, "unix:"))
			case strings.HasPrefix(a, "/"):
				paths = append(paths, a)
			default:
				return nil, false
			}
		}
		return paths, true
	}
	// libpulse's defaults: the per-user runtime directory, then the system
	// server.
	if d := os.Getenv("PULSE_RUNTIME_PATH"); d != "" {
		paths = append(paths, filepath.Join(d, "native"))
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		paths = append(paths, filepath.Join(d, "pulse", "native"))
	}
	paths = append(paths,
		filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "pulse", "native"),
		"/var/run/pulse/native")
	return paths, true
}

// clientConfServer returns the default-server of PulseAudio's client.conf
// files (the last one set wins, as in libpulse), or "".
func clientConfServer() string {
	var files []string
	if f := os.Getenv("PULSE_CLIENTCONFIG"); f != "" {
		files = []string{f}
	} else {
		files = []string{"/etc/pulse/client.conf"}
		more, _ := filepath.Glob("/etc/pulse/client.conf.d/*.conf")
		files = append(files, more...)
		if d, err := os.UserConfigDir(); err == nil {
			files = append(files, filepath.Join(d, "pulse", "client.conf"))
		}
	}
	server := ""
	for _, f := range files {
		if s := confValue(f, "default-server"); s != "" {
			server = s
		}
	}
	return server
}

// confValue returns the value of key in an ini-like file, or "".
func confValue(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	val := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			val = strings.TrimSpace(v)
		}
	}
	return val
}
