package holders

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// childEnv makes the test binary a child that holds a file:
// "open:<path>" keeps it open, "mmap:<path>" also maps it, "mmaponly:<path>"
// maps it and closes the descriptor. It prints "ready" once it holds the
// file and exits when its stdin closes.
const childEnv = "HOLDERS_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	goleak.VerifyTestMain(m)
}

func runChild(spec string) int {
	mode, path, _ := strings.Cut(spec, ":")
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	if mode == "mmap" || mode == "mmaponly" {
		if _, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ, syscall.MAP_SHARED); err != nil {
			fmt.Fprintln(os.Stderr, "child: mmap:", err)
			return 1
		}
		if mode == "mmaponly" {
			f.Close() // the mapping keeps the file referenced
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // hold until the parent lets go
	return 0
}

// child is a process started by a test, holding a file.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  bool
}

// startChild re-executes the test binary as a child holding path (mode as
// in childEnv) and returns once it holds it. The child ends at t.Cleanup
// if the test has not stopped it.
func startChild(t testing.TB, mode, path string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The race detector otherwise sleeps a second at exit.
	cmd.Env = append(os.Environ(), childEnv+"="+mode+":"+path, "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	t.Cleanup(c.stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("child %s %s did not get ready: %q, %v", mode, path, line, err)
	}
	return c
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop lets the child exit and reaps it, so its /proc entry is gone when
// stop returns.
func (c *child) stop() {
	if c.done {
		return
	}
	c.done = true
	c.stdin.Close()
	c.cmd.Wait()
}

// testName is the comm of a child running the test binary.
func testName() string {
	n := filepath.Base(os.Args[0])
	if len(n) > 15 { // TASK_COMM_LEN - 1
		n = n[:15]
	}
	return n
}

// tempDevice makes a one-page file standing in for a device node.
func tempDevice(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "video0")
	if err := os.WriteFile(p, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// poll calls f until it returns true or the deadline passes.
func poll(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
