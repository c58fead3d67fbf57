//go:build race

package blit

// raceEnabled skips the exhaustive colour test under the race detector: it
// is single-goroutine arithmetic that takes a minute there and seconds
// without.
const raceEnabled = true
