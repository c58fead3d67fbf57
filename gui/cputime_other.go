//go:build !unix

package gui

// cpuSeconds is not measured here: the benchmark reports 0 CPU time.
func cpuSeconds() float64 { return 0 }
