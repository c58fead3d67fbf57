package camera

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/prop"
)

// fakeSystem is a V4L2 device list without hardware: cameras with the props
// a pion driver would report, streams that deliver generated raw frames.
type fakeSystem struct {
	mu       sync.Mutex
	cams     []CameraInfo
	openErr  map[string]error
	listErr  error
	streams  map[string]*fakeStream
	opens    map[string]int
	blocking bool // streams wait for push instead of delivering at once
}

func newFakeSystem(cams ...CameraInfo) *fakeSystem {
	return &fakeSystem{cams: cams, openErr: map[string]error{}, streams: map[string]*fakeStream{}, opens: map[string]int{}}
}

func (s *fakeSystem) Cameras() ([]CameraInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listErr != nil {
		return nil, s.listErr
	}
	return slices.Clone(s.cams), nil
}

func (s *fakeSystem) Open(id string, p prop.Media) (Stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.openErr[id]; err != nil {
		return nil, err
	}
	if st := s.streams[id]; st != nil && !st.isClosed() {
		return nil, fmt.Errorf("fake %s opened twice", id) // what pion does
	}
	st := &fakeStream{id: id, p: p, frame: makeFrame(string(p.FrameFormat), p.Width, p.Height),
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

func makeFrame(format string, w, h int) []byte {
	if format == FormatMJPEG {
		return nil // tests of MJPEG push their own frames
	}
	return makeRaw(format, w, h)
}

type fakeStream struct {
	id       string
	p        prop.Media
	frame    []byte
	push     chan []byte
	blocking bool
	readErr  error

	once   sync.Once
	closed chan struct{}
}

var errFakeClosed = errors.New("fake stream closed")

func (st *fakeStream) ReadFrame(ctx context.Context) ([]byte, error) {
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
		if st.readErr != nil {
			return nil, st.readErr
		}
		return st.frame, nil
	}
	select {
	case b, ok := <-st.push:
		if !ok {
			return nil, errors.New("fake device failed")
		}
		return b, nil
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
