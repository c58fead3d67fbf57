// Package gui is Tally's window: live previews (the Go "video element"),
// the tracks the app holds, the shared sources with their tally lights,
// audio level meters, a device picker and an event log.
//
// Everything is built from package capture's public API and updated from
// its callbacks (MediaDevices.OnChange, OnDeviceChange, OnLeak, and each
// track's OnEnded, OnMute, OnUnmute), which run on capture's goroutine and
// reach the widgets through fyne.Do. Counters (fps, frames, levels) refresh
// on a UI ticker that stops with the window.
//
// # Concurrency
//
// Widgets and the UI struct's fields are touched only on the Fyne
// goroutine. Background work — getUserMedia, frame reading and conversion,
// audio levels — runs on goroutines that the UI owns and Close waits for.
package gui

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/holders"
)

// Options configure the window.
type Options struct {
	// VideoSink is the resolved video sink (SinkX11 or SinkGL; see
	// ChooseSink); "" means gl. SinkReason says why, for the UI.
	VideoSink  string
	SinkReason string
	// OpenDefault opens the default camera and microphone at start, in one
	// getUserMedia call, as a web page would.
	OpenDefault bool
	// Demo opens the default camera twice (two previews, one shared source)
	// and clones the first preview's track: the shared-source story at a
	// glance.
	Demo bool
	// Logger receives every event-log line; nil means log.Default().
	Logger *log.Logger
	// Tick is the refresh period of counters and meters; 0 means 250 ms.
	Tick time.Duration
	// Holders, if not nil, says who else holds each device: the sources
	// panel lists them under each source, and shows devices that only
	// other processes hold. The UI does not close it.
	Holders HolderWatcher
	// Volumes, if not nil, gives each microphone's meter a volume slider
	// and mute switch (volume.go).
	Volumes MicVolumes
}

// UI is the window's content and the state behind it.
type UI struct {
	app  fyne.App
	win  fyne.Window
	md   *capture.MediaDevices
	opts Options
	do   func(func()) // runs f on the UI goroutine: fyne.Do, or a test's queue

	ctx    context.Context // ends at Close: cancels pending getUserMedia calls
	cancel context.CancelFunc
	wg     sync.WaitGroup // background goroutines: getUserMedia calls, ticker
	closed bool

	unsub []func()

	// UI goroutine only.
	held     []*heldTrack
	previews *previewsPanel
	tracks   *tracksPanel
	sources  *sourcesPanel
	meters   *metersPanel
	events   *eventLog
	picker   *picker
	content  fyne.CanvasObject
	nPreview int
	demoStop *time.Timer // the demo's pending stop, if any
}

// heldTrack is a track the app holds, with its callbacks.
type heldTrack struct {
	t      *capture.MediaStreamTrack
	origin string // "preview 2", "clone of 1a2b3c4d"
	unsub  []func()
}

// Create builds the UI over md in win. Call Content for the window's
// content and Close when the window closes (it does not close md).
func Create(a fyne.App, win fyne.Window, md *capture.MediaDevices, opts Options) *UI {
	return newUI(a, win, md, opts, fyne.Do)
}

func newUI(a fyne.App, win fyne.Window, md *capture.MediaDevices, opts Options, do func(func())) *UI {
	if opts.Logger == nil {
		opts.Logger = log.Default()
	}
	if opts.Tick <= 0 {
		opts.Tick = 250 * time.Millisecond
	}
	if opts.VideoSink == "" {
		opts.VideoSink = SinkGL
	}
	u := &UI{app: a, win: win, md: md, opts: opts, do: do}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.events = newEventLog(opts.Logger)
	u.previews = newPreviewsPanel(u)
	u.tracks = newTracksPanel(u)
	u.sources = newSourcesPanel(u)
	u.meters = newMetersPanel(u)
	u.picker = newPicker(u)
	u.content = u.buildUI()

	u.unsub = append(u.unsub,
		md.OnChange(func() { u.do(u.refresh) }),
		md.OnDeviceChange(func() { u.do(u.onDeviceChange) }),
		md.OnLeak(func(l capture.LeakInfo) { u.do(func() { u.onLeak(l) }) }),
	)
	u.unsub = append(u.unsub, u.watchVolumes()...)
	if opts.Holders != nil {
		u.unsub = append(u.unsub, opts.Holders.OnChange(func(s holders.Snapshot) {
			u.do(func() {
				if !u.closed {
					u.sources.setHolders(s)
				}
			})
		}))
	}
	u.events.add(evInfo, "video sink: %s (%s)", opts.VideoSink, orDefault(opts.SinkReason, "default"))
	u.wg.Add(1)
	go u.ticker()

	switch {
	case opts.Demo:
		u.startDemo()
	case opts.OpenDefault:
		u.OpenUserMedia(capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}, Audio: &capture.MediaTrackConstraints{}})
	}
	u.refresh()
	return u
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Content returns the window's content.
func (u *UI) Content() fyne.CanvasObject { return u.content }

