package gui

import (
	"fmt"
	"log"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// maxEvents bounds the log kept on screen.
const maxEvents = 500

type eventLevel int

const (
	evInfo eventLevel = iota
	evWarn
	evError
)

// event is one line of the event log.
type event struct {
	at    time.Time
	level eventLevel
	text  string
}

// eventLog shows what happened, newest last, and copies each line to a
// logger.
type eventLog struct {
	logger  *log.Logger
	events  []event
	list    *widget.List
	content fyne.CanvasObject
}

func newEventLog(logger *log.Logger) *eventLog {
	l := &eventLog{logger: logger}
	l.list = widget.NewList(
		func() int { return len(l.events) },
		func() fyne.CanvasObject {
			at := widget.NewLabelWithStyle("00:00:00.000", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
			at.Importance = widget.LowImportance
			text := widget.NewLabel("")
			text.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, at, nil, text)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < 0 || i >= len(l.events) {
				return
			}
			e := l.events[i]
			c := o.(*fyne.Container)
			text, at := c.Objects[0].(*widget.Label), c.Objects[1].(*widget.Label)
			at.SetText(e.at.Format("15:04:05.000"))
			text.Importance = map[eventLevel]widget.Importance{evInfo: widget.MediumImportance, evWarn: widget.WarningImportance, evError: widget.DangerImportance}[e.level]
			text.SetText(e.text)
		},
	)
	l.content = l.list
	return l
}

// add appends a line, logs it and scrolls to it. UI goroutine only.
func (l *eventLog) add(level eventLevel, format string, args ...any) {
	e := event{at: time.Now(), level: level, text: fmt.Sprintf(format, args...)}
	l.logger.Print(e.text)
	l.events = append(l.events, e)
	if n := len(l.events) - maxEvents; n > 0 {
		l.events = append(l.events[:0], l.events[n:]...)
	}
	l.list.Refresh()
	l.list.ScrollToBottom()
}

// logf logs a line from any goroutine (the video sinks'), without the
// on-screen log.
func (l *eventLog) logf(format string, args ...any) {
	l.logger.Printf(format, args...)
}

// contains reports whether a line containing s was logged (for tests).
func (l *eventLog) contains(s string) bool {
	for _, e := range l.events {
		if strings.Contains(e.text, s) {
			return true
		}
	}
	return false
}

// showError shows err in a dialog, with its spec name as the title.
func showError(win fyne.Window, what, name string, err error) {
	msg := widget.NewLabel(err.Error())
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(what+": "+name, "OK", msg, win)
	d.Resize(fyne.NewSize(480, 200))
	d.Show()
}
