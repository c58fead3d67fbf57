package main

import (
	"context"
	"fmt"

	"github.com/tally-app/tally/capture/camera"
)

func init() { controlKinds[camera.IDPrefix] = newCameraControls }

// cameraControls are a camera's V4L2 controls, reached by v4l2-ctl name or
// by the Image Capture spec's (camera.ImageCaptureNames).
type cameraControls struct {
	b    *camera.Backend
	id   string
	ctls *camera.Controls
}

func newCameraControls() (deviceControls, error) { return &cameraControls{b: camera.New()}, nil }

func (c *cameraControls) open(id string) (*camera.Controls, error) {
	if c.ctls != nil && c.id == id {
		return c.ctls, nil
	}
	if c.ctls != nil {
		c.ctls.Close()
		c.ctls = nil
	}
	ctls, err := c.b.Controls(id)
	if err != nil {
		return nil, err
	}
	c.id, c.ctls = id, ctls
	return ctls, nil
}

func (c *cameraControls) Close() error {
	if c.ctls == nil {
		return nil
	}
	return c.ctls.Close()
}

func (c *cameraControls) List(_ context.Context, id string) ([]Control, error) {
	ctls, err := c.open(id)
	if err != nil {
		return nil, err
	}
	list, err := ctls.List()
	if err != nil {
		return nil, err
	}
	out := make([]Control, 0, len(list))
	for _, k := range list {
		out = append(out, cliControl(k))
	}
	return out, nil
}

// cliControl shows a control as people type its values: booleans as
// true/false, menus by item name, integer menus by their integer.
func cliControl(k camera.ControlInfo) Control {
	f := func(v int64) *float64 { x := float64(v); return &x }
	c := Control{Name: k.Name, Type: k.Type, Flags: k.Flags}
	item := func(i int64) any {
		for _, it := range k.Menu {
			if it.Index == i {
				if k.Type == "intmenu" {
					return it.Value
				}
				return it.Name
			}
		}
		return i
	}
	readable := !k.Has("write-only") && k.Type != "button"
	switch k.Type {
	case "int", "int64", "bitmask":
		c.Min, c.Max, c.Default = f(k.Min), f(k.Max), k.Default
		if k.Step > 0 && k.Type != "bitmask" {
			c.Step = f(k.Step)
		}
		if readable {
			c.Value = k.Value
		}
	case "bool":
		c.Default = k.Default != 0
		if readable {
			c.Value = k.Value != 0
		}
	case "menu", "intmenu":
		c.Default = item(k.Default)
		if readable {
			c.Value = item(k.Value)
		}
		for _, it := range k.Menu {
			if k.Type == "intmenu" {
				c.Menu = append(c.Menu, fmt.Sprintf("%d: %d", it.Index, it.Value))
			} else {
				c.Menu = append(c.Menu, fmt.Sprintf("%d: %s", it.Index, it.Name))
			}
		}
	case "str":
		c.Min, c.Max = f(k.Min), f(k.Max)
		if readable {
			c.Value = k.Str
		}
	case "button":
	default: // compound: listed, read-only here
		if readable {
			c.Value = fmt.Sprintf("%d bytes", len(k.Payload))
		}
	}
	return c
}

func (c *cameraControls) Check(_ context.Context, id, name, value string) error {
	ctls, err := c.open(id)
	if err != nil {
		return err
	}
	n, v, err := camera.V4L2Name(name, value)
	if err != nil {
		return fmt.Errorf("camera %s: %w", id, err)
	}
	_, _, err = ctls.Check(n, v)
	if err != nil && n != name {
		return fmt.Errorf("%s (the Image Capture spec's %s): %w", n, name, err)
	}
	return err
}

func (c *cameraControls) Set(_ context.Context, id, name, value string) error {
	ctls, err := c.open(id)
	if err != nil {
		return err
	}
	n, v, err := camera.V4L2Name(name, value)
	if err != nil {
		return fmt.Errorf("camera %s: %w", id, err)
	}
	return ctls.SetText(n, v)
}
