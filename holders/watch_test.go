package holders

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestWatcherReportsChanges(t *testing.T) {
	dev := tempDevice(t)
	w := NewWatcher(&Scanner{Paths: []string{dev}}, 10*time.Millisecond)
	defer w.Close()

	// Registered first and cancelled at once: deliveries must skip it.
	var cancelledCalls atomic.Int32
	cancel := w.OnChange(func(Snapshot) { cancelledCalls.Add(1) })
	cancel()

	snaps := make(chan Snapshot, 100)
	stop := make(chan struct{})
	defer close(stop)
	w.OnChange(func(s Snapshot) {
		select {
		case snaps <- s:
		case <-stop: // the test is over; do not hold up Close
		}
	})
	var prev *Snapshot
	next := func(what string) Snapshot {
		t.Helper()
		select {
		case s := <-snaps:
			if prev != nil && prev.Equal(s) {
				t.Errorf("reported an unchanged snapshot: %+v", s)
			}
			prev = &s
			return s
		case <-time.After(10 * time.Second):
			t.Fatalf("no snapshot: %s", what)
			return Snapshot{}
		}
	}
	holders := func(s Snapshot) []Holder {
		d, ok := s.Device(dev)
		if !ok {
			t.Fatalf("snapshot without %s: %+v", dev, s)
		}
		return d.Holders
	}

	if h := holders(next("first")); len(h) != 0 {
		t.Fatalf("first snapshot has holders: %+v", h)
	}
	c := startChild(t, "open", dev)
	if h := holders(next("child holds")); len(h) != 1 || h[0].PID != c.pid() {
		t.Errorf("after the child opened: %+v, want pid %d", h, c.pid())
	}
	c.stop()
	if h := holders(next("child gone")); len(h) != 0 {
		t.Errorf("after the child exited: %+v", h)
	}
	if n := cancelledCalls.Load(); n != 0 {
		t.Errorf("cancelled callback called %d times", n)
	}
	if s, ok := w.Latest(); !ok || !s.Equal(*prev) {
		t.Errorf("Latest = %+v, %v; want the last reported", s, ok)
	}
}

func TestWatcherLateSubscriberGetsLatest(t *testing.T) {
	dev := tempDevice(t)
	c := startChild(t, "open", dev)
	w := NewWatcher(&Scanner{Paths: []string{dev}}, time.Hour) // one scan only
	defer w.Close()
	got := make(chan Snapshot, 2)
	w.OnChange(func(s Snapshot) { got <- s })
	first := <-got
	// A second callback, registered after the first delivery, is given the
	// same snapshot without waiting an hour for a scan.
	w.OnChange(func(s Snapshot) { got <- s })
	second := <-got
	if !first.Equal(second) {
		t.Errorf("late subscriber got %+v, want %+v", second, first)
	}
	if d, _ := first.Device(dev); len(d.Holders) != 1 || d.Holders[0].PID != c.pid() {
		t.Errorf("snapshot = %+v, want pid %d", d, c.pid())
	}
}

func TestWatcherCloseTwiceAndCancelFromCallback(t *testing.T) {
	w := NewWatcher(&Scanner{Paths: []string{"/dev/null"}}, time.Millisecond)
	called := make(chan struct{})
	cancelFunc := make(chan func(), 1)
	var n atomic.Int32
	cancelFunc <- w.OnChange(func(Snapshot) {
		if n.Add(1) == 1 {
			(<-cancelFunc)()
			close(called)
		}
	})
	<-called
	w.Close()
	w.Close()
	if n.Load() != 1 {
		t.Errorf("callback called %d times after cancelling itself", n.Load())
	}
}

// A device node that appears after the watcher started (a camera plugged
// in) is scanned when the scanner lists its paths afresh.
func TestWatcherSeesDevicesPluggedInLater(t *testing.T) {
	dir := t.TempDir()
	list := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "video*"))
		return m
	}
	w := NewWatcher(&Scanner{ListPaths: list}, 10*time.Millisecond)
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
	dev := filepath.Join(dir, "video0")
	if err := os.WriteFile(dev, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, "open", dev)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-snaps:
			if d, ok := s.Device(dev); ok && len(d.Holders) == 1 && d.Holders[0].PID == c.pid() {
				return
			}
		case <-deadline:
			t.Fatalf("the node created after the watcher started was never scanned with its holder (pid %d)", c.pid())
		}
	}
}
