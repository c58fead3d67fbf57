package main

import (
	"log"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/camera"
	"github.com/tally-app/tally/capture/mic"
	"github.com/tally-app/tally/capture/screen"
	"github.com/tally-app/tally/capture/synthetic"
)

// defaultBackends returns the backends the app uses, in order of
// preference: real devices first, so the system's default camera and
// microphone are the app's default where they exist; with no hardware the
// synthetic devices are. The MediaDevices made over them closes them.
func defaultBackends() []capture.Backend {
	bs := []capture.Backend{camera.New(), screen.New()}
	if m, err := mic.New(); err != nil {
		log.Printf("microphones unavailable: %v", err)
	} else {
		bs = append(bs, m)
	}
	return append(bs, synthetic.New())
}
