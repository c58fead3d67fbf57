package pulse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// Reconnect waits: the first retry soon after the server died (a restart
// takes about a second), then no more often than maxRetry.
const (
	minRetry = 100 * time.Millisecond
	maxRetry = 2 * time.Second
)

// conn is the process's one connection, with its goroutine: it connects,
// subscribes, dispatches events and reconnects.
type conn struct {
	refs int // protected by sharedMu

	mu   sync.Mutex // protects the fields below
	pc   *proto.Client
	subs []*sub
	q    []Event // events not yet dispatched

	wake chan struct{} // an event was queued (capacity 1)
	stop chan struct{} // closed by close
	done chan struct{} // closed when run returns
}

type sub struct {
	f         func(Event)
	cancelled atomic.Bool
	primed    bool // has been told "connected" (only run touches it)
}

func newConn() *conn {
	c := &conn{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	// The first attempt is made now, so that a server that runs is
	// connected when Open returns.
	pc, dead, nc, err := dial(c.push)
	c.pc = pc // nil if it failed
	go c.run(pc, dead, nc, err)
	return c
}

func (c *conn) close() {
	close(c.stop)
	<-c.done
}

func (c *conn) client() *proto.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pc
}

func (c *conn) subscribe(s *sub) {
	c.mu.Lock()
	c.subs = append(c.subs, s)
	c.mu.Unlock()
	c.poke()
}

func (c *conn) unsubscribe(s *sub) {
	s.cancelled.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.subs {
		if x == s {
			c.subs = append(c.subs[:i:i], c.subs[i+1:]...)
			return
		}
	}
}

func (c *conn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) push(e Event) {
	c.mu.Lock()
	c.q = append(c.q, e)
	c.mu.Unlock()
	c.poke()
}

