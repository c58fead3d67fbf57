package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tally-app/tally/capture/mic"
)

// Control is one device control as `tally controls` lists it.
type Control struct {
	Name string `json:"name"`
	// Type is "float" (Min..Max), "bool", or a backend's own ("integer",
	// "menu", ...).
	Type    string   `json:"type"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Step    *float64 `json:"step,omitempty"`
	Default any      `json:"default,omitempty"`
	Value   any      `json:"value"`
	// Menu is a menu's items, "INDEX: NAME"; Flags the backend's flags
	// ("inactive", "read-only").
	Menu  []string `json:"menu,omitempty"`
	Flags []string `json:"flags,omitempty"`
}

// deviceControls is what `tally controls` needs of one kind of device;
// each backend with controls adds one to controlKinds.
type deviceControls interface {
	// List returns the device's controls with their current values.
	List(ctx context.Context, deviceID string) ([]Control, error)
	// Check says whether value is a valid value of the named control,
	// without setting it, so that a bad assignment changes nothing.
	Check(ctx context.Context, deviceID, name, value string) error
	// Set sets the named control.
	Set(ctx context.Context, deviceID, name, value string) error
	Close() error
}

// controlKinds: device-id prefix → how to reach that kind's controls.
var controlKinds = map[string]func() (deviceControls, error){
	mic.IDPrefix: newMicControls,
}

// runControls is `tally controls DEVICE-ID [--json]` and
// `tally controls DEVICE-ID --set NAME=VALUE…`.
func runControls(args []string) error { return controls(os.Stdout, args) }

func controls(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("controls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	set := fs.Bool("set", false, "set the NAME=VALUE pairs that follow")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: tally controls DEVICE-ID [--json] [--set NAME=VALUE…] (ids: tally devices)")
	}
	id := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !*set && fs.NArg() > 0 {
		return fmt.Errorf("unexpected %q: to set controls, write --set before NAME=VALUE", fs.Arg(0))
	}
	if *set && fs.NArg() == 0 {
		return errors.New("--set needs NAME=VALUE pairs, as in --set volume=0.5 mute=true")
	}
	var open func() (deviceControls, error)
	for prefix, f := range controlKinds {
		if strings.HasPrefix(id, prefix) {
			open = f
		}
	}
	if open == nil {
		return fmt.Errorf("device %q has no controls tally can reach (ids: tally devices)", id)
	}
	dc, err := open()
	if err != nil {
		return err
	}
	defer dc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	type assignment struct{ name, value string }
	var todo []assignment
	for _, a := range fs.Args() {
		name, value, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return fmt.Errorf("%q is not NAME=VALUE", a)
		}
		if err := dc.Check(ctx, id, name, value); err != nil {
			return err
		}
		todo = append(todo, assignment{name, value})
	}
	for _, a := range todo {
		if err := dc.Set(ctx, id, a.name, a.value); err != nil {
			return err
		}
	}
	list, err := dc.List(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	printControls(w, list)
	return nil
}

func printControls(w io.Writer, list []Control) {
	for _, c := range list {
		line := fmt.Sprintf("%-12s %-8s %v", c.Name, c.Type, c.Value)
		if c.Min != nil && c.Max != nil {
			line += fmt.Sprintf("  (%v..%v", *c.Min, *c.Max)
			if c.Step != nil {
				line += fmt.Sprintf(" step %v", *c.Step)
			}
			line += ")"
		}
		if c.Default != nil {
			line += fmt.Sprintf("  default %v", c.Default)
		}
		if len(c.Flags) > 0 {
			line += "  [" + strings.Join(c.Flags, ",") + "]"
		}
		if len(c.Menu) > 0 {
			line += "  {" + strings.Join(c.Menu, "; ") + "}"
		}
		fmt.Fprintln(w, line)
	}
}

// micControls are a microphone's volume and mute (capture/mic).
type micControls struct{ b *mic.Backend }

func newMicControls() (deviceControls, error) {
	b, err := mic.New()
	if err != nil {
		return nil, err
	}
	return micControls{b}, nil
}

func (m micControls) Close() error { return m.b.Close() }

func (m micControls) List(ctx context.Context, id string) ([]Control, error) {
	v, err := m.b.Volume(ctx, id)
	if err != nil {
		return nil, err
	}
	muted, err := m.b.Muted(ctx, id)
	if err != nil {
		return nil, err
	}
	zero, one, step := 0.0, 1.0, 0.01
	return []Control{
		{Name: "volume", Type: "float", Min: &zero, Max: &one, Step: &step, Value: math.Round(v*1e4) / 1e4},
		{Name: "mute", Type: "bool", Value: muted},
	}, nil
}

func (m micControls) parse(id, name, value string) (float64, bool, error) {
	switch name {
	case "volume":
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return 0, false, fmt.Errorf("microphone %q: volume %q is not a number from 0 to 1", id, value)
		}
		return v, false, nil
	case "mute":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return 0, false, fmt.Errorf("microphone %q: mute %q is not true or false", id, value)
		}
		return 0, b, nil
	}
	return 0, false, fmt.Errorf("microphone %q has no control %q (it has volume and mute)", id, name)
}

func (m micControls) Check(ctx context.Context, id, name, value string) error {
	if _, _, err := m.parse(id, name, value); err != nil {
		return err
	}
	_, err := m.b.Volume(ctx, id) // the device exists and has controls
	return err
}

func (m micControls) Set(ctx context.Context, id, name, value string) error {
	v, b, err := m.parse(id, name, value)
	if err != nil {
		return err
	}
	if name == "volume" {
		return m.b.SetVolume(ctx, id, v)
	}
	return m.b.SetMuted(ctx, id, b)
}
