//go:build linux

package camera

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pion/mediadevices/pkg/frame"

	"github.com/tally-app/tally/capture"
)

// TestV4L2Rescan drives the real system's hot-plug path on a machine without
// cameras: a change in the watched node set makes it re-run pion's discovery,
// which (finding no real /dev/video*) still lists nothing, without error.
func TestV4L2Rescan(t *testing.T) {
	if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
		t.Skipf("this machine has cameras (%v); the test is for one without", nodes)
	}
	dir := t.TempDir()
	s := &v4l2System{glob: filepath.Join(dir, "video*"), busy: map[string]bool{}}
	cams, err := s.Cameras()
	if err != nil || len(cams) != 0 {
		t.Fatalf("first scan: %v, %v", cams, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "video0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cams, err = s.Cameras()
	if err != nil || len(cams) != 0 {
		t.Fatalf("rescan: %v, %v", cams, err)
	}
	if _, err := s.Open("video0", vp(frame.FormatYUYV, 640, 480, 30)); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("Open of an unlisted camera: %v", err)
	}
	// Opening a node that is not a V4L2 device fails with the node's name.
	if _, err := openStream(filepath.Join(dir, "video0"), vp(frame.FormatYUYV, 640, 480, 30)); err == nil {
		t.Error("a plain file opened as a camera")
	}
	if _, err := openStream(filepath.Join(dir, "video0"), vp(frame.FormatZ16, 640, 480, 30)); err == nil {
		t.Error("a format without a converter was accepted")
	}
}
