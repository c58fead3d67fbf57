//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package v4l2

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

const eventSubFlAllowFeedback = 2 // V4L2_EVENT_SUB_FL_ALLOW_FEEDBACK

// CtrlEvent is one V4L2_EVENT_CTRL: a control's value, flags or range
// changed, by this program or another.
type CtrlEvent struct {
	ID      uint32
	Changes uint32 // ChangeValue, ChangeFlags, ChangeRange
	Value   int64
	Flags   uint32
	// Min, Max, Step and Default are the event's 32-bit range fields.
	Min, Max, Step, Default int32
	Sequence                uint32
}

// ControlWatch delivers control events from one node until Close.
type ControlWatch struct {
	d    *Device
	ids  []uint32
	wake int // an eventfd: Close writes it to end the poll
	done chan struct{}
	once sync.Once
	err  error
}

// WatchControls subscribes to V4L2_EVENT_CTRL for each id (changes made
// through this descriptor included) and calls f for each event, in the
// order the driver queued them, from one goroutine that Close ends. f must
// not call Close. Close the watch before the Device.
func (d *Device) WatchControls(ids []uint32, f func(CtrlEvent)) (*ControlWatch, error) {
	w := &ControlWatch{d: d, done: make(chan struct{})}
	for _, id := range ids {
		s := eventSubscription{typ: eventCtrlType, id: id, flags: eventSubFlAllowFeedback}
		if err := ioctl(d.fd, vidiocSubscribeEv, unsafe.Pointer(&s)); err != nil {
			w.unsubscribe()
			return nil, fmt.Errorf("%s: VIDIOC_SUBSCRIBE_EVENT ctrl %#x: %w", d.path, id, err)
		}
		w.ids = append(w.ids, id)
	}
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		w.unsubscribe()
		return nil, fmt.Errorf("eventfd for %s's control events: %w", d.path, err)
	}
	w.wake = fd
	go w.run(f)
	return w, nil
}

func (w *ControlWatch) unsubscribe() {
	for _, id := range w.ids {
		s := eventSubscription{typ: eventCtrlType, id: id}
		_ = ioctl(w.d.fd, vidiocUnsubscribeEv, unsafe.Pointer(&s)) // the fd's close drops them anyway
	}
	w.ids = nil
}

func (w *ControlWatch) run(f func(CtrlEvent)) {
	defer close(w.done)
	fds := []unix.PollFd{{Fd: int32(w.d.fd), Events: unix.POLLPRI}, {Fd: int32(w.wake), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			w.err = fmt.Errorf("%s: poll for control events: %w", w.d.path, err)
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 && fds[0].Revents&unix.POLLPRI == 0 {
			w.err = fmt.Errorf("%s: the device went away (poll %#x)", w.d.path, fds[0].Revents)
			return
		}
		// Drain every queued event: one POLLPRI may stand for several.
		for {
			var ev event
			err := ioctl(w.d.fd, vidiocDQEvent, unsafe.Pointer(&ev))
			if errors.Is(err, unix.ENOENT) {
				break
			}
			if err != nil {
				w.err = fmt.Errorf("%s: VIDIOC_DQEVENT: %w", w.d.path, err)
				return
			}
			if ev.typ != eventCtrlType {
				continue
			}
			c := (*eventCtrl)(unsafe.Pointer(&ev.u[0]))
			val := c.value
			switch CtrlType(c.typ) {
			case CtrlInteger64:
			case CtrlBitmask:
				val = int64(uint32(val)) // a __u32 in the union's __s32
			default:
				val = int64(int32(val)) // the union's __s32
			}
			f(CtrlEvent{
				ID: ev.id, Changes: c.changes, Value: val, Flags: c.flags,
				Min: c.minimum, Max: c.maximum, Step: c.step, Default: c.defaultValue, Sequence: ev.sequence,
			})
			if ev.pending == 0 {
				break
			}
		}
	}
}

// Close ends the watch, waits for its goroutine and unsubscribes. It
// returns the error that ended the watch early, if one did.
func (w *ControlWatch) Close() error {
	w.once.Do(func() {
		one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
		_, _ = unix.Write(w.wake, one)
		<-w.done
		unix.Close(w.wake)
		w.unsubscribe()
	})
	return w.err
}
