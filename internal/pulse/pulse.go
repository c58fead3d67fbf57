// Package pulse is Tally's client of the PulseAudio native protocol
// (PipeWire's pulse server included), over github.com/jfreymuth/pulse's
// protocol layer: list sources (with per-channel volume and mute) and
// recording streams, set a source's volume and mute, and follow the
// server's change events.
//
// One connection is shared by every Client of the process (Open); it is
// made when the first Client opens, kept while any is open, remade when the
// server comes back after it died, and closed with the last Client.
//
// jfreymuth/pulse's high-level client has only playback and recording; the
// introspection (GET_SOURCE_INFO[_LIST], GET_SOURCE_OUTPUT_INFO_LIST),
// SET_SOURCE_VOLUME, SET_SOURCE_MUTE and SUBSCRIBE commands are sent here
// through its proto package, and the connection is made here too so that
// the event callback is in place before the protocol goroutine starts.
//
// # Concurrency
//
// Every method is safe for concurrent use. Event callbacks run on the
// connection's one dispatch goroutine, one at a time, in the order the
// server sent the events; a callback may call the Client's queries. Close
// waits for that goroutine and the protocol reader when it is the last
// Client, so no goroutine outlives the last Close.
package pulse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// ErrNoServer: no audio server is connected right now (none runs, or it
// died and has not come back yet).
var ErrNoServer = errors.New("pulse: no audio server connected")

// ErrNoSource: the server has no source of that name.
var ErrNoSource = errors.New("pulse: no such source")

// Source is one source (capture device or monitor) of the server.
type Source struct {
	Index       uint32
	Name        string // "virtmic", "alsa_input.pci-…"
	Description string // the label people read
	// Volume per channel, as a fraction of PA_VOLUME_NORM: 1 is 100 %
	// (0 dB). The server allows more than 1 (software amplification).
	Volume  []float64
	Muted   bool
	Monitor bool // the monitor of a sink (what it plays), not a microphone
}

// MaxVolume is the loudest channel's volume, which is what mixers show as
// "the" volume of a device.
func (s Source) MaxVolume() float64 {
	m := 0.0
	for _, v := range s.Volume {
		m = math.Max(m, v)
	}
	return m
}

// SourceOutput is one recording stream.
type SourceOutput struct {
	Index  uint32
	Source uint32 // the Source's Index it records from
	Name   string // media.name
	Driver string // "module-loopback.c" for a module's own stream
	Corked bool   // paused
	Props  map[string]string
}

// Event is one change the server reported, or a change of the connection.
type Event struct {
	// Type is "new", "change" or "remove" for the server's events, and
	// "connected" or "disconnected" for the connection itself.
	Type string
	// Facility is "source", "source-output" or "server"; empty for the
	// connection's own events.
	Facility string
	Index    uint32
}

// Client is one user's handle on the shared connection. Make it with Open.
type Client struct {
	conn *conn
	mu   sync.Mutex
	subs []*sub
	done bool
}

// Open returns a handle on the process's shared connection, starting the
// connection if this is the first. It never fails for lack of a server:
// queries then return ErrNoServer, and the connection is made when one
// answers ("connected" event).
func Open() *Client {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		shared = newConn()
	}
	shared.refs++
	return &Client{conn: shared}
}

var (
	sharedMu sync.Mutex // protects shared and its refs
	shared   *conn
)

// Close releases the handle and its callbacks; the last Close ends the
// connection and waits for its goroutines. Safe to call twice; must not be
// called from an event callback.
func (c *Client) Close() {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	c.done = true
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	for _, s := range subs {
		c.conn.unsubscribe(s)
	}
	sharedMu.Lock()
	c.conn.refs--
	last := c.conn.refs == 0
	if last {
		shared = nil
	}
	sharedMu.Unlock()
	if last {
		c.conn.close()
	}
}

// OnEvent registers f for every event, in order. When the connection is up
// at the time of the call, f's first event is a "connected" one, so a
// caller can read the state it starts from in the same place as every
// later one. cancel unregisters it (later events skip it).
func (c *Client) OnEvent(f func(Event)) (cancel func()) {
	s := &sub{f: f}
	c.mu.Lock()
	c.subs = append(c.subs, s)
	c.mu.Unlock()
	c.conn.subscribe(s)
	return func() { c.conn.unsubscribe(s) }
}

// Connected reports whether the server is connected now.
func (c *Client) Connected() bool { return c.conn.client() != nil }

// Sources lists the server's sources.
func (c *Client) Sources(ctx context.Context) ([]Source, error) {
	var rpl proto.GetSourceInfoListReply
	if err := c.conn.request(ctx, &proto.GetSourceInfoList{}, &rpl); err != nil {
		return nil, fmt.Errorf("pulse: listing sources: %w", err)
	}
	out := make([]Source, len(rpl))
	for i, s := range rpl {
		out[i] = source(s)
	}
	return out, nil
}

// Source returns the source called name; an error wrapping ErrNoSource
// when there is none.
func (c *Client) Source(ctx context.Context, name string) (Source, error) {
	var rpl proto.GetSourceInfoReply
	err := c.conn.request(ctx, &proto.GetSourceInfo{SourceIndex: proto.Undefined, SourceName: name}, &rpl)
	if err != nil {
		return Source{}, sourceErr("reading", name, err)
	}
	return source(&rpl), nil
}

