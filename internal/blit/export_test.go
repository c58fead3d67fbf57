package blit

// SetSIMD turns the assembly paths on or off for the external tests and
// returns a func that restores the previous setting.
func SetSIMD(on bool) (restore func()) {
	was := haveSIMD
	haveSIMD = on && was
	return func() { haveSIMD = was }
}

// RaceEnabled tells the external tests whether -race is on.
const RaceEnabled = raceEnabled
