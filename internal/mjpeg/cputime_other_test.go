//go:build !unix

package mjpeg_test

func cpuTime() int64 { return 0 }
