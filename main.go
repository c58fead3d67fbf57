// Tally previews and controls capture devices on the W3C Media Capture and
// Streams model: which devices are open, how many tracks hold each one, and
// that a device really closes when its last track stops.
//
//	tally [--video-sink auto|x11|gl] [--demo]     the window
//	tally bench-preview --seconds N --size WxH --fps F [--video-sink ...]
//	tally devices                                 every device with its modes
//	tally holders [--json]                        who holds each device
//	tally controls DEVICE-ID [--json] [--set NAME=VALUE…]  a device's controls
//	tally snapshot DEVICE-ID -o FILE.png|FILE.jpg       one frame of a camera
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/tally-app/tally/assets"
	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
	"github.com/tally-app/tally/gui"
	"github.com/tally-app/tally/holders"
)

const appID = "io.github.tally_app.tally"

// verbs are the subcommands; "" is the window. Adding one is one line.
var verbs = map[string]func(args []string) error{
	"":              runGUI,
	"bench-preview": runBenchPreview,
	"devices":       runDevices,
	"holders":       runHolders,
	"controls":      runControls,
}

func main() {
	verb, args := "", os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	run, ok := verbs[verb]
	if !ok {
		fmt.Fprintf(os.Stderr, "tally: unknown command %q (commands: %s)\n", verb, strings.Join(verbNames(), ", "))
		os.Exit(2)
	}
	if err := run(args); err != nil {
		fmt.Fprintln(os.Stderr, "tally:", err)
		os.Exit(1)
	}
}

func verbNames() []string {
	var names []string
	for v := range verbs {
		if v != "" {
			names = append(names, v)
		}
	}
	slices.Sort(names)
	return names
}

// sinkFlag adds --video-sink, defaulting to $TALLY_VIDEO_SINK or auto.
func sinkFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("TALLY_VIDEO_SINK")
	if def == "" {
		def = gui.SinkAuto
	}
	return fs.String("video-sink", def, "how previews reach the screen: auto, x11 (MIT-SHM child window) or gl (Fyne canvas); env TALLY_VIDEO_SINK")
}

func runGUI(args []string) error {
	fs := flag.NewFlagSet("tally", flag.ContinueOnError)
	sinkPref := sinkFlag(fs)
	demo := fs.Bool("demo", false, "open the default camera twice and clone a track: one shared source, three tracks")
	noOpen := fs.Bool("no-open", false, "start without opening the default camera and microphone")
	quitAfter := fs.Duration("quit-after", 0, "close the window after this long (for smoke tests)")
	var open []capture.MediaStreamConstraints
	fs.Func("open", "getUserMedia constraints as JSON to open at start instead of the default devices, e.g. '{\"video\": {\"width\": 320}}'; repeat to open several, in turn", func(v string) error {
		c, err := capture.ParseMediaStreamConstraints([]byte(v))
		if err != nil {
			return err
		}
		open = append(open, c)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	releaseDisplay, err := gui.CheckDisplay()
	if err != nil {
		return err
	}
	defer releaseDisplay()
	// The window logs the choice with its event log.
	sink, reason, err := gui.ChooseSink(*sinkPref)
	if err != nil {
		return err
	}
	backends := defaultBackends()
	md := capture.NewMediaDevices(backends...)
	// Who else holds each camera node (once a second; the nodes are listed
	// afresh each time, so a camera plugged in later counts) and each audio
	// source (on the audio server's events).
	hw := holders.NewWatcher(&holders.Scanner{ListPaths: holders.DefaultPaths, Pulse: true}, holders.DefaultInterval)
	// Fyne's Run may hang on quit (see gui.QuitGuard): close them also then.
	guard := gui.NewQuitGuard(func() error {
		hw.Close()
		md.Close()
		return nil
	})
	guard.ArmOnSignal(os.Interrupt, syscall.SIGTERM)

	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon)
	w, err := gui.NewWindow(a, "Tally")
	if err != nil {
		return errors.Join(err, guard.Finish())
	}
	releaseDisplay() // the window holds its own connection now
	u := gui.Create(a, w, md, gui.Options{
		VideoSink:   sink,
		SinkReason:  reason,
		OpenDefault: !*noOpen && !*demo,
		Open:        open,
		Demo:        *demo,
		Holders:     hw,
		Volumes:     volumesOf(backends),
	})
	w.SetContent(u.Content())
	w.SetOnClosed(func() {
		u.Close()
		guard.Arm() // the only window: closing it quits
	})
	w.Resize(fyne.NewSize(1280, 800))
	if *quitAfter > 0 {
		time.AfterFunc(*quitAfter, func() { fyne.Do(w.Close) })
	}
	w.ShowAndRun()
	return guard.Finish()
}

func runBenchPreview(args []string) error {
	fs := flag.NewFlagSet("tally bench-preview", flag.ContinueOnError)
	seconds := fs.Float64("seconds", 10, "seconds to measure")
	warmup := fs.Float64("warmup", 2, "seconds after the first frame before measuring")
	size := fs.String("size", "1280x720", "frame size WxH")
	fps := fs.Float64("fps", 30, "frame rate")
	sinkPref := sinkFlag(fs)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured seconds to this file")
	idle := fs.Bool("idle", false, "measure the window with an empty view, no camera: the floor of every figure")
	if err := fs.Parse(args); err != nil {
		return err
	}
	releaseDisplay, err := gui.CheckDisplay()
	if err != nil {
		return err
	}
	defer releaseDisplay()
	var onMeasure func(bool)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		onMeasure = func(start bool) {
			if !start {
				pprof.StopCPUProfile()
			} else if err := pprof.StartCPUProfile(f); err != nil {
				log.Printf("cpu profile: %v", err)
			}
		}
	}
	w, h, err := parseSize(*size)
	if err != nil {
		return err
	}
	sink, reason, err := gui.ChooseSink(*sinkPref)
	if err != nil {
		return err
	}
	log.Printf("video sink: %s (%s)", sink, reason)
	// Only the synthetic camera: the figure is the preview's cost at a known
	// size and rate, not a real camera's (which a matching mode would pick)
	// nor other backends' hot-plug polling.
	md := capture.NewMediaDevices(synthetic.New())
	a := app.NewWithID(appID)
	_, err = gui.RunBench(a, md, gui.BenchOptions{
		Duration:  time.Duration(*seconds * float64(time.Second)),
		Warmup:    time.Duration(*warmup * float64(time.Second)),
		Width:     w,
		Height:    h,
		FPS:       *fps,
		VideoSink: sink,
		OnMeasure: onMeasure,
		Idle:      *idle,
		// Also run when Fyne hangs on quit, so the result is printed then.
		Finish: func(res gui.BenchResult, err error) error {
			defer md.Close()
			if err != nil {
				return err
			}
			fmt.Printf("size %dx%d @ %g fps, %s\n", w, h, *fps, res)
			fmt.Printf("frames captured: %d\nframes shown: %d\nframes dropped: %d\ncpu seconds: %.3f\ncpu percent of one core: %.1f\n",
				res.Captured, res.Shown, res.Dropped, res.CPUSeconds, res.CPUPercent())
			return nil
		},
	})
	return err
}

// parseSize parses "1280x720".
func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("--size %q: want WIDTHxHEIGHT, e.g. 1280x720", s)
	}
	return w, h, nil
}
