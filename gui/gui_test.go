package gui

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"go.uber.org/goleak"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
	"github.com/tally-app/tally/holders"
	"github.com/tally-app/tally/internal/blit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// uiQueue stands in for Fyne's main loop: fyne.Do on the test driver runs
// its function at once on the calling goroutine, which would race with the
// test; the queue runs them on the test goroutine instead, one at a time.
type uiQueue struct {
	mu   sync.Mutex // protects q
	q    []func()
	wake chan struct{}
}

func newUIQueue() *uiQueue { return &uiQueue{wake: make(chan struct{}, 1)} }

func (q *uiQueue) do(f func()) {
	q.mu.Lock()
	q.q = append(q.q, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// drain runs every queued function, including those they queue.
func (q *uiQueue) drain() {
	for {
		q.mu.Lock()
		fs := q.q
		q.q = nil
		q.mu.Unlock()
		if len(fs) == 0 {
			return
		}
		for _, f := range fs {
			f()
		}
	}
}

// until runs the queue until cond holds, failing after 60 s.
func (q *uiQueue) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second) // generous: -race slows Fyne's software painter a lot
	defer deadline.Stop()
	for {
		q.drain()
		if cond() {
			return
		}
		select {
		case <-q.wake:
		case <-time.After(20 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

type fixture struct {
	t   *testing.T
	u   *UI
	b   *synthetic.Backend
	md  *capture.MediaDevices
	q   *uiQueue
	win fyne.Window
	log *strings.Builder
}

func newFixture(t *testing.T, opts Options) *fixture {
	a := test.NewTempApp(t)
	b := synthetic.New()
	md := capture.NewMediaDevices(b)
	q := newUIQueue()
	var sb strings.Builder
	var mu sync.Mutex
	opts.Logger = log.New(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return sb.Write(p)
	}), "", 0)
	w := a.NewWindow("Tally test")
	u := newUI(a, w, md, opts, q.do)
	w.SetContent(u.Content())
	w.Resize(fyne.NewSize(960, 640))
	t.Cleanup(func() {
		u.Close()
		if err := md.Close(); err != nil {
			t.Errorf("MediaDevices.Close: %v", err)
		}
		q.drain()
		w.Close()
	})
	return &fixture{t: t, u: u, b: b, md: md, q: q, win: w, log: &sb}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ io.Writer = writerFunc(nil)

func video() capture.MediaStreamConstraints {
	return capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}}
}

// openPreview runs getUserMedia through the UI and waits for its card.
func (f *fixture) openPreview(c capture.MediaStreamConstraints) *previewCard {
	f.t.Helper()
	n := len(f.u.previews.cards)
	f.u.OpenUserMedia(c)
	f.q.until(f.t, "a preview card opens", func() bool { return len(f.u.previews.cards) > n })
	return f.u.previews.cards[n]
}

func (f *fixture) waitShown(v *VideoView, n uint64) {
	f.t.Helper()
	f.q.until(f.t, "the view shows frames", func() bool { return v.Stats().Shown >= n })
}

// viewPixels renders the window and returns the pixels under v.
func (f *fixture) viewPixels(v *VideoView) image.Image {
	f.t.Helper()
	img := f.win.Canvas().Capture()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v)
	s := v.Size()
	r := image.Rect(int(pos.X), int(pos.Y), int(pos.X+s.Width), int(pos.Y+s.Height)).Inset(2)
	if r.Empty() {
		f.t.Fatalf("the view has no area: %v at %v", s, pos)
	}
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}

// colourful is the share of saturated pixels: the synthetic camera's colour
// bars have many, the placeholder and black none.
func colourful(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl)>>8, min(r, g, bl)>>8
			if hi-lo > 80 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// placeholderShare is the share of pixels of the placeholder's colour.
