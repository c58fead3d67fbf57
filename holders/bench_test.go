package holders

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tally-app/tally/internal/pulse"
	"github.com/tally-app/tally/internal/testenv"
)

// spawnSleepers starts n sleep processes, each with f open as fd 3; they
// are killed and reaped at b.Cleanup.
func spawnSleepers(b *testing.B, n int, f *os.File) {
	b.Helper()
	cmds := make([]*exec.Cmd, 0, n)
	b.Cleanup(func() {
		for _, c := range cmds {
			c.Process.Kill()
			c.Wait()
		}
	})
	for range n {
		c := exec.Command("sleep", "600")
		c.ExtraFiles = []*os.File{f}
		if err := c.Start(); err != nil {
			b.Skipf("cannot start sleep: %v", err)
		}
		cmds = append(cmds, c)
	}
}

// benchWalk measures the /proc walk alone, with its buffers reused as a
// Scanner reuses them, and reports how many processes it looked at.
func benchWalk(b *testing.B, paths []string, allMaps bool, wantHolders int) {
	targets, _ := makeTargets(paths)
	ps := newProcScanner()
	ctx := context.Background()
	b.ReportAllocs()
	found := 0
	cpu0 := cpuTime()
	for b.Loop() {
		for i := range targets {
			targets[i].out = targets[i].out[:0]
		}
		if err := ps.scan(ctx, targets, allMaps); err != nil {
			b.Fatal(err)
		}
		found = 0
		for _, t := range targets {
			found += len(t.out)
		}
	}
	if found < wantHolders {
		b.Fatalf("found %d holders, want at least %d", found, wantHolders)
	}
	// CPU time, user and system: on a shared machine wall time also counts
	// the waits for a core.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(ps.pids)), "procs")
	b.ReportMetric(float64(found), "holders")
}

// BenchmarkScan scans this machine's real /proc: as it is, then with 200
// more sleeping processes that hold another file (the usual case: many
// processes, few holders), then with 200 that all hold the device.
func BenchmarkScan(b *testing.B) {
	dev := filepath.Join(b.TempDir(), "video0")
	other := filepath.Join(b.TempDir(), "other")
	for _, p := range []string{dev, other} {
		if err := os.WriteFile(p, make([]byte, 4096), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	paths := []string{"/dev/video0", "/dev/snd/pcmC0D0c", dev}

	b.Run("machine", func(b *testing.B) { benchWalk(b, paths, false, 0) })
	b.Run("machine-allmaps", func(b *testing.B) { benchWalk(b, paths, true, 0) })
	b.Run("ScanPaths", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ScanPaths(paths); err != nil {
				b.Fatal(err)
			}
		}
	})

	f, err := os.Open(other)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("200idle", func(b *testing.B) {
		spawnSleepers(b, 200, f)
		benchWalk(b, paths, false, 0)
	})
	b.Run("200idle-allmaps", func(b *testing.B) {
		spawnSleepers(b, 200, f)
		benchWalk(b, paths, true, 0)
	})

	g, err := os.Open(dev)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	b.Run("200holding", func(b *testing.B) {
		spawnSleepers(b, 200, g)
		benchWalk(b, paths, false, 200)
	})
}

// BenchmarkPulseRecorders asks the test PulseAudio (with one parecord
// recording) for its recorders: two requests over the native protocol,
// "connect" on a connection of its own each time (as the CLI does),
// "shared" on the process's open one (as the app does, where the mic
// backend holds it).
func BenchmarkPulseRecorders(b *testing.B) {
	p := testenv.StartPulse(b)
	p.Setenv(b)
	rec := exec.Command("parecord", "--device="+testenv.VirtualMic, "/dev/null")
	rec.Env = append(os.Environ(), p.Env()...)
	if err := rec.Start(); err != nil {
		b.Skipf("parecord: %v", err)
	}
	defer rec.Wait()
	defer rec.Process.Kill()
	ctx := context.Background()
	run := func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := PulseRecorders(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("connect", run)
	b.Run("shared", func(b *testing.B) {
		pc := pulse.Open()
		defer pc.Close()
		run(b)
	})
}

// cpuTime is this process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