// request sends one request on the current connection.
func (c *conn) request(ctx context.Context, req proto.RequestArgs, rpl proto.Reply) error {
	pc := c.client()
	if pc == nil {
		return ErrNoServer
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// proto.Client bounds each request by its own timeout (requestTimeout)
	// and takes no context: run it aside so that ctx can end the wait.
	res := make(chan error, 1)
	go func() { res <- pc.Request(req, rpl) }()
	select {
	case err := <-res:
		if isConnErr(err) {
			return fmt.Errorf("%w (%v)", ErrNoServer, err)
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isConnErr tells a broken connection from the server's own error codes.
func isConnErr(err error) bool {
	var pe proto.Error
	return err != nil && !errors.As(err, &pe) && !errors.Is(err, context.DeadlineExceeded)
}

func (c *conn) run(pc *proto.Client, dead chan struct{}, nc net.Conn, err error) {
	defer close(c.done)
	wait := minRetry
	for first := true; ; first = false {
		if !first {
			pc, dead, nc, err = dial(c.push)
		}
		if err == nil {
			wait = minRetry
			c.mu.Lock()
			c.pc = pc
			// Events that came between SUBSCRIBE and now are already in
			// what a subscriber reads on "connected": that goes first.
			c.q = append([]Event{{Type: "connected"}}, c.q...)
			c.mu.Unlock()
			c.poke()
			stopped := c.serve(dead)
			c.mu.Lock()
			c.pc = nil
			c.mu.Unlock()
			nc.Close()
			<-dead // the protocol reader has returned: no more pushes
			c.mu.Lock()
			c.q = nil // events of the old connection name indexes that are gone
			c.mu.Unlock()
			if stopped {
				return
			}
			c.deliver(Event{Type: "disconnected"})
			for _, s := range c.snapshot() {
				s.primed = false
			}
		}
		select {
		case <-c.stop:
			return
		case <-time.After(wait):
		case <-c.wake: // a new subscriber: nothing to tell it yet
		}
		if err != nil {
			wait = min(2*wait, maxRetry)
		}
	}
}

// serve dispatches events until the connection dies (false) or close is
// called (true).
func (c *conn) serve(dead <-chan struct{}) (stopped bool) {
	for {
		c.mu.Lock()
		q := c.q
		c.q = nil
		c.mu.Unlock()
		for _, e := range q {
			c.deliver(e)
		}
		// A subscriber that came while the connection was up gets its own
		// "connected" first.
		for _, s := range c.snapshot() {
			if !s.primed && !s.cancelled.Load() {
				s.primed = true
				s.f(Event{Type: "connected"})
			}
		}
		select {
		case <-c.stop:
			return true
		case <-dead:
			return false
		case <-c.wake:
		}
	}
}

func (c *conn) snapshot() []*sub {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*sub(nil), c.subs...)
}

func (c *conn) deliver(e Event) {
	for _, s := range c.snapshot() {
		if s.cancelled.Load() {
			continue
		}
		if e.Type == "connected" {
			s.primed = true
		} else if !s.primed {
			continue // it hears of this connection with its "connected"
		}
		s.f(e)
	}
}

// dial connects to the first server address that answers, authenticates,
// names the client and subscribes to source and source-output events,
// which onEvent receives on the protocol goroutine. dead is closed when the
// connection's reader has returned.
func dial(onEvent func(Event)) (pc *proto.Client, dead chan struct{}, nc net.Conn, err error) {
	nets, addrs := serverAddrs()
	err = ErrNoServer
	for i := range addrs {
		pc, dead, nc, err = dialOne(nets[i], addrs[i], onEvent)
		if err == nil {
			return pc, dead, nc, nil
		}
	}
	return nil, nil, nil, err
}

func dialOne(network, addr string, onEvent func(Event)) (*proto.Client, chan struct{}, net.Conn, error) {
	nc, err := net.DialTimeout(network, addr, requestTimeout)
	if err != nil {
		return nil, nil, nil, err
	}
	rw := &watchedConn{Conn: nc, dead: make(chan struct{})}
	pc := &proto.Client{Callback: func(msg any) {
		if m, ok := msg.(*proto.SubscribeEvent); ok {
			onEvent(event(m))
		}
	}}
	pc.SetTimeout(requestTimeout)
	pc.Open(rw)
	fail := func(what string, err error) (*proto.Client, chan struct{}, net.Conn, error) {
		nc.Close()
		<-rw.dead
		return nil, nil, nil, fmt.Errorf("pulse: %s %s: %s: %w", network, addr, what, err)
	}
	var auth proto.AuthReply
	if err := pc.Request(&proto.Auth{Version: pc.Version(), Cookie: cookie()}, &auth); err != nil {
		return fail("authenticating", err)
	}
	pc.SetVersion(auth.Version)
	props := proto.PropList{
		"application.name":           proto.PropListString("Tally"),
		"application.process.id":     proto.PropListString(fmt.Sprint(os.Getpid())),
		"application.process.binary": proto.PropListString(filepath.Base(os.Args[0])),
	}
	if err := pc.Request(&proto.SetClientName{Props: props}, &proto.SetClientNameReply{}); err != nil {
		return fail("naming the client", err)
	}
	mask := proto.SubscriptionMaskSource | proto.SubscriptionMaskSourceInput | proto.SubscriptionMaskServer
	if err := pc.Request(&proto.Subscribe{Mask: mask}, nil); err != nil {
		return fail("subscribing to events", err)
	}
	return pc, rw.dead, nc, nil
}

func event(m *proto.SubscribeEvent) Event {
	e := Event{Index: m.Index}
	switch m.Event & proto.EventTypeMask {
	case proto.EventNew:
		e.Type = "new"
	case proto.EventChange:
		e.Type = "change"
	default:
		e.Type = "remove"
	}
	switch m.Event.GetFacility() {
	case proto.EventSource:
		e.Facility = "source"
	case proto.EventSinkSourceOutput:
		e.Facility = "source-output"
	case proto.EventServer:
		e.Facility = "server"
	default:
		e.Facility = m.Event.GetFacility().String()
	}
	return e
}

// watchedConn closes dead when a Read fails: proto.Client's reader
// goroutine returns right after, which is how close knows it is gone.
type watchedConn struct {
	net.Conn
	dead chan struct{}
	once sync.Once
}

func (w *watchedConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if err != nil {
		w.once.Do(func() { close(w.dead) })
	}
	return n, err
}
