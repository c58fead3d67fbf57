package gui

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tally-app/tally/capture"
)

var (
	liveColor   = color.NRGBA{R: 0x2e, G: 0xa0, B: 0x4f, A: 0xff}
	endedColor  = color.NRGBA{R: 0x6b, G: 0x6f, B: 0x76, A: 0xff}
	endedRowBg  = color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x28}
	mutedColor  = color.NRGBA{R: 0xd9, G: 0x8e, B: 0x04, A: 0xff}
	closingTint = color.NRGBA{R: 0xd9, G: 0x8e, B: 0x04, A: 0xff}
)

// tracksPanel lists every track the app holds, live and ended.
type tracksPanel struct {
	u       *UI
	rows    map[*capture.MediaStreamTrack]*trackRow
	box     *fyne.Container
	count   *widget.Label
	content fyne.CanvasObject
	actions []fyne.CanvasObject // for the card's title line
}

// trackRow is one track's row.
type trackRow struct {
	t       *capture.MediaStreamTrack
	bg      *canvas.Rectangle
	state   *badge
	title   *widget.Label
	detail  *canvas.Text
	muted   *badge
	enabled *widget.Check
	clone   *widget.Button
	stop    *widget.Button
	object  fyne.CanvasObject
}

func newTracksPanel(u *UI) *tracksPanel {
	p := &tracksPanel{u: u, rows: map[*capture.MediaStreamTrack]*trackRow{}}
	p.box = container.NewVBox()
	p.count = widget.NewLabel("")
	p.count.Importance = widget.LowImportance
	clearEnded := &widget.Button{Text: "Clear ended", Icon: theme.ContentClearIcon(), Importance: widget.LowImportance, OnTapped: u.forgetEnded}
	p.actions = []fyne.CanvasObject{p.count, clearEnded}
	p.content = container.NewVScroll(p.box)
	return p
}

func (p *tracksPanel) newRow(h *heldTrack) *trackRow {
	t := h.t
	r := &trackRow{t: t}
	r.bg = canvas.NewRectangle(color.Transparent)
	r.bg.CornerRadius = theme.InputRadiusSize()
	r.state = newBadge("live", liveColor)
	r.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.detail = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	r.detail.TextSize = theme.CaptionTextSize()
	r.muted = newBadge("muted", mutedColor)
	r.enabled = widget.NewCheck("enabled", func(on bool) {
		if t.Enabled() != on {
			t.SetEnabled(on)
			p.u.events.add(evInfo, "%s track %s %s", t.Kind(), shortID(t.ID()), map[bool]string{true: "enabled", false: "disabled"}[on])
		}
	})
	r.clone = &widget.Button{Text: "Clone", Icon: theme.ContentCopyIcon(), OnTapped: func() { p.u.clone(t) }}
	r.stop = &widget.Button{Text: "Stop", Icon: theme.MediaStopIcon(), OnTapped: func() {
		t.Stop()
		p.u.events.add(evInfo, "stop(): %s track %s — readyState ended, no ended event", t.Kind(), shortID(t.ID()))
		p.u.refresh()
	}}
	kind := widget.NewIcon(theme.MediaVideoIcon())
	if t.Kind() == capture.TrackKindAudio {
		kind.SetResource(theme.MediaMusicIcon())
	}
	left := container.NewHBox(container.NewCenter(r.state), kind)
	right := container.NewHBox(container.NewCenter(r.muted), r.enabled, r.clone, r.stop)
	text := container.New(&tightVBox{}, r.title, r.detail)
	r.object = container.NewStack(r.bg, container.NewBorder(nil, nil, left, right, text))
	return r
}

func (r *trackRow) update(h *heldTrack, modes map[string]capture.MediaTrackSettings) {
	t := r.t
	live := t.ReadyState() == capture.StateLive
	r.title.SetText(t.Label() + " · " + t.Kind() + " · " + shortID(t.ID()))
	src := t.SourceID()
	if src == "" {
		src = "none"
	} else {
		src = shortID(src)
	}
	if d := requestedVsGot(t) + cropOf(t, modes) + " · source " + src + " · " + h.origin; r.detail.Text != d {
		r.detail.Text = d
		r.detail.Refresh()
	}
	detailColor := theme.Color(theme.ColorNamePlaceHolder)
	if !live {
		detailColor = theme.Color(theme.ColorNameDisabled)
	}
	if r.detail.Color != detailColor {
		r.detail.Color = detailColor
		r.detail.Refresh()
	}
	if live {
		r.state.set("live", liveColor)
		r.bg.FillColor = color.Transparent
		r.title.TextStyle = fyne.TextStyle{Bold: true}
		r.enabled.Enable()
		r.clone.Enable()
		r.stop.Enable()
	} else {
		r.state.set("ended", endedColor)
		r.bg.FillColor = endedRowBg
		r.title.TextStyle = fyne.TextStyle{Bold: true, Italic: true}
		r.enabled.Disable()
		r.clone.Disable()
		r.stop.Disable()
	}
	r.title.Refresh()
	r.bg.Refresh()
	r.enabled.SetChecked(t.Enabled())
	if t.Muted() && live {
		r.muted.Show()
	} else {
		r.muted.Hide()
	}
}

