package capture

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrReaderClosed is what Read returns after the reader's own Close.
var ErrReaderClosed = errors.New("capture: reader closed")

// DefaultAudioRing is the number of chunks an AudioReader buffers before it
// drops the oldest (about 0.64 s of 10 ms periods).
const DefaultAudioRing = 64

// VideoReader reads a video track's frames: one reader per consumer. It keeps
// only the newest frame ("latest frame wins"): a slow consumer skips frames
// and never stalls the source or other consumers.
type VideoReader struct {
	track  *MediaStreamTrack // keeps the track reachable while read
	notify chan struct{}     // cap 1: a frame is waiting
	closed chan struct{}

	mu       sync.Mutex // protects slot, has, cur, isClosed
	slot     VideoFrame
	has      bool
	cur      VideoFrame // the frame the consumer holds, released on the next Read
	isClosed bool

	delivered atomic.Uint64
	dropped   atomic.Uint64
}

// NewVideoReader returns a reader of t's frames. On an audio track, or an
// ended one, its Read returns ErrTrackEnded (ended) or ErrInvalidState.
func (t *MediaStreamTrack) NewVideoReader() *VideoReader {
	r := &VideoReader{track: t, notify: make(chan struct{}, 1), closed: make(chan struct{})}
	if t.c.kind == TrackKindVideo {
		t.c.addVideoReader(r)
	}
	return r
}

// put hands r a frame, replacing (and dropping) any frame not yet read.
func (r *VideoReader) put(f VideoFrame) {
	f.retain()
	r.mu.Lock()
	if r.isClosed {
		r.mu.Unlock()
		f.release()
		return
	}
	old, had := r.slot, r.has
	r.slot, r.has = f, true
	r.mu.Unlock()
	if had {
		old.release()
		r.dropped.Add(1)
	}
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Read returns the newest frame not yet read, waiting for one if needed. The
// frame stays valid until the next Read or Close. It returns ErrTrackEnded as
// soon as the track has ended, ErrReaderClosed after Close, and ctx.Err()
// when ctx ends.
func (r *VideoReader) Read(ctx context.Context) (VideoFrame, error) {
	if r.track.c.kind != TrackKindVideo {
		return VideoFrame{}, NewError(ErrInvalidState, nil, "NewVideoReader on an %s track", r.track.c.kind)
	}
	r.mu.Lock()
	prev := r.cur
	r.cur = VideoFrame{}
	r.mu.Unlock()
	prev.release()
	for {
		select {
		case <-r.track.c.endedCh:
			r.drop()
			return VideoFrame{}, ErrTrackEnded
		case <-r.closed:
			return VideoFrame{}, ErrReaderClosed
		default:
		}
		r.mu.Lock()
		if r.has {
			f := r.slot
			r.slot, r.has = VideoFrame{}, false
			r.cur = f
			r.mu.Unlock()
			r.delivered.Add(1)
			return f, nil
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-r.track.c.endedCh:
		case <-r.closed:
		case <-ctx.Done():
			return VideoFrame{}, ctx.Err()
		}
	}
}

// drop releases the pending frame.
func (r *VideoReader) drop() {
	r.mu.Lock()
	old, had := r.slot, r.has
	r.slot, r.has = VideoFrame{}, false
	r.mu.Unlock()
	if had {
		old.release()
	}
}

// Dropped is the number of frames this reader skipped because a newer frame
// arrived before it was read.
func (r *VideoReader) Dropped() uint64 { return r.dropped.Load() }

// Delivered is the number of frames Read returned.
func (r *VideoReader) Delivered() uint64 { return r.delivered.Load() }

// Close detaches the reader from its track and releases its frames. Safe to
// call more than once and concurrently with Read.
func (r *VideoReader) Close() {
	r.mu.Lock()
	if r.isClosed {
		r.mu.Unlock()
		return
	}
	r.isClosed = true
	slot, had, cur := r.slot, r.has, r.cur
	r.slot, r.has, r.cur = VideoFrame{}, false, VideoFrame{}
	close(r.closed)
	r.mu.Unlock()
	if had {
		slot.release()
	}
	cur.release()
	if r.track.c.kind == TrackKindVideo {
		r.track.c.removeVideoReader(r)
	}
}

// AudioReader reads an audio track's chunks: one reader per consumer, with a
// bounded ring that drops the oldest chunk when the consumer falls behind.
type AudioReader struct {
	track  *MediaStreamTrack
	notify chan struct{}
	closed chan struct{}

	mu       sync.Mutex // protects ring, head, n, isClosed
	ring     []AudioChunk
	head, n  int
	isClosed bool

	dropped atomic.Uint64
}

// NewAudioReader returns a reader of t's audio with a ring of
// DefaultAudioRing chunks.
func (t *MediaStreamTrack) NewAudioReader() *AudioReader {
	return t.NewAudioReaderSize(DefaultAudioRing)
}

// NewAudioReaderSize returns a reader whose ring holds n chunks (at least 1).
func (t *MediaStreamTrack) NewAudioReaderSize(n int) *AudioReader {
	n = max(n, 1)
	r := &AudioReader{track: t, notify: make(chan struct{}, 1), closed: make(chan struct{}), ring: make([]AudioChunk, n)}
	if t.c.kind == TrackKindAudio {
		t.c.addAudioReader(r)
	}
	return r
}

func (r *AudioReader) put(c AudioChunk) {
	r.mu.Lock()
	if r.isClosed {
		r.mu.Unlock()
		return
	}
	if r.n == len(r.ring) {
		r.ring[r.head] = AudioChunk{}
		r.head = (r.head + 1) % len(r.ring)
		r.n--
		r.dropped.Add(1)
	}
	r.ring[(r.head+r.n)%len(r.ring)] = c
	r.n++
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Read returns the oldest buffered chunk, waiting for one if needed; errors
// as VideoReader.Read.
func (r *AudioReader) Read(ctx context.Context) (AudioChunk, error) {
	if r.track.c.kind != TrackKindAudio {
		return AudioChunk{}, NewError(ErrInvalidState, nil, "NewAudioReader on a %s track", r.track.c.kind)
	}
	for {
		select {
		case <-r.track.c.endedCh:
			return AudioChunk{}, ErrTrackEnded
		case <-r.closed:
			return AudioChunk{}, ErrReaderClosed
		default:
		}
		r.mu.Lock()
		if r.n > 0 {
			c := r.ring[r.head]
			r.ring[r.head] = AudioChunk{}
			r.head = (r.head + 1) % len(r.ring)
			r.n--
			r.mu.Unlock()
			return c, nil
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-r.track.c.endedCh:
		case <-r.closed:
		case <-ctx.Done():
			return AudioChunk{}, ctx.Err()
		}
	}
}

// Dropped is the number of chunks lost because the ring was full.
func (r *AudioReader) Dropped() uint64 { return r.dropped.Load() }

// Close detaches the reader. Safe to call more than once.
func (r *AudioReader) Close() {
	r.mu.Lock()
	if r.isClosed {
		r.mu.Unlock()
		return
	}
	r.isClosed = true
	clear(r.ring)
	r.n = 0
	close(r.closed)
	r.mu.Unlock()
	if r.track.c.kind == TrackKindAudio {
		r.track.c.removeAudioReader(r)
	}
}
