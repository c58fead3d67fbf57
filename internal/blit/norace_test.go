//go:build !race

package blit

const raceEnabled = false
