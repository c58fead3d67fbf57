//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package camera

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/camera/internal/v4l2"
)

const (
	// pollSlice is how long one wait for a frame lasts before a blocked
	// read looks at its context again. Close does not wait for it: it wakes
	// the poll at once.
	pollSlice = 200 * time.Millisecond
	// minStall is the shortest silence that counts as a stalled stream; a
	// slow mode gets four of its frame periods, if that is longer.
	minStall = 3 * time.Second
	// maxBadBuffers is how many buffers in a row the driver may flag as
	// errored before the stream counts as failed, not glitching.
	maxBadBuffers = 30
	// maxRequeueFailures is how many failed QBUFs in a row end the stream.
	maxRequeueFailures = 8
)

var errStreamClosed = errors.New("camera stream closed")

// v4l2Stream is an open camera streaming into mmap'ed buffers, with the
// policy for driver faults: a buffer flagged as errored is given back and
// skipped, a failed QBUF is retried on the next read, and only a run of
// them, silence, or an error from DQBUF ends the stream.
type v4l2Stream struct {
	dev        *v4l2.Device
	vs         *v4l2.Stream
	layout     FrameLayout
	interval   Interval
	stallAfter time.Duration

	mu        sync.Mutex // serializes ReadFrame's bookkeeping (Close does not take it)
	out       []int      // buffers dequeued and not yet given back to the driver
	lastFrame time.Time
	badRun    int // errored buffers in a row
	qbufRun   int // failed QBUFs in a row
	lastQBuf  error

	errored  atomic.Int64 // buffers dropped because the driver flagged them
	requeues atomic.Int64 // failed QBUFs

	release func()
	once    sync.Once
	err     error
}

func newV4L2Stream(d *v4l2.Device, vs *v4l2.Stream, l FrameLayout, iv Interval) *v4l2Stream {
	stall := minStall
	if m := (Mode{Interval: iv}); m.FrameRate() > 0 {
		stall = max(stall, time.Duration(4*float64(time.Second)/m.FrameRate()))
	}
	return &v4l2Stream{dev: d, vs: vs, layout: l, interval: iv, stallAfter: stall, lastFrame: time.Now()}
}

// Layout implements Stream.
func (st *v4l2Stream) Layout() FrameLayout { return st.layout }

// requeue gives back every buffer not with the driver; those whose QBUF
// fails stay out and are tried again on the next read.
func (st *v4l2Stream) requeue() error {
	kept := st.out[:0]
	for _, i := range st.out {
		err := st.vs.Requeue(i)
		switch {
		case errors.Is(err, v4l2.ErrClosed):
			return errStreamClosed
		case err != nil:
			st.requeues.Add(1)
			st.qbufRun++
			st.lastQBuf = err
			kept = append(kept, i)
		default:
			st.qbufRun = 0
		}
	}
	st.out = kept
	if st.qbufRun >= maxRequeueFailures {
		return fmt.Errorf("giving buffers back failed %d times in a row: %w", st.qbufRun, st.lastQBuf)
	}
	if len(st.out) >= st.vs.Buffers() {
		return fmt.Errorf("the driver holds no buffer to fill: %w", st.lastQBuf)
	}
	return nil
}

// ReadFrame implements Stream.
func (st *v4l2Stream) ReadFrame(ctx context.Context) ([][]byte, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.requeue(); err != nil {
		return nil, err
	}
	for {
		f, err := st.vs.Dequeue(pollSlice)
		switch {
		case errors.Is(err, v4l2.ErrClosed):
			return nil, errStreamClosed
		case errors.Is(err, v4l2.ErrTimeout):
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if silent := time.Since(st.lastFrame); silent > st.stallAfter {
				return nil, fmt.Errorf("%s delivered no frame for %v: %w", st.dev.Path(), silent.Round(100*time.Millisecond), capture.ErrStalled)
			}
			continue
		case err != nil:
			return nil, streamError(err)
		}
		st.out = append(st.out, f.Index)
		if f.Errored() || empty(f.Planes) {
			// A bad or empty buffer is dropped, not shown: back it goes.
			st.errored.Add(1)
			st.badRun++
			if st.badRun >= maxBadBuffers {
				return nil, fmt.Errorf("%s: %d buffers in a row flagged as errored by the driver", st.dev.Path(), st.badRun)
			}
			if err := st.requeue(); err != nil {
				return nil, err
			}
			continue
		}
		st.badRun = 0
		st.lastFrame = time.Now()
		if err := ctx.Err(); err != nil {
			return nil, err // the buffer goes back on the next read
		}
		return f.Planes, nil
	}
}

func empty(planes [][]byte) bool {
	for _, p := range planes {
		if len(p) > 0 {
			return false
		}
	}
	return true
}

// Close implements Stream: it wakes a blocked ReadFrame, turns streaming
// off, unmaps and frees the buffers, then closes the node.
func (st *v4l2Stream) Close() error {
	st.once.Do(func() {
		st.err = errors.Join(st.vs.Close(), st.dev.Close())
		if st.release != nil {
			st.release()
		}
	})
	return st.err
}