func placeholderShare(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	want := color.NRGBAModel.Convert(placeholderColor).(color.NRGBA)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c == want {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func TestPreviewShowsFrames(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.openPreview(video())
	f.waitShown(c.view, 2)
	px := f.viewPixels(c.view)
	if got := colourful(px); got < 0.2 {
		t.Errorf("preview shows %.0f%% colourful pixels, want the colour bars (≥ 20%%)", 100*got)
	}
	if got := placeholderShare(px); got > 0.01 {
		t.Errorf("preview shows %.0f%% placeholder pixels while playing", 100*got)
	}
}

func TestStopEndsTracksAndClearsView(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.openPreview(capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}, Audio: &capture.MediaTrackConstraints{}})
	f.waitShown(c.view, 1)
	tracks := c.view.SrcObject().GetTracks()
	if len(tracks) != 2 {
		t.Fatalf("stream has %d tracks, want audio and video", len(tracks))
	}
	c.stop.OnTapped()
	for _, tr := range tracks {
		if tr.ReadyState() != capture.StateEnded {
			t.Errorf("%v: readyState %q after Stop, want ended", tr, tr.ReadyState())
		}
	}
	if c.view.SrcObject() != nil {
		t.Error("srcObject is not nil after Stop")
	}
	px := f.viewPixels(c.view)
	if got := colourful(px); got != 0 {
		t.Errorf("stopped view still shows %.1f%% colourful pixels (the last frame?)", 100*got)
	}
	if got := placeholderShare(px); got < 0.9 {
		t.Errorf("stopped view shows %.0f%% placeholder pixels, want ≥ 90%%", 100*got)
	}
	f.q.until(t, "both sources close", func() bool {
		return len(f.md.Sources()) == 0 && len(f.md.ClosingDevices()) == 0
	})
}

func TestSetSrcObjectNilClearsViewOnly(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.openPreview(video())
	f.waitShown(c.view, 1)
	s := c.view.SrcObject()
	c.view.SetSrcObject(nil)
	if got := placeholderShare(f.viewPixels(c.view)); got < 0.9 {
		t.Errorf("view after SetSrcObject(nil) shows %.0f%% placeholder pixels, want ≥ 90%%", 100*got)
	}
	tr := s.GetVideoTracks()[0]
	if tr.ReadyState() != capture.StateLive {
		t.Errorf("SetSrcObject(nil) ended the track: the view must only detach")
	}
	shown := c.view.Stats().Shown
	// Frames keep coming to the source; none reaches the detached view.
	before := f.sourceOf(tr).FramesCaptured
	f.q.until(t, "the source captures more frames", func() bool { return f.sourceOf(tr).FramesCaptured > before+3 })
	if got := c.view.Stats().Shown; got != shown {
		t.Errorf("detached view showed %d more frames", got-shown)
	}
	// Attaching again shows frames again.
	c.view.SetSrcObject(s)
	f.waitShown(c.view, 1)
	if got := colourful(f.viewPixels(c.view)); got < 0.2 {
		t.Errorf("re-attached view shows %.0f%% colourful pixels", 100*got)
	}
}

func (f *fixture) sourceOf(tr *capture.MediaStreamTrack) capture.SourceInfo {
	id := tr.SourceID()
	for _, s := range f.md.Sources() {
		if s.ID == id {
			return s
		}
	}
	f.t.Fatalf("%v has no live source", tr)
	return capture.SourceInfo{}
}

