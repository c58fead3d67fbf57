package gui

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/holders"
)

var (
	tallyOn   = color.NRGBA{R: 0xf0, G: 0x1e, B: 0x1e, A: 0xff}
	tallyHalo = color.NRGBA{R: 0xf0, G: 0x1e, B: 0x1e, A: 0x50}
	tallyOff  = color.NRGBA{R: 0x55, G: 0x58, B: 0x5e, A: 0xff}
)

// sourcesPanel lists the open devices: each live source, and each device
// whose last source stopped but which is still closing.
type sourcesPanel struct {
	u       *UI
	rows    map[string]*sourceRow // by source id, or "closing:"+device id
	labels  map[string]string     // device id → label, remembered for closing devices
	known   map[string]capture.SourceInfo
	closing map[string]bool
	snap    holders.Snapshot // the latest holders, if a HolderWatcher is set
	box     *fyne.Container
	empty   fyne.CanvasObject
	content fyne.CanvasObject
}

// sourceRow is one source's row.
type sourceRow struct {
	id      string
	light   *tallyLight
	title   *widget.Label
	state   *badge
	count   *canvas.Text
	counts  *widget.Label
	tracks  *widget.Label
	outputs *widget.Label // what the source serves, when not only its own frames
	stats   *widget.Label
	holders *widget.Label
	object  fyne.CanvasObject
}

