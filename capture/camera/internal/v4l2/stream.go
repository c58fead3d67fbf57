//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le)

package v4l2

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrTimeout is returned by Dequeue when no frame came within its timeout.
var ErrTimeout = errors.New("no frame within the timeout")

// ErrClosed is returned by Dequeue once Close was called.
var ErrClosed = errors.New("stream closed")

// Stream is a device streaming into mmap'ed buffers. Dequeue and Requeue
// are called from one goroutine; Close from any, also while Dequeue blocks:
// it wakes Dequeue and waits for it, so no buffer is unmapped under a reader.
type Stream struct {
	d       *Device
	nplanes int
	wake    int // eventfd that Close writes to wake a blocked poll
	closing atomic.Bool

	mu     sync.Mutex // held by Dequeue/Requeue and Close; guards maps and closed
	maps   [][][]byte // per buffer, per plane: the mapping
	closed bool
	on     bool // STREAMON succeeded
}

// Frame is one dequeued buffer. Planes alias the mapping: they are valid
// until the buffer is requeued or the stream closed.
type Frame struct {
	Index     int
	Planes    [][]byte // one per memory plane, trimmed to bytesused
	Flags     uint32
	Sequence  uint32
	Timestamp time.Duration // the driver's timestamp (usually CLOCK_MONOTONIC)
}

// Errored reports whether the driver flagged the buffer's contents as bad.
func (f Frame) Errored() bool { return f.Flags&BufFlagError != 0 }

