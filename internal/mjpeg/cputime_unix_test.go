//go:build unix

package mjpeg_test

import "syscall"

// cpuTime is the process's user+system CPU time in ns: on a machine shared
// with other work, a decode's CPU cost moves less than its wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