func (p *tracksPanel) refresh() {
	modes := map[string]capture.MediaTrackSettings{}
	for _, s := range p.u.md.Sources() {
		modes[s.ID] = s.Settings
	}
	seen := make(map[*capture.MediaStreamTrack]bool, len(p.u.held))
	objs := make([]fyne.CanvasObject, 0, len(p.u.held))
	live := 0
	for _, h := range p.u.held {
		r := p.rows[h.t]
		if r == nil {
			r = p.newRow(h)
			p.rows[h.t] = r
		}
		r.update(h, modes)
		seen[h.t] = true
		objs = append(objs, r.object)
		if h.t.ReadyState() == capture.StateLive {
			live++
		}
	}
	for t := range p.rows {
		if !seen[t] {
			delete(p.rows, t)
		}
	}
	if !sameObjects(p.box.Objects, objs) {
		p.box.Objects = objs
		p.box.Refresh()
	}
	p.count.SetText(plural(live, "live track") + ", " + plural(len(p.u.held)-live, "ended"))
}

// row returns the row of t (for tests).
func (p *tracksPanel) row(t *capture.MediaStreamTrack) *trackRow { return p.rows[t] }

func sameObjects(a, b []fyne.CanvasObject) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// badge is a small rounded, coloured tag.
type badge struct {
	widget.BaseWidget
	text *canvas.Text
	bg   *canvas.Rectangle
}

func newBadge(text string, c color.Color) *badge {
	b := &badge{text: canvas.NewText(text, color.White), bg: canvas.NewRectangle(c)}
	b.text.TextSize = theme.CaptionTextSize()
	b.text.TextStyle = fyne.TextStyle{Bold: true}
	b.text.Alignment = fyne.TextAlignCenter
	b.bg.CornerRadius = theme.CaptionTextSize()
	b.ExtendBaseWidget(b)
	return b
}

func (b *badge) set(text string, c color.Color) {
	if b.text.Text == text && b.bg.FillColor == c {
		return
	}
	b.text.Text, b.bg.FillColor = text, c
	b.Refresh()
}

func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	return &badgeRenderer{b: b}
}

type badgeRenderer struct{ b *badge }

func (r *badgeRenderer) Layout(s fyne.Size) {
	r.b.bg.Resize(s)
	r.b.text.Resize(s)
}

func (r *badgeRenderer) MinSize() fyne.Size {
	t := r.b.text.MinSize()
	return fyne.NewSize(max(t.Width+theme.Padding()*3, 52), t.Height+theme.Padding())
}

func (r *badgeRenderer) Refresh() {
	r.b.bg.Refresh()
	r.b.text.Refresh()
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.b.bg, r.b.text}
}

func (r *badgeRenderer) Destroy() {}

// tightVBox stacks its objects with less space than a VBox: labels
// overlap by their padding, canvas texts sit right under them.
type tightVBox struct{}

func trim(o fyne.CanvasObject) float32 {
	if _, ok := o.(*canvas.Text); ok {
		return 0
	}
	return theme.Padding()
}

func (tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := (size.Height - tightVBox{}.MinSize(objs).Height) / 2
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		x := float32(0)
		if trim(o) == 0 {
			x = theme.InnerPadding() // line up with the text of the labels
		}
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(size.Width-x, m.Height))
		y += m.Height - trim(o)
	}
}

func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	var last fyne.CanvasObject
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height - trim(o)
		last = o
	}
	if last != nil {
		s.Height += trim(last)
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if what == "ended" {
		return strconv.Itoa(n) + " ended"
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// wanted is the value a constraint asks for: exact, else ideal, else min;
// 0 when it asks nothing.
func wanted[T int | float64](exact, ideal, min *T) T {
	for _, p := range []*T{exact, ideal, min} {
		if p != nil {
			return *p
		}
	}
	return 0
}

func wantedInt(c *capture.ConstrainULong) int {
	if c == nil {
		return 0
	}
	return wanted(c.Exact, c.Ideal, c.Min)
}

func wantedFloat(c *capture.ConstrainDouble) float64 {
	if c == nil {
		return 0
	}
	return wanted(c.Exact, c.Ideal, c.Min)
}

// cropOf says what a crop-and-scale track's frames are made from, its
// source's device mode: " · crop-and-scale of 1280×720 @ 30". modes are the
// live sources' modes by source id.
func cropOf(t *capture.MediaStreamTrack, modes map[string]capture.MediaTrackSettings) string {
	got := t.GetSettings()
	m, ok := modes[t.SourceID()]
	if got.ResizeMode != capture.ResizeModeCropAndScale || !ok {
		return ""
	}
	return " · crop-and-scale of " + formatSettings(t.Kind(), m)
}

// requestedVsGot is the track's settings, preceded by what its constraints
// asked when that differs: "asked 1920×1080 @ 60, got 1280×720 @ 30".
// Settings nothing asked for are shown as obtained on both sides.
func requestedVsGot(t *capture.MediaStreamTrack) string {
	got := t.GetSettings()
	c := t.GetConstraints()
	ask := got
	if t.Kind() == capture.TrackKindAudio {
		if v := wantedInt(c.SampleRate); v != 0 {
			ask.SampleRate = v
		}
		if v := wantedInt(c.ChannelCount); v != 0 {
			ask.ChannelCount = v
		}
	} else {
		if v := wantedInt(c.Width); v != 0 {
			ask.Width = v
		}
		if v := wantedInt(c.Height); v != 0 {
			ask.Height = v
		}
		if v := wantedFloat(c.FrameRate); v != 0 {
			ask.FrameRate = v
		}
	}
	a, g := formatSettings(t.Kind(), ask), formatSettings(t.Kind(), got)
	if a == g {
		return g
	}
	return "asked " + a + ", got " + g
}
