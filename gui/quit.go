package gui

import (
	"log"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"time"
)

// QuitGrace is how long a QuitGuard waits for Fyne's Run to return after
// quit was asked for. Fyne's own shutdown takes well under a second.
const QuitGrace = 5 * time.Second

// QuitGuard makes the program finish and exit after quit even when Fyne's
// Run never returns.
//
// Why: Fyne v2.7.1 can hang in Run after quit. runGL queues the OnStopped
// hook (never nil: the app saves its preferences there) on the lifecycle
// queue, whose goroutine hands it to the main-thread queue and waits for
// it; the main loop meanwhile drains only what already reached that
// queue's output, marks it drained, closes it and returns. The hook can be
// left inside, never run, and Lifecycle.WaitForEvents then waits behind it
// forever (internal/driver/glfw/loop.go, internal/app/lifecycle.go).
//
// Use: Arm when quit is asked for (from any goroutine), and call Finish on
// the main goroutine when Run returns. If Run has not returned within
// QuitGrace of Arm, the guard logs it, does the work and exits the process:
// status 0, or 1 if the work failed. The work runs exactly once either way.
type QuitGuard struct {
	work  func() error
	grace time.Duration
	logf  func(format string, args ...any)
	exit  func(code int) // os.Exit; tests replace it

	once    sync.Once
	byTimer bool          // set inside once: the timer did the work
	err     error         // the work's result, set inside once
	exited  chan struct{} // closed after the timer called exit (tests: exit returns)

	mu       sync.Mutex // protects the fields below
	timer    *time.Timer
	finished bool // Finish was called: arming is over
	stopSig  chan struct{}
	sigDone  chan struct{}
}

// NewQuitGuard returns a guard for the program's shutdown work.
func NewQuitGuard(work func() error) *QuitGuard {
	return &QuitGuard{
		work:   work,
		grace:  QuitGrace,
		logf:   log.Printf,
		exit:   os.Exit,
		exited: make(chan struct{}),
	}
}

// Arm starts the grace period, unless it runs already or Finish was called.
func (g *QuitGuard) Arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished || g.timer != nil {
		return
	}
	g.timer = time.AfterFunc(g.grace, g.expire)
}

// ArmOnSignal arms the guard when one of sigs arrives: Fyne quits on
// SIGINT and SIGTERM without closing the window, and it takes only one.
// Finish stops the watching.
func (g *QuitGuard) ArmOnSignal(sigs ...os.Signal) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished || g.stopSig != nil {
		return
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, sigs...)
	stop, done := make(chan struct{}), make(chan struct{})
	g.stopSig, g.sigDone = stop, done
	go func() {
		defer close(done)
		defer signal.Stop(c)
		select {
		case <-c:
			g.Arm()
		case <-stop:
		}
	}()
}

// Finish disarms the guard, does the work unless the timer did, and
// returns its error. Call it when Run returned. If the timer did the work,
// Finish waits for its exit, which ends the process.
func (g *QuitGuard) Finish() error {
	g.mu.Lock()
	g.finished = true
	if g.timer != nil {
		g.timer.Stop()
	}
	stop, sigDone := g.stopSig, g.sigDone
	g.stopSig = nil
	g.mu.Unlock()
	if stop != nil {
		close(stop)
		<-sigDone
	}
	// Once.Do also waits for work the timer has under way.
	g.once.Do(func() { g.err = g.work() })
	if g.byTimer {
		<-g.exited
	}
	return g.err
}

// expire is the timer: Run did not return in time.
func (g *QuitGuard) expire() {
	g.once.Do(func() {
		g.byTimer = true
		g.logf("Fyne %s did not return from Run within %v of quit; finishing without it "+
			"(Fyne v2.7.1 can leave its OnStopped hook unrun in the main-thread queue on quit, and Run waits for it forever)",
			fyneVersion(), g.grace)
		g.err = g.work()
	})
	if !g.byTimer {
		return // Run returned and Finish did the work: nothing hangs
	}
	code := 0
	if g.err != nil {
		g.logf("%v", g.err)
		code = 1
	}
	g.exit(code)
	close(g.exited)
}

// fyneVersion is the linked Fyne module's version, for the log.
func fyneVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "fyne.io/fyne/v2" {
				return d.Version
			}
		}
	}
	return "(version unknown)"
}
