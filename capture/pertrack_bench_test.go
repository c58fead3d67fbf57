package capture_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSizes is a track's size: {0, 0} for the device's own frames.
type benchSizes [][2]int

// runSyntheticFanOut opens the synthetic camera at 1280×720 @ 30 with one
// track per entry of sizes, each read by its own goroutine as fast as
// frames come, and measures b.N source frames: CPU time and allocations
// per source frame, all goroutines counted.
func runSyntheticFanOut(b *testing.B, sizes benchSizes) {
	md := capture.NewMediaDevices(synthetic.New())
	defer md.Close()
	ctx := context.Background()
	s, err := md.GetUserMedia(ctx, mustStreamB(b, `{"video": {"width": {"exact": 1280}, "height": {"exact": 720}, "frameRate": {"exact": 30}}}`))
	if err != nil {
		b.Fatal(err)
	}
	first := s.GetVideoTracks()[0]
	tracks := []*capture.MediaStreamTrack{first}
	for range len(sizes) - 1 {
		tracks = append(tracks, first.Clone())
	}
	for i, sz := range sizes {
		if sz[0] == 0 {
			continue
		}
		c, err := capture.ParseMediaTrackConstraints(fmt.Appendf(nil, `{"width": {"exact": %d}, "height": {"exact": %d}}`, sz[0], sz[1]))
		if err != nil {
			b.Fatal(err)
		}
		if err := tracks[i].ApplyConstraints(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	rctx, cancel := context.WithCancel(ctx)
	var last *capture.VideoReader
	for _, tr := range tracks {
		r := tr.NewVideoReader()
		last = r
		wg.Go(func() {
			defer r.Close()
			for {
				if _, err := r.Read(rctx); err != nil {
					return
				}
			}
		})
	}
	// Source frames, as one reader saw them (read or skipped): counters
	// that cost nothing to poll.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	seen := func() uint64 { return last.Delivered() + last.Dropped() }
	from := seen()
	wait := func(n int) {
		for seen() < from+uint64(n) {
			<-tick.C
		}
		from += uint64(n)
	}
	wait(10) // warm: pools filled, every reader has run
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := cpuTime(b)
	b.ResetTimer()
	wait(b.N)
	b.StopTimer()
	c1 := cpuTime(b)
	runtime.ReadMemStats(&m1)
	cancel()
	wg.Wait()
	for _, tr := range tracks {
		tr.Stop()
	}
	b.ReportMetric(float64((c1-c0).Microseconds())/float64(b.N), "cpu-µs/frame")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "allocs/frame")
}

func mustStreamB(b *testing.B, json string) capture.MediaStreamConstraints {
	b.Helper()
	c, err := capture.ParseMediaStreamConstraints([]byte(json))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func repeat(n int, sz [2]int) benchSizes {
	out := make(benchSizes, n)
	for i := range out {
		out[i] = sz
	}
	return out
}

func threeSizes(n int) benchSizes {
	sizes := [][2]int{{640, 360}, {320, 240}, {160, 90}}
	out := make(benchSizes, n)
	for i := range out {
		out[i] = sizes[i%3]
	}
	return out
}

// BenchmarkSyntheticFanOut is the fan-out figure: the synthetic
// camera at 1280×720 @ 30 in real time, CPU per source frame (process
// time: the capture goroutine, the pattern, every reader) with 1 and 64
// tracks of the device's own frames, and with 3 and 16 tracks at three
// crop-and-scale sizes. Run with -benchtime=90x or so (3 s a run).
func BenchmarkSyntheticFanOut(b *testing.B) {
	for _, tc := range []struct {
		name  string
		sizes benchSizes
	}{
		{"native/tracks=1", repeat(1, [2]int{})},
		{"native/tracks=64", repeat(64, [2]int{})},
		{"3sizes/tracks=3", threeSizes(3)},
		{"3sizes/tracks=16", threeSizes(16)},
	} {
		b.Run(tc.name, func(b *testing.B) { runSyntheticFanOut(b, tc.sizes) })
	}
}

// BenchmarkStopLatency reports the p99 of Stop on a track that shares its
// source, and of the last Stop until the device reports itself closed, on
// the synthetic camera at 1280×720 @ 30.
func BenchmarkStopLatency(b *testing.B) {
	sb := synthetic.New()
	md := capture.NewMediaDevices(sb)
	defer md.Close()
	ctx := context.Background()
	open := mustStreamB(b, `{"video": {"width": {"exact": 1280}, "height": {"exact": 720}, "frameRate": {"exact": 30}}}`)
	stops := make([]time.Duration, 0, b.N)
	closes := make([]time.Duration, 0, b.N)
	closedAt := make(chan time.Time, 1)
	sb.SetOnClose(func(string) { closedAt <- time.Now() })
	for b.Loop() {
		s, err := md.GetUserMedia(ctx, open)
		if err != nil {
			b.Fatal(err)
		}
		tr := s.GetVideoTracks()[0]
		peer := tr.Clone()
		r := peer.NewVideoReader()
		if _, err := r.Read(ctx); err != nil { // streaming
			b.Fatal(err)
		}
		t0 := time.Now()
		tr.Stop()
		stops = append(stops, time.Since(t0))
		// The close is timed where it happens: polling the backend would
		// starve it of the backend's lock, and a sleep's wake-up is coarser
		// than the figure.
		t0 = time.Now()
		peer.Stop()
		closes = append(closes, (<-closedAt).Sub(t0))
		r.Close()
	}
	b.ReportMetric(quantile(stops, 0.5), "stop-p50-µs")
	b.ReportMetric(quantile(stops, 0.99), "stop-p99-µs")
	b.ReportMetric(quantile(closes, 0.5), "lastStop-to-closed-p50-µs")
	b.ReportMetric(quantile(closes, 0.99), "lastStop-to-closed-p99-µs")
}

// quantile is the q-quantile of ds in microseconds.
func quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(float64(len(s))*q))].Nanoseconds()) / 1e3
}
