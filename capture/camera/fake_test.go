package camera

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// fakeSystem is a V4L2 device list without hardware: cameras with the modes
// a driver would report, streams that deliver generated raw frames.
type fakeSystem struct {
	mu       sync.Mutex
	cams     []CameraInfo
	openErr  map[string]error
	listErr  error
	layout   map[string]func(*FrameLayout) // per id: how the "driver" changes the layout
	streams  map[string]*fakeStream
	opens    map[string]int
	blocking bool // streams wait for push instead of delivering at once
}

func newFakeSystem(cams ...CameraInfo) *fakeSystem {
	return &fakeSystem{cams: cams, openErr: map[string]error{}, layout: map[string]func(*FrameLayout){},
		streams: map[string]*fakeStream{}, opens: map[string]int{}}
}

func (s *fakeSystem) Cameras() ([]CameraInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listErr != nil {
		return nil, s.listErr
	}
	return slices.Clone(s.cams), nil
}

// naturalLayout is the layout a driver sets for m with unpadded lines.
func naturalLayout(m Mode) FrameLayout {
	l := FrameLayout{FourCC: m.Format, Width: m.Width, Height: m.Height, BytesPerLine: []int{0}} // 0: tightly packed
	l.SizeImage = []int{len(makeFrame(m.Format, m.Width, m.Height))}
	return l
}

func (s *fakeSystem) Open(id string, m Mode) (Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.openErr[id]; err != nil {
		return nil, err
	}
	if st := s.streams[id]; st != nil && !st.isClosed() {
		return nil, fmt.Errorf("fake %s opened twice", id)
	}
	l := naturalLayout(m)
	if f := s.layout[id]; f != nil {
		f(&l)
	}
	st := &fakeStream{id: id, m: m, layout: l, frame: makeFrame(m.Format, m.Width, m.Height),
		push: make(chan []byte), closed: make(chan struct{}), blocking: s.blocking}
	s.streams[id] = st
	s.opens[id]++
	return st, nil
}

// unplug removes a camera from the list; its stream keeps blocking, like a
// driver that has not noticed yet.
func (s *fakeSystem) unplug(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cams = slices.DeleteFunc(s.cams, func(c CameraInfo) bool { return c.ID == id })
}

func (s *fakeSystem) plug(c CameraInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cams = append(s.cams, c)
}

func (s *fakeSystem) stream(id string) *fakeStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams[id]
}

// anyOpen reports whether some fake stream is still open.
func (s *fakeSystem) anyOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.streams {
		if !st.isClosed() {
			return true
		}
	}
	return false
}

// makeFrame generates a raw frame in a V4L2 format (nil for MJPEG: tests of
// MJPEG push their own frames).
func makeFrame(fourcc string, w, h int) []byte {
	if fourcc == "MJPG" {
		return nil
	}
	return makeRaw(rawName[fourcc], w, h)
}

// rawName names the V4L2 formats makeRaw generates as convert.go names them.
var rawName = map[string]string{"YUYV": FormatYUYV, "UYVY": FormatUYVY, "YU12": FormatI420, "NV12": FormatNV12, "NV21": FormatNV21}

type fakeStream struct {
	id       string
	m        Mode
	layout   FrameLayout
	frame    []byte
	push     chan []byte
	blocking bool

	once   sync.Once
	closed chan struct{}
}

var errFakeClosed = errors.New("fake stream closed")

func (st *fakeStream) Layout() FrameLayout { return st.layout }

func (st *fakeStream) ReadFrame(ctx context.Context) ([][]byte, error) {
	if !st.blocking {
		// Paced like a fast camera (500 fps) so a capture loop over it does
		// not spin; nothing is timed against it.
		t := time.NewTimer(2 * time.Millisecond)
		defer t.Stop()
		select {
		case <-st.closed:
			return nil, errFakeClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
		return [][]byte{st.frame}, nil
	}
	select {
	case b, ok := <-st.push:
		if !ok {
			return nil, errors.New("fake device failed")
		}
		return [][]byte{b}, nil
	case <-st.closed:
		return nil, errFakeClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (st *fakeStream) Close() error {
	st.once.Do(func() { close(st.closed) })
	return nil
}

func (st *fakeStream) isClosed() bool {
	select {
	case <-st.closed:
		return true
	default:
		return false
	}
}
