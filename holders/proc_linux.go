//go:build linux

package holders

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"unsafe"
)

// Bits of procScanner.hits: how one process holds one target.
const (
	hitFD  = 1 << iota // an open file descriptor links to the target
	hitMap             // a line of maps names the target
)

// procScanner walks /proc. Its buffers are reused from scan to scan so the
// walk itself does not allocate; only what it finds does.
type procScanner struct {
	dents []byte // getdents64 buffer, for /proc and for each fd directory
	path  []byte // NUL-terminated path being built for openat/readlinkat
	link  []byte // readlinkat result
	maps  []byte // read buffer for /proc/<pid>/maps (carries a partial line)
	pids  []int  // the pids of this scan, from /proc
	hits  []uint8
}

// procTarget is one file to look for: its canonical path and where the
// results go.
type procTarget struct {
	path    string // canonical (symlinks resolved, absolute, clean)
	missing bool   // path does not exist, so nobody can hold it
	out     []Holder
}

func newProcScanner() *procScanner {
	return &procScanner{
		dents: make([]byte, 32<<10),
		path:  make([]byte, 0, 64),
		link:  make([]byte, 4096),
		maps:  make([]byte, 64<<10),
	}
}

// scan fills each target's out with the processes holding it. allMaps reads
// the maps of every process, not only of those holding a target open.
func (ps *procScanner) scan(ctx context.Context, targets []procTarget, allMaps bool) error {
	// Paths that do not exist (no camera plugged in) need no walk at all.
	// A process still holding a removed node is not found either way: its
	// link reads "<path> (deleted)".
	if !slices.ContainsFunc(targets, func(t procTarget) bool { return !t.missing }) {
		ps.pids = ps.pids[:0]
		return nil
	}
	procfd, err := openProc()
	if err != nil {
		return fmt.Errorf("holders: open /proc: %w", err)
	}
	defer syscall.Close(procfd)
	if err := ps.listPids(procfd); err != nil {
		return err
	}
	if cap(ps.hits) < len(targets) {
		ps.hits = make([]uint8, len(targets))
	}
	hits := ps.hits[:len(targets)]
	self := os.Getpid()
	for i, pid := range ps.pids {
		// A cancelled scan stops early; checking every process would cost
		// more than the check is worth.
		if i%64 == 63 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(hits)
		held := ps.scanFDs(procfd, pid, targets, hits)
		if held || allMaps {
			if ps.scanMaps(procfd, pid, targets, hits) {
				held = true
			}
		}
		if !held {
			continue
		}
		name, cmdline, ok := ps.identity(procfd, pid)
		if !ok {
			continue // gone between its fds and its name
		}
		for t, h := range hits {
			if h == 0 {
				continue
			}
			via := ViaFD
			if h&hitFD == 0 {
				via = ViaMmap
			}
			targets[t].out = append(targets[t].out, Holder{
				PID:       pid,
				Name:      name,
				Cmdline:   cmdline,
				Streaming: h&hitMap != 0,
				Self:      pid == self,
				Via:       via,
			})
		}
	}
	return nil
}

// procPath is "/proc" NUL-terminated, so opening it does not allocate.
var procPath = [...]byte{'/', 'p', 'r', 'o', 'c', 0}

func openProc() (int, error) {
	atFDCWD := -100 // AT_FDCWD; a variable, as a negative constant cannot convert to uintptr
	fd, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&procPath[0])),
		syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// listPids reads the numeric entries of /proc into ps.pids.
func (ps *procScanner) listPids(procfd int) error {
	ps.pids = ps.pids[:0]
	for {
		n, err := syscall.Getdents(procfd, ps.dents)
		if err != nil {
			return fmt.Errorf("holders: read /proc: %w", err)
		}
		if n <= 0 {
			return nil
		}
		forEachDirent(ps.dents[:n], func(name []byte) {
			if pid, ok := atoi(name); ok {
				ps.pids = append(ps.pids, pid)
			}
		})
	}
}

// scanFDs marks in hits the targets that pid has open and reports whether
// there was any. A process that cannot be read has none.
func (ps *procScanner) scanFDs(procfd, pid int, targets []procTarget, hits []uint8) bool {
	dirfd, err := ps.openat(procfd, pid, "fd", syscall.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return false // EACCES (another user's), ENOENT/ESRCH (exited)
	}
	defer syscall.Close(dirfd)
	found := false
	for {
		n, err := syscall.Getdents(dirfd, ps.dents)
		if err != nil || n <= 0 {
			return found
		}
		// procfs fills the buffer until it is full or the descriptors run
		// out, so room left for a longest entry (a 10-digit fd name: 32
		// bytes) means this was the last batch: no second getdents.
		last := n <= len(ps.dents)-64
		forEachDirent(ps.dents[:n], func(name []byte) {
			if name[0] == '.' {
				return
			}
			l, ok := ps.readlinkat(dirfd, name)
			// Only absolute paths can match: this skips sockets, pipes
			// and anonymous inodes ("socket:[123]") before comparing.
			if !ok || len(l) == 0 || l[0] != '/' {
				return
			}
			for t := range targets {
				if string(l) == targets[t].path {
					hits[t] |= hitFD
					found = true
				}
			}
		})
		if last {
			return found
		}
	}
}

