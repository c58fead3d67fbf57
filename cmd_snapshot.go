package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/camera"
	"github.com/tally-app/tally/capture/screen"
	"github.com/tally-app/tally/capture/synthetic"
)

func init() { verbs["snapshot"] = runSnapshot }

// runSnapshot is `tally snapshot DEVICE-ID -o FILE.png|FILE.jpg`: it opens
// the device as a track (getUserMedia, exactly that device id), takes one
// photo (ImageCapture.TakePhoto), writes it and stops the track.
func runSnapshot(args []string) error {
	fs := flag.NewFlagSet("snapshot", flag.ContinueOnError)
	out := fs.String("o", "", "the file to write: .png, or .jpg/.jpeg")
	timeout := fs.Duration("timeout", 20*time.Second, "give up after this long")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: tally snapshot DEVICE-ID -o FILE.png (ids: tally devices)")
	}
	id := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected %q after the options", fs.Arg(0))
	}
	var mime string
	switch strings.ToLower(filepath.Ext(*out)) {
	case ".png":
		mime = "image/png"
	case ".jpg", ".jpeg":
		mime = "image/jpeg"
	case "":
		return errors.New("snapshot needs -o FILE.png or -o FILE.jpg")
	default:
		return fmt.Errorf("-o %s: write .png or .jpg (the extension says the format)", *out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	md := capture.NewMediaDevices(camera.New(), screen.New(), synthetic.New())
	defer md.Close()
	b, err := snapshot(ctx, md, id, mime)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}

func snapshot(ctx context.Context, md *capture.MediaDevices, id, mime string) ([]byte, error) {
	js, _ := json.Marshal(map[string]any{"video": map[string]any{"deviceId": map[string]string{"exact": id}}})
	c, err := capture.ParseMediaStreamConstraints(js)
	if err != nil {
		return nil, err
	}
	s, err := md.GetUserMedia(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", id, err)
	}
	for _, t := range s.GetTracks() {
		defer t.Stop()
	}
	vs := s.GetVideoTracks()
	if len(vs) == 0 {
		return nil, fmt.Errorf("%s gave no video track", id)
	}
	ic, err := capture.NewImageCapture(vs[0])
	if err != nil {
		return nil, err
	}
	b, _, err := ic.TakePhoto(ctx, capture.PhotoSettings{MIMEType: mime})
	return b, err
}