func (u *UI) buildUI() fyne.CanvasObject {
	title := canvas.NewText("Tally", theme.Color(theme.ColorNameForeground))
	title.TextSize = theme.TextHeadingSize()
	title.TextStyle = fyne.TextStyle{Bold: true}
	sub := widget.NewLabel("capture devices, tracks and the sources they share")
	sub.Importance = widget.LowImportance
	sink := widget.NewLabel("video sink: " + u.opts.VideoSink)
	sink.Importance = widget.LowImportance
	add := &widget.Button{Text: "New preview…", Icon: theme.ContentAddIcon(), Importance: widget.HighImportance, OnTapped: u.picker.show}
	bar := container.NewBorder(nil, nil,
		container.NewHBox(newTallyIcon(), title, sub), container.NewHBox(sink, add))

	left := container.NewVSplit(
		u.previews.content,
		card("Tracks", "every track the app holds", u.tracks.content, u.tracks.actions...),
	)
	left.Offset = 0.53
	// The meters take the height they need; sources and events share the
	// rest, sources first: the tally lights are the point of the app.
	right := container.NewVSplit(
		card("Sources", "lit while the device is open", u.sources.content),
		container.NewBorder(card("Audio", "level per live audio track", u.meters.content), nil, nil, nil,
			card("Events", "", u.events.content)),
	)
	right.Offset = 0.42
	main := container.NewHSplit(left, right)
	main.Offset = 0.6
	return container.NewBorder(container.NewPadded(bar), nil, nil, nil, main)
}

// card is a titled panel; actions, if any, sit at the right of its title.
func card(title, subtitle string, content fyne.CanvasObject, actions ...fyne.CanvasObject) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	var sub fyne.CanvasObject
	if subtitle != "" {
		s := widget.NewLabel(subtitle)
		s.Importance = widget.LowImportance
		s.Truncation = fyne.TextTruncateEllipsis
		sub = s
	}
	var right fyne.CanvasObject
	if len(actions) > 0 {
		right = container.NewHBox(actions...)
	}
	head := container.NewBorder(nil, nil, t, right)
	if sub != nil {
		head.Add(sub)
	}
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	return container.NewStack(bg, container.NewPadded(container.NewBorder(head, nil, nil, nil, content)))
}

// ticker refreshes the counters until Close.
func (u *UI) ticker() {
	defer u.wg.Done()
	tk := time.NewTicker(u.opts.Tick)
	defer tk.Stop()
	for {
		select {
		case <-u.ctx.Done():
			return
		case <-tk.C:
			u.do(u.tick)
		}
	}
}

// tick refreshes what changes without an event: frame counters, rates,
// levels, and the X11 sinks' placement.
func (u *UI) tick() {
	if u.closed {
		return
	}
	u.previews.tick()
	u.sources.refresh()
	u.meters.tick()
}

// refresh brings every panel up to date with capture's state.
func (u *UI) refresh() {
	if u.closed {
		return
	}
	u.tracks.refresh()
	u.sources.refresh()
	u.meters.refresh()
	u.previews.refresh()
}

