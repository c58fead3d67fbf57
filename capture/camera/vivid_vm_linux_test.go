//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVividInVM runs the TestVivid* tests against the real vivid driver in
// the test VM: it builds this package's test binary (without -race: the VM
// is emulated and slow enough) and runs it under scripts/vm.sh. Outside CI
// it skips, saying why, when qemu is missing; in CI (CI set) it fails.
func TestVividInVM(t *testing.T) {
	if os.Getenv("TALLY_IN_VM") == "1" {
		t.Skip("already in the VM")
	}
	if testing.Short() {
		t.Skip("-short: the VM takes a minute")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs qemu for the camera tests (bash scripts/deps.sh installs it): %v", err)
		}
		t.Skipf("qemu-system-x86_64 not installed (bash scripts/deps.sh installs it): %v", err)
	}
	script, err := filepath.Abs("../../scripts/vm.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "camera.test")
	build := exec.Command("go", "test", "-race=false", "-c", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the test binary: %v\n%s", err, out)
	}
	run := exec.Command("bash", script, "--vivid", vividParams, "--timeout", "400", "--rw", dir, "--",
		bin, "-test.run", "^TestVivid", "-test.v", "-test.count=1", "-test.timeout=360s")
	out, err := run.CombinedOutput()
	t.Logf("in the VM:\n%s", out)
	if err != nil {
		t.Fatalf("the vivid tests failed in the VM: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestVividEveryFormat") {
		t.Error("the VM run did not pass TestVividEveryFormat")
	}
}
