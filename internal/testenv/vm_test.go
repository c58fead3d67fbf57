package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVM boots the VM once with one vivid capture node and runs the
// TestVM_ tests there.
func TestVM(t *testing.T) {
	RunTestsInVM(t, "^TestVM_", VMOptions{Vivid: "n_devs=1 node_types=0x1", Timeout: 3 * time.Minute})
}

func TestVM_OneCaptureNode(t *testing.T) {
	SkipUnlessInVM(t, "TestVM")
	if got, want := VividNodes(t), []string{"/dev/video0"}; !slices.Equal(got, want) {
		t.Fatalf("vivid n_devs=1 node_types=0x1 made video nodes %q, want %q", got, want)
	}
	fi, err := os.Stat("/dev/video0")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/video0 is %v, not a character device", fi.Mode())
	}
	if got := os.Getenv("TALLY_VM_VIVID"); got != "n_devs=1 node_types=0x1" {
		t.Errorf("TALLY_VM_VIVID = %q, want the boot's parameters", got)
	}
}

func TestVM_ListFormats(t *testing.T) {
	SkipUnlessInVM(t, "TestVM")
	out := v4l2ctl(t, "-d", "/dev/video0", "--list-formats")
	for _, f := range []string{"'YUYV'", "'NV12'", "'RGB3'"} {
		if !strings.Contains(out, f) {
			t.Errorf("v4l2-ctl --list-formats on vivid lacks %s:\n%s", f, out)
		}
	}
}

func TestVM_ReloadTwoCaptureNodes(t *testing.T) {
	SkipUnlessInVM(t, "TestVM")
	nodes := ReloadVivid(t, "n_devs=2 node_types=0x1,0x1")
	if want := []string{"/dev/video0", "/dev/video1"}; !slices.Equal(nodes, want) {
		t.Fatalf("after reload with n_devs=2: video nodes %q, want %q", nodes, want)
	}
	for _, n := range nodes {
		if out := v4l2ctl(t, "-d", n, "--info"); !strings.Contains(out, "Video Capture") {
			t.Errorf("%s is not a capture node:\n%s", n, out)
		}
	}
}

func TestVM_UnbindAndBind(t *testing.T) {
	SkipUnlessInVM(t, "TestVM")
	// The reload above is undone by its cleanup: the boot's one node.
	if got := VividNodes(t); len(got) != 1 {
		t.Fatalf("before unbind: video nodes %q, want the boot's one", got)
	}
	UnbindVivid(t, 0)
	if got := VividNodes(t); len(got) != 0 {
		t.Errorf("after unbind: video nodes %q, want none", got)
	}
	if _, err := os.Stat("/dev/video0"); !os.IsNotExist(err) {
		t.Errorf("after unbind: stat /dev/video0: %v, want it gone", err)
	}
	BindVivid(t, 0)
	if got := VividNodes(t); !slices.Equal(got, []string{"/dev/video0"}) {
		t.Errorf("after bind: video nodes %q, want [/dev/video0]", got)
	}
}

func TestVM_WritableScratch(t *testing.T) {
	SkipUnlessInVM(t, "TestVM")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{os.TempDir(), "/dev/shm", wd} {
		path := filepath.Join(dir, "tally-vm-write-test")
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Errorf("%s is not writable in the VM: %v", dir, err)
			continue
		}
		os.Remove(path)
	}
}

func TestVM_Xvfb(t *testing.T) {
	SkipUnlessInVM(t, "TestVM")
	x := StartXvfb(t)
	if info := xdpyinfo(t, x); !strings.Contains(info, "dimensions:    1280x800 pixels") {
		t.Errorf("Xvfb in the VM: xdpyinfo does not report 1280x800:\n%s", info)
	}
}

