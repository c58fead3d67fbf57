package gui

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakeQuit is a QuitGuard whose exit and log are recorded, not real.
type fakeQuit struct {
	*QuitGuard
	works  atomic.Int32
	exits  chan int // each exit call's code
	mu     sync.Mutex
	logged []string
}

func newFakeQuit(grace time.Duration, work func() error) *fakeQuit {
	f := &fakeQuit{exits: make(chan int, 10)}
	f.QuitGuard = NewQuitGuard(func() error {
		f.works.Add(1)
		return work()
	})
	f.grace = grace
	f.exit = func(code int) { f.exits <- code }
	f.logf = func(format string, args ...any) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.logged = append(f.logged, fmt.Sprintf(format, args...))
	}
	return f
}

func (f *fakeQuit) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.logged, "\n")
}

// waitExit returns the code of the one exit call, failing after 10 s.
func (f *fakeQuit) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-f.exits:
		return code
	case <-time.After(10 * time.Second):
		t.Fatalf("exit was not called within 10 s of a %v grace", f.grace)
		return -1
	}
}

// finish calls Finish, failing if it does not return within 10 s.
func (f *fakeQuit) finish(t *testing.T) error {
	t.Helper()
	c := make(chan error, 1)
	go func() { c <- f.Finish() }()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Finish did not return within 10 s")
		return nil
	}
}

// noExit checks, once the guard's goroutines are gone, that exit was never
// called.
func (f *fakeQuit) noExit(t *testing.T) {
	t.Helper()
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
	select {
	case code := <-f.exits:
		t.Errorf("exit(%d) was called though Run returned", code)
	default:
	}
}

func TestQuitGuardRunReturns(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeQuit(50*time.Millisecond, func() error { return nil })
	f.Arm()
	if err := f.finish(t); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	time.Sleep(4 * f.grace) // long past the grace: a live timer would fire
	f.noExit(t)
	if n := f.works.Load(); n != 1 {
		t.Errorf("the work ran %d times, want 1", n)
	}
	if l := f.log(); l != "" {
		t.Errorf("logged though Run returned: %s", l)
	}
	f.Arm() // after Finish: must not start a timer
	time.Sleep(4 * f.grace)
	f.noExit(t)
}

func TestQuitGuardRunHangs(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		code int
	}{
		{"ok", nil, 0},
		{"work fails", errors.New("bench: window closed before the end"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			f := newFakeQuit(20*time.Millisecond, func() error { return tc.err })
			f.Arm()
			f.Arm() // twice: still one timer
			if code := f.waitExit(t); code != tc.code {
				t.Errorf("exit(%d), want exit(%d)", code, tc.code)
			}
			if !strings.Contains(f.log(), "did not return from Run") {
				t.Errorf("the log does not say why it exits:\n%s", f.log())
			}
			if tc.err != nil && !strings.Contains(f.log(), tc.err.Error()) {
				t.Errorf("the log does not have the work's error:\n%s", f.log())
			}
			// Run returns after all (a real exit would have ended the
			// process): the work is not done again.
			if err := f.finish(t); !errors.Is(err, tc.err) {
				t.Errorf("Finish = %v, want %v", err, tc.err)
			}
			if n := f.works.Load(); n != 1 {
				t.Errorf("the work ran %d times, want 1", n)
			}
			if len(f.exits) != 0 {
				t.Errorf("exit called %d more times", len(f.exits))
			}
		})
	}
}

// The timer fires while Finish does the work on the main goroutine: the
// timer waits for it and neither does it again nor exits.
func TestQuitGuardTimerDuringFinish(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	started, release := make(chan struct{}), make(chan struct{})
	var f *fakeQuit
	f = newFakeQuit(time.Hour, func() error {
		if f.works.Load() == 1 {
			close(started)
			<-release
		}
		return nil
	})
	f.Arm()
	finished := make(chan error, 1)
	go func() { finished <- f.Finish() }()
	<-started
	// The timer fires now (called directly: the order is then certain),
	// and finds the work under way.
	expired := make(chan struct{})
	go func() {
		defer close(expired)
		f.expire()
	}()
	time.Sleep(100 * time.Millisecond) // lets expire reach the work first
	close(release)
	if err := <-finished; err != nil {
		t.Fatalf("Finish: %v", err)
	}
	<-expired
	f.noExit(t)
	if n := f.works.Load(); n != 1 {
		t.Errorf("the work ran %d times, want 1", n)
	}
	if l := f.log(); l != "" {
		t.Errorf("logged though Run returned: %s", l)
	}
}

// Run returns while the timer does the work: Finish neither does it again
// nor returns before the timer's exit (which ends a real process).
func TestQuitGuardFinishDuringTimer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	started, release := make(chan struct{}), make(chan struct{})
	f := newFakeQuit(time.Millisecond, func() error {
		close(started)
		<-release
		return nil
	})
	f.exit = func(code int) {
		time.Sleep(50 * time.Millisecond) // Finish must wait this out
		f.exits <- code
	}
	f.Arm()
	<-started
	finished := make(chan error, 1)
	go func() { finished <- f.Finish() }()
	time.Sleep(50 * time.Millisecond) // lets Finish reach the work first
	close(release)
	if err := <-finished; err != nil {
		t.Errorf("Finish: %v", err)
	}
	select {
	case code := <-f.exits:
		if code != 0 {
			t.Errorf("exit(%d), want exit(0)", code)
		}
	default:
		t.Errorf("Finish returned before the timer's exit")
	}
	if n := f.works.Load(); n != 1 {
		t.Errorf("the work ran %d times, want 1", n)
	}
}

func TestQuitGuardSignal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFakeQuit(10*time.Millisecond, func() error { return nil })
	f.ArmOnSignal(syscall.SIGUSR1)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if code := f.waitExit(t); code != 0 {
		t.Errorf("exit(%d) after the signal, want exit(0)", code)
	}
	if err := f.finish(t); err != nil {
		t.Errorf("Finish: %v", err)
	}

	// No signal: Finish stops the watcher (goleak) and nothing exits.
	f = newFakeQuit(10*time.Millisecond, func() error { return nil })
	f.ArmOnSignal(syscall.SIGUSR1)
	if err := f.finish(t); err != nil {
		t.Errorf("Finish: %v", err)
	}
	time.Sleep(4 * f.grace)
	f.noExit(t)
}
