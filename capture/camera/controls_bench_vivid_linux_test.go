//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"testing"

	"github.com/tally-app/tally/internal/testenv"
)

func benchControls(b *testing.B) *Controls {
	b.Helper()
	testenv.SkipUnlessInVM(b, "TestVivid (scripts/vm.sh -- camera.test -test.bench Vivid)")
	be := New()
	devs, err := be.Devices(b.Context())
	if err != nil || len(devs) == 0 {
		b.Fatalf("no vivid camera: %v", err)
	}
	c, err := be.Controls(devs[0].DeviceID)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// Listing every control with its value: what a controls panel's refresh
// costs (vivid has about 70).
func BenchmarkVivid_ControlsList(b *testing.B) {
	c := benchControls(b)
	for b.Loop() {
		if _, err := c.List(); err != nil {
			b.Fatal(err)
		}
	}
}

// A set until its V4L2_EVENT_CTRL comes back: how soon a panel following
// the driver sees a change.
func BenchmarkVivid_ControlSetToEvent(b *testing.B) {
	c := benchControls(b)
	got := make(chan int64, 16)
	cancel, err := c.OnChange(func(k ControlInfo) {
		if k.Name == "brightness" {
			got <- k.Value
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer cancel()
	defer c.Set("brightness", 128)
	v := int64(0)
	for b.Loop() {
		v = (v + 1) % 256
		if err := c.Set("brightness", v); err != nil {
			b.Fatal(err)
		}
		for <-got != v {
		}
	}
}
