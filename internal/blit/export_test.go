package blit

// SetSIMD turns the assembly paths on or off for the external tests and
// returns a func that restores the previous setting.
func SetSIMD(on bool) (restore func()) {
	was := haveSIMD
	haveSIMD = on && was
	return func() { haveSIMD = was }
}

// SetLibyuv turns the libyuv path on or off (on only if it is linked in)
// and returns a func that restores the previous setting.
func SetLibyuv(on bool) (restore func()) {
	was := useLibyuv
	useLibyuv = on && libyuvLinked
	return func() { useLibyuv = was }
}

// RaceEnabled tells the external tests whether -race is on.
const RaceEnabled = raceEnabled
