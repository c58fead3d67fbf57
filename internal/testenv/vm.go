package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test VM: scripts/vm.sh boots a Debian kernel under qemu with the
// kernel's vivid V4L2 driver loaded, the host's root shared read-only (with
// a writable overlay in guest RAM), and runs one command there. Tests that
// need a real camera driver run in it as a group, in one boot:
//
//	func TestVivid(t *testing.T) { // on the host: boots the VM once
//		testenv.RunTestsInVM(t, "^TestVivid_", testenv.VMOptions{Vivid: "n_devs=1 node_types=0x1"})
//	}
//
//	func TestVivid_Open(t *testing.T) {
//		testenv.SkipUnlessInVM(t, "TestVivid") // skips on the host, saying where it runs
//		...
//	}

// Exit statuses of scripts/vm.sh besides the command's own.
const (
	vmTimedOut = 124 // its --timeout hit
	vmFailed   = 125 // the VM ended before the command did
)

// VMOptions says how RunTestsInVM boots the VM.
type VMOptions struct {
	// Vivid is vivid's module parameters at boot, such as
	// "n_devs=1 node_types=0x1" (one capture node); "" means the module's
	// defaults (capture, output, VBI, radio, SDR, touch and metadata nodes);
	// "none" loads no vivid.
	Vivid string
	// Timeout bounds the whole VM run; default 5 minutes, and never past
	// the test binary's own -timeout.
	Timeout time.Duration
	// Race runs a -race test binary in the VM. Off by default: under TCG a
	// race build runs pixel code about 20 times slower than a plain one
	// (docs/vm.md), which the host's -race run covers anyway.
	Race bool
}

// InVM reports whether this process runs inside the test VM
// (scripts/vm.sh sets TALLY_IN_VM=1).
func InVM() bool { return os.Getenv("TALLY_IN_VM") == "1" }

// SkipUnlessInVM skips the test on the host, naming runner, the host-side
// test that runs it in the VM through RunTestsInVM.
func SkipUnlessInVM(t testing.TB, runner string) {
	t.Helper()
	if !InVM() {
		t.Skipf("testenv: runs in the VM through %s (scripts/vm.sh)", runner)
	}
}

// RunTestsInVM runs this package's tests that match pattern (a -test.run
// expression) in one boot of the test VM and reports their results as
// subtests of t, failing t with the names of those that failed. Their
// output is streamed into t's log as it arrives. The test binary is built
// afresh for the VM (without -race unless opts.Race) from the package in
// the current directory, which is where go test runs a package's tests.
//
// Without qemu the test is skipped, saying what to install, or fails when
// CI is set. In the VM itself it skips: the group's tests run directly.
func RunTestsInVM(t *testing.T, pattern string, opts VMOptions) {
	t.Helper()
	if InVM() {
		t.Skipf("testenv: already in the VM: the tests matching %s run directly", pattern)
	}
	if _, err := regexp.Compile(pattern); err != nil {
		t.Fatalf("testenv: RunTestsInVM: pattern %q: %v", pattern, err)
	}
	script := vmScript(t)
	bin := buildTestBinary(t, opts.Race)
	// The deadline is shared out only once the VM is ours: waiting for
	// another package's VM comes out of this test's time, not the guest's.
	holdVMRunLock(t)
	timeout := vmTimeout(t, opts.Timeout)

	args := []string{bin, "-test.run", pattern, "-test.v", "-test.count=1",
		// Shorter than the VM's timeout, so a hung test panics with its
		// goroutines in the log before the VM is killed.
		"-test.timeout", (timeout - vmBootAllowance).String()}
	if testing.Short() {
		args = append(args, "-test.short")
	}

	start := time.Now()
	var results testResults
	// The guest's lines carry a prefix, so that nothing (go test -json's
	// parser included) takes its "--- FAIL" lines for t's own.
	out := t.Output()
	status, err := runVM(t, script, vmArgs(opts.Vivid, timeout, nil), args, nil, func(line string) {
		fmt.Fprintf(out, "vm| %s\n", line)
		results.add(line)
	})
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Logf("testenv: VM run of %s (vivid %q): exit status %d in %.1fs", pattern, opts.Vivid, status, time.Since(start).Seconds())
	results.report(t, pattern, status)
}

// vmBootAllowance is how long the VM may take around the command: boot
// under TCG (3-7 s measured), loading vivid, power-off.
const vmBootAllowance = 30 * time.Second

