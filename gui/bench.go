package gui

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"syscall"
	"time"

	"fyne.io/fyne/v2"

	"github.com/tally-app/tally/capture"
)

// BenchOptions configure RunBench.
type BenchOptions struct {
	Duration      time.Duration // measured time, after Warmup
	Warmup        time.Duration // time after the first frame, not measured
	Width, Height int
	FPS           float64
	VideoSink     string // resolved, as for Options
	// Idle measures the same window with an empty view and no camera open:
	// the floor every figure includes (Fyne's event loop).
	Idle   bool
	Logger *log.Logger
	// OnMeasure, if set, is called as the measured interval starts (true)
	// and ends (false), so a profile can cover exactly what is measured.
	OnMeasure func(measuring bool)
	// Finish, if set, is the caller's shutdown work (print the result,
	// close devices), given what RunBench returns; its error is RunBench's.
	// It runs exactly once, also when Fyne hangs on quit and the process
	// exits without RunBench returning (see QuitGuard).
	Finish func(BenchResult, error) error
}

// BenchResult is what RunBench measured over Options.Duration.
type BenchResult struct {
	Sink       string
	Seconds    float64 // wall time measured
	Captured   uint64  // frames the source read from the device
	Shown      uint64  // frames the view handed to the screen
	Dropped    uint64  // frames the view skipped (latest wins)
	CPUSeconds float64 // user+system time of the whole process
}

// CPUPercent is the CPU time in percent of one core.
func (r BenchResult) CPUPercent() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return 100 * r.CPUSeconds / r.Seconds
}

func (r BenchResult) String() string {
	return fmt.Sprintf("sink %s: %.1f s, frames captured %d, shown %d (%.1f%%), dropped %d, CPU %.2f s = %.1f%% of one core",
		r.Sink, r.Seconds, r.Captured, r.Shown, 100*float64(r.Shown)/float64(max(r.Captured, 1)), r.Dropped, r.CPUSeconds, r.CPUPercent())
}

// RunBench opens a window with one preview of the default (synthetic)
// camera at the given mode, runs the app until the measurement is done,
// and returns what it measured. It must be called on the main goroutine,
// as fyne.App.Run. If Fyne's Run hangs after quit, RunBench does not
// return: the process exits after QuitGrace, having run o.Finish.
func RunBench(a fyne.App, md *capture.MediaDevices, o BenchOptions) (BenchResult, error) {
	if o.Finish == nil {
		o.Finish = func(_ BenchResult, err error) error { return err }
	}
	if o.Logger == nil {
		o.Logger = log.Default()
	}
	if o.VideoSink == "" {
		o.VideoSink = SinkGL
	}
	if o.Width <= 0 || o.Height <= 0 || o.FPS <= 0 || o.Duration <= 0 {
		return BenchResult{}, o.Finish(BenchResult{}, fmt.Errorf("bench: need a positive size, rate and duration, got %dx%d @ %g for %v", o.Width, o.Height, o.FPS, o.Duration))
	}
	w, err := NewWindow(a, fmt.Sprintf("Tally bench %dx%d @ %g", o.Width, o.Height, o.FPS))
	if err != nil {
		return BenchResult{}, o.Finish(BenchResult{}, err)
	}
	view := NewVideoView()
	if o.VideoSink == SinkX11 {
		view.sink = newX11View(w, o.Logger.Printf)
	}
	w.SetContent(view)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(float32(o.Width), float32(o.Height)))

	var res BenchResult
	var runErr error
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	// The guard's work may run on its timer while Run hangs, not here.
	guard := NewQuitGuard(func() error {
		cancel()
		<-done
		return o.Finish(res, runErr)
	})
	guard.ArmOnSignal(os.Interrupt, syscall.SIGTERM)
	go func() {
		defer close(done)
		defer fyne.Do(a.Quit)
		defer guard.Arm()
		res, runErr = bench(ctx, md, view, o)
	}()
	w.SetOnClosed(func() {
		cancel()
		view.Destroy()
		guard.Arm()
	})
	w.ShowAndRun()
	err = guard.Finish()
	return res, err
}