func newSourcesPanel(u *UI) *sourcesPanel {
	p := &sourcesPanel{u: u, rows: map[string]*sourceRow{}, labels: map[string]string{}, known: map[string]capture.SourceInfo{}, closing: map[string]bool{}}
	p.box = container.NewVBox()
	hint := widget.NewLabelWithStyle("No device is open.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	hint.Importance = widget.LowImportance
	p.empty = hint
	p.content = container.NewVScroll(container.NewVBox(p.empty, p.box))
	return p
}

func (p *sourcesPanel) newRow(id string) *sourceRow {
	r := &sourceRow{id: id}
	r.light = newTallyLight()
	r.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.state = newBadge("live", liveColor)
	r.count = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.count.TextSize = theme.TextHeadingSize() * 1.3
	r.count.TextStyle = fyne.TextStyle{Bold: true}
	r.count.Alignment = fyne.TextAlignCenter
	r.counts = widget.NewLabel("")
	r.counts.Importance = widget.LowImportance
	r.tracks = widget.NewLabel("")
	r.tracks.Truncation = fyne.TextTruncateEllipsis
	r.tracks.Importance = widget.LowImportance
	r.outputs = widget.NewLabel("")
	r.outputs.Truncation = fyne.TextTruncateEllipsis
	r.outputs.Importance = widget.LowImportance
	r.outputs.Hide()
	r.stats = widget.NewLabel("")
	r.stats.Truncation = fyne.TextTruncateEllipsis
	r.stats.Importance = widget.LowImportance
	r.holders = widget.NewLabel("")
	r.holders.Truncation = fyne.TextTruncateEllipsis
	r.holders.Hide()
	refs := container.New(&tightVBox{}, r.count, r.counts)
	head := container.NewBorder(nil, nil, nil, container.NewCenter(r.state), r.title)
	body := container.New(&tightVBox{}, head, r.tracks, r.outputs, r.stats, r.holders)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	r.object = container.NewStack(bg, container.NewPadded(container.NewBorder(nil, nil, container.NewCenter(r.light), refs, body)))
	return r
}

// describeOutputs lists what a video source serves when that is more than
// its own frames: "serves 1280×720 @ 30 to 1 track, 320×240 @ 15
// (crop-and-scale) to 2".
func describeOutputs(s capture.SourceInfo) string {
	if len(s.Outputs) == 0 || len(s.Outputs) == 1 && s.Outputs[0].ResizeMode == capture.ResizeModeNone {
		return ""
	}
	parts := make([]string, len(s.Outputs))
	for i, o := range s.Outputs {
		what := formatSettings(capture.TrackKindVideo, capture.MediaTrackSettings{Width: o.Width, Height: o.Height, FrameRate: o.FrameRate})
		if o.ResizeMode == capture.ResizeModeCropAndScale {
			what += " (crop-and-scale)"
		}
		n := strconv.Itoa(len(o.TrackIDs))
		if i == 0 {
			n = plural(len(o.TrackIDs), "track")
		}
		parts[i] = what + " to " + n
	}
	return "serves " + strings.Join(parts, ", ")
}

func (r *sourceRow) setOutputs(text string) {
	if text == "" {
		r.outputs.Hide()
		return
	}
	r.outputs.SetText(text)
	r.outputs.Show()
}

func (p *sourcesPanel) row(id string) *sourceRow {
	r := p.rows[id]
	if r == nil {
		r = p.newRow(id)
		p.rows[id] = r
	}
	return r
}

// refresh reconciles the rows with md.Sources() and md.ClosingDevices(),
// and logs sources that opened or closed since the last call.
func (p *sourcesPanel) refresh() {
	infos := p.u.md.Sources()
	closing := p.u.md.ClosingDevices()
	seen := map[string]bool{}
	var objs []fyne.CanvasObject
	now := map[string]capture.SourceInfo{}
	liveDevice := map[string]bool{}
	for _, s := range infos {
		now[s.ID] = s
		liveDevice[s.DeviceID] = true
		p.labels[s.DeviceID] = s.Label
		if _, ok := p.known[s.ID]; !ok {
			p.u.events.add(evInfo, "source opened: %s (%s, source %s)", s.Label, s.DeviceID, shortID(s.ID))
		}
		r := p.row(s.ID)
		r.light.set(true)
		r.title.SetText(s.Label)
		state, c := "live", liveColor
		if s.Muted {
			state, c = "muted", mutedColor
		}
		r.state.set(state, c)
		r.setCount(s.RefCount)
		ids := make([]string, len(s.TrackIDs))
		for i, id := range s.TrackIDs {
			ids[i] = shortID(id)
		}
		r.tracks.SetText("tracks " + strings.Join(ids, ", ") + " · device mode " + formatSettings(s.Kind, s.Settings))
		r.setOutputs(describeOutputs(s))
		unit := "frames"
		if s.Kind == capture.TrackKindAudio {
			unit = "chunks"
		}
		leaks := ""
		if s.LeakedTracks > 0 {
			leaks = fmt.Sprintf(" · %d leaked", s.LeakedTracks)
		}
		r.stats.SetText(fmt.Sprintf("%.1f/s · %d %s captured · %d dropped%s", s.FrameRate, s.FramesCaptured, unit, s.FramesDropped, leaks))
		// Tally's own count is on the row already: the line is for when
		// another process holds the device too.
		if dev, ok := p.snap.Device(s.Path); ok && othersHold(dev) {
			r.setHolders(describeHolders(dev.Holders, s.RefCount))
		} else {
			r.setHolders("")
		}
		seen[s.ID] = true
		objs = append(objs, r.object)
	}
	for id, s := range p.known {
		if _, ok := now[id]; !ok {
			p.u.events.add(evInfo, "source closed: %s (source %s), last track stopped or device ended", s.Label, shortID(id))
		}
	}
	p.known = now
	nowClosing := map[string]bool{}
	for _, dev := range closing {
		nowClosing[dev] = true
		if liveDevice[dev] {
			continue // reopened while the old source still closes
		}
		id := "closing:" + dev
		r := p.row(id)
		r.light.set(true) // the device is still open until the driver returns
		r.title.SetText(orDefault(p.labels[dev], dev))
		r.state.set("closing", closingTint)
		r.setCount(0)
		r.tracks.SetText("no tracks · the driver is still closing the device")
		r.stats.SetText(dev)
		r.setHolders("")
		seen[id] = true
		objs = append(objs, r.object)
	}
	// Devices that other processes hold and Tally does not: their light is
	// on too, and the row says who.
	livePath := map[string]bool{}
	for _, s := range infos {
		livePath[s.Path] = true
	}
	for _, d := range p.snap.Devices {
		if livePath[d.Path] || !othersHold(d) {
			continue
		}
		id := "held:" + d.Path
		r := p.row(id)
		r.light.set(true)
		r.title.SetText(orDefault(d.Label, d.Path))
		r.state.set("in use", closingTint)
		r.setCount(0)
		r.tracks.SetText("not opened by Tally · " + d.Path)
		r.stats.SetText(kindName(d.Kind))
		r.setHolders(describeHolders(d.Holders, 0))
		seen[id] = true
		objs = append(objs, r.object)
	}
	for dev := range p.closing {
		if !nowClosing[dev] {
			p.u.events.add(evInfo, "device closed: %s", orDefault(p.labels[dev], dev))
		}
	}
	p.closing = nowClosing
	for id := range p.rows {
		if !seen[id] {
			delete(p.rows, id)
		}
	}
	if !sameObjects(p.box.Objects, objs) {
		p.box.Objects = objs
		p.box.Refresh()
	}
	if len(objs) == 0 {
		p.empty.Show()
	} else {
		p.empty.Hide()
	}
}

// setHolders shows the holders line, or hides it when there is none.
func (r *sourceRow) setHolders(text string) {
	if text == "" {
		r.holders.Hide()
		return
	}
	r.holders.SetText(text)
	r.holders.Show()
}

func kindName(kind string) string {
	switch kind {
	case capture.KindVideoInput:
		return "camera"
	case capture.KindAudioInput:
		return "microphone"
	case "":
		return "device"
	}
	return kind
}

// setHolders takes a new holders snapshot. UI goroutine only.
func (p *sourcesPanel) setHolders(s holders.Snapshot) {
	p.snap = s
	p.refresh()
}

func (r *sourceRow) setCount(n int) {
	t := fmt.Sprint(n)
	if r.count.Text != t {
		r.count.Text = t
		r.count.Refresh()
	}
	r.counts.SetText(map[bool]string{true: "track", false: "tracks"}[n == 1])
}

// tallyLight is a round lamp: red and haloed while its device is open.
type tallyLight struct {
	widget.BaseWidget
	on   bool
	halo *canvas.Circle
	lamp *canvas.Circle
}

func newTallyLight() *tallyLight {
	l := &tallyLight{halo: canvas.NewCircle(color.Transparent), lamp: canvas.NewCircle(tallyOff)}
	l.ExtendBaseWidget(l)
	return l
}

// On reports whether the light is lit.
func (l *tallyLight) On() bool { return l.on }

func (l *tallyLight) set(on bool) {
	if l.on == on {
		return
	}
	l.on = on
	if on {
		l.lamp.FillColor, l.halo.FillColor = tallyOn, tallyHalo
	} else {
		l.lamp.FillColor, l.halo.FillColor = tallyOff, color.Transparent
	}
	l.Refresh()
}

func (l *tallyLight) CreateRenderer() fyne.WidgetRenderer { return &tallyRenderer{l: l} }

type tallyRenderer struct{ l *tallyLight }

func (r *tallyRenderer) Layout(s fyne.Size) {
	d := min(s.Width, s.Height)
	r.l.halo.Move(fyne.NewPos((s.Width-d)/2, (s.Height-d)/2))
	r.l.halo.Resize(fyne.NewSize(d, d))
	in := d * 0.62
	r.l.lamp.Move(fyne.NewPos((s.Width-in)/2, (s.Height-in)/2))
	r.l.lamp.Resize(fyne.NewSize(in, in))
}

func (r *tallyRenderer) MinSize() fyne.Size { return fyne.NewSize(40, 40) }
func (r *tallyRenderer) Refresh() {
	r.l.halo.Refresh()
	r.l.lamp.Refresh()
}
func (r *tallyRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.l.halo, r.l.lamp}
}
func (r *tallyRenderer) Destroy() {}

// newTallyIcon is the app's mark for the title bar: a lit tally light.
func newTallyIcon() fyne.CanvasObject {
	l := newTallyLight()
	l.set(true)
	return l
}