// vmTimeout returns the VM's timeout: want (default 5 minutes) cut to what
// is left before the test binary's deadline, less time to report.
func vmTimeout(t *testing.T, want time.Duration) time.Duration {
	t.Helper()
	if want <= 0 {
		want = 5 * time.Minute
	}
	if deadline, ok := t.Deadline(); ok {
		left := time.Until(deadline) - 15*time.Second
		if left < want {
			want = left
		}
	}
	if want < 2*vmBootAllowance {
		t.Fatalf("testenv: %v left for the VM, not enough to boot it and run tests: raise go test's -timeout (scripts/test.sh: TALLY_TEST_TIMEOUT)", want.Round(time.Second))
	}
	return want.Truncate(time.Second)
}

// vmArgs returns scripts/vm.sh's options for a boot.
func vmArgs(vivid string, timeout time.Duration, rw []string) []string {
	if vivid == "" {
		vivid = "default"
	}
	args := []string{"--vivid", vivid, "--timeout", strconv.Itoa(int(timeout / time.Second))}
	for _, d := range rw {
		args = append(args, "--rw", d)
	}
	return args
}

// vmScript returns the path of scripts/vm.sh, found from the current
// directory up, after checking that qemu is installed (skip, or fail on CI).
func vmScript(t testing.TB) string {
	t.Helper()
	lookTool(t, "qemu-system-x86_64", "qemu-system-x86")
	lookTool(t, "busybox", "busybox-static")
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for {
		script := filepath.Join(dir, "scripts", "vm.sh")
		if _, err := os.Stat(script); err == nil {
			return script
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no scripts/vm.sh in the current directory or above it")
		}
		dir = parent
	}
}

// vmCacheDir is scripts/vm.sh's cache: the guest sees it (it sees no host
// /tmp), so binaries for the guest are built into it.
func vmCacheDir() (string, error) {
	if d := os.Getenv("TALLY_VM_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder for the VM's binaries (set TALLY_VM_CACHE): %w", err)
	}
	return filepath.Join(d, "tally-vm"), nil
}

// buildTestBinary builds the current directory's package's test binary
// into the VM's cache, removed at cleanup, and returns its path.
func buildTestBinary(t testing.TB, race bool) string {
	t.Helper()
	goTool := lookTool(t, "go", "golang (or Go from https://go.dev/dl/)")
	cache, err := vmCacheDir()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(cache, "bin"), 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	dir, err := os.MkdirTemp(filepath.Join(cache, "bin"), "test-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	bin := filepath.Join(dir, "vm.test")
	args := []string{"test", "-c", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	cmd.Env = append(os.Environ(), "GOFLAGS="+withoutRace(os.Getenv("GOFLAGS")))
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testenv: building the test binary for the VM (go %s): %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	t.Logf("testenv: built the VM's test binary (race %v) in %.1fs", race, time.Since(start).Seconds())
	return bin
}

// withoutRace drops -race from GOFLAGS, which scripts/test.sh sets.
func withoutRace(goflags string) string {
	return strings.Join(slices.DeleteFunc(strings.Fields(goflags), func(f string) bool {
		return f == "-race" || f == "--race" || f == "-race=true"
	}), " ")
}

// vmRunLockHeld is set while this process holds the VM run lock.
var vmRunLockHeld atomic.Bool

// holdVMRunLock takes scripts/vm.sh's run lock until t's cleanup: one VM at
// a time on the machine. go test runs packages in parallel, and two TCG
// guests on two cores starve each other — the window test's software GL
// then took minutes to draw a frame.
func holdVMRunLock(t *testing.T) {
	t.Helper()
	cache, err := vmCacheDir()
	if err == nil {
		err = os.MkdirAll(cache, 0o755)
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	f, err := os.OpenFile(filepath.Join(cache, ".run.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("testenv: the VM run lock: %v", err)
	}
	start := time.Now()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("testenv: the VM run lock: %v", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Logf("testenv: waited %.1fs for another VM run to finish", waited.Seconds())
	}
	vmRunLockHeld.Store(true)
	t.Cleanup(func() {
		vmRunLockHeld.Store(false)
		f.Close() // releases the lock
	})
}

// runVM runs scripts/vm.sh with opts and the command args, in the current
// directory with this environment plus extraEnv, and hands each line of the
// command's output (stdout and stderr, merged) to line as it arrives, on
// another goroutine; runVM returns after the last one. It returns the exit
// status, or an error when vm.sh could not be run at all.
func runVM(t testing.TB, script string, opts, args, extraEnv []string, line func(string)) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append(append(append([]string{script}, opts...), "--"), args...)...)
	cmd.Env = append(os.Environ(), extraEnv...)
	if vmRunLockHeld.Load() {
		cmd.Env = append(cmd.Env, "TALLY_VM_LOCK_HELD=1") // vm.sh would wait for us
	}
	cmd.Stdin = nil // /dev/null: the VM needs no terminal
	// vm.sh stops qemu when it gets SIGTERM; its whole group goes, so
	// nothing of the VM outlives the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return 0, fmt.Errorf("starting %s: %w", script, err)
	}
	w.Close() // the children hold it now: EOF once they are all gone
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			line(sc.Text())
		}
		if err := sc.Err(); err != nil {
			line("testenv: reading the VM's output: " + err.Error())
			_, _ = io.Copy(io.Discard, r) // keep draining so the writers can exit
		}
	}()
	waitErr := cmd.Wait()
	// A child that outlived vm.sh (it should not) would hold the pipe open:
	// kill the group before waiting for the reader.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	r.Close()
	var exit *exec.ExitError
	switch {
	case waitErr == nil:
		return 0, nil
	case errors.As(waitErr, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode(), nil
	default:
		return 0, fmt.Errorf("%s: %w", script, waitErr)
	}
}

