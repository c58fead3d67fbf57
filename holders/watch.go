package holders

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tally-app/tally/internal/pulse"
)

// DefaultInterval is the Watcher's scan interval when none is given: about
// the rate at which a person reads a holders list.
const DefaultInterval = time.Second

// Watcher reports when the holders change: it scans the device nodes at an
// interval (the kernel tells no one when a process opens a file), and asks
// the audio server again only when the server's own events say a source or
// recording stream came, changed or went. See the package doc's Concurrency
// section.
type Watcher struct {
	s        *Scanner
	interval time.Duration
	cancel   context.CancelFunc
	kick     chan struct{} // a new callback wants the latest snapshot
	done     chan struct{} // closed when the goroutine returns
	close    sync.Once

	mu   sync.Mutex // protects subs and last
	subs []*watchSub
	last *Snapshot // nil until the first scan
}

type watchSub struct {
	f         func(Snapshot)
	primed    bool        // has been given a snapshot (only the goroutine touches it)
	cancelled atomic.Bool // set by its cancel func
}

// NewWatcher starts a goroutine that scans with s, the first time at once:
// its nodes every interval (DefaultInterval if interval <= 0), and, if
// s.Pulse, the audio server on each of its events (and when it comes back
// after it died). Close stops it.
func NewWatcher(s *Scanner, interval time.Duration) *Watcher {
	if interval <= 0 {
		interval = DefaultInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{
		s:        s,
		interval: interval,
		cancel:   cancel,
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	go w.run(ctx)
	return w
}

// OnChange registers f. f is called first with the latest snapshot (as
// soon as the first scan is done), then with every snapshot that differs
// from the one before. cancel unregisters it: later deliveries skip it.
func (w *Watcher) OnChange(f func(Snapshot)) (cancel func()) {
	sub := &watchSub{f: f}
	w.mu.Lock()
	w.subs = append(w.subs, sub)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default: // a kick is already pending; it serves this one too
	}
	return func() {
		sub.cancelled.Store(true)
		w.mu.Lock()
		defer w.mu.Unlock()
		for i, s := range w.subs {
			if s == sub {
				w.subs = append(w.subs[:i:i], w.subs[i+1:]...)
				break
			}
		}
	}
}

// Latest returns the last snapshot taken; ok is false before the first
// scan is done.
func (w *Watcher) Latest() (snap Snapshot, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		return Snapshot{}, false
	}
	return *w.last, true
}

// Close stops the watcher and waits for its goroutine (and so any running
// callback) to return. A scan under way is abandoned. Safe to call twice.
func (w *Watcher) Close() {
	w.close.Do(w.cancel)
	<-w.done
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	var pc *pulse.Client
	pulseKick := make(chan struct{}, 1)
	if w.s.Pulse {
		pc = pulse.Open()
		defer pc.Close()
		cancel := pc.OnEvent(func(e pulse.Event) {
			if e.Facility == "" || e.Facility == "source" || e.Facility == "source-output" {
				select {
				case pulseKick <- struct{}{}:
				default: // a rescan is pending; it sees this change too
				}
			}
		})
		defer cancel()
	}
	var tick <-chan time.Time
	if w.s.ListPaths != nil || len(w.s.Paths) > 0 {
		t := time.NewTicker(w.interval)
		defer t.Stop()
		tick = t.C
	}
	var nodeDevs, pulseDevs []Device
	var nodeErrs []error
	var pulseErr error
	nodes, audio := true, w.s.Pulse
	for {
		if nodes {
			nodeDevs, nodeErrs = w.s.scanNodes(ctx)
		}
		if audio {
			pulseDevs, pulseErr = w.s.scanPulse(ctx, pc)
		}
		if ctx.Err() != nil {
			return // closed mid-scan: the snapshot is partial
		}
		errs := nodeErrs
		if pulseErr != nil {
			errs = append(slices.Clip(errs), pulseErr)
		}
		snap, _ := snapshot(append(slices.Clip(nodeDevs), pulseDevs...), errs)
		w.mu.Lock()
		changed := w.last == nil || !w.last.Equal(snap)
		if changed {
			w.last = &snap
		}
		w.mu.Unlock()
		w.deliver(changed)
		nodes, audio = false, false
		for !nodes && !audio {
			select {
			case <-ctx.Done():
				return
			case <-w.kick:
				w.deliver(false)
			case <-tick:
				nodes = true
			case <-pulseKick:
				audio = true
			}
		}
	}
}

// deliver gives the latest snapshot to every callback when it changed, and
// otherwise to those that have not had one yet.
func (w *Watcher) deliver(changed bool) {
	w.mu.Lock()
	if w.last == nil {
		w.mu.Unlock()
		return
	}
	snap := *w.last
	subs := append([]*watchSub(nil), w.subs...)
	w.mu.Unlock()
	for _, s := range subs {
		if (changed || !s.primed) && !s.cancelled.Load() {
			s.primed = true
			s.f(snap)
		}
	}
}
