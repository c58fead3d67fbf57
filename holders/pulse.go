package holders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Errors of the audio server part, for errors.Is.
var (
	// ErrNoAudioServer: pactl is not installed or no server answered.
	ErrNoAudioServer = errors.New("holders: no audio server")
	// ErrNoJSON: pactl cannot write JSON (it needs PulseAudio 16 or later).
	ErrNoJSON = errors.New("holders: pactl has no JSON output (needs PulseAudio 16 or later)")
)

// PulseRecorders lists the audio server's recording streams by the name of
// the source each records from ("who records from virtmic?"). A source
// nobody records from has no entry. Streams the server itself owns
// (module-loopback, module-remap-source, ...) are included with PID 0.
// With no server it returns an empty map and an error matching
// ErrNoAudioServer.
func PulseRecorders(ctx context.Context) (map[string][]Holder, error) {
	sources, err := queryPulse(ctx, "", 0)
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

// What pactl --format=json writes; only the fields used are decoded, and
// loosely typed where PulseAudio's own output is inconsistent.
type (
	jsonSource struct {
		Index       uint32 `json:"index"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	jsonSourceOutput struct {
		Source     uint32         `json:"source"` // a jsonSource's Index
		Driver     string         `json:"driver"` // "module-loopback.c" for a module's own stream
		Corked     bool           `json:"corked"`
		Properties map[string]any `json:"properties"`
	}
)

// queryPulse asks the server for its sources and source-outputs.
func queryPulse(ctx context.Context, pactl string, timeout time.Duration) ([]pulseSource, error) {
	if pactl == "" {
		pactl = "pactl"
	}
	if timeout <= 0 {
		timeout = DefaultPulseTimeout
	}
	// One run of "pactl list" (everything) rather than "list sources" and
	// "list source-outputs": a process start costs more than the extra
	// output, and both lists then come from the same moment.
	var all struct {
		Sources       *[]jsonSource       `json:"sources"`
		SourceOutputs *[]jsonSourceOutput `json:"source_outputs"`
	}
	if err := runPactl(ctx, pactl, timeout, &all, "list"); err != nil {
		return nil, err
	}
	if all.Sources == nil || all.SourceOutputs == nil {
		return nil, fmt.Errorf("%w: pactl list: no \"sources\" or \"source_outputs\" in its JSON", ErrNoJSON)
	}
	sources, outputs := *all.Sources, *all.SourceOutputs
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
			continue // not connected to a source (yet)
		}
		h := Holder{
			Name:      prop(o.Properties, "application.name"),
			Streaming: !o.Corked,
			Via:       ViaPulse,
			Stream:    prop(o.Properties, "media.name"),
		}
		if pid, err := strconv.Atoi(prop(o.Properties, "application.process.id")); err == nil && pid > 0 {
			h.PID = pid
			h.Self = pid == self
			h.Cmdline = readCmdline(pid)
		}
		if h.Name == "" {
			h.Name = prop(o.Properties, "application.process.binary")
		}
		if h.Name == "" {
			// A module's own stream: name it by its module.
			h.Name = strings.TrimSuffix(o.Driver, ".c")
		}
		res[i].holders = append(res[i].holders, h)
	}
	return res, nil
}

// runPactl runs "pactl --format=json args..." and decodes its output into v.
func runPactl(ctx context.Context, pactl string, timeout time.Duration, v any, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pactl, append([]string{"--format=json"}, args...)...)
	cmd.WaitDelay = time.Second // a child that keeps the pipes open cannot hold us
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	what := "pactl " + strings.Join(args, " ")
	err := cmd.Run()
	msg := strings.TrimSpace(stderr.String())
	if err != nil {
		switch {
		case errors.Is(err, exec.ErrNotFound):
			return fmt.Errorf("%w: %s: %v", ErrNoAudioServer, what, err)
		case ctx.Err() != nil:
			return fmt.Errorf("%w: %s: no answer: %w", ErrNoAudioServer, what, context.Cause(ctx))
		case noJSON(msg):
			return fmt.Errorf("%w: %s: %s", ErrNoJSON, what, firstLine(msg))
		case msg != "":
			return fmt.Errorf("%w: %s: %s", ErrNoAudioServer, what, firstLine(msg))
		default:
			return fmt.Errorf("%w: %s: %v", ErrNoAudioServer, what, err)
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		// An old pactl may ignore the option and print text.
		return fmt.Errorf("%w: %s: output is not JSON: %v", ErrNoJSON, what, err)
	}
	return nil
}

// noJSON recognizes an old pactl refusing --format=json: getopt's
// "unrecognized option '--format=json'", or pactl's own complaint about the
// format.
func noJSON(stderr string) bool {
	s := strings.ToLower(stderr)
	return strings.Contains(s, "--format") || strings.Contains(s, "invalid format")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// prop returns a stream property as a string ("" if absent or not one).
func prop(p map[string]any, key string) string {
	s, _ := p[key].(string)
	return s
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
