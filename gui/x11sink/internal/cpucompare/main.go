// Command cpucompare measures what showing 1280×720 @ 30 fps through the
// x11sink costs, in % of one core, next to GStreamer's ximagesink on the
// same X display. Run it on an otherwise idle display, e.g.:
//
//	Xvfb :120 -screen 0 1280x800x24 -nolisten tcp &
//	DISPLAY=:120 go run ./gui/x11sink/internal/cpucompare
//
// The sink side: a mapped 1280×720 toplevel with the sink over all of it;
// 32 frames of colour bars (YCbCr 4:2:0 like a camera, or with -source
// rgba RGBA like a screen), each shifted 8 pixels from the last (like
// videotestsrc horizontal-speed=8), are made before measuring and put in
// turn, paced by a ticker; CPU is this process's
// utime+stime (getrusage) over the frames, warm-up excluded. The GStreamer
// side: gst-launch-1.0 run for -gst-seconds after a 2 s warm-up, CPU from
// /proc/PID/stat.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/tally-app/tally/gui/x11sink"
)

func main() {
	frames := flag.Int("frames", 300, "frames to put through the sink")
	fps := flag.Int("fps", 30, "frame rate")
	w := flag.Int("width", 1280, "frame and window width")
	h := flag.Int("height", 720, "frame and window height")
	gstSecs := flag.Int("gst-seconds", 10, "how long to measure gst-launch (0: skip)")
	source := flag.String("source", "ycbcr", "frame type put through the sink: ycbcr (4:2:0, a camera) or rgba (a screen)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the sink part to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
	}
	display := os.Getenv("DISPLAY")
	if err := x11sink.Available(display); err != nil {
		fail(err)
	}
	frames32 := bars(*w, *h, 32)
	var imgs []image.Image
	for _, f := range frames32 {
		switch *source {
		case "ycbcr":
			imgs = append(imgs, f)
		case "rgba":
			rgba := image.NewRGBA(f.Bounds())
			draw.Draw(rgba, rgba.Bounds(), f, image.Point{}, draw.Src)
			imgs = append(imgs, rgba)
		default:
			fail(fmt.Errorf("unknown -source %q", *source))
		}
	}
	cpu, wall, st, err := measureSink(display, *w, *h, *fps, *frames, imgs)
	if err != nil {
		fail(err)
	}
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("x11sink, %s source: %d frames %dx%d @ %d fps in %.2f s: CPU %.3f s = %.1f%% of a core; put %d, dropped %d\n",
		*source, *frames, *w, *h, *fps, wall.Seconds(), cpu.Seconds(), 100*cpu.Seconds()/wall.Seconds(), st.Put, st.Dropped)
	if *gstSecs <= 0 {
		return
	}
	for _, caps := range []string{
		fmt.Sprintf("video/x-raw,width=%d,height=%d,framerate=%d/1", *w, *h, *fps),
		fmt.Sprintf("video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1", *w, *h, *fps),
	} {
		args := []string{"-q", "videotestsrc", "horizontal-speed=8", "!", caps, "!", "videoconvert", "!", "ximagesink"}
		gcpu, gwall, err := measureGst(display, args, time.Duration(*gstSecs)*time.Second)
		if err != nil {
			fail(err)
		}
		fmt.Printf("gst-launch-1.0 %s: CPU %.3f s in %.2f s = %.1f%% of a core\n",
			strings.Join(args, " "), gcpu.Seconds(), gwall.Seconds(), 100*gcpu.Seconds()/gwall.Seconds())
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cpucompare:", err)
	os.Exit(1)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bars makes n frames of eight vertical colour bars, frame i shifted 8i
// pixels.
func bars(w, h, n int) []*image.YCbCr {
	cols := []color.RGBA{{192, 192, 192, 255}, {192, 192, 0, 255}, {0, 192, 192, 255}, {0, 192, 0, 255},
		{192, 0, 192, 255}, {192, 0, 0, 255}, {0, 0, 192, 255}, {0, 0, 0, 255}}
	var ycc [8][3]uint8
	for i, c := range cols {
		ycc[i][0], ycc[i][1], ycc[i][2] = color.RGBToYCbCr(c.R, c.G, c.B)
	}
	out := make([]*image.YCbCr, n)
	for f := range out {
		img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for x := range w {
			c := ycc[((x+8*f)%w)*8/w]
			for y := range h {
				img.Y[img.YOffset(x, y)] = c[0]
				img.Cb[img.COffset(x, y)] = c[1]
				img.Cr[img.COffset(x, y)] = c[2]
			}
		}
		out[f] = img
	}
	return out
}

func measureSink(display string, w, h, fps, n int, frames []image.Image) (cpu, wall time.Duration, st x11sink.Stats, err error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return 0, 0, st, err
	}
	defer conn.Close()
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	parent, err := xproto.NewWindowId(conn)
	if err != nil {
		return 0, 0, st, err
	}
	if err := xproto.CreateWindowChecked(conn, 0, parent, root, 0, 0, uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, 0, 0, nil).Check(); err != nil {
		return 0, 0, st, err
	}
	xproto.MapWindow(conn, parent)
	s, err := x11sink.New(uint32(parent), display)
	if err != nil {
		return 0, 0, st, err
	}
	defer s.Close()
	if err := s.SetBounds(0, 0, w, h); err != nil {
		return 0, 0, st, err
	}
	if err := s.Show(); err != nil {
		return 0, 0, st, err
	}
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for i := range fps { // warm-up: segment, tables, page faults
		<-tick.C
		if err := s.PutFrame(frames[i%len(frames)]); err != nil {
			return 0, 0, st, err
		}
	}
	before := s.Stats()
	cpu0, t0 := processCPU(), time.Now()
	for i := range n {
		<-tick.C
		if err := s.PutFrame(frames[i%len(frames)]); err != nil {
			return 0, 0, st, err
		}
	}
	cpu, wall = processCPU()-cpu0, time.Since(t0)
	after := s.Stats()
	st = x11sink.Stats{Put: after.Put - before.Put, Dropped: after.Dropped - before.Dropped, Hidden: after.Hidden - before.Hidden}
	return cpu, wall, st, s.Sync()
}

// procCPU reads utime+stime of pid from /proc (clock ticks of 1/100 s).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// After "(comm)": state is field 3 of stat(5), utime 14, stime 15.
	ut, err1 := strconv.ParseInt(fs[11], 10, 64)
	st, err2 := strconv.ParseInt(fs[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cannot parse /proc/%d/stat", pid)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

func measureGst(display string, args []string, d time.Duration) (cpu, wall time.Duration, err error) {
	cmd := exec.Command("gst-launch-1.0", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	time.Sleep(2 * time.Second) // warm-up: negotiation, plugin loading
	c0, err := procCPU(cmd.Process.Pid)
	if err != nil {
		return 0, 0, fmt.Errorf("gst-launch-1.0 ended early: %w", err)
	}
	t0 := time.Now()
	time.Sleep(d)
	c1, err := procCPU(cmd.Process.Pid)
	if err != nil {
		return 0, 0, fmt.Errorf("gst-launch-1.0 ended early: %w", err)
	}
	return c1 - c0, time.Since(t0), nil
}
