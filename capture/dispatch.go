package capture

import (
	"slices"
	"sync"
)

// dispatcher runs callbacks one at a time, in the order they were posted, on
// a goroutine that exists only while callbacks are pending. Events of one
// MediaDevices (and of all its tracks) thus arrive in order, never under a
// lock of this package, and a slow callback never stalls a capture loop.
type dispatcher struct {
	mu      sync.Mutex // protects queue and running
	queue   []func()
	running bool
	idle    sync.Cond // signalled when the queue drains
}

func newDispatcher() *dispatcher {
	d := &dispatcher{}
	d.idle.L = &d.mu
	return d
}

func (d *dispatcher) post(f func()) {
	d.mu.Lock()
	d.queue = append(d.queue, f)
	if !d.running {
		d.running = true
		go d.run()
	}
	d.mu.Unlock()
}

func (d *dispatcher) run() {
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			d.running = false
			d.queue = nil
			d.idle.Broadcast()
			d.mu.Unlock()
			return
		}
		f := d.queue[0]
		d.queue[0] = nil
		d.queue = d.queue[1:]
		d.mu.Unlock()
		f()
	}
}

// wait blocks until every posted callback has run. It must not be called
// from a callback.
func (d *dispatcher) wait() {
	d.mu.Lock()
	for d.running {
		d.idle.Wait()
	}
	d.mu.Unlock()
}

// listeners is a list of callbacks with cancel funcs.
type listeners struct {
	mu   sync.Mutex // protects fns and next
	fns  map[uint64]func()
	next uint64
}

func (l *listeners) add(f func()) (cancel func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fns == nil {
		l.fns = make(map[uint64]func())
	}
	id := l.next
	l.next++
	l.fns[id] = f
	return func() {
		l.mu.Lock()
		delete(l.fns, id)
		l.mu.Unlock()
	}
}

// snapshot returns the callbacks in registration order.
// empty reports whether no function is registered.
func (l *listeners) empty() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.fns) == 0
}

func (l *listeners) snapshot() []func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fns) == 0 {
		return nil
	}
	ids := make([]uint64, 0, len(l.fns))
	for id := range l.fns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]func(), len(ids))
	for i, id := range ids {
		out[i] = l.fns[id]
	}
	return out
}

func (l *listeners) call() {
	for _, f := range l.snapshot() {
		f()
	}
}