func (f *fixture) cameraID() string {
	ds, err := f.md.EnumerateDevices(f.u.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range ds {
		if d.Kind == capture.KindVideoInput {
			return d.DeviceID
		}
	}
	f.t.Fatal("no camera")
	return ""
}

// sourceRows returns the source panel's rows in order.
func (f *fixture) sourceRows() []*sourceRow {
	var rows []*sourceRow
	for _, o := range f.u.sources.box.Objects {
		for _, r := range f.u.sources.rows {
			if r.object == o {
				rows = append(rows, r)
			}
		}
	}
	return rows
}

func TestSharedSourceCounts(t *testing.T) {
	f := newFixture(t, Options{})
	cam := f.cameraID()
	a := f.openPreview(video())
	b := f.openPreview(video())
	f.waitShown(a.view, 1)
	f.waitShown(b.view, 1)
	if n := f.b.OpenCount(cam); n != 1 {
		t.Errorf("camera opened %d times for two previews, want 1 (one shared source)", n)
	}
	check := func(want int) {
		t.Helper()
		f.u.refresh()
		rows := f.sourceRows()
		if len(rows) != 1 {
			t.Fatalf("%d source rows, want 1", len(rows))
		}
		if rows[0].count.Text != strconv.Itoa(want) {
			t.Errorf("source row counts %q tracks, want %d", rows[0].count.Text, want)
		}
		if !rows[0].light.On() {
			t.Error("tally light is off while the camera is open")
		}
	}
	check(2)
	a.stop.OnTapped()
	check(1)
	if !f.b.IsOpen(cam) {
		t.Error("camera closed while a track still holds it")
	}
	b.stop.OnTapped()
	f.q.until(t, "the source row goes away", func() bool {
		f.u.refresh()
		return len(f.sourceRows()) == 0
	})
	if f.b.IsOpen(cam) {
		t.Error("camera still open after the last track stopped")
	}
	if !f.u.events.contains("source closed: Synthetic Camera") {
		t.Error(`event log has no "source closed: Synthetic Camera"`)
	}
}

func TestCloneAppearsAndSharesSource(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.openPreview(video())
	orig := c.videoTrack()
	row := f.u.tracks.row(orig)
	if row == nil {
		t.Fatal("the preview's track has no row")
	}
	row.clone.OnTapped()
	if len(f.u.held) != 2 {
		t.Fatalf("app holds %d tracks after Clone, want 2", len(f.u.held))
	}
	clone := f.u.held[1].t
	if clone == orig || clone.SourceID() != orig.SourceID() {
		t.Errorf("clone %v on source %q, want a new track on %q", clone, clone.SourceID(), orig.SourceID())
	}
	if f.u.tracks.row(clone) == nil {
		t.Error("the clone has no row in the track list")
	}
	if len(f.u.previews.cards) != 2 {
		t.Errorf("%d previews after cloning a video track, want 2", len(f.u.previews.cards))
	}
	f.waitShown(f.u.previews.cards[1].view, 1)
	if rows := f.sourceRows(); len(rows) != 1 || rows[0].count.Text != "2" {
		t.Errorf("source rows after Clone: %d, want one with 2 tracks", len(rows))
	}
	if n := f.b.OpenCount(f.cameraID()); n != 1 {
		t.Errorf("camera opened %d times, want 1", n)
	}
}

func TestEndedRowShowsEnded(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.openPreview(video())
	tr := c.videoTrack()
	row := f.u.tracks.row(tr)
	if row.state.text.Text != "live" {
		t.Errorf("live track's row says %q", row.state.text.Text)
	}
	row.stop.OnTapped()
	if tr.ReadyState() != capture.StateEnded {
		t.Fatal("row's Stop did not stop the track")
	}
	if row.state.text.Text != "ended" || row.state.bg.FillColor != endedColor {
		t.Errorf("ended track's badge is %q %v, want ended in grey", row.state.text.Text, row.state.bg.FillColor)
	}
	if row.bg.FillColor != endedRowBg {
		t.Error("ended row is not shaded")
	}
	if !row.stop.Disabled() || !row.clone.Disabled() || !row.enabled.Disabled() {
		t.Error("ended row's controls are still enabled")
	}
	// The view's track ended: the view clears itself.
	f.q.until(t, "the view clears", func() bool { return !c.view.showing() })
	if got := placeholderShare(f.viewPixels(c.view)); got < 0.9 {
		t.Errorf("view of an ended track shows %.0f%% placeholder", 100*got)
	}
}

func TestUnplugEndsRowsAndLogsEnded(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.openPreview(video())
	f.waitShown(c.view, 1)
	tr := c.videoTrack()
	f.b.Unplug(f.cameraID())
	f.q.until(t, "the track ends", func() bool { return tr.ReadyState() == capture.StateEnded && f.u.events.contains("ended: video track") })
	f.q.until(t, "the row shows ended", func() bool { return f.u.tracks.row(tr).state.text.Text == "ended" })
	f.q.until(t, "the view clears", func() bool { return !c.view.showing() })
	f.q.until(t, "devicechange is logged", func() bool { return f.u.events.contains("devicechange") })
	if !strings.Contains(f.logged(), "ended: video track "+shortID(tr.ID())) {
		t.Errorf("logger has no ended line for %v:\n%s", tr, f.logged())
	}
	if !f.u.events.contains("the device was unplugged") {
		t.Errorf("the ended line does not say the camera was unplugged:\n%s", f.logged())
	}
}

// The ticker never queues a second tick behind one not yet run, so a slow
// UI goroutine does not build a backlog ahead of later work.
func TestCoalescedKeepsOneQueued(t *testing.T) {
	q := newUIQueue()
	n := 0
	post := coalesced(q.do, func() { n++ })
	post()
	post()
	post()
	q.mu.Lock()
	queued := len(q.q)
	q.mu.Unlock()
	if queued != 1 {
		t.Fatalf("three posts queued %d runs, want 1", queued)
	}
	q.drain()
	post()
	q.drain()
	if n != 2 {
		t.Errorf("ran %d times, want 2 (once per drained post)", n)
	}
}

func TestEndedWhyNamesEachReason(t *testing.T) {
	seen := map[string]capture.EndReason{}
	for _, r := range []capture.EndReason{capture.EndUnplugged, capture.EndStalled, capture.EndRevoked, capture.EndFailed} {
		w := endedWhy(r, nil)
		if prev, dup := seen[w]; dup {
			t.Errorf("%q and %q both read %q", prev, r, w)
		}
		seen[w] = r
	}
	if w := endedWhy(capture.EndFailed, errors.New("VIDIOC_DQBUF: EIO")); !strings.Contains(w, "VIDIOC_DQBUF: EIO") {
		t.Errorf("endedWhy drops the device's error: %q", w)
	}
}

func (f *fixture) logged() string {
	f.q.drain()
	return f.log.String()
}

func TestGetUserMediaErrorIsLoggedWithSpecName(t *testing.T) {
	f := newFixture(t, Options{})
	f.b.FailNextOpen(f.cameraID(), errors.New("device busy"))
	f.u.OpenUserMedia(video())
	f.q.until(t, "the error is logged", func() bool { return f.u.events.contains("getUserMedia failed: NotReadableError") })
	if len(f.u.previews.cards) != 0 {
		t.Error("a failed getUserMedia opened a preview")
	}
	if f.win.Canvas().Overlays().Top() == nil {
		t.Error("no error dialog shown")
	}
}

func TestMeterShowsLevelAndSilenceWhenDisabled(t *testing.T) {
	f := newFixture(t, Options{})
	f.u.OpenUserMedia(capture.MediaStreamConstraints{Audio: &capture.MediaTrackConstraints{}})
	f.q.until(t, "a meter starts", func() bool { return len(f.u.meters.meters) == 1 })
	var m *levelMeter
	for _, x := range f.u.meters.meters {
		m = x
	}
	f.q.until(t, "the tone is measured", func() bool { return m.Level().RMS > -20 })
	m.t.SetEnabled(false)
	f.q.until(t, "silence while disabled", func() bool { return math.IsInf(m.Level().RMS, -1) })
	f.u.tick()
	if !strings.Contains(m.text.Text, "silence") {
		t.Errorf("disabled meter says %q, want silence", m.text.Text)
	}
	m.t.Stop()
	f.u.refresh()
	if len(f.u.meters.meters) != 0 {
		t.Error("meter of a stopped track still runs")
	}
}

func TestMeasureLevel(t *testing.T) {
	sine := make([]float32, 4800)
	for i := range sine {
		sine[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	for _, tc := range []struct {
		name      string
		in        []float32
		rms, peak float64
	}{
		{"empty", nil, math.Inf(-1), math.Inf(-1)},
		{"silence", make([]float32, 480), math.Inf(-1), math.Inf(-1)},
		{"full scale square", []float32{1, -1, 1, -1}, 0, 0},
		{"half sine", sine, 20 * math.Log10(0.5/math.Sqrt2), 20 * math.Log10(0.5)},
	} {
		got := MeasureLevel(tc.in)
		near := func(a, b float64) bool { return a == b || math.Abs(a-b) < 0.05 }
		if !near(got.RMS, tc.rms) || !near(got.Peak, tc.peak) {
			t.Errorf("%s: got RMS %.2f peak %.2f, want %.2f %.2f", tc.name, got.RMS, got.Peak, tc.rms, tc.peak)
		}
	}
}

func TestPickerOpensChosenMode(t *testing.T) {
	f := newFixture(t, Options{})
	f.u.picker.show()
	f.q.until(t, "the picker lists devices", func() bool { return len(f.u.picker.device.Options) > 0 })
	p := f.u.picker
	d, ok := p.selectedDevice()
	if !ok || d.Kind != capture.KindVideoInput {
		t.Fatalf("picker's first choice is %+v, want a camera", d)
	}
	want := -1
	for i, m := range d.Modes {
		if m.Width == 320 && m.Height == 240 && m.FrameRate == 15 {
			want = i
		}
	}
	if want < 0 {
		t.Fatal("synthetic camera has no 320×240 @ 15 mode")
	}
	p.mode.SetSelectedIndex(want)
	p.onConfirm(true)
	f.q.until(t, "the preview opens", func() bool { return len(f.u.previews.cards) == 1 })
	got := f.u.previews.cards[0].videoTrack().GetSettings()
	if got.Width != 320 || got.Height != 240 || got.FrameRate != 15 {
		t.Errorf("picked 320×240 @ 15, got %s", formatSettings("video", got))
	}
	// The same with the microphone: a meter, no preview.
	p.kind.SetSelected("Microphone")
	p.onConfirm(true)
	f.q.until(t, "the microphone's meter starts", func() bool { return len(f.u.meters.meters) == 1 })
}

func TestDemoOpensSharedSourceAndStopsScreen(t *testing.T) {
	f := newFixture(t, Options{Demo: true})
	f.q.until(t, "four previews", func() bool { return len(f.u.previews.cards) == 4 })
	for _, c := range f.u.previews.cards[:3] {
		f.waitShown(c.view, 1)
	}
	if n := f.b.OpenCount(f.cameraID()); n != 1 {
		t.Errorf("demo opened the camera %d times, want 1", n)
	}
	f.u.refresh()
	var camRow *sourceRow
	for _, r := range f.sourceRows() {
		if r.title.Text == "Synthetic Camera" {
			camRow = r
		}
	}
	if camRow == nil || camRow.count.Text != "3" {
		t.Errorf("demo's camera source row: %+v, want 3 tracks", camRow)
	}
	screen := f.u.previews.cards[3]
	f.q.until(t, "the demo stops the screen", func() bool { return screen.view.SrcObject() == nil })
	if !f.u.events.contains("preview 4: stopped every track") {
		t.Error("the screen's stop is not logged")
	}
}

func TestClosingDeviceKeepsLightOn(t *testing.T) {
	f := newFixture(t, Options{})
	cam := f.cameraID()
	// A slow driver: closing takes two seconds.
	f.b.SetCloseDelay(cam, 2*time.Second)
	c := f.openPreview(video())
	c.stop.OnTapped()
	f.q.until(t, "the camera shows as closing", func() bool {
		f.u.refresh()
		rows := f.sourceRows()
		return len(rows) == 1 && rows[0].state.text.Text == "closing"
	})
	if r := f.sourceRows()[0]; !r.light.On() || r.count.Text != "0" {
		t.Errorf("closing device's row: light on %v, count %q; want lit with 0 tracks", r.light.On(), r.count.Text)
	}
	f.q.until(t, "the closing row goes away", func() bool {
		f.u.refresh()
		return len(f.sourceRows()) == 0
	})
	if !f.u.events.contains("device closed: Synthetic Camera") {
		t.Error(`no "device closed" event`)
	}
}

func TestMuteShowsOnRowAndLogs(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.openPreview(video())
	tr := c.videoTrack()
	f.b.SetMuted(f.cameraID(), true)
	f.q.until(t, "mute is logged", func() bool { return f.u.events.contains("mute: video track " + shortID(tr.ID())) })
	if !f.u.tracks.row(tr).muted.Visible() {
		t.Error("muted track's row has no muted mark")
	}
	f.b.SetMuted(f.cameraID(), false)
	f.q.until(t, "unmute is logged", func() bool { return f.u.events.contains("unmute: video track") })
	if f.u.tracks.row(tr).muted.Visible() {
		t.Error("unmuted track's row still shows muted")
	}
}

func TestLeakedTrackIsLogged(t *testing.T) {
	f := newFixture(t, Options{})
	func() {
		// A track the program drops without Stop: not held by the UI.
		s, err := f.md.GetUserMedia(f.u.ctx, capture.MediaStreamConstraints{Audio: &capture.MediaTrackConstraints{}})
		if err != nil {
			t.Fatal(err)
		}
		_ = s
	}()
	f.q.until(t, "the leak is logged", func() bool {
		runtime.GC()
		return f.u.events.contains("leak: audio track")
	})
}

func TestDeviceHeldByAnotherProcess(t *testing.T) {
	// A file stands in for a device node; a child process holds it open.
	node := filepath.Join(t.TempDir(), "video9")
	if err := os.WriteFile(node, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	child := exec.Command("sh", "-c", `exec 3<"$0"; exec sleep 120`, node)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = child.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = child.Process.Kill()
		<-exited
	})
	w := holders.NewWatcher(&holders.Scanner{Paths: []string{node}}, 50*time.Millisecond)
	t.Cleanup(w.Close)
	f := newFixture(t, Options{Holders: w})

	want := fmt.Sprintf("held by sleep (pid %d)", child.Process.Pid)
	rowOf := func() *sourceRow { return f.u.sources.rows["held:"+node] }
	f.q.until(t, "the other process shows as holder", func() bool {
		r := rowOf()
		return r != nil && r.holders.Visible() && r.holders.Text == want
	})
	if r := rowOf(); !r.light.On() || r.state.text.Text != "in use" {
		t.Errorf("held device's row: light %v, state %q; want lit, in use", r.light.On(), r.state.text.Text)
	}
	_ = child.Process.Kill()
	<-exited
	f.q.until(t, "the row goes when the holder exits", func() bool { return rowOf() == nil })
}

func TestRowShowsAskedVsGot(t *testing.T) {
	f := newFixture(t, Options{})
	c, err := capture.ParseMediaStreamConstraints([]byte(`{"video": {"width": 4000, "height": 3000, "frameRate": 30}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := f.openPreview(c)
	got := f.u.tracks.row(p.videoTrack()).detail.Text
	if !strings.HasPrefix(got, "asked 4000×3000 @ 30, got 1920×1080 @ 30") {
		t.Errorf("row says %q, want asked vs got", got)
	}
	// A request that is met says only what it got.
	q := f.openPreview(video())
	if got := f.u.tracks.row(q.videoTrack()).detail.Text; strings.HasPrefix(got, "asked") {
		t.Errorf("unconstrained track's row says %q", got)
	}
}

// BenchmarkFrameToImage is the preview's per-frame cost on the Fyne path:
// a 1280×720 4:2:0 camera frame converted and scaled into the view's
// reused 960×540 RGBA buffer, then handed over as the newest frame.
func BenchmarkFrameToImage(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = uint8(i)
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = uint8(i*3), uint8(i*7)
	}
	test.NewTempApp(b)
	v := NewVideoView()
	v.do = func(func()) {}
	v.pixW.Store(960)
	v.pixH.Store(540)
	var sc blit.Scaler
	b.ReportAllocs()
	b.SetBytes(int64(960 * 540 * 4))
	for b.Loop() {
		v.convert(&sc, src, 0)
		// What present does with the buffer: it becomes the shown one and
		// the previous one goes back to the pool.
		v.mu.Lock()
		if v.ready != nil {
			v.free = append(v.free, v.ready)
			v.ready = nil
		}
		v.mu.Unlock()
		v.pending.Store(false)
	}
}

// Escape cancels the picker like its Cancel button, whether or not one of
// its selects has the focus, and gives the canvas its key handler back.
func TestPickerEscapeCancels(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.u.win.Canvas()
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	for _, focusSelect := range []bool{false, true} {
		before := c.OnTypedKey()
		f.u.picker.show()
		f.q.until(t, "the picker lists devices", func() bool { return len(f.u.picker.device.Options) > 0 })
		if focusSelect {
			c.Focus(f.u.picker.device)
			c.Focused().TypedKey(esc)
		} else {
			if c.Focused() != nil {
				t.Fatalf("something has the focus: %T", c.Focused())
			}
			c.OnTypedKey()(esc)
		}
		if f.u.picker.dlg != nil {
			t.Fatalf("Escape (select focused: %v) left the picker open", focusSelect)
		}
		if c.Overlays().Top() != nil {
			t.Errorf("Escape (select focused: %v) left an overlay: %T", focusSelect, c.Overlays().Top())
		}
		if fmt.Sprintf("%p", c.OnTypedKey()) != fmt.Sprintf("%p", before) {
			t.Errorf("the canvas's key handler was not restored after the picker closed")
		}
	}
	if n := len(f.u.previews.cards); n != 0 {
		t.Errorf("Escape opened %d previews, want none", n)
	}
}

// One camera, two sizes: a 1280×720 preview, then the picker's 320×240 @
// 15 from the same open camera, which crop-and-scale serves without error
// or reopening; each view reads frames of its own size, the row and the
// source panel say where they come from.
func TestPreviewsOfTwoSizesFromOneCamera(t *testing.T) {
	f := newFixture(t, Options{})
	c, err := capture.ParseMediaStreamConstraints([]byte(`{"video": {"width": {"exact": 1280}, "height": {"exact": 720}, "frameRate": {"exact": 30}}}`))
	if err != nil {
		t.Fatal(err)
	}
	big := f.openPreview(c)
	f.waitShown(big.view, 1)

	f.u.picker.show()
	f.q.until(t, "the picker lists devices", func() bool { return len(f.u.picker.device.Options) > 0 })
	p := f.u.picker
	d, _ := p.selectedDevice()
	small := -1
	for i, m := range d.Modes {
		if m.Width == 320 && m.Height == 240 && m.FrameRate == 15 {
			small = i
		}
	}
	for i, m := range d.Modes {
		open := strings.HasSuffix(p.mode.Options[i], " · open now")
		if want := m.Width == 1280 && m.Height == 720 && m.FrameRate == 30; open != want {
			t.Errorf("mode %q: marked open %v, want %v", p.mode.Options[i], open, want)
		}
	}
	p.mode.SetSelectedIndex(small)
	p.onConfirm(true)
	f.q.until(t, "the second preview opens", func() bool { return len(f.u.previews.cards) == 2 })
	sm := f.u.previews.cards[1]
	f.waitShown(sm.view, 1)
	if strings.Contains(f.logged(), "Overconstrained") {
		t.Errorf("the picker's smaller mode failed: %s", f.logged())
	}
	if n := f.b.OpenCount(f.cameraID()); n != 1 {
		t.Errorf("camera opened %d times, want once", n)
	}
	f.q.until(t, "each view reads frames of its own size", func() bool {
		b, s := big.view.Stats(), sm.view.Stats()
		return b.Width == 1280 && b.Height == 720 && s.Width == 320 && s.Height == 240
	})
	f.u.refresh()
	f.q.drain()
	if got := f.u.tracks.row(sm.videoTrack()).detail.Text; !strings.HasPrefix(got, "320×240 @ 15 · crop-and-scale of 1280×720 @ 30 · source ") {
		t.Errorf("small track's row says %q", got)
	}
	if got := f.u.tracks.row(big.videoTrack()).detail.Text; strings.Contains(got, "crop-and-scale") {
		t.Errorf("the device-mode track's row says %q", got)
	}
	rows := f.sourceRows()
	if len(rows) != 1 {
		t.Fatalf("%d source rows", len(rows))
	}
	if got := rows[0].tracks.Text; !strings.Contains(got, "device mode 1280×720 @ 30") {
		t.Errorf("source row says %q", got)
	}
	if got := rows[0].outputs.Text; got != "serves 1280×720 @ 30 to 1 track, 320×240 @ 15 (crop-and-scale) to 1" || !rows[0].outputs.Visible() {
		t.Errorf("source outputs say %q", got)
	}
	if got := sm.stats.Text; !strings.HasPrefix(got, "frames 320×240 · ") {
		t.Errorf("small card's stats say %q", got)
	}
}
