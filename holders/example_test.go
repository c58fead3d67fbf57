package holders_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/holders"
)

// What "tally holders [--json]" does: every camera and ALSA capture node,
// and every audio server source, with their holders.
func ExamplePrint() {
	s := &holders.Scanner{Paths: holders.DefaultPaths(), Pulse: true}
	snap, err := s.Holders(context.Background())
	if err != nil {
		// Partial: e.g. no audio server. The snapshot says so and still
		// lists the nodes.
		fmt.Fprintln(os.Stderr, "tally holders:", err)
	}
	holders.Print(os.Stdout, snap, false)
}

// A backend whose open of a node failed because it is busy names the
// holders in its NotReadableError.
func ExampleDescribeBusy() {
	path := "/dev/video0"
	var err error = syscall.EBUSY // as returned by the open or VIDIOC_STREAMON
	if errors.Is(err, syscall.EBUSY) {
		if who := holders.DescribeBusy(path); who != "" {
			// "NotReadableError: camera /dev/video0 is in use by obs (pid 4242): device or resource busy"
			err = capture.NewError(capture.ErrNotReadable, err, "camera %s is %s", path, who)
		} else {
			err = capture.NewError(capture.ErrNotReadable, err, "camera %s is busy", path)
		}
	}
	fmt.Println(err)
}

// A holders list kept up to date about once a second.
func ExampleWatcher() {
	w := holders.NewWatcher(&holders.Scanner{Paths: []string{"/dev/video0"}, Pulse: true}, time.Second)
	defer w.Close()
	cancel := w.OnChange(func(s holders.Snapshot) {
		// Runs on the watcher's goroutine: hand the snapshot to the UI
		// (fyne.Do) rather than touching widgets here.
		if d, ok := s.Device("/dev/video0"); ok {
			fmt.Println(len(d.Holders), "holders of /dev/video0")
		}
	})
	defer cancel()
}