func bench(ctx context.Context, md *capture.MediaDevices, view *VideoView, o BenchOptions) (BenchResult, error) {
	if o.Idle {
		return benchIdle(ctx, o)
	}
	w, h, fps := o.Width, o.Height, o.FPS
	c := capture.MediaTrackConstraints{}
	c.Width = &capture.ConstrainULong{Exact: &w}
	c.Height = &capture.ConstrainULong{Exact: &h}
	c.FrameRate = &capture.ConstrainDouble{Exact: &fps}
	s, err := md.GetUserMedia(ctx, capture.MediaStreamConstraints{Video: &c})
	if err != nil {
		return BenchResult{}, fmt.Errorf("bench: getUserMedia %dx%d @ %g: %w", w, h, fps, err)
	}
	track := s.GetVideoTracks()[0]
	defer track.Stop()
	doWait(ctx, func() { view.SetSrcObject(s) })
	defer fyne.Do(func() { view.SetSrcObject(nil) })

	type snap struct {
		at       time.Time
		cpu      float64
		captured uint64
		view     VideoStats
	}
	take := func() snap {
		var sn snap
		doWait(ctx, func() {
			if view.sink != nil {
				view.sink.follow(view) // keep the X11 window over the view
			}
			sn.view = view.Stats()
		})
		for _, si := range md.Sources() {
			if si.ID == track.SourceID() {
				sn.captured = si.FramesCaptured
			}
		}
		sn.at, sn.cpu = time.Now(), cpuSeconds()
		return sn
	}
	// While waiting, keep the X11 window over the view as the app's tick
	// does, so that a sink hidden at start-up, before the window had its
	// size, shows again.
	wait := func(d time.Duration) error {
		return benchWait(ctx, d, func() {
			if view.sink != nil {
				doWait(ctx, func() { view.sink.follow(view) })
			}
		})
	}
	// The first frame, then the warm-up.
	deadline := time.Now().Add(10 * time.Second)
	for take().view.Shown == 0 {
		if time.Now().After(deadline) {
			return BenchResult{}, errors.New("bench: no frame shown within 10 s")
		}
		if err := wait(50 * time.Millisecond); err != nil {
			return BenchResult{}, err
		}
	}
	if err := wait(o.Warmup); err != nil {
		return BenchResult{}, err
	}
	if o.OnMeasure != nil {
		o.OnMeasure(true)
	}
	a := take()
	err = wait(o.Duration)
	b := take()
	if o.OnMeasure != nil {
		o.OnMeasure(false)
	}
	if err != nil {
		return BenchResult{}, err
	}
	return BenchResult{
		Sink:       o.VideoSink,
		Seconds:    b.at.Sub(a.at).Seconds(),
		Captured:   b.captured - a.captured,
		Shown:      b.view.Shown - a.view.Shown,
		Dropped:    b.view.Dropped - a.view.Dropped,
		CPUSeconds: b.cpu - a.cpu,
	}, nil
}

// benchIdle measures the window alone over o.Duration, after o.Warmup.
func benchIdle(ctx context.Context, o BenchOptions) (BenchResult, error) {
	wait := func(d time.Duration) error { return benchWait(ctx, d, func() {}) }
	if err := wait(o.Warmup); err != nil {
		return BenchResult{}, err
	}
	if o.OnMeasure != nil {
		o.OnMeasure(true)
	}
	t0, c0 := time.Now(), cpuSeconds()
	err := wait(o.Duration)
	t1, c1 := time.Now(), cpuSeconds()
	if o.OnMeasure != nil {
		o.OnMeasure(false)
	}
	if err != nil {
		return BenchResult{}, err
	}
	return BenchResult{Sink: "idle", Seconds: t1.Sub(t0).Seconds(), CPUSeconds: c1 - c0}, nil
}

// benchWait waits d, calling tick every 250 ms (the app's tick), or
// fails when ctx ends (the window was closed).
func benchWait(ctx context.Context, d time.Duration, tick func()) error {
	t := time.NewTimer(d)
	defer t.Stop()
	tk := time.NewTicker(250 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-t.C:
			return nil
		case <-tk.C:
			tick()
		case <-ctx.Done():
			return errors.New("bench: window closed before the end")
		}
	}
}

// doWait runs f on the UI goroutine and waits for it, or for ctx: once the
// window is closed the UI loop may never run f.
func doWait(ctx context.Context, f func()) {
	done := make(chan struct{})
	fyne.Do(func() {
		f()
		close(done)
	})
	select {
	case <-done:
	case <-ctx.Done():
	}
}
