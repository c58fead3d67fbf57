package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tally-app/tally/capture"
)

// runDevices is `tally devices [--json]`: every camera, microphone and screen
// of every backend, with its modes.
func runDevices(args []string) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "give up enumerating after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	md := capture.NewMediaDevices(defaultBackends()...)
	defer md.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	devs, err := md.Devices(ctx)
	if err != nil {
		return fmt.Errorf("enumerating devices: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(devs)
	}
	printDevices(os.Stdout, devs)
	return nil
}

func printDevices(w io.Writer, devs []capture.DeviceDescriptor) {
	for _, group := range []struct{ kind, title string }{
		{capture.KindVideoInput, "Cameras"},
		{capture.KindAudioInput, "Microphones"},
		{capture.KindDisplay, "Screens"},
	} {
		fmt.Fprintln(w, group.title)
		n := 0
		for _, d := range devs {
			if d.Kind != group.kind {
				continue
			}
			n++
			def := ""
			if d.Default {
				def = "  (default)"
			}
			fmt.Fprintf(w, "  %s%s\n    id %s", d.Label, def, d.DeviceID)
			if d.Path != "" {
				fmt.Fprintf(w, "  at %s", d.Path)
			}
			fmt.Fprintln(w)
			for _, line := range modeLines(d) {
				fmt.Fprintf(w, "    %s\n", line)
			}
			if len(d.UnsupportedFormats) > 0 {
				// Listed, not dropped: a camera that offers only these is
				// present but cannot be shown, and the user should see why.
				fmt.Fprintf(w, "    %s: not supported by Tally\n", strings.Join(d.UnsupportedFormats, ", "))
			}
		}
		if n == 0 {
			fmt.Fprintln(w, "  (none)")
		}
	}
}

// modeLines folds a device's modes into one line per format and size (video)
// or format and rate (audio), listing the rates or channel counts.
func modeLines(d capture.DeviceDescriptor) []string {
	type key struct {
		format string
		a, b   int
	}
	var keys []key
	vals := map[key][]string{}
	for _, m := range d.Modes {
		var k key
		var v string
		if d.Kind == capture.KindAudioInput {
			k = key{m.Format, m.SampleRate, m.SampleSize}
			v = strconv.Itoa(m.ChannelCount)
		} else {
			k = key{m.Format, m.Width, m.Height}
			v = strconv.FormatFloat(m.FrameRate, 'f', -1, 64)
		}
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		if !slices.Contains(vals[k], v) {
			vals[k] = append(vals[k], v)
		}
	}
	slices.SortStableFunc(keys, func(x, y key) int {
		if x.a != y.a {
			return x.a - y.a
		}
		return x.b - y.b
	})
	for _, v := range vals {
		slices.SortFunc(v, func(x, y string) int {
			a, _ := strconv.ParseFloat(x, 64)
			b, _ := strconv.ParseFloat(y, 64)
			return cmp.Compare(a, b)
		})
	}
	var out []string
	for _, k := range keys {
		f := k.format
		if f == "" {
			f = "-"
		}
		if d.Kind == capture.KindAudioInput {
			out = append(out, fmt.Sprintf("%-5s %6d Hz  %2d-bit  channels %s", f, k.a, k.b, strings.Join(vals[k], ", ")))
		} else {
			out = append(out, fmt.Sprintf("%-5s %4d×%-4d  @ %s fps", f, k.a, k.b, strings.Join(vals[k], ", ")))
		}
	}
	return out
}
