package capture_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tally-app/tally/capture"
	"github.com/tally-app/tally/capture/synthetic"
)

// realBackend stands for a hardware backend such as V4L2: its own ids, and
// no device flagged default (the kernel has no notion of a default camera).
type realBackend struct{ s *synthetic.Backend }

const realPrefix = "webcam:"

func (r realBackend) Name() string { return "webcam" }

func (r realBackend) Devices(ctx context.Context) ([]capture.DeviceDescriptor, error) {
	ds, err := r.s.Devices(ctx)
	for i := range ds {
		ds[i].DeviceID = realPrefix + ds[i].DeviceID
		ds[i].Label = "Real " + ds[i].Label
		ds[i].Default = false
	}
	return ds, err
}

func (r realBackend) Open(ctx context.Context, id string, mode capture.MediaTrackSettings) (capture.Device, error) {
	mode.DeviceID = strings.TrimPrefix(mode.DeviceID, realPrefix)
	return r.s.Open(ctx, strings.TrimPrefix(id, realPrefix), mode)
}

// A real device is listed first and is the default; the synthetic one stays
// listed, last, and is never the default while a real one exists.
func TestRealDeviceBeatsSynthetic(t *testing.T) {
	real := realBackend{synthetic.New()}
	syn := synthetic.New()
	md := capture.NewMediaDevices(real, syn)
	t.Cleanup(func() { _ = md.Close() })
	ctx := ctxT(t)

	infos, err := md.EnumerateDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]string{}
	last := map[string]string{}
	for _, d := range infos {
		if first[d.Kind] == "" {
			first[d.Kind] = d.DeviceID
		}
		last[d.Kind] = d.DeviceID
	}
	for _, kind := range []string{capture.KindVideoInput, capture.KindAudioInput} {
		if !strings.HasPrefix(first[kind], realPrefix) || strings.HasPrefix(last[kind], realPrefix) {
			t.Errorf("%s: listed first %q, last %q; want the real device first and the synthetic last", kind, first[kind], last[kind])
		}
	}
	descs, err := md.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string][]string{}
	for _, d := range descs {
		if d.Default {
			defaults[d.Kind] = append(defaults[d.Kind], d.DeviceID)
		}
	}
	for _, kind := range []string{capture.KindVideoInput, capture.KindAudioInput, capture.KindDisplay} {
		if got := defaults[kind]; len(got) != 1 || !strings.HasPrefix(got[0], realPrefix) {
			t.Errorf("%s defaults = %q, want exactly the real device", kind, got)
		}
	}

	tr := video(t, md, `{"video": true}`)
	if id := tr.GetSettings().DeviceID; !strings.HasPrefix(id, realPrefix) {
		t.Errorf("{video: true} opened %q, want the real camera", id)
	}
	tr.Stop()
	a := audio(t, md)
	if id := a.GetSettings().DeviceID; !strings.HasPrefix(id, realPrefix) {
		t.Errorf("{audio: true} opened %q, want the real microphone", id)
	}
	a.Stop()
}

// With no real device the synthetic one is the default, so the app still
// opens something on a machine without hardware.
func TestSyntheticIsDefaultWithoutHardware(t *testing.T) {
	empty := realBackend{synthetic.New()}
	for _, d := range []string{camID, micID, "synthetic-screen-1"} {
		empty.s.Unplug(d)
	}
	md := capture.NewMediaDevices(empty, synthetic.New())
	t.Cleanup(func() { _ = md.Close() })
	tr := video(t, md, `{"video": true}`)
	if id := tr.GetSettings().DeviceID; id != camID {
		t.Errorf("{video: true} opened %q, want the synthetic camera %q", id, camID)
	}
	tr.Stop()
}
