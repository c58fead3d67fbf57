package camera

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/holders"
)

// A camera another process holds fails to open with a NotReadableError that
// names that process. The kernel's answer (EBUSY) is the fake's; the holder
// is a real child process found by a real /proc scan.
func TestBusyCameraNamesItsHolder(t *testing.T) {
	node := filepath.Join(t.TempDir(), "video0")
	if err := os.WriteFile(node, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// sleep holding the node open on fd 3, as a capture program would.
	child := exec.Command("sh", "-c", `exec sleep 60 3<"$0"`, node)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = child.Process.Kill()
		_ = child.Wait()
	}()
	// The shell opens fd 3 before it execs sleep: wait for sleep itself.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(holders.DescribeBusy(node), "in use by sleep") {
		if time.Now().After(deadline) {
			t.Fatal("the child never held the node")
		}
		time.Sleep(10 * time.Millisecond)
	}

	cam := c270
	cam.Path = node
	sys := newFakeSystem(cam)
	sys.openErr[cam.ID] = fmt.Errorf("VIDIOC_STREAMON: %w", syscall.EBUSY)
	md := capture.NewMediaDevices(NewWithSystem(sys))
	defer md.Close()
	_, err := md.GetUserMedia(context.Background(), capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}})
	if !errors.Is(err, capture.ErrNotReadable) {
		t.Fatalf("getUserMedia on a busy camera: %v, want NotReadableError", err)
	}
	want := fmt.Sprintf("camera %s (%q) is in use by sleep (pid %d)", node, cam.Label, child.Process.Pid)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q\nlacks %q", err, want)
	}
}