// Start requests count mmap buffers for a format with nplanes memory planes,
// maps and queues them, and turns streaming on. On any failure everything it
// did is undone — buffers unmapped, then freed with REQBUFS 0 — so the
// caller closing the device leaves the node free for the next program.
func (d *Device) Start(count, nplanes int) (_ *Stream, err error) {
	if nplanes < 1 || nplanes > maxPlanes {
		return nil, fmt.Errorf("%s: %d planes", d.path, nplanes)
	}
	if d.btype == bufTypeVideoCapture && nplanes != 1 {
		return nil, fmt.Errorf("%s: %d planes on a single-planar node", d.path, nplanes)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	s := &Stream{d: d, nplanes: nplanes, wake: wake}
	rb := requestBuffers{count: uint32(count), typ: d.btype, memory: memoryMmap}
	if err := d.ioctl("VIDIOC_REQBUFS", vidiocReqBufs, unsafe.Pointer(&rb)); err != nil {
		unix.Close(wake)
		return nil, err
	}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if rb.count < 2 {
		return nil, fmt.Errorf("%s: VIDIOC_REQBUFS: driver gave %d buffers, need 2", d.path, rb.count)
	}
	for i := range rb.count {
		var b buffer
		var planes [maxPlanes]plane
		s.prepare(&b, &planes, i)
		if err := d.ioctl("VIDIOC_QUERYBUF", vidiocQueryBuf, unsafe.Pointer(&b)); err != nil {
			return nil, err
		}
		runtime.KeepAlive(&planes)
		var m [][]byte
		s.maps = append(s.maps, nil) // grown first so release unmaps a partial buffer
		for p := range nplanes {
			off, length := int64(b.offset()), int(b.length)
			if d.btype == bufTypeVideoCaptureMPlane {
				off, length = int64(planes[p].memOffset()), int(planes[p].length)
			}
			mem, err := unix.Mmap(d.fd, off, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			if err != nil {
				return nil, fmt.Errorf("%s: mmap buffer %d plane %d: %w", d.path, i, p, err)
			}
			m = append(m, mem)
			s.maps[i] = m
		}
	}
	for i := range rb.count {
		if err := s.queue(int(i)); err != nil {
			return nil, err
		}
	}
	typ := int32(d.btype)
	if err := d.ioctl("VIDIOC_STREAMON", vidiocStreamOn, unsafe.Pointer(&typ)); err != nil {
		return nil, err
	}
	s.on = true
	return s, nil
}

// prepare fills a buffer struct for QUERYBUF/QBUF/DQBUF.
func (s *Stream) prepare(b *buffer, planes *[maxPlanes]plane, index uint32) {
	*b = buffer{index: index, typ: s.d.btype, memory: memoryMmap}
	if s.d.btype == bufTypeVideoCaptureMPlane {
		b.m = uint64(uintptr(unsafe.Pointer(&planes[0])))
		b.length = uint32(s.nplanes)
	}
}

func (s *Stream) queue(index int) error {
	var b buffer
	var planes [maxPlanes]plane
	s.prepare(&b, &planes, uint32(index))
	err := s.d.ioctl("VIDIOC_QBUF", vidiocQBuf, unsafe.Pointer(&b))
	runtime.KeepAlive(&planes)
	return err
}

// Buffers is how many buffers the driver gave.
func (s *Stream) Buffers() int { return len(s.maps) }

// Dequeue waits up to timeout for a filled buffer. Errors: ErrTimeout,
// ErrClosed, or the driver's errno from poll or DQBUF (EPIPE, ENODEV and EIO
// when the device went away or failed).
func (s *Stream) Dequeue(timeout time.Duration) (Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for {
		if s.closed {
			return Frame{}, ErrClosed
		}
		var b buffer
		var planes [maxPlanes]plane
		s.prepare(&b, &planes, 0)
		err := ioctl(s.d.fd, vidiocDQBuf, unsafe.Pointer(&b))
		runtime.KeepAlive(&planes)
		if err == nil {
			return s.frame(&b, &planes)
		}
		if !errors.Is(err, unix.EAGAIN) {
			return Frame{}, s.dqbufError(err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Frame{}, ErrTimeout
		}
		fds := []unix.PollFd{{Fd: int32(s.d.fd), Events: unix.POLLIN}, {Fd: int32(s.wake), Events: unix.POLLIN}}
		// Poll without the lock would let Close unmap under us; Close
		// instead wakes this poll through the eventfd, then takes the lock.
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return Frame{}, fmt.Errorf("%s: poll: %w", s.d.path, err)
		case n == 0:
			return Frame{}, ErrTimeout
		case fds[1].Revents != 0:
			return Frame{}, ErrClosed
		case fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 && fds[0].Revents&unix.POLLIN == 0:
			// The driver stopped streaming (disconnect, fatal error): DQBUF
			// tells why; if it still says EAGAIN, report the poll error.
			var b buffer
			var planes [maxPlanes]plane
			s.prepare(&b, &planes, 0)
			err := ioctl(s.d.fd, vidiocDQBuf, unsafe.Pointer(&b))
			runtime.KeepAlive(&planes)
			if err == nil {
				return s.frame(&b, &planes)
			}
			if errors.Is(err, unix.EAGAIN) {
				err = unix.EIO
			}
			return Frame{}, s.dqbufError(err)
		}
	}
}

// dqbufError names a failed DQBUF. EIO and EPIPE mean either a driver
// fault or a device that went away; asking QUERYCAP again tells them apart
// (ENODEV once the node is unregistered), so the error wraps ENODEV then.
func (s *Stream) dqbufError(err error) error {
	if errors.Is(err, unix.EIO) || errors.Is(err, unix.EPIPE) {
		var c capability
		if perr := ioctl(s.d.fd, vidiocQueryCap, unsafe.Pointer(&c)); errors.Is(perr, unix.ENODEV) {
			return fmt.Errorf("%s: VIDIOC_DQBUF: %w, and the device is gone: %w", s.d.path, err, perr)
		}
	}
	return fmt.Errorf("%s: VIDIOC_DQBUF: %w", s.d.path, err)
}

func (s *Stream) frame(b *buffer, planes *[maxPlanes]plane) (Frame, error) {
	i := int(b.index)
	if i >= len(s.maps) {
		return Frame{}, fmt.Errorf("%s: VIDIOC_DQBUF: buffer index %d of %d", s.d.path, i, len(s.maps))
	}
	f := Frame{
		Index: i, Flags: b.flags, Sequence: b.sequence,
		Timestamp: time.Duration(b.timestamp.Sec)*time.Second + time.Duration(b.timestamp.Usec)*time.Microsecond,
	}
	if s.d.btype == bufTypeVideoCaptureMPlane {
		for p := range s.nplanes {
			m := s.maps[i][p]
			used, off := min(int(planes[p].bytesUsed), len(m)), int(planes[p].dataOffset)
			if off > used {
				off = used
			}
			f.Planes = append(f.Planes, m[off:used])
		}
	} else {
		m := s.maps[i][0]
		f.Planes = append(f.Planes, m[:min(int(b.bytesUsed), len(m))])
	}
	return f, nil
}

// Requeue gives a dequeued buffer back to the driver.
func (s *Stream) Requeue(index int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.queue(index)
}

// Close stops streaming and releases the buffers (STREAMOFF, munmap,
// REQBUFS 0). It does not close the device. Safe to call more than once and
// while Dequeue blocks.
func (s *Stream) Close() error {
	if s.closing.Swap(true) {
		return nil
	}
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	_, _ = unix.Write(s.wake, one) // wakes a blocked poll
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.release()
}

// release undoes Start; s.mu is held (or Start still owns s).
func (s *Stream) release() error {
	var errs []error
	if s.on {
		typ := int32(s.d.btype)
		if err := s.d.ioctl("VIDIOC_STREAMOFF", vidiocStreamOff, unsafe.Pointer(&typ)); err != nil && !gone(err) {
			errs = append(errs, err)
		}
		s.on = false
	}
	for _, b := range s.maps {
		for _, m := range b {
			if err := unix.Munmap(m); err != nil {
				errs = append(errs, fmt.Errorf("%s: munmap: %w", s.d.path, err))
			}
		}
	}
	s.maps = nil
	rb := requestBuffers{count: 0, typ: s.d.btype, memory: memoryMmap}
	if err := s.d.ioctl("VIDIOC_REQBUFS 0", vidiocReqBufs, unsafe.Pointer(&rb)); err != nil && !gone(err) {
		errs = append(errs, err)
	}
	if s.wake >= 0 {
		unix.Close(s.wake)
		s.wake = -1
	}
	return errors.Join(errs...)
}

// gone reports an errno that means the device is no longer there, where
// releasing it further is moot.
func gone(err error) bool {
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)
}
