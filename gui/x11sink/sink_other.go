//go:build !linux

package x11sink

import (
	"errors"
	"image"
)

var errUnsupported = errors.New("x11sink: the X11 MIT-SHM sink is only built for Linux")

// Available reports whether a Sink can work on display; here it never can.
func Available(display string) error { return errUnsupported }

// Hold connects to display; here it never can.
func Hold(display string) (release func(), err error) { return nil, errUnsupported }

// Sink is not available on this platform; New always fails.
type Sink struct{}

// New always fails on this platform.
func New(parent uint32, display string) (*Sink, error) { return nil, errUnsupported }

func (s *Sink) SetBounds(x, y, w, h int) error { return errUnsupported }
func (s *Sink) Show() error                    { return errUnsupported }
func (s *Sink) Hide() error                    { return errUnsupported }
func (s *Sink) Clear() error                   { return errUnsupported }
func (s *Sink) PutFrame(img image.Image) error { return errUnsupported }
func (s *Sink) Stats() Stats                   { return Stats{} }
func (s *Sink) Window() uint32                 { return 0 }
func (s *Sink) Sync() error                    { return errUnsupported }
func (s *Sink) Close() error                   { return nil }
