package holders

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Print writes snap for a person or, with asJSON, as one indented JSON
// object (the struct tags of Snapshot, Device and Holder are its schema).
// The text form is one line per device and one indented line per holder:
//
//	/dev/video0 (videoinput)
//	  obs (pid 4242) streaming, open: obs --startvirtualcam
//	virtmic (audioinput, pulse "VirtualMic")
//	  parecord (pid 6745) recording "/dev/null": parecord --device=virtmic /dev/null
//	  tally (this process) (pid 77) paused "capture"
//	/dev/video2 (videoinput)
//	  nobody
func Print(w io.Writer, snap Snapshot, asJSON bool) error {
	if asJSON {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(snap)
	}
	b := bufio.NewWriter(w)
	for _, d := range snap.Devices {
		b.WriteString(d.Path)
		switch {
		case d.Pulse:
			fmt.Fprintf(b, " (%s, pulse %q)", d.Kind, d.Label)
		case d.Kind != "":
			fmt.Fprintf(b, " (%s)", d.Kind)
		}
		b.WriteByte('\n')
		if len(d.Holders) == 0 {
			b.WriteString("  nobody\n")
		}
		for _, h := range d.Holders {
			b.WriteString("  " + describeHolder(h) + "\n")
		}
	}
	for _, e := range snap.Errors {
		fmt.Fprintf(b, "error: %s\n", e)
	}
	return b.Flush()
}

// describeHolder is one holder on one line.
func describeHolder(h Holder) string {
	s := h.Name
	if h.Self {
		s += " (this process)"
	}
	if h.PID > 0 {
		s += fmt.Sprintf(" (pid %d)", h.PID)
	}
	switch h.Via {
	case ViaPulse:
		if h.Streaming {
			s += " recording"
		} else {
			s += " paused"
		}
		if h.Stream != "" {
			s += fmt.Sprintf(" %q", h.Stream)
		}
	case ViaMmap:
		s += " streaming, mapped only"
	default:
		if h.Streaming {
			s += " streaming, open"
		} else {
			s += " open"
		}
	}
	if h.Cmdline != "" {
		s += ": " + h.Cmdline
	}
	return s
}