// scanMaps marks in hits the targets that a line of pid's maps names and
// reports whether there was any.
func (ps *procScanner) scanMaps(procfd, pid int, targets []procTarget, hits []uint8) bool {
	fd, err := ps.openat(procfd, pid, "maps", syscall.O_RDONLY)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	found := false
	buf := ps.maps
	kept := 0 // bytes of an unfinished line carried to the front of buf
	for {
		if kept == len(buf) {
			// One line longer than the buffer (a path near PATH_MAX):
			// grow once; it stays grown for later scans.
			ps.maps = append(buf, make([]byte, len(buf))...)
			buf = ps.maps
		}
		n, err := syscall.Read(fd, buf[kept:])
		if err != nil || n <= 0 {
			return found
		}
		data := buf[:kept+n]
		last := bytes.LastIndexByte(data, '\n')
		if last < 0 {
			kept = len(data)
			continue
		}
		if mapsMatch(data[:last+1], targets, hits) {
			found = true
		}
		kept = copy(buf, data[last+1:])
	}
}

// mapsMatch checks complete maps lines: a mapped file is the last field of
// its line, after a space, so a target matches where it is followed by the
// line's newline and preceded by a space.
func mapsMatch(lines []byte, targets []procTarget, hits []uint8) bool {
	found := false
	for t := range targets {
		p := targets[t].path
		if p == "" {
			continue
		}
		rest := lines
		for {
			i := bytes.Index(rest, unsafe.Slice(unsafe.StringData(p), len(p)))
			if i < 0 {
				break
			}
			end := i + len(p)
			if i > 0 && rest[i-1] == ' ' && end < len(rest) && rest[end] == '\n' {
				hits[t] |= hitMap
				found = true
				break
			}
			rest = rest[end:]
		}
	}
	return found
}

// identity reads a process's name (comm) and command line (arguments joined
// by spaces). ok is false if the process is gone or unreadable.
func (ps *procScanner) identity(procfd, pid int) (name, cmdline string, ok bool) {
	comm, ok := ps.readSmall(procfd, pid, "comm")
	if !ok {
		return "", "", false
	}
	name = string(bytes.TrimSuffix(comm, []byte{'\n'}))
	// A kernel thread or a zombie has an empty cmdline; the name stays.
	if cl, ok := ps.readSmall(procfd, pid, "cmdline"); ok {
		cmdline = cmdlineString(cl)
	}
	return name, cmdline, true
}

// readSmall reads a whole small /proc/<pid>/<file> into ps.maps (free
// between maps scans) and returns it; valid until the next use of ps.maps.
func (ps *procScanner) readSmall(procfd, pid int, file string) ([]byte, bool) {
	fd, err := ps.openat(procfd, pid, file, syscall.O_RDONLY)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	n := 0
	for {
		if n == len(ps.maps) {
			ps.maps = append(ps.maps, make([]byte, len(ps.maps))...)
		}
		m, err := syscall.Read(fd, ps.maps[n:])
		if err != nil {
			return nil, false
		}
		if m <= 0 {
			return ps.maps[:n], true
		}
		n += m
	}
}

// openat opens "<pid>/<file>" relative to procfd without allocating.
func (ps *procScanner) openat(procfd, pid int, file string, flags int) (int, error) {
	p := strconv.AppendInt(ps.path[:0], int64(pid), 10)
	p = append(p, '/')
	p = append(p, file...)
	p = append(p, 0)
	ps.path = p
	r, _, errno := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(procfd),
		uintptr(unsafe.Pointer(&p[0])), uintptr(flags|syscall.O_CLOEXEC), 0, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// readlinkat reads the link name (NUL-free) in dirfd without allocating; the
// result is valid until the next call.
func (ps *procScanner) readlinkat(dirfd int, name []byte) ([]byte, bool) {
	p := append(ps.path[:0], name...)
	p = append(p, 0)
	ps.path = p
	n, _, errno := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dirfd),
		uintptr(unsafe.Pointer(&p[0])), uintptr(unsafe.Pointer(&ps.link[0])), uintptr(len(ps.link)), 0, 0)
	if errno != 0 || int(n) >= len(ps.link) {
		return nil, false // gone, or longer than PATH_MAX: not one of ours
	}
	return ps.link[:n], true
}

// forEachDirent calls f with the name of each linux_dirent64 in buf.
func forEachDirent(buf []byte, f func(name []byte)) {
	// struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
	const nameOff = 19
	for len(buf) >= nameOff {
		reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
		if reclen < nameOff || reclen > len(buf) {
			return // malformed; the kernel never does this
		}
		name := buf[nameOff:reclen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if len(name) > 0 {
			f(name)
		}
		buf = buf[reclen:]
	}
}

// atoi parses a positive decimal pid; ok is false for anything else
// ("self", "sys", ...).
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