// SourceByIndex returns the source with that index.
func (c *Client) SourceByIndex(ctx context.Context, index uint32) (Source, error) {
	var rpl proto.GetSourceInfoReply
	if err := c.conn.request(ctx, &proto.GetSourceInfo{SourceIndex: index}, &rpl); err != nil {
		return Source{}, sourceErr("reading", "#"+strconv.FormatUint(uint64(index), 10), err)
	}
	return source(&rpl), nil
}

// SourceOutputs lists the server's recording streams.
func (c *Client) SourceOutputs(ctx context.Context) ([]SourceOutput, error) {
	var rpl proto.GetSourceOutputInfoListReply
	if err := c.conn.request(ctx, &proto.GetSourceOutputInfoList{}, &rpl); err != nil {
		return nil, fmt.Errorf("pulse: listing recording streams: %w", err)
	}
	out := make([]SourceOutput, len(rpl))
	for i, o := range rpl {
		props := make(map[string]string, len(o.Properties))
		for k, v := range o.Properties {
			if n := len(v); n > 0 && v[n-1] == 0 { // strings only; the rest is binary
				props[k] = string(v[:n-1])
			}
		}
		out[i] = SourceOutput{Index: o.SourceOutpuIndex, Source: o.SourceIndex, Name: o.MediaName,
			Driver: o.Driver, Corked: o.Corked, Props: props}
	}
	return out, nil
}

// SetSourceVolume sets every channel of the source to its value in vol
// (fractions of PA_VOLUME_NORM, one per channel, 0..1).
func (c *Client) SetSourceVolume(ctx context.Context, name string, vol []float64) error {
	cv := make(proto.ChannelVolumes, len(vol))
	for i, v := range vol {
		if !(v >= 0 && v <= 1) { // also NaN
			return fmt.Errorf("pulse: volume %v of source %q channel %d is outside 0..1", v, name, i)
		}
		cv[i] = uint32(math.Round(v * float64(proto.VolumeNorm)))
	}
	err := c.conn.request(ctx, &proto.SetSourceVolume{SourceIndex: proto.Undefined, SourceName: name, ChannelVolumes: cv}, nil)
	return sourceErr("setting the volume of", name, err)
}

// SetSourceMute mutes or unmutes the source.
func (c *Client) SetSourceMute(ctx context.Context, name string, mute bool) error {
	err := c.conn.request(ctx, &proto.SetSourceMute{SourceIndex: proto.Undefined, SourceName: name, Mute: mute}, nil)
	return sourceErr("muting", name, err)
}

func sourceErr(doing, name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, proto.ErrNoSuchEntity):
		return fmt.Errorf("pulse: %s source %q: %w", doing, name, ErrNoSource)
	default:
		return fmt.Errorf("pulse: %s source %q: %w", doing, name, err)
	}
}

func source(s *proto.GetSourceInfoReply) Source {
	vol := make([]float64, len(s.ChannelVolumes))
	for i, v := range s.ChannelVolumes {
		vol[i] = float64(v) / float64(proto.VolumeNorm)
	}
	return Source{
		Index: s.SourceIndex, Name: s.SourceName, Description: s.Device,
		Volume: vol, Muted: s.Mute,
		Monitor: s.MonitorSourceIndex != proto.Undefined,
	}
}

// serverAddrs lists where to dial, as libpulse would: PULSE_SERVER, the
// per-user runtime directory, the system server.
func serverAddrs() (nets, addrs []string) {
	if s := os.Getenv("PULSE_SERVER"); s != "" {
		for _, a := range strings.Fields(s) {
			if a[0] == '{' { // "{machine-id}address"
				if i := strings.IndexByte(a, '}'); i >= 0 {
					a = a[i+1:]
				}
			}
			switch {
			case strings.HasPrefix(a, "/"):
				nets, addrs = append(nets, "unix"), append(addrs, a)
			case strings.HasPrefix(a, "unix:"):
				nets, addrs = append(nets, "unix"), append(addrs, a[5:])
			case strings.HasPrefix(a, "tcp:"), strings.HasPrefix(a, "tcp4:"), strings.HasPrefix(a, "tcp6:"):
				n, h, _ := strings.Cut(a, ":")
				if !strings.Contains(h, ":") {
					h += ":4713"
				}
				nets, addrs = append(nets, n), append(addrs, h)
			}
		}
		return nets, addrs
	}
	if d := os.Getenv("PULSE_RUNTIME_PATH"); d != "" {
		nets, addrs = append(nets, "unix"), append(addrs, filepath.Join(d, "native"))
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		nets, addrs = append(nets, "unix"), append(addrs, filepath.Join(d, "pulse", "native"))
	}
	nets = append(nets, "unix", "unix")
	addrs = append(addrs, filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "pulse", "native"), "/var/run/pulse/native")
	return nets, addrs
}

// cookie is the authentication cookie libpulse would send; the server
// ignores it when it allows anonymous clients (or checks the peer's uid
// on a unix socket).
func cookie() []byte {
	path := os.Getenv("PULSE_COOKIE")
	if path == "" {
		home, _ := os.UserHomeDir()
		path = filepath.Join(home, ".config", "pulse", "cookie")
	}
	if b, err := os.ReadFile(path); err == nil && len(b) == 256 {
		return b
	}
	return make([]byte, 256)
}

// requestTimeout bounds one request when the caller's context has no
// sooner deadline: a wedged server must not wedge the caller.
const requestTimeout = 2 * time.Second
