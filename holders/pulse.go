package holders

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tally-app/tally/internal/pulse"
)

// ErrNoAudioServer: no audio server answered (for errors.Is).
var ErrNoAudioServer = errors.New("holders: no audio server")

// PulseRecorders lists the audio server's recording streams by the name of
// the source each records from ("who records from virtmic?"). A source
// nobody records from has no entry. Streams the server itself owns
// (module-loopback, module-remap-source, ...) are included with PID 0.
// With no server it returns an empty map and an error matching
// ErrNoAudioServer.
func PulseRecorders(ctx context.Context) (map[string][]Holder, error) {
	pc := pulse.Open()
	defer pc.Close()
	sources, err := queryPulse(ctx, pc, 0)
	out := make(map[string][]Holder, len(sources))
	for _, s := range sources {
		if len(s.holders) > 0 {
			out[s.name] = sortHolders(s.holders)
		}
	}
	return out, err
}

// pulseSource is one source of the audio server with its recording streams.
type pulseSource struct {
	name, label string
	holders     []Holder
}

// queryPulse asks the server, over its native protocol, for its sources
// and recording streams (source-outputs).
func queryPulse(ctx context.Context, pc *pulse.Client, timeout time.Duration) ([]pulseSource, error) {
	if timeout <= 0 {
		timeout = DefaultPulseTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sources, err := pc.Sources(ctx)
	if err != nil {
		return nil, pulseErr(err)
	}
	outputs, err := pc.SourceOutputs(ctx)
	if err != nil {
		return nil, pulseErr(err)
	}
	res := make([]pulseSource, len(sources))
	byIndex := make(map[uint32]int, len(sources))
	for i, s := range sources {
		res[i] = pulseSource{name: s.Name, label: s.Description}
		byIndex[s.Index] = i
	}
	self := os.Getpid()
	for _, o := range outputs {
		i, ok := byIndex[o.Source]
		if !ok {
			continue // not connected to a source (yet), or listed between the two requests
		}
		h := Holder{
			Name:      o.Props["application.name"],
			Streaming: !o.Corked,
			Via:       ViaPulse,
			Stream:    o.Name,
		}
		if pid, err := strconv.Atoi(o.Props["application.process.id"]); err == nil && pid > 0 {
			h.PID = pid
			h.Self = pid == self
			h.Cmdline = readCmdline(pid)
		}
		if h.Name == "" {
			h.Name = o.Props["application.process.binary"]
		}
		if h.Name == "" {
			// A module's own stream: name it by its module.
			h.Name = strings.TrimSuffix(o.Driver, ".c")
		}
		res[i].holders = append(res[i].holders, h)
	}
	return res, nil
}

func pulseErr(err error) error {
	if errors.Is(err, pulse.ErrNoServer) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrNoAudioServer, err)
	}
	return err
}

// readCmdline reads a process's command line; "" if unreadable (gone, or
// in another pid namespace than the server reports).
func readCmdline(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	return cmdlineString(b)
}
