package mic_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/mic"
)

// TestHungServer: a server that stops answering (SIGSTOP) blocks miniaudio's
// calls, but no call of the backend hangs with it beyond its context or the
// close timeout; once the server answers again everything finishes.
func TestHungServer(t *testing.T) {
	startPulse(t)
	// The private server is this process's child.
	out, err := exec.Command("pgrep", "-P", strconv.Itoa(os.Getpid()), "pulseaudio").Output()
	if err != nil {
		t.Skipf("cannot find the test server's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(out))[0])
	if err != nil {
		t.Fatal(err)
	}
	b := newBackend(t, mic.WithStallTimeout(100*time.Millisecond), mic.WithCloseTimeout(300*time.Millisecond), mic.WithPollInterval(50*time.Millisecond))
	dev := openVirtmic(t, b)

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := b.Devices(ctx); !errors.Is(err, capture.ErrAbort) {
		t.Errorf("Devices of a hung server = %v, want AbortError", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Devices returned %v after its context ended", d)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if took, err := readUntilError(dev, 500*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) || took > 2*time.Second {
		t.Errorf("ReadAudio of a hung server = %v after %v, want its deadline", err, took)
	}
	if _, err := b.Open(ctx2, virtID, capture.MediaTrackSettings{}); !errors.Is(err, capture.ErrAbort) {
		t.Errorf("Open on a hung server = %v, want AbortError", err)
	}
	start = time.Now()
	err = dev.Close()
	t.Logf("Close on a hung server: %v after %v", err, time.Since(start))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a 300 ms close timeout", d)
	}
	resume()
	// Backend.Close (in cleanup) then finds every call finished; goleak
	// checks that nothing is left.
}
