// Package x11sink shows video frames in an X11 child window with MIT-SHM
// uploads, the way GStreamer's ximagesink does: each frame is converted and
// scaled once (package blit, BGRX) straight into a shared-memory segment,
// and XShmPutImage tells the server to copy it into the window. On software
// GL this costs about a tenth of going through Fyne's canvas (see
// shared/notes/preview-perf.md).
//
// The window is a child of the caller's toplevel window (on Fyne: the handle
// from driver.X11WindowContext), so it moves with it; the caller keeps it
// over the video widget with SetBounds and hides it while something Fyne
// draws must show there (dialogs, popups, an empty view).
//
// Pure Go: github.com/jezek/xgb for the protocol, golang.org/x/sys/unix for
// System V shared memory. Linux only; elsewhere Available and New report
// that it is unsupported.
package x11sink

import "errors"

// Stats counts what happened to the frames given to PutFrame.
type Stats struct {
	// Put is how many frames were sent to the X server.
	Put uint64
	// Dropped is how many frames were discarded because the server had not
	// finished with any of the buffers yet (latest wins: a frame is never
	// queued).
	Dropped uint64
	// Hidden is how many frames were skipped, not drawn, because the window
	// was hidden or had no area.
	Hidden uint64
}

// ErrClosed is returned by a Sink's methods after Close.
var ErrClosed = errors.New("x11sink: sink is closed")
