// Package testenv starts the private servers that Tally's tests need: an X
// server (Xvfb) for the GUI and screen capture, and a PulseAudio server with a
// virtual microphone for audio capture.
//
// Each server is private to the test that starts it (its own display number
// or socket, its own runtime directory) and is stopped, and waited for, by
// t.Cleanup, so nothing outlives the test.
//
// # Skip or fail
//
// When a server's program is not installed, the test is skipped with a
// message naming the package to install — unless the environment variable CI
// is set (to anything but "", "0" or "false"), in which case it fails: on CI a
// missing program is a broken setup, not a reason to run fewer tests.
// scripts/deps.sh installs everything.
//
// # Concurrency
//
// Start functions and the methods that can fail the test (Pulse.Restart,
// Pulse.Setenv) must be called from the test's goroutine, as t.Fatal
// requires. The other methods are safe from any goroutine.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// onCI reports whether the tests run on CI, where missing tools are failures.
func onCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// lookTool returns the path of program, or skips (fails on CI) the test
// with a message that names the Debian package that provides it.
func lookTool(t testing.TB, program, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("testenv: %s not found (install Debian package %s, or run scripts/deps.sh)", program, debianPackage)
	if onCI() {
		t.Fatal(msg + "; failing because CI is set")
	} else {
		t.Skip(msg)
	}
	return ""
}

// proc is a started child process whose exit is collected by exactly one
// goroutine, so that callers can wait for it with a deadline.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait has returned
	err  error         // cmd.Wait's result; read only after done is closed
}

// startProc starts cmd, killed with SIGKILL should the test binary die
// before its cleanup runs (a test timeout panics without cleanups).
func startProc(cmd *exec.Cmd) (*proc, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig, waits up to grace for the exit, then kills and waits for
// good. It returns once the process is gone and reaped.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return
	case <-timer.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// logTail returns up to the last n lines of the file at path, for error
// messages; it never fails (a read error is described instead).
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintf("last lines of %s:\n%s", path, bytes.Join(lines, []byte("\n")))
}
