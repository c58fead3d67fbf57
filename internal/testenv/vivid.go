package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Helpers for tests that run inside the test VM (see RunTestsInVM), where
// the kernel's vivid driver provides real V4L2 devices.

// vividDriver is vivid's platform driver in sysfs: its instances vivid.N
// are directories here, bind and unbind attach and detach them.
const vividDriver = "/sys/bus/platform/drivers/vivid"

// ReloadVivid unloads vivid and loads it again with params (module
// parameters such as "n_devs=2 node_types=0x1,0x1"; "" for the module's
// defaults), waits for its device nodes and returns its video nodes, like
// "/dev/video0". At cleanup it reloads vivid as the VM booted it, so the
// next test of the group finds the devices it expects. Every device node
// must be closed first: vivid cannot unload while one is open.
//
// It fails the test outside the VM (call SkipUnlessInVM first).
func ReloadVivid(t testing.TB, params string) []string {
	t.Helper()
	if err := reloadVivid(params); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		boot := os.Getenv("TALLY_VM_VIVID")
		if boot == "default" {
			boot = ""
		}
		if err := reloadVivid(boot); err != nil {
			t.Errorf("testenv: restoring vivid after the test: %v", err)
		}
	})
	return VividNodes(t)
}

func reloadVivid(params string) error {
	if !InVM() {
		return fmt.Errorf("ReloadVivid: not in the test VM (TALLY_IN_VM is not 1): run the test through RunTestsInVM")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{}
	if params != "" {
		args = append(args, params)
	}
	out, err := exec.CommandContext(ctx, "tally-vivid", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("tally-vivid %q: %v: %s", params, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// VividNodes returns vivid's video nodes ("/dev/videoN": capture, output,
// VBI and metadata alike), in the order of their minor numbers.
func VividNodes(t testing.TB) []string {
	t.Helper()
	dirs, err := filepath.Glob(vividDriver + "/vivid.*/video4linux/video*")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var nodes []string
	for _, d := range dirs {
		nodes = append(nodes, "/dev/"+filepath.Base(d))
	}
	slices.SortFunc(nodes, func(a, b string) int { return videoNumber(a) - videoNumber(b) })
	return nodes
}

func videoNumber(node string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(node, "/dev/video"))
	return n
}

// UnbindVivid detaches vivid instance n (vivid.N) from its driver, as a
// USB camera's unplug does: its nodes go away, open file descriptors stay
// but fail.
func UnbindVivid(t testing.TB, n int) {
	t.Helper()
	writeSysfs(t, vividDriver+"/unbind", "vivid."+strconv.Itoa(n))
}

// BindVivid attaches vivid instance n again, as a replug does, and waits
// until its video nodes exist.
func BindVivid(t testing.TB, n int) {
	t.Helper()
	writeSysfs(t, vividDriver+"/bind", "vivid."+strconv.Itoa(n))
	deadline := time.Now().Add(10 * time.Second)
	for {
		dirs, _ := filepath.Glob(fmt.Sprintf("%s/vivid.%d/video4linux/video*", vividDriver, n))
		ready := len(dirs) > 0
		for _, d := range dirs {
			if _, err := os.Stat("/dev/" + filepath.Base(d)); err != nil {
				ready = false
			}
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: vivid.%d bound but its video nodes did not appear within 10s", n)
		}
		// devtmpfs makes the nodes moments after the bind returns; there is
		// no event to wait for without udev.
		time.Sleep(20 * time.Millisecond)
	}
}

func writeSysfs(t testing.TB, path, value string) {
	t.Helper()
	if !InVM() {
		t.Fatalf("testenv: writing %s: not in the test VM: run the test through RunTestsInVM", path)
	}
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		t.Fatalf("testenv: echo %s > %s: %v", value, path, err)
	}
}
