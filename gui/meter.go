package gui

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/tally-app/tally/capture"
)

// floorDB is the bottom of the meter scale; quieter is shown as silence.
const floorDB = -60

var (
	meterGreen = color.NRGBA{R: 0x2e, G: 0xa0, B: 0x4f, A: 0xff}
	meterAmber = color.NRGBA{R: 0xe0, G: 0xa0, B: 0x10, A: 0xff}
	meterRed   = color.NRGBA{R: 0xe0, G: 0x30, B: 0x30, A: 0xff}
	meterTrack = color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x30}
)

// Level is the loudness of some audio, in dBFS (0 is full scale).
type Level struct {
	RMS, Peak float64 // -Inf for digital silence
}

// MeasureLevel returns the RMS and peak level of interleaved samples in
// -1..1, over all channels.
func MeasureLevel(samples []float32) Level {
	if len(samples) == 0 {
		return Level{RMS: math.Inf(-1), Peak: math.Inf(-1)}
	}
	var sum, peak float64
	for _, s := range samples {
		v := float64(s)
		sum += v * v
		peak = max(peak, math.Abs(v))
	}
	return Level{RMS: toDB(math.Sqrt(sum / float64(len(samples)))), Peak: toDB(peak)}
}

func toDB(v float64) float64 {
	if v <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(v)
}

// levelMeter reads one audio track and keeps its latest level.
type levelMeter struct {
	t      *capture.MediaStreamTrack
	cancel context.CancelFunc
	done   chan struct{}

	rms, peak atomic.Uint64 // float64 bits of the newest chunk's level
	chunks    atomic.Uint64

	// UI goroutine only.
	bars      *fyne.Container
	bar, back *canvas.Rectangle
	peakMark  *canvas.Rectangle
	title     *widget.Label
	text      *widget.Label
	held      float64        // peak hold, decays per tick
	vol       *volumeControl // nil without MicVolumes (volume.go)
	object    fyne.CanvasObject
}

func startMeter(t *capture.MediaStreamTrack) *levelMeter {
	ctx, cancel := context.WithCancel(context.Background())
	m := &levelMeter{t: t, cancel: cancel, done: make(chan struct{}), held: math.Inf(-1)}
	m.rms.Store(math.Float64bits(math.Inf(-1)))
	m.peak.Store(math.Float64bits(math.Inf(-1)))
	r := t.NewAudioReader()
	go m.run(ctx, r)
	return m
}

// run measures each chunk until the track ends or the meter stops.
func (m *levelMeter) run(ctx context.Context, r *capture.AudioReader) {
	defer close(m.done)
	defer r.Close()
	for {
		c, err := r.Read(ctx)
		if err != nil {
			return
		}
		l := MeasureLevel(c.Samples)
		m.rms.Store(math.Float64bits(l.RMS))
		m.peak.Store(math.Float64bits(l.Peak))
		m.chunks.Add(1)
	}
}

// Level returns the newest chunk's level.
func (m *levelMeter) Level() Level {
	return Level{RMS: math.Float64frombits(m.rms.Load()), Peak: math.Float64frombits(m.peak.Load())}
}

func (m *levelMeter) stop() {
	m.cancel()
	<-m.done
}

func (m *levelMeter) build() {
	m.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	m.title.Truncation = fyne.TextTruncateEllipsis
	m.text = widget.NewLabel("")
	m.text.Importance = widget.LowImportance
	m.back = canvas.NewRectangle(meterTrack)
	m.back.CornerRadius = 3
	m.bar = canvas.NewRectangle(meterGreen)
	m.bar.CornerRadius = 3
	m.peakMark = canvas.NewRectangle(theme.Color(theme.ColorNameForeground))
	m.bars = container.New(&meterLayout{m: m}, m.back, m.bar, m.peakMark)
	m.object = container.NewBorder(container.NewBorder(nil, nil, nil, m.text, m.title), nil, nil, nil, m.bars)
}

// fraction maps dBFS to 0..1 of the bar.
func fraction(db float64) float32 {
	if math.IsInf(db, -1) || db <= floorDB {
		return 0
	}
	return float32(min(1, (db-floorDB)/-floorDB))
}

func (m *levelMeter) update() {
	l := m.Level()
	m.held = max(l.Peak, m.held-1.5) // peak hold falling 6 dB/s at 4 ticks/s
	m.title.SetText(fmt.Sprintf("%s · %s", m.t.Label(), shortID(m.t.ID())))
	switch {
	case !m.t.Enabled():
		m.text.SetText("disabled — silence")
	case math.IsInf(l.RMS, -1) || l.RMS < floorDB:
		m.text.SetText("silence")
	default:
		m.text.SetText(fmt.Sprintf("RMS %.1f dBFS · peak %.1f", l.RMS, l.Peak))
	}
	c := meterGreen
	switch {
	case l.Peak > -3:
		c = meterRed
	case l.Peak > -12:
		c = meterAmber
	}
	m.bar.FillColor = c
	m.bars.Refresh() // lays the bar out at the new level
}

// meterLayout draws the bar at the level's width and the peak mark.
type meterLayout struct{ m *levelMeter }

func (l *meterLayout) Layout(_ []fyne.CanvasObject, s fyne.Size) {
	h := min(s.Height, 14)
	y := (s.Height - h) / 2
	m := l.m
	m.back.Move(fyne.NewPos(0, y))
	m.back.Resize(fyne.NewSize(s.Width, h))
	lv := m.Level()
	m.bar.Move(fyne.NewPos(0, y))
	m.bar.Resize(fyne.NewSize(s.Width*fraction(lv.RMS), h))
	px := s.Width * fraction(m.held)
	m.peakMark.Move(fyne.NewPos(max(px-2, 0), y))
	m.peakMark.Resize(fyne.NewSize(2, h))
	if fraction(m.held) == 0 {
		m.peakMark.Hide()
	} else {
		m.peakMark.Show()
	}
}

func (l *meterLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(120, 16) }

// metersPanel has a meter for each live audio track the app holds.
type metersPanel struct {
	u       *UI
	meters  map[*capture.MediaStreamTrack]*levelMeter
	box     *fyne.Container
	empty   fyne.CanvasObject
	content fyne.CanvasObject
}

func newMetersPanel(u *UI) *metersPanel {
	p := &metersPanel{u: u, meters: map[*capture.MediaStreamTrack]*levelMeter{}}
	p.box = container.NewVBox()
	hint := widget.NewLabelWithStyle("No live audio track.", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	hint.Importance = widget.LowImportance
	p.empty = hint
	p.content = container.NewVBox(p.empty, p.box)
	return p
}

// refresh starts meters for new live audio tracks and removes those whose
// track ended.
func (p *metersPanel) refresh() {
	var objs []fyne.CanvasObject
	live := map[*capture.MediaStreamTrack]bool{}
	for _, h := range p.u.held {
		t := h.t
		if t.Kind() != capture.TrackKindAudio || t.ReadyState() != capture.StateLive {
			continue
		}
		live[t] = true
		m := p.meters[t]
		if m == nil {
			m = startMeter(t)
			m.build()
			p.u.addVolume(m)
			p.meters[t] = m
		}
		m.update()
		objs = append(objs, m.object)
	}
	for t, m := range p.meters {
		if !live[t] {
			m.stop()
			delete(p.meters, t)
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

func (p *metersPanel) tick() {
	for _, m := range p.meters {
		m.update()
	}
}

func (p *metersPanel) close() {
	for t, m := range p.meters {
		m.stop()
		delete(p.meters, t)
	}
}
