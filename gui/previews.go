package gui

import (
	"fmt"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tally-app/tally/capture"
)

// previewsPanel is the grid of preview cards.
type previewsPanel struct {
	u       *UI
	cards   []*previewCard
	grid    *fyne.Container
	empty   fyne.CanvasObject
	content *fyne.Container
}

// previewCard is one video view with its title, settings and controls.
type previewCard struct {
	p        *previewsPanel
	title    string
	view     *VideoView
	label    *widget.Label
	settings *canvas.Text
	stats    *canvas.Text
	stop     *widget.Button
	clone    *widget.Button
	object   fyne.CanvasObject
}

func newPreviewsPanel(u *UI) *previewsPanel {
	p := &previewsPanel{u: u}
	p.grid = container.New(&fillGrid{})
	hint := widget.NewLabelWithStyle("No previews. Open one with “New preview…”.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	p.empty = container.NewCenter(hint)
	p.content = container.NewStack(p.empty, p.grid)
	return p
}

func (p *previewsPanel) add(title string, s *capture.MediaStream) *previewCard {
	c := &previewCard{p: p, title: title}
	c.view = NewVideoView()
	c.view.do = p.u.do
	if p.u.opts.VideoSink == SinkX11 && p.u.win != nil {
		c.view.sink = newX11View(p.u.win, p.u.events.logf)
	}
	c.label = widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.settings = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.settings.TextSize = theme.CaptionTextSize()
	c.stats = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	c.stats.TextSize = theme.CaptionTextSize()
	c.stop = &widget.Button{Text: "Stop", Icon: theme.MediaStopIcon(), Importance: widget.DangerImportance, OnTapped: c.onStop}
	c.clone = &widget.Button{Text: "Clone", Icon: theme.ContentCopyIcon(), OnTapped: c.onClone}
	remove := &widget.Button{Icon: theme.WindowCloseIcon(), Importance: widget.LowImportance, OnTapped: c.onRemove}
	head := container.NewBorder(nil, nil, nil, container.NewHBox(c.clone, c.stop, remove), c.label)
	// Two lines: the frame size in the stats makes one too long for a
	// narrow card, and canvas texts do not truncate.
	foot := container.NewPadded(container.New(&tightVBox{}, c.settings, c.stats))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	c.object = container.NewStack(bg, container.NewPadded(container.NewBorder(head, foot, nil, nil, c.view)))
	p.cards = append(p.cards, c)
	p.grid.Add(c.object)
	p.empty.Hide()
	c.view.SetSrcObject(s)
	c.update()
	return c
}

// onStop is the seed's stopStreamedVideo: stop every track of the view's
// stream, then detach it from the view.
func (c *previewCard) onStop() {
	s := c.view.SrcObject()
	if s == nil {
		return
	}
	for _, t := range s.GetTracks() {
		t.Stop()
	}
	c.view.SetSrcObject(nil)
	c.p.u.events.add(evInfo, "%s: stopped every track of its stream, srcObject = null", c.title)
	c.p.u.refresh()
}

// stopStream presses Stop on the card showing s.
func (p *previewsPanel) stopStream(s *capture.MediaStream) {
	for _, c := range p.cards {
		if c.view.SrcObject() == s {
			c.onStop()
		}
	}
}

func (c *previewCard) onClone() {
	if t := c.videoTrack(); t != nil {
		c.p.u.clone(t)
	}
}

// onRemove stops the preview and removes its card.
func (c *previewCard) onRemove() {
	c.onStop()
	c.view.Destroy()
	p := c.p
	for i, x := range p.cards {
		if x == c {
			p.cards = append(p.cards[:i], p.cards[i+1:]...)
			break
		}
	}
	p.grid.Remove(c.object)
	if len(p.cards) == 0 {
		p.empty.Show()
	}
}

func (c *previewCard) videoTrack() *capture.MediaStreamTrack {
	if s := c.view.SrcObject(); s != nil {
		if vt := s.GetVideoTracks(); len(vt) > 0 {
			return vt[0]
		}
	}
	return nil
}

// update refreshes the labels from the track's state.
func (c *previewCard) update() {
	t := c.videoTrack()
	live := t != nil && t.ReadyState() == capture.StateLive
	if live {
		setText(c.settings, t.Label()+" · "+formatSettings(t.Kind(), t.GetSettings()))
		c.stop.Enable()
		c.clone.Enable()
	} else {
		text := "stopped — srcObject is null"
		if t != nil {
			text = "track ended"
		}
		setText(c.settings, text)
		c.stop.Disable()
		c.clone.Disable()
		if c.view.SrcObject() != nil && t != nil {
			c.view.SetPlaceholder("Track ended")
		} else {
			c.view.SetPlaceholder("No video")
		}
	}
	c.updateStats()
}

func (c *previewCard) updateStats() {
	st := c.view.Stats()
	size := ""
	if st.Width > 0 {
		size = fmt.Sprintf("frames %d×%d · ", st.Width, st.Height)
	}
	setText(c.stats, fmt.Sprintf("%sshown %d · dropped %d", size, st.Shown, st.Dropped))
}

// setText changes a canvas text, refreshing it only when it changed.
func setText(t *canvas.Text, s string) {
	if t.Text != s {
		t.Text = s
		t.Refresh()
	}
}

func (p *previewsPanel) refresh() {
	for _, c := range p.cards {
		c.update()
	}
}

func (p *previewsPanel) tick() {
	for _, c := range p.cards {
		c.updateStats()
		if c.view.sink != nil {
			c.view.sink.follow(c.view)
		}
	}
}

func (p *previewsPanel) close() {
	for _, c := range p.cards {
		c.view.Destroy()
	}
}

// fillGrid lays out its objects in the squarest grid that holds them,
// each cell filling its share of the area.
type fillGrid struct{}

func (g *fillGrid) grid(n int) (cols, rows int) {
	if n == 0 {
		return 0, 0
	}
	cols = int(math.Ceil(math.Sqrt(float64(n))))
	rows = (n + cols - 1) / cols
	return cols, rows
}

func (g *fillGrid) visible(objs []fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, o := range objs {
		if o.Visible() {
			out = append(out, o)
		}
	}
	return out
}

func (g *fillGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs = g.visible(objs)
	cols, rows := g.grid(len(objs))
	if cols == 0 {
		return
	}
	pad := theme.Padding()
	w := (size.Width - pad*float32(cols-1)) / float32(cols)
	h := (size.Height - pad*float32(rows-1)) / float32(rows)
	for i, o := range objs {
		c, r := i%cols, i/cols
		o.Move(fyne.NewPos(float32(c)*(w+pad), float32(r)*(h+pad)))
		o.Resize(fyne.NewSize(w, h))
	}
}

func (g *fillGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	objs = g.visible(objs)
	cols, rows := g.grid(len(objs))
	var cell fyne.Size
	for _, o := range objs {
		cell = cell.Max(o.MinSize())
	}
	pad := theme.Padding()
	return fyne.NewSize(cell.Width*float32(cols)+pad*float32(max(cols-1, 0)), cell.Height*float32(rows)+pad*float32(max(rows-1, 0)))
}