func v4l2ctl(t *testing.T, args ...string) string {
	t.Helper()
	bin := lookTool(t, "v4l2-ctl", "v4l-utils")
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("v4l2-ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestVMCommand runs a command in the VM by scripts/vm.sh and checks what
// comes back: the exit status, stdout and stderr apart, the environment
// passed, a writable share, and a failing test group named as failed.
func TestVMCommand(t *testing.T) {
	if InVM() {
		t.Skip("testenv: boots the VM from the host")
	}
	script := vmScript(t)
	bin := buildTestBinary(t, false)
	share := t.TempDir()
	cmd := exec.Command("bash", append([]string{script}, vmArgs("none", 2*time.Minute, []string{share})...)...)
	cmd.Args = append(cmd.Args, "--", "sh", "-c", `
		echo to-stderr >&2
		env >"$1/env"
		"$2" -test.run '^TestVMFailing_' -test.v
		echo "status=$?"
		exit 7`, "sh", share, bin)
	cmd.Env = append(os.Environ(), "TALLY_VM_TEST_FAIL=1", "NOT_PASSED_TO_THE_VM=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	if code := cmd.ProcessState.ExitCode(); code != 7 {
		t.Fatalf("vm.sh exit status %d (%v), want the command's 7", code, err)
	}
	if !strings.Contains(stderr.String(), "to-stderr") || strings.Contains(stdout.String(), "to-stderr") {
		t.Errorf("the command's stderr is not on vm.sh's stderr alone")
	}

	var r testResults
	for _, line := range strings.Split(stdout.String(), "\n") {
		r.add(line)
	}
	if got, want := r.failed(), []string{"TestVMFailing_Fails"}; !slices.Equal(got, want) {
		t.Errorf("failed tests in the VM: %q, want %q", got, want)
	}
	if r.status["TestVMFailing_Passes"] != "PASS" {
		t.Errorf("TestVMFailing_Passes: %q, want PASS", r.status["TestVMFailing_Passes"])
	}
	if !strings.Contains(stdout.String(), "\nstatus=1\n") {
		t.Errorf("the failing test binary's status is not 1 in the VM")
	}

	env, err := os.ReadFile(filepath.Join(share, "env"))
	if err != nil {
		t.Fatalf("the command could not write into the --rw share: %v", err)
	}
	for _, want := range []string{"TALLY_IN_VM=1", "TALLY_VM_TEST_FAIL=1", "TALLY_VM_VIVID=none", "PATH="} {
		if !strings.Contains("\n"+string(env), "\n"+want) {
			t.Errorf("the command's environment lacks %s:\n%s", want, env)
		}
	}
	if strings.Contains(string(env), "NOT_PASSED_TO_THE_VM") {
		t.Errorf("a variable outside the chosen set reached the VM:\n%s", env)
	}
}

// TestVMFailing_ tests run only in TestVMCommand's VM, where one of them
// fails on purpose to show that failures come back by name.
func TestVMFailing_Fails(t *testing.T) {
	SkipUnlessInVM(t, "TestVMCommand")
	if os.Getenv("TALLY_VM_TEST_FAIL") != "1" {
		t.Skip("fails on purpose only when TestVMCommand asks (TALLY_VM_TEST_FAIL=1)")
	}
	t.Error("failing on purpose, as TestVMCommand asks")
}

func TestVMFailing_Passes(t *testing.T) {
	SkipUnlessInVM(t, "TestVMCommand")
}

func TestResultsParse(t *testing.T) {
	out := `=== RUN   TestA
    a_test.go:10: hello
--- PASS: TestA (0.00s)
=== RUN   TestB
=== RUN   TestB/sub
    b_test.go:3: broke
--- FAIL: TestB (0.01s)
    --- FAIL: TestB/sub (0.01s)
=== RUN   TestC
    c_test.go:1: not here
--- SKIP: TestC (0.00s)
FAIL`
	var r testResults
	for _, l := range strings.Split(out, "\n") {
		r.add(l)
	}
	if got, want := r.order, []string{"TestA", "TestB", "TestC"}; !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	if got := r.failed(); !slices.Equal(got, []string{"TestB"}) {
		t.Errorf("failed %q, want [TestB]", got)
	}
	if got := strings.Join(r.output["TestB"], "\n"); !strings.Contains(got, "broke") || strings.Contains(got, "hello") {
		t.Errorf("TestB's output %q, want its own lines", got)
	}
	if r.status["TestC"] != "SKIP" {
		t.Errorf("TestC %q, want SKIP", r.status["TestC"])
	}
}

func TestWithoutRace(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"-race":                 "",
		"-buildvcs=false -race": "-buildvcs=false",
		"-race -tags=x":         "-tags=x",
	} {
		if got := withoutRace(in); got != want {
			t.Errorf("withoutRace(%q) = %q, want %q", in, got, want)
		}
	}
}