// hold adds the tracks of s to the app's track list and listens to them.
func (u *UI) hold(origin string, ts ...*capture.MediaStreamTrack) {
	for _, t := range ts {
		h := &heldTrack{t: t, origin: origin}
		desc := t.Kind() + " track " + shortID(t.ID()) + " (" + t.Label() + ")"
		h.unsub = append(h.unsub,
			t.OnEnded(func() {
				// Read here, on capture's goroutine: the reason is set
				// before ended fires.
				why := endedWhy(t.EndReason(), t.EndError())
				u.do(func() {
					u.events.add(evWarn, "ended: %s — %s", desc, why)
					u.refresh()
				})
			}),
			t.OnMute(func() { u.do(func() { u.events.add(evWarn, "mute: %s", desc); u.refresh() }) }),
			t.OnUnmute(func() { u.do(func() { u.events.add(evInfo, "unmute: %s", desc); u.refresh() }) }),
		)
		u.held = append(u.held, h)
	}
	u.refresh()
}

// endedWhy says in words why a track's source ended by itself.
func endedWhy(r capture.EndReason, err error) string {
	var why string
	switch r {
	case capture.EndUnplugged:
		why = "the device was unplugged"
	case capture.EndStalled:
		why = "the device stopped delivering"
	case capture.EndRevoked:
		why = "access to the device was taken away"
	default:
		why = "the device failed"
	}
	if err != nil {
		why += " (" + err.Error() + ")"
	}
	return why
}

// forget drops ended tracks from the list.
func (u *UI) forgetEnded() {
	kept := u.held[:0]
	for _, h := range u.held {
		if h.t.ReadyState() == capture.StateEnded {
			for _, f := range h.unsub {
				f()
			}
			continue
		}
		kept = append(kept, h)
	}
	clear(u.held[len(kept):])
	u.held = kept
	u.refresh()
}

// OpenUserMedia runs getUserMedia off the UI goroutine and opens a preview
// of the result (or a meter, for audio alone). Errors are logged with the
// spec's names and shown in a dialog.
func (u *UI) OpenUserMedia(c capture.MediaStreamConstraints) {
	u.openAsync("getUserMedia", func(ctx context.Context) (*capture.MediaStream, error) {
		return u.md.GetUserMedia(ctx, c)
	}, nil)
}

// OpenDisplayMedia is OpenUserMedia for a screen.
func (u *UI) OpenDisplayMedia(o capture.DisplayMediaStreamOptions) {
	u.openAsync("getDisplayMedia", func(ctx context.Context) (*capture.MediaStream, error) {
		return u.md.GetDisplayMedia(ctx, o)
	}, nil)
}

// openAsync runs get on a goroutine of the UI; then, on the UI goroutine,
// shows the stream and calls then (if not nil) with it.
func (u *UI) openAsync(what string, get func(context.Context) (*capture.MediaStream, error), then func(*capture.MediaStream)) {
	if u.closed {
		return
	}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		s, err := get(u.ctx)
		u.do(func() {
			if err != nil {
				u.reportError(what, err)
				return
			}
			if u.closed {
				for _, t := range s.GetTracks() {
					t.Stop()
				}
				return
			}
			u.showStream(s)
			if then != nil {
				then(s)
			}
		})
	}()
}

// showStream holds s's tracks and opens a preview card for its video.
func (u *UI) showStream(s *capture.MediaStream) {
	u.nPreview++
	origin := fmt.Sprintf("preview %d", u.nPreview)
	if len(s.GetVideoTracks()) == 0 {
		origin = fmt.Sprintf("stream %d", u.nPreview)
	}
	u.hold(origin, s.GetTracks()...)
	for _, t := range s.GetTracks() {
		u.events.add(evInfo, "%s: %s track %s from %s, %s", origin, t.Kind(), shortID(t.ID()), t.Label(), formatSettings(t.Kind(), t.GetSettings()))
	}
	if len(s.GetVideoTracks()) > 0 {
		u.previews.add(origin, s)
	}
}

func (u *UI) reportError(what string, err error) {
	name := capture.ErrorName(err)
	if name == "" {
		name = "Error"
	}
	u.events.add(evError, "%s failed: %s: %v", what, name, err)
	if u.win != nil && !u.closed {
		showError(u.win, what+" failed", name, err)
	}
}

