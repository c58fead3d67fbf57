package gui

import (
	"fmt"
	"strings"

	"github.com/tally-app/tally/holders"
)

// HolderWatcher reports who holds each device node and audio source, inside
// Tally and outside it; *holders.Watcher is one. Its callbacks may run on
// any goroutine.
type HolderWatcher interface {
	OnChange(func(holders.Snapshot)) (cancel func())
}

// describeHolders lists the holders of a device for a source row: Tally
// itself with its track count, then every other process.
func describeHolders(hs []holders.Holder, tallyTracks int) string {
	var parts []string
	if tallyTracks > 0 {
		parts = append(parts, fmt.Sprintf("Tally (%s)", plural(tallyTracks, "track")))
	}
	seen := map[string]bool{}
	for _, h := range hs {
		if h.Self {
			continue
		}
		s := h.Name
		if s == "" {
			s = "unknown"
		}
		if h.PID > 0 {
			s += fmt.Sprintf(" (pid %d)", h.PID)
		}
		if h.Via == holders.ViaPulse {
			s += " recording"
		} else if h.Streaming {
			s += " streaming"
		}
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "held by " + strings.Join(parts, ", ")
}

// othersHold reports whether a process other than this one holds d.
func othersHold(d holders.Device) bool {
	for _, h := range d.Holders {
		if !h.Self {
			return true
		}
	}
	return false
}