// testResults collects the top-level results of a -test.v run.
type testResults struct {
	order    []string          // top-level tests in the order they ended
	status   map[string]string // "PASS", "FAIL" or "SKIP"
	output   map[string][]string
	current  string // the test the last framing line named
	noTests  bool   // the binary said no test matched
	lastLine []string
}

var (
	resultLine = regexp.MustCompile(`^--- (PASS|FAIL|SKIP): (\S+) \(`)
	frameLine  = regexp.MustCompile(`^=== (RUN|CONT|NAME|PAUSE)\s+(\S+)`)
)

func (r *testResults) add(line string) {
	if r.status == nil {
		r.status, r.output = map[string]string{}, map[string][]string{}
	}
	r.lastLine = append(r.lastLine, line)
	if len(r.lastLine) > 40 {
		r.lastLine = r.lastLine[1:]
	}
	if strings.HasPrefix(line, "testing: warning: no tests to run") {
		r.noTests = true
	}
	if m := frameLine.FindStringSubmatch(line); m != nil {
		r.current, _, _ = strings.Cut(m[2], "/")
		return
	}
	if m := resultLine.FindStringSubmatch(line); m != nil {
		if _, seen := r.status[m[2]]; !seen {
			r.order = append(r.order, m[2])
		}
		r.status[m[2]] = m[1]
		r.current = ""
		return
	}
	if r.current != "" {
		r.output[r.current] = append(r.output[r.current], line)
	}
}

// failed returns the names of the top-level tests that failed.
func (r *testResults) failed() []string {
	var names []string
	for _, name := range r.order {
		if r.status[name] == "FAIL" {
			names = append(names, name)
		}
	}
	return names
}

// report mirrors each test's result as a subtest of t and fails t when the
// run failed: a failed test, a non-zero status, or no test run at all.
func (r *testResults) report(t *testing.T, pattern string, status int) {
	t.Helper()
	for _, name := range r.order {
		t.Run(name, func(t *testing.T) {
			switch r.status[name] {
			case "FAIL":
				t.Errorf("failed in the VM:\n%s", strings.Join(r.output[name], "\n"))
			case "SKIP":
				t.Skipf("skipped in the VM:\n%s", strings.Join(r.output[name], "\n"))
			}
		})
	}
	tail := strings.Join(r.lastLine, "\n")
	switch failed := r.failed(); {
	case status == vmTimedOut:
		t.Errorf("testenv: the VM timed out running %s (still running: %s); the end of its output:\n%s", pattern, r.current, tail)
	case status == vmFailed:
		t.Errorf("testenv: the VM failed before %s finished:\n%s", pattern, tail)
	case len(failed) > 0:
		t.Errorf("testenv: failed in the VM: %s", strings.Join(failed, ", "))
	case status != 0:
		t.Errorf("testenv: the tests matching %s exited with status %d in the VM, no test named as failed; the end of their output:\n%s", pattern, status, tail)
	case r.noTests || len(r.order) == 0:
		t.Errorf("testenv: no test in this package matches %s: nothing ran in the VM", pattern)
	}
}