// clone clones t, holds the clone and, for video, previews it.
func (u *UI) clone(t *capture.MediaStreamTrack) {
	c := t.Clone()
	origin := "clone of " + shortID(t.ID())
	u.events.add(evInfo, "clone: %s track %s → %s, same source", t.Kind(), shortID(t.ID()), shortID(c.ID()))
	u.hold(origin, c)
	if c.Kind() == capture.TrackKindVideo && c.ReadyState() == capture.StateLive {
		u.nPreview++
		u.previews.add(fmt.Sprintf("preview %d (%s)", u.nPreview, origin), capture.NewMediaStream(c))
	}
}

func (u *UI) onDeviceChange() {
	n := 0
	if ds, err := u.md.EnumerateDevices(u.ctx); err == nil {
		n = len(ds)
	}
	u.events.add(evInfo, "devicechange: %d cameras and microphones present", n)
	u.picker.devicesChanged()
	u.refresh()
}

func (u *UI) onLeak(l capture.LeakInfo) {
	what := "reported"
	if l.Stopped {
		what = "stopped"
	}
	u.events.add(evError, "leak: %s track %s of %s was dropped without stop(); %s", l.Kind, shortID(l.TrackID), l.Label, what)
	u.refresh()
}

func (u *UI) startDemo() {
	cam := capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}}
	// Sequentially, so the second call finds the first one's source open.
	u.openAsync("getUserMedia", func(ctx context.Context) (*capture.MediaStream, error) {
		return u.md.GetUserMedia(ctx, capture.MediaStreamConstraints{Video: &capture.MediaTrackConstraints{}, Audio: &capture.MediaTrackConstraints{}})
	}, func(first *capture.MediaStream) {
		u.openAsync("getUserMedia", func(ctx context.Context) (*capture.MediaStream, error) {
			return u.md.GetUserMedia(ctx, cam)
		}, func(*capture.MediaStream) {
			if vt := first.GetVideoTracks(); len(vt) > 0 {
				u.clone(vt[0])
			}
			// A screen, stopped after a moment: an ended track and a closed
			// source next to the shared one.
			u.openAsync("getDisplayMedia", func(ctx context.Context) (*capture.MediaStream, error) {
				return u.md.GetDisplayMedia(ctx, capture.DisplayMediaStreamOptions{})
			}, func(s *capture.MediaStream) {
				u.demoStop = time.AfterFunc(1500*time.Millisecond, func() {
					u.do(func() {
						if !u.closed {
							u.previews.stopStream(s)
						}
					})
				})
			})
		})
	})
}

// Previews returns the preview cards' views, in order (for tests and the
// benchmark).
func (u *UI) Previews() []*VideoView {
	var vs []*VideoView
	for _, p := range u.previews.cards {
		vs = append(vs, p.view)
	}
	return vs
}

// Close stops the ticker, the views' readers and the meters, cancels
// getUserMedia calls in flight and waits for all of them. It stops no track
// and does not close md; call it on the UI goroutine, when the window
// closes. Calling it twice is safe.
func (u *UI) Close() {
	if u.closed {
		return
	}
	u.closed = true
	u.cancel()
	if u.demoStop != nil {
		u.demoStop.Stop()
	}
	for _, f := range u.unsub {
		f()
	}
	for _, h := range u.held {
		for _, f := range h.unsub {
			f()
		}
	}
	u.previews.close()
	u.meters.close()
	u.wg.Wait()
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// formatSettings is "1280×720 @ 30" for video, "48 kHz mono" for audio.
func formatSettings(kind string, s capture.MediaTrackSettings) string {
	if kind == capture.TrackKindAudio {
		ch := "mono"
		switch s.ChannelCount {
		case 0, 1:
		case 2:
			ch = "stereo"
		default:
			ch = fmt.Sprintf("%d ch", s.ChannelCount)
		}
		return fmt.Sprintf("%g kHz %s", float64(s.SampleRate)/1000, ch)
	}
	return fmt.Sprintf("%d×%d @ %g", s.Width, s.Height, s.FrameRate)
}
